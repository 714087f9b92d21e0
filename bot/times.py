"""Instants as stored and shown: ISO 8601 in UTC with its offset, and local views of them."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = timezone.utc


def iso(dt: datetime) -> str:
    """The stored form of an instant: UTC, seconds, with offset (sorts as text)."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(s: str) -> datetime:
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
