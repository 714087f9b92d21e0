"""Slot arithmetic, pure: the UTC instants of wall-clock times in a zone, weekly and before a review.

Slots are wall-clock times in the team's zone (zoneinfo): 09:00 stays 09:00 across
daylight-saving changes; a time skipped by a spring-forward gap goes at the first
instant after the gap, an ambiguous fall-back time at its first occurrence.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc
REMINDER_DAYS = (14, 7, 1)
REMINDER_TIME = (9, 0)


@lru_cache(maxsize=8192)
def local_instant(d: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of the wall time `d hour:minute` in tz.

    A wall time skipped by a spring-forward gap is the first instant after the gap;
    an ambiguous fall-back time is its first occurrence (fold=0)."""
    wall = datetime(d.year, d.month, d.day, hour, minute)
    at = wall.replace(tzinfo=tz).astimezone(UTC)
    if at.astimezone(tz).replace(tzinfo=None) == wall:
        return at
    # in a gap: fold=0 read it with the offset before the transition (later instant), fold=1
    # with the one after (earlier instant); the transition lies between, find it to the second
    lo = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(at.timestamp())
    if lo > hi:
        lo, hi = hi, lo
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return datetime.fromtimestamp(hi, UTC)


def parse_hhmm(text: str) -> tuple[int, int]:
    h, _, m = (text or "09:00").partition(":")
    return int(h), int(m or 0)


def weekly_slots(now: datetime, weekday: int, hour: int, minute: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """(latest slot at or before now, first slot after now) of a weekly schedule; weekday 0 = Monday."""
    today = now.astimezone(tz).date()
    d = today - timedelta(days=(today.weekday() - weekday) % 7)
    this = local_instant(d, hour, minute, tz)
    if this <= now:
        return this, local_instant(d + timedelta(days=7), hour, minute, tz)
    return local_instant(d - timedelta(days=7), hour, minute, tz), this


def reminder_slots(review: date, tz: ZoneInfo) -> list[tuple[int, datetime]]:
    """[(days before, instant)] for the review's reminders, earliest first."""
    return [(n, local_instant(review - timedelta(days=n), *REMINDER_TIME, tz)) for n in REMINDER_DAYS]


def week_before(end: datetime, tz: ZoneInfo) -> datetime:
    """The same wall time seven days earlier in tz (the previous weekly slot, across DST)."""
    local = end.astimezone(tz)
    return local_instant(local.date() - timedelta(days=7), local.hour, local.minute, tz) + timedelta(
        seconds=local.second, microseconds=local.microsecond)
