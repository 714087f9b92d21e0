"""digest [team:] | digest schedule <weekday> <time> | digest off: the weekly digest"""
from __future__ import annotations

from ..digest import build_digest
from ..grammar import UsageError, first_word, no_words, split_options
from ..model import Reply
from ..times import iso
from ..when import WEEKDAYS, time_of_day, weekday_number
from .registry import command

DIGEST = "digest [team:<t>]"
SCHEDULE = "digest schedule <weekday> <time> [tz:<zone>]"
OFF = "digest off [team:<t>]"

GROUPS = {"digest": "digest [team:<t>]  |  digest schedule <weekday> <time> [tz:<zone>]  |  digest off"}


@command("digest", DIGEST, "the weekly digest, now", keys=("team",), slow=True)
def digest(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "digest takes only team:", DIGEST)
    team = ctx.team(opts, DIGEST)
    return Reply(build_digest(ctx.store, ctx.config, team, ctx.now, ctx.r))


def describe_digest(r, row: dict) -> str:
    if not row["digest_enabled"]:
        return r.text("off (digest schedule <weekday> <time>)")
    tz = row["digest_tz"] or row["tz"]
    return f"{WEEKDAYS[row['digest_weekday']].capitalize()}s at {row['digest_time']} ({tz})"


def parse_time(text: str, usage: str) -> str:
    hhmm = time_of_day(text)
    if hhmm is None:
        raise UsageError(f"{text[:20]!r} is not a time of day (like 09:00 or 9am)", usage)
    return hhmm


def parse_weekday(text: str, usage: str) -> int:
    n = weekday_number(text)
    if n is None:
        raise UsageError(f"{text[:20]!r} is not a weekday", usage)
    return n


@command("digest schedule", SCHEDULE, "when the weekly digest goes out", keys=("tz", "team"))
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
    with ctx.write(team) as conn:
        ctx.store.ensure_team(conn, team, ctx.team_tz(team), ctx.now)
        ctx.store.update_team(conn, team, digest_weekday=weekday, digest_time=hhmm, digest_tz=tz,
                              digest_enabled=1, digest_since=iso(ctx.now))
    row = ctx.store.team(team)
    return Reply(f"{team}'s digest: {describe_digest(ctx.r, row)}", public=True)


@command("digest off", OFF, "stop the weekly digest", keys=("team",))
def digest_off(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "digest off takes no words", OFF)
    team = ctx.team(opts, OFF)
    ctx.require_admin("turn the digest off", OFF)
    with ctx.write(team) as conn:
        ctx.store.ensure_team(conn, team, ctx.team_tz(team), ctx.now)
        ctx.store.update_team(conn, team, digest_enabled=0)
    return Reply(ctx.r.text(f"{team}'s weekly digest is off (digest schedule <weekday> <time> turns it on)"), public=True)
