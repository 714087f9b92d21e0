"""team set | team show: which team a channel is, and what it has set"""
from __future__ import annotations

from datetime import date

import json
import re

from ..limits import check_name, check_text
from ..review.service import settle_closes
from ..format import possessive
from ..format import fmt_date
from ..grammar import UsageError, split_options
from ..model import Reply
from .checkin import describe_checkin
from .digest import describe_digest
from .registry import command

SET = "team set <name> [tz:<zone>] [title:<display name>] [size:<people>]"
TIME = "team time <kind>:<percent> ... [quarter:<q>]   (e.g. team time core:80 strategic:20)"
SHOW = "team show"
MAX_TEAM_TITLE = 100
MAX_SIZE = 100_000

GROUPS = {"team": "team set <name> [tz:<zone>] [title:<display name>] [size:<people>]  |  "
                  "team time <kind>:<percent> ... [quarter:<q>]  |  team show"}
_SPLIT = re.compile(r"^([^:\s]+):(\S*)$")


@command("team set", SET, "this channel belongs to team <name> (in that time zone, with that display name and size)",
         keys=("tz", "title", "size"))
def team_set(ctx, rest: str) -> Reply:
    name, opts = split_options(rest, ("tz", "title", "size"))
    if ctx.msg.channel.private:
        raise UsageError("team set is said in the team's channel", SET)
    name = check_name(name.lstrip("#"), "team", SET).lower()
    tz = ctx.check_tz(opts["tz"].strip(), SET) if "tz" in opts else None
    fields = {}
    if "title" in opts:
        fields["title"] = check_text(opts["title"], "title", MAX_TEAM_TITLE, SET)
    if "size" in opts:
        size = opts["size"].strip().removesuffix("people").strip()
        if not size.isdigit() or not 0 < int(size) <= MAX_SIZE:
            raise UsageError(f"size is a number of people (1-{MAX_SIZE:,}), not {opts['size'][:40]!r}", SET)
        fields["size"] = int(size)
    ctx.require_admin("set a channel's team", SET)
    with ctx.write(name) as conn:
        ctx.store.ensure_team(conn, name, tz or ctx.config.tz, ctx.now)
        ctx.store.set_channel_team(conn, ctx.msg.channel.key, name)
        if tz:
            settle_closes(ctx.store, conn, ctx.config, name, ctx.now)  # a new zone moves no close already passed
            fields["tz"] = tz
        if fields:
            ctx.store.update_team(conn, name, **fields)
    tz = tz or ctx.team_tz(name)
    row = ctx.store.team(name) or {}
    shown = ", ".join(filter(None, [ctx.r.text(row["title"]) if row.get("title") else None,
                                    f"{row['size']} people" if row.get("size") else None, tz]))
    return Reply(f"{ctx.r.text(ctx.msg.channel.name)} is team {name} ({shown})", public=True)


@command("team time", TIME, "how the team's time splits between kinds of work this quarter", keys=("quarter", "team"))
def team_time(ctx, rest: str) -> Reply:
    words, opts = split_options(rest, ("quarter", "team"))
    team = ctx.team(opts, TIME)
    tz = ctx.team_tz(team)
    quarter = ctx.quarter(opts, tz, TIME)
    kinds = ctx.config.kinds
    split: dict[str, int] = {}
    for word in words.split():
        m = _SPLIT.match(word)
        if not m:
            raise UsageError(f"{word[:40]!r} is not <kind>:<percent>", TIME)
        kind, pct = m.group(1).lower(), m.group(2).removesuffix("%")
        if kind not in kinds:
            raise UsageError(f"{kind[:40]!r} is not a kind (kinds: {', '.join(kinds)})", TIME)
        if kind in split:
            raise UsageError(f"{kind} is given twice", TIME)
        if not pct.isdigit():
            raise UsageError(f"{m.group(2)[:40]!r} is not a whole percent (0-100) for {kind}", TIME)
        split[kind] = int(pct)
    if not split:
        raise UsageError("say how the time splits, e.g. " + " ".join(f"{k}:{p}" for k, p in zip(kinds, (80, 20))), TIME)
    if sum(split.values()) > 100:
        raise UsageError(f"the percentages add up to {sum(split.values())}, more than 100", TIME)
    split = {k: split[k] for k in kinds if k in split}
    with ctx.write(team) as conn:
        ctx.store.ensure_team(conn, team, tz, ctx.now)
        ctx.store.set_team_time(conn, team, quarter.label, split)
    shown = ", ".join(f"{k} {p}%" for k, p in split.items())
    return Reply(f"{possessive(ctx.r.text(team))} time in {quarter.label}: {shown}", public=True)


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
    title = (f" · {ctx.r.text(row['title'])}" if row.get("title") else "") + (
        f" ({row['size']} people)" if row.get("size") else "")
    return Reply("\n".join([
        f"team {ctx.r.bold(team)}{title} · time zone {tz}",
        f"channels: {chans}",
        f"review: {review}",
        f"digest: {describe_digest(ctx.r, row)}",
        f"check-in: {describe_checkin(ctx.r, row)}",
        *_time_lines(row),
    ]))


def _time_lines(row: dict) -> list[str]:
    """The declared time split of the team's latest quarters (team time), newest first."""
    time = json.loads(row["time"]) if row.get("time") else {}
    return [f"time {label}: " + ", ".join(f"{k} {p}%" for k, p in split.items())
            for label, split in sorted(time.items(), reverse=True)[:2]]

