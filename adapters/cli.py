"""The `goalkeeper` program: the one place where store, clock, core and an adapter are wired together.

Slack and IRC libraries are imported only by their own subcommands, so `--help` and
the console start fast.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from bot.config import Config, ConfigError

FORMATS = ("md", "html", "wiki")


LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"  # one format for every process


def _logging() -> None:
    """Goalkeeper's own logger (and its children: goalkeeper.irc, goalkeeper.slack) to standard error."""
    log = logging.getLogger("goalkeeper")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def parse_now(text: str | None):
    """--now ISO: a time without an offset is read in UTC (the contract)."""
    from bot.times import parse_iso

    if not text:
        return None
    from bot.when import MAX_YEAR, MIN_YEAR

    try:
        now = parse_iso(text)
    except ValueError:
        raise ConfigError(f"--now: {text!r} is not an ISO 8601 time (like 2016-01-04T10:00)") from None
    if not MIN_YEAR <= now.year <= MAX_YEAR:
        raise ConfigError(f"--now: {text!r} is outside the years {MIN_YEAR}-{MAX_YEAR}")
    return now


def start(env, now_text: str | None = None):
    """The app for one subcommand, its clock pinned by --now when given."""
    from adapters.bootstrap import bootstrap

    config = Config.from_env(env)
    return bootstrap(env, now=parse_now(now_text), config=config)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="goalkeeper",
        description="Goalkeeper: a team's quarterly goals, learnings and KPIs, in Slack, IRC or the console.",
    )
    sub = p.add_subparsers(dest="cmd", metavar="command")
    c = sub.add_parser("console", help="the local chat: lines on standard input, replies on standard output")
    c.add_argument("--channel", default="#general", help="the channel you speak in (default #general)")
    c.add_argument("--user", default=os.environ.get("USER") or "me", help="who you are (default $USER)")
    c.add_argument("--now", help="pin the clock to this ISO 8601 time (demos and tests)")
    sub.add_parser("irc", help="serve IRC channels (configured by IRC_* variables)")
    sub.add_parser("slack", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)")
    t = sub.add_parser("tick", help="one scheduler pass: queue due reminders and digests, deliver what it can")
    t.add_argument("--now", help="the instant of the pass (ISO 8601); default: now")
    r = sub.add_parser("review", help="write a team's quarterly review")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--team", help="the team")
    who.add_argument("--all", action="store_true", help="every team on one page")
    r.add_argument("--teams", help="with --all: these teams, in this order (the meeting's agenda), e.g. ops,releng")
    r.add_argument("--quarter", help="Q3, 2016Q1, FY2016Q3, this, next, last (default: the quarter under review, "
                                     "else this one)")
    r.add_argument("--format", choices=FORMATS, default="md")
    r.add_argument("-o", "--output", help="write to this file (default: standard output)")
    r.add_argument("--now", help="the instant the review is written at (ISO 8601); default: now")
    mt = sub.add_parser("minutes", help="write the minutes of a review meeting")
    mt.add_argument("meeting", help="the meeting, as M3 (or 3)")
    mt.add_argument("--format", choices=FORMATS, default="md")
    mt.add_argument("-o", "--output", help="write to this file (default: standard output)")
    mt.add_argument("--now", help="the instant the minutes are written at (ISO 8601); default: now")
    pb = sub.add_parser("publish", help="publish a review or a meeting's minutes to the wiki (GOALKEEPER_WIKI_*)")
    what = pb.add_mutually_exclusive_group(required=True)
    what.add_argument("--team", help="the team whose review to publish")
    what.add_argument("--all", action="store_true", help="every team's review on one page")
    what.add_argument("--meeting", help="a meeting's minutes, e.g. M3")
    pb.add_argument("--teams", help="with --all: these teams, in this order, e.g. ops,releng")
    pb.add_argument("--quarter", help="Q3, 2016Q1, FY2016Q3, this, next, last (default: the quarter under review, "
                                      "else this one)")
    pb.add_argument("--dry-run", action="store_true", help="print what would change on the page; write nothing")
    pb.add_argument("--force", action="store_true", help="replace Goalkeeper's section even if a person edited it")
    pb.add_argument("--now", help="the instant the review is written at (ISO 8601); default: now")
    e = sub.add_parser("export", help="the whole store as one JSON document")
    e.add_argument("--format", choices=("json",), default="json")
    e.add_argument("-o", "--output", help="write to this file (default: standard output)")
    i = sub.add_parser("import", help="load an export into an empty store")
    i.add_argument("file", help="the JSON document (- for standard input)")
    return p


