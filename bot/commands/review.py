"""review [team:] [quarter:] | review date <when>: the quarterly review and when it is held"""
from __future__ import annotations

from ..format import fmt_date
from ..grammar import UsageError, no_words, split_options
from ..model import Reply
from ..review.service import CloseRefused, close_quarter, review_document, settle_closes
from ..format import possessive
from ..times import iso
from .registry import command

REVIEW = "review [team:<t>] [quarter:<q>]"
REVIEW_DATE = "review date <when> [team:<t>]"
CLOSE = "review close [team:<t>] [quarter:<q>]"
PUBLISH = "review publish [team:<t>] [quarter:<q>]"

GROUPS = {"review": "review [team:<t>] [quarter:<q>]  |  review date <when> [team:<t>]  |  review close [team:<t>] [quarter:<q>]  |  review publish [team:<t>] [quarter:<q>]"}


@command("review", REVIEW, "the quarterly review summary in chat", keys=("team", "quarter"), slow=True)
def review(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team", "quarter"))
    no_words(extra, "review takes team: and quarter:", REVIEW)
    team = ctx.team(opts, REVIEW)
    tz = ctx.team_tz(team)
    quarter = ctx.review_quarter(opts, team, tz, REVIEW)
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
        settle_closes(ctx.store, conn, ctx.config, team, ctx.now)  # a quarter the old date closed stays closed
        ctx.store.update_team(conn, team, review_date=d.isoformat(), review_set_at=iso(ctx.now))
    days = (d - ctx.today(tz)).days
    return Reply(f"{possessive(team)} review is {fmt_date(d, ctx.today(tz))}, in {days} day{'s' if days != 1 else ''}; "
                 "reminders go out 14, 7 and 1 days before at 09:00", public=True)


@command("review close", CLOSE, "close the quarter under review now: its review is fixed from then on",
         keys=("team", "quarter"))
def review_close(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team", "quarter"))
    no_words(extra, "review close takes team: and quarter:", CLOSE)
    team = ctx.team(opts, CLOSE)
    tz = ctx.team_tz(team)
    ctx.require_admin("close a quarter", CLOSE)
    # by default the quarter under review, else the last one to end (which then says it is closed)
    quarter = ctx.review_quarter(opts, team, tz, CLOSE) if "quarter" in opts else (
        ctx.under_review(team, tz) or ctx.quarter({}, tz, CLOSE).prev())
    try:
        with ctx.write(team) as conn:
            ctx.store.ensure_team(conn, team, tz, ctx.now)
            close_quarter(ctx.store, conn, ctx.config, team, quarter, ctx.now, ctx.actor.id)
    except CloseRefused as e:
        raise UsageError(str(e), CLOSE) from None
    review = review_document(ctx.store, ctx.config, team, quarter, ctx.now).reviews[0]
    c = review.counts
    return Reply(f"{ctx.r.text(team)} {quarter.label} is closed: its review stays as it stands now "
                 f"({c['hit']} hit, {c['partial']} partial, {c['miss']} miss, {c['open']} with no final status); "
                 "later changes are listed apart", public=True)


@command("review publish", PUBLISH, "publish the review to the wiki (GOALKEEPER_WIKI_*)", keys=("team", "quarter"),
         slow=True)
def review_publish(ctx, rest: str) -> Reply:
    from ..ports import WikiError
    from ..publications import review_publication
    from ..publish import PublishRefused, publish

    extra, opts = split_options(rest, ("team", "quarter"))
    no_words(extra, "review publish takes team: and quarter:", PUBLISH)
    team = ctx.team(opts, PUBLISH)
    tz = ctx.team_tz(team)
    quarter = ctx.review_quarter(opts, team, tz, PUBLISH)
    ctx.require_admin("publish the review to the wiki", PUBLISH)
    if ctx.wiki is None:
        raise UsageError("publishing is off: the wiki is not configured (GOALKEEPER_WIKI_API, GOALKEEPER_WIKI_USER, "
                         "GOALKEEPER_WIKI_PASSWORD)", PUBLISH)
    try:
        pub = review_publication(ctx.store, ctx.config, team, quarter, ctx.now)
        outcome = publish(ctx.wiki, ctx.store, pub, ctx.now, ctx.actor.id)
    except (PublishRefused, WikiError) as e:
        raise UsageError(str(e), PUBLISH) from None
    return Reply(ctx.r.text(f"{team} {quarter.label}: {outcome.line()}"), public=True)
