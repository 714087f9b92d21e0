"""review [team:] [quarter:] | digest [team:]: the longer reports, in chat"""
from __future__ import annotations

from ..grammar import no_words, split_options
from ..model import Reply
from . import command

REVIEW = "review [team:<t>] [quarter:<q>]"
DIGEST = "digest [team:<t>]"


@command("review", REVIEW, "the quarterly review summary in chat", keys=("team", "quarter"))
def review(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team", "quarter"))
    no_words(extra, "review takes team: and quarter:", REVIEW)
    team = ctx.team(opts, REVIEW)
    tz = ctx.team_tz(team)
    quarter = ctx.quarter(opts, tz, REVIEW)
    from ..review import build_review, render_chat, render_html

    doc = ctx.store.export(team=team)
    rv = build_review(doc, team, quarter, ctx.now, default_tz=ctx.config.tz)
    reply = Reply("\n".join(render_chat(rv, ctx.r)))
    if ctx.r.platform == "slack":  # Slack takes the whole deck as a file beside the summary
        title = f"{team} · quarterly review {quarter.label}"
        reply.files.append((f"review-{team}-{quarter.label}.html", title, render_html([rv], title)))
    return reply


@command("digest", DIGEST, "the weekly digest, now", keys=("team",))
def digest(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "digest takes only team:", DIGEST)
    team = ctx.team(opts, DIGEST)
    from ..digest import build_digest

    return Reply(build_digest(ctx.store, ctx.config, team, ctx.now, ctx.r, short=ctx.r.platform == "irc"))
