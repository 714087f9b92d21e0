"""checkin schedule <weekday> <time> | checkin off: when owners are asked about their quiet goals"""
from __future__ import annotations

from ..grammar import UsageError, first_word, no_words, split_options
from ..model import Reply
from ..times import iso
from ..when import WEEKDAYS
from .digest import parse_time, parse_weekday
from .registry import command

SCHEDULE = "checkin schedule <weekday> <time> [team:<t>]"
OFF = "checkin off [team:<t>]"

GROUPS = {"checkin": "checkin schedule <weekday> <time>  |  checkin off"}


def describe_checkin(r, row: dict) -> str:
    if not row.get("checkin_enabled", 1):
        return r.text("off (checkin schedule <weekday> <time>)")
    return f"{WEEKDAYS[row.get('checkin_weekday', 3)].capitalize()}s at {row.get('checkin_time', '10:00')} ({row['tz']})"


@command("checkin schedule", SCHEDULE, "when owners are asked about goals with no update for a week", keys=("team",))
def checkin_schedule(ctx, rest: str) -> Reply:
    words, opts = split_options(rest, ("team",))
    day, at = first_word(words)
    if not day or not at:
        raise UsageError("say the weekday and the time", SCHEDULE)
    weekday = parse_weekday(day, SCHEDULE)
    hhmm = parse_time(at, SCHEDULE)
    team = ctx.team(opts, SCHEDULE)
    ctx.require_admin("change the check-in schedule", SCHEDULE)
    with ctx.write(team) as conn:
        ctx.store.ensure_team(conn, team, ctx.team_tz(team), ctx.now)
        ctx.store.update_team(conn, team, checkin_weekday=weekday, checkin_time=hhmm, checkin_enabled=1,
                              checkin_since=iso(ctx.now))
    row = ctx.store.team(team)
    return Reply(f"{ctx.r.text(team)}'s check-in: {describe_checkin(ctx.r, row)}", public=True)


@command("checkin off", OFF, "stop the weekly check-in", keys=("team",))
def checkin_off(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "checkin off takes no words", OFF)
    team = ctx.team(opts, OFF)
    ctx.require_admin("turn the check-in off", OFF)
    with ctx.write(team) as conn:
        ctx.store.ensure_team(conn, team, ctx.team_tz(team), ctx.now)
        ctx.store.update_team(conn, team, checkin_enabled=0)
    return Reply(ctx.r.text(f"{team}'s weekly check-in is off (checkin schedule <weekday> <time> turns it on)"),
                 public=True)
