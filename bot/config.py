"""Settings the core needs, read once from the environment at start."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """A missing or malformed variable; str() is the one line the process prints before it stops."""


@dataclass(frozen=True)
class Config:
    db_path: str = "./goalkeeper.db"
    tz: str = "UTC"
    fiscal_start: int = 1
    admins: frozenset = field(default_factory=frozenset)  # empty: every member is an admin
    busy_timeout_ms: int = 5000  # how long a write waits for another process holding the database

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Config":
        db = env.get("GOALKEEPER_DB") or "./goalkeeper.db"
        tz = env.get("GOALKEEPER_TZ") or "UTC"
        if not valid_tz(tz):
            raise ConfigError(f"GOALKEEPER_TZ: {tz!r} is not an IANA time zone (e.g. Europe/Berlin)")
        raw = (env.get("GOALKEEPER_FISCAL_YEAR_START") or "1").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 12:
            raise ConfigError(f"GOALKEEPER_FISCAL_YEAR_START: {raw!r} is not a month number 1-12")
        admins = frozenset(a.strip() for a in (env.get("GOALKEEPER_ADMINS") or "").split(",") if a.strip())
        busy = (env.get("GOALKEEPER_BUSY_TIMEOUT_MS") or "5000").strip()
        if not busy.isdigit() or not 0 < int(busy) <= 600_000:
            raise ConfigError(f"GOALKEEPER_BUSY_TIMEOUT_MS: {busy!r} is not a number of milliseconds (1-600000)")
        return cls(db_path=db, tz=tz, fiscal_start=int(raw), admins=admins, busy_timeout_ms=int(busy))


def valid_tz(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
