"""team set | team show | review date | digest schedule | digest off"""
from __future__ import annotations

import re

from ..context import check_name
from ..format import fmt_date
from ..grammar import UsageError, first_word, no_words, split_options
from ..model import Reply
from ..times import iso
from . import command, group

SET = "team set <name> [tz:<zone>]"
SHOW = "team show"
REVIEW_DATE = "review date <when> [team:<t>]"
SCHEDULE = "digest schedule <weekday> <time> [tz:<zone>]"
OFF = "digest off [team:<t>]"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)

group("team", "team set <name> [tz:<zone>]  |  team show")


@command("team set", SET, "this channel belongs to team <name> (in that time zone)", keys=("tz",), mutates=True)
def team_set(ctx, rest: str) -> Reply:
    name, opts = split_options(rest, ("tz",))
    if ctx.msg.channel.private:
        raise UsageError("team set is said in the team's channel", SET)
    name = check_name(name.lstrip("#"), "team", SET).lower()
    tz = ctx.check_tz(opts["tz"].strip(), SET) if "tz" in opts else None
    ctx.require_admin("set a channel's team", SET)
    with ctx.store.write() as conn:
        ctx.core.touch(conn, ctx.msg, name)
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
        from datetime import date

        days = (date.fromisoformat(row["review_date"]) - today).days
        review = f"{fmt_date(row['review_date'], today)} ({days} days)" if days >= 0 else f"{fmt_date(row['review_date'], today)} (past)"
    return Reply("\n".join([
        f"team {ctx.r.bold(team)} · time zone {tz}",
        f"channels: {chans}",
        f"review: {review}",
        f"digest: {describe_digest(row, ctx.r.platform == 'slack')}",
    ]))


def describe_digest(row: dict, slack: bool = False) -> str:
    if not row["digest_enabled"]:
        return "off (digest schedule &lt;weekday&gt; &lt;time&gt;)" if slack else "off (digest schedule <weekday> <time>)"
    tz = row["digest_tz"] or row["tz"]
    return f"{WEEKDAYS[row['digest_weekday']].capitalize()}s at {row['digest_time']} ({tz})"


@command("review date", REVIEW_DATE, "the date of the team's next quarterly review", keys=("team",), mutates=True)
def review_date(ctx, rest: str) -> Reply:
    when, opts = split_options(rest, ("team",))
    if not when:
        raise UsageError("when is the review?", REVIEW_DATE)
    team = ctx.team(opts, REVIEW_DATE)
    tz = ctx.team_tz(team)
    from .goal import parse_due

    d = parse_due(ctx, when, tz, REVIEW_DATE, what="review date ")
    ctx.require_admin("set the review date", REVIEW_DATE)
    with ctx.store.write() as conn:
        ctx.core.touch(conn, ctx.msg, team)
        ctx.store.ensure_team(conn, team, tz, ctx.now)
        ctx.store.update_team(conn, team, review_date=d.isoformat(), review_set_at=iso(ctx.now))
    days = (d - ctx.today(tz)).days
    return Reply(f"{team}'s review is {fmt_date(d, ctx.today(tz))}, in {days} day{'s' if days != 1 else ''}; "
                 "reminders go out 14, 7 and 1 days before at 09:00", public=True)


def parse_time(text: str, usage: str) -> str:
    m = _TIME.match(text.strip())
    if not m:
        raise UsageError(f"{text[:20]!r} is not a time of day (like 09:00 or 9am)", usage)
    h, mi, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if ampm:
        if not 1 <= h <= 12:
            raise UsageError(f"{text[:20]!r} is not a time of day", usage)
        h = h % 12 + (12 if ampm == "pm" else 0)
    if h > 23 or mi > 59:
        raise UsageError(f"{text[:20]!r} is not a time of day", usage)
    return f"{h:02d}:{mi:02d}"


def parse_weekday(text: str, usage: str) -> int:
    t = text.strip().lower().rstrip("s")
    for i, d in enumerate(WEEKDAYS):
        if len(t) >= 3 and d.startswith(t):
            return i
    raise UsageError(f"{text[:20]!r} is not a weekday", usage)


@command("digest schedule", SCHEDULE, "when the weekly digest goes out", keys=("tz", "team"), mutates=True)
def digest_schedule(ctx, rest: str) -> Reply:
    words, opts = split_options(rest, ("tz", "team"))
    day, at = first_word(words)
    if not day or not at:
        raise UsageError("say the weekday and the time", SCHEDULE)
    weekday = parse_weekday(day, SCHEDULE)
    hhmm = parse_time(at, SCHEDULE)
    tz = ctx.check_tz(opts["tz"].strip(), SCHEDULE) if "tz" in opts else None
    team = ctx.team(opts, SCHEDULE)
    ctx.require_admin("change the digest schedule", SCHEDULE)
    with ctx.store.write() as conn:
        ctx.core.touch(conn, ctx.msg, team)
        ctx.store.ensure_team(conn, team, ctx.team_tz(team), ctx.now)
        ctx.store.update_team(conn, team, digest_weekday=weekday, digest_time=hhmm, digest_tz=tz,
                              digest_enabled=1, digest_since=iso(ctx.now))
    row = ctx.store.team(team)
    return Reply(f"{team}'s digest: {describe_digest(row)}", public=True)


@command("digest off", OFF, "stop the weekly digest", keys=("team",), mutates=True)
def digest_off(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "digest off takes no words", OFF)
    team = ctx.team(opts, OFF)
    ctx.require_admin("turn the digest off", OFF)
    with ctx.store.write() as conn:
        ctx.core.touch(conn, ctx.msg, team)
        ctx.store.ensure_team(conn, team, ctx.team_tz(team), ctx.now)
        ctx.store.update_team(conn, team, digest_enabled=0)
    return Reply(ctx.r.text(f"{team}'s weekly digest is off (digest schedule <weekday> <time> turns it on)"), public=True)