def main(argv: list[str] | None = None) -> int:
    _logging()
    args = parser().parse_args(argv)
    if not args.cmd:
        parser().print_help()
        return 0
    try:
        return _run(args)
    except ConfigError as e:
        print(f"goalkeeper: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `goalkeeper tick | head -1`: what was not printed stays queued
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:
        from adapters.bootstrap import StoreOpenError
        from bot.ports import StoreError

        if isinstance(e, StoreOpenError):
            print(f"goalkeeper: {e}", file=sys.stderr)
            return 2
        if isinstance(e, StoreError):  # busy, read-only, full, gone: one line for cron, nothing lost
            print(f"goalkeeper: error: the database could not be used ({type(e).__name__}: {e}); "
                  "nothing was lost, the next run retries", file=sys.stderr)
            return 1
        raise


def _run(args) -> int:
    env = os.environ
    if args.cmd == "console":
        app = start(env, args.now)
        from adapters.console import run

        return run(app.core, args.channel, args.user, app.clock)
    if args.cmd == "tick":
        app = start(env, args.now)
        now = app.clock()
        from adapters.console import deliver

        app.core.tick(now)
        deliver(app.core, now)
        if (env.get("SLACK_BOT_TOKEN") or "").strip():  # Slack takes posts without a running process
            from adapters.slack import deliver_outbox

            deliver_outbox(env, app.core, now)
        return 0
    if args.cmd == "irc":
        from adapters import irc

        return irc.serve(env, start(env).core) or 0
    if args.cmd == "slack":
        from adapters import slack

        return slack.serve(env, start(env).core) or 0
    if args.cmd == "review":
        return _review(args, env)
    if args.cmd == "minutes":
        return _minutes(args, env)
    if args.cmd == "publish":
        from adapters.publish_cli import publish

        return publish(args, start(env, args.now))
    if args.cmd == "export":
        text = json.dumps(start(env).store.export(), indent=2, ensure_ascii=False) + "\n"
        return _write(text, args.output)
    if args.cmd == "import":
        return _import(args.file, env)
    return 2


def _write(text: str, path: str | None) -> int:
    if not path or path == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        print(f"goalkeeper: error: cannot write {path}: {e.strerror}", file=sys.stderr)
        return 1
    return 0


def _import(path: str, env) -> int:
    from storage.exchange import ImportError_

    try:
        raw = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        doc = json.loads(raw)
    except RecursionError:
        print(f"goalkeeper: error: {path} is nested too deeply to be an export; nothing was imported",
              file=sys.stderr)
        return 1
    except OSError as e:
        print(f"goalkeeper: error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"goalkeeper: error: {path} is not JSON: {e}", file=sys.stderr)
        return 1
    store = start(env).store
    try:
        counts = store.import_(doc)
    except ImportError_ as e:
        print(f"goalkeeper: error: {e}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError) as e:
        print(f"goalkeeper: error: the document is malformed ({type(e).__name__}: {e}); nothing was imported",
              file=sys.stderr)
        return 1
    except Exception as e:  # sqlite3.IntegrityError and kin: the transaction rolled back
        print(f"goalkeeper: error: the document does not fit ({e}); nothing was imported", file=sys.stderr)
        return 1
    print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def _minutes(args, env) -> int:
    from bot.meeting.minutes import MinutesError, load_minutes, parse_meeting_id, render

    mid = parse_meeting_id(args.meeting)
    if mid is None:
        print(f"goalkeeper: error: {args.meeting!r} is not a meeting id (like M3)", file=sys.stderr)
        return 2
    app = start(env, args.now)
    try:
        minutes = load_minutes(app.store, app.config, mid)
    except MinutesError as e:
        print(f"goalkeeper: error: {e}", file=sys.stderr)
        return 1
    return _write(render(minutes, args.format), args.output)


def _review(args, env) -> int:
    from bot.review.service import ReviewError, known_team, organisation_document, pick_quarter, review_document

    app = start(env, args.now)
    now, store, config = app.clock(), app.store, app.config
    team = None if args.all else args.team.lower()
    if args.teams and not args.all:
        print("goalkeeper: error: --teams goes with --all", file=sys.stderr)
        return 2
    teams = [t.strip().lower() for t in args.teams.split(",") if t.strip()] if args.teams else None
    for t in [team] if team else teams or ():
        if not known_team(store, t):
            print(f"goalkeeper: error: there is no team {t!r} (teams: "
                  + ", ".join(t["name"] for t in store.teams()) + ")", file=sys.stderr)
            return 1
    try:
        quarter = pick_quarter(args.quarter, store, config, team, now, teams)
    except ReviewError as e:
        print(f"goalkeeper: error: {e}", file=sys.stderr)
        return 2
    doc = organisation_document(store, config, quarter, now, teams) if args.all else review_document(
        store, config, team, quarter, now)
    out = doc.text(args.format)
    return _write(out if out.endswith("\n") else out + "\n", args.output)


if __name__ == "__main__":
    sys.exit(main())
