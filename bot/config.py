"""Settings the core needs, read once from the environment at start."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """A missing or malformed variable; str() is the one line the process prints before it stops."""


@dataclass(frozen=True)
class Config:
    db_path: str = "./goalkeeper.db"
    database_url: str | None = None  # postgresql://...: PostgreSQL instead of the SQLite file
    tz: str = "UTC"
    fiscal_start: int = 1
    admins: frozenset = field(default_factory=frozenset)  # empty: every member is an admin
    busy_timeout_ms: int = 5000  # how long a write waits for another process holding the database
    kinds: tuple = ("strategic", "core")  # goal kinds; the first is the default of `goal add`
    hit_band: tuple = (60, 80)  # the hit rate (percent) a team should land in
    wiki_page: str = "Quarterly reviews/{team}/{quarter}"  # GOALKEEPER_WIKI_PAGE
    wiki_minutes_page: str = "Meetings/{team}/{date}"  # GOALKEEPER_WIKI_MINUTES_PAGE

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Config":
        db = env.get("GOALKEEPER_DB") or "./goalkeeper.db"
        url = (env.get("DATABASE_URL") or "").strip() or None
        if url and url.split(":", 1)[0].lower() not in ("postgresql", "postgres"):
            shown = url.split(":", 1)[0][:20] + ":" if ":" in url else "a text without a scheme"
            raise ConfigError(f"DATABASE_URL: {shown} is not a PostgreSQL URL "
                              "(expected postgresql://user:password@host:port/dbname)")
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
        kinds = tuple(k.strip().lower() for k in (env.get("GOALKEEPER_KINDS") or "strategic,core").split(",")
                      if k.strip())
        if not kinds or len(set(kinds)) != len(kinds) or not all(re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", k) for k in kinds):
            raise ConfigError(f"GOALKEEPER_KINDS: {env.get('GOALKEEPER_KINDS')!r} is not a comma-separated list of "
                              "distinct kind names (like strategic,core)")
        band = (env.get("GOALKEEPER_HIT_BAND") or "60-80").strip()
        m = re.fullmatch(r"(\d{1,3})\s*-\s*(\d{1,3})%?", band)
        if not m or not int(m.group(1)) <= int(m.group(2)) <= 100:
            raise ConfigError(f"GOALKEEPER_HIT_BAND: {band!r} is not low-high percent (like 60-80)")
        pages = {}
        for var, key in (("GOALKEEPER_WIKI_PAGE", "wiki_page"), ("GOALKEEPER_WIKI_MINUTES_PAGE", "wiki_minutes_page")):
            template = (env.get(var) or "").strip() or getattr(cls, key)
            from .publish import template_error

            if (why := template_error(template)) is not None:
                raise ConfigError(f"{var}: {why}")
            pages[key] = template
        return cls(db_path=db, database_url=url, tz=tz, fiscal_start=int(raw), admins=admins, busy_timeout_ms=int(busy), kinds=kinds,
                   hit_band=(int(m.group(1)), int(m.group(2))), **pages)


def valid_tz(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
