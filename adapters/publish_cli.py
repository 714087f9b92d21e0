"""`goalkeeper publish`: a review, every team's reviews, or a meeting's minutes, to the wiki."""
from __future__ import annotations

import os
import re
import sys

from bot.ports import WikiError
from bot.publications import meeting_publication, organisation_publication, review_publication
from bot.publish import PublishRefused, publish as publish_page
from bot.review.service import ReviewError, known_team, pick_quarter

OFF = ("publishing is off: set GOALKEEPER_WIKI_API (the wiki's api.php URL), GOALKEEPER_WIKI_USER and "
       "GOALKEEPER_WIKI_PASSWORD (a bot password, Name@app)")


def _error(text: str, code: int = 1) -> int:
    print(f"goalkeeper: error: {text}", file=sys.stderr)
    return code


def publish(args, app) -> int:
    store, config, now = app.store, app.config, app.clock()
    if app.wiki is None:
        return _error(OFF, 2)
    if args.teams and not args.all:
        return _error("--teams goes with --all", 2)
    if args.meeting and args.quarter:
        return _error("--quarter goes with --team or --all, not --meeting", 2)
    try:
        if args.meeting:
            m = re.fullmatch(r"[Mm]?(\d{1,9})", args.meeting.strip())
            if not m:
                return _error(f"--meeting {args.meeting!r} is not a meeting id (like M3)", 2)
            pub = meeting_publication(store, config, int(m.group(1)), now)
        else:
            team = None if args.all else args.team.strip().lower()
            teams = [t.strip().lower() for t in args.teams.split(",") if t.strip()] if args.teams else None
            for t in [team] if team else teams or ():
                if not known_team(store, t):
                    return _error(f"there is no team {t!r} (teams: " + ", ".join(r["name"] for r in store.teams()) + ")")
            quarter = pick_quarter(args.quarter, store, config, team, now, teams)
            pub = organisation_publication(store, config, quarter, now, teams) if args.all else review_publication(
                store, config, team, quarter, now)
        outcome = publish_page(app.wiki, store, pub, now, "cli:" + (os.environ.get("USER") or "goalkeeper"),
                               force=args.force, dry_run=args.dry_run)
    except ReviewError as e:
        return _error(str(e), 2)
    except (PublishRefused, WikiError) as e:
        return _error(str(e))
    if outcome.diff:
        sys.stdout.write(outcome.diff if outcome.diff.endswith("\n") else outcome.diff + "\n")
    print(f"{pub.what}: {outcome.line()}")
    return 0
