"""team set | team show: which team a channel is, and what it has set"""
from __future__ import annotations

from datetime import date

from ..limits import check_name
from ..format import fmt_date
from ..grammar import UsageError, split_options
from ..model import Reply
from .digest import describe_digest
from .registry import command

SET = "team set <name> [tz:<zone>]"
SHOW = "team show"

GROUPS = {"team": "team set <name> [tz:<zone>]  |  team show"}


@command("team set", SET, "this channel belongs to team <name> (in that time zone)", keys=("tz",))
def team_set(ctx, rest: str) -> Reply:
    name, opts = split_options(rest, ("tz",))
    if ctx.msg.channel.private:
        raise UsageError("team set is said in the team's channel", SET)
    name = check_name(name.lstrip("#"), "team", SET).lower()
    tz = ctx.check_tz(opts["tz"].strip(), SET) if "tz" in opts else None
    ctx.require_admin("set a channel's team", SET)
    with ctx.write(name) as conn:
        ctx.store.ensure_team(conn, name, tz or ctx.config.tz, ctx.now)
        ctx.store.set_channel_team(conn, ctx.msg.channel.key, name)
        if tz:
            ctx.store.update_team(conn, name, tz=tz)
    tz = tz or ctx.team_tz(name)
    return Reply(f"{ctx.r.text(ctx.msg.channel.name)} is team {name} ({tz})", public=True)


@command("team show", SHOW, "this channel's team, time zone, review date and digest", keys=("team",))
def team_show(ctx, rest: str) -> Reply:
    _, opts = split_options(rest, ("team",))
    team = ctx.team(opts, SHOW)
    row = ctx.store.team(team)
    if row is None:
        return Reply(ctx.r.text(f"team {team} (from this channel's name) has nothing recorded yet; "
                                f"time zone {ctx.config.tz}. {SET} names it."))
    tz = row["tz"]
    today = ctx.today(tz)
    chans = ", ".join(ctx.r.text(c["name"]) for c in ctx.store.channels_of(team)) or "none"
    review = ctx.r.text("not set (review date <when>)")
    if row["review_date"]:
        days = (date.fromisoformat(row["review_date"]) - today).days
        review = f"{fmt_date(row['review_date'], today)} ({days} days)" if days >= 0 else f"{fmt_date(row['review_date'], today)} (past)"
    return Reply("\n".join([
        f"team {ctx.r.bold(team)} · time zone {tz}",
        f"channels: {chans}",
        f"review: {review}",
        f"digest: {describe_digest(ctx.r, row)}",
    ]))

