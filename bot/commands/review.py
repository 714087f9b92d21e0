"""review [team:] [quarter:] | review date <when>: the quarterly review and when it is held"""
from __future__ import annotations

from ..format import fmt_date
from ..grammar import UsageError, no_words, split_options
from ..model import Reply
from ..review.service import review_document
from ..times import iso
from .registry import command

REVIEW = "review [team:<t>] [quarter:<q>]"
REVIEW_DATE = "review date <when> [team:<t>]"

GROUPS = {"review": "review [team:<t>] [quarter:<q>]  |  review date <when> [team:<t>]"}


@command("review", REVIEW, "the quarterly review summary in chat", keys=("team", "quarter"), slow=True)
def review(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team", "quarter"))
    no_words(extra, "review takes team: and quarter:", REVIEW)
    team = ctx.team(opts, REVIEW)
    tz = ctx.team_tz(team)
    quarter = ctx.quarter(opts, tz, REVIEW)
    doc = review_document(ctx.store, ctx.config, team, quarter, ctx.now)
    reply = Reply("\n".join(doc.chat(ctx.r)))
    if ctx.r.uploads:  # a platform that takes files gets the whole deck beside the summary
        reply.files.append((f"review-{team}-{quarter.label}.html", doc.title, doc.html()))
    return reply


@command("review date", REVIEW_DATE, "the date of the team's next quarterly review", keys=("team",))
def review_date(ctx, rest: str) -> Reply:
    when, opts = split_options(rest, ("team",))
    if not when:
        raise UsageError("when is the review?", REVIEW_DATE)
    team = ctx.team(opts, REVIEW_DATE)
    tz = ctx.team_tz(team)
    d = ctx.due(when, tz, REVIEW_DATE, what="review date ")
    ctx.require_admin("set the review date", REVIEW_DATE)
    with ctx.write(team) as conn:
        ctx.store.ensure_team(conn, team, tz, ctx.now)
        ctx.store.update_team(conn, team, review_date=d.isoformat(), review_set_at=iso(ctx.now))
    days = (d - ctx.today(tz)).days
    return Reply(f"{team}'s review is {fmt_date(d, ctx.today(tz))}, in {days} day{'s' if days != 1 else ''}; "
                 "reminders go out 14, 7 and 1 days before at 09:00", public=True)
