"""Instants as stored and shown: ISO 8601 in UTC with its offset, and local views of them.

The one ISO parser: every stored instant, `--now` and imported time goes through parse_iso.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc


def iso(dt: datetime) -> str:
    """The stored form of an instant: UTC, seconds, with offset (sorts as text)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(s: str, default_tz=UTC) -> datetime:
    """An ISO 8601 instant (`Z` allowed); one without an offset is read in default_tz (UTC)."""
    dt = datetime.fromisoformat(s.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


@lru_cache(maxsize=4096)
def instant_or_none(text: str | None) -> datetime | None:
    """A stored instant, or None for no text or text that is not one (a store's bad row skips, never stops)."""
    if not text:
        return None
    try:
        return parse_iso(text)
    except (ValueError, TypeError):
        return None


@lru_cache(maxsize=4096)
def day_or_none(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except (ValueError, TypeError):
        return None


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_or_default(name: str | None, default: str) -> ZoneInfo:
    """A team's zone for the schedules: its own, else the default, else UTC."""
    for n in (name, default, "UTC"):
        if n:
            try:
                return zone(n)
            except Exception:  # an unknown zone in the store never stops the other teams
                continue
    return zone("UTC")
