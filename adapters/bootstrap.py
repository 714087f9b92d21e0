"""The one composition root: configuration, store, clock and core, built the same way for the
`goalkeeper` program, every adapter and every test."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Mapping

from bot.config import Config, ConfigError
from bot.core import Goalkeeper
from bot.ports import StoreError, StoreUnavailable


class StoreOpenError(Exception):
    """The configured store cannot be opened or used; str() is the one line to print."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class App:
    config: Config
    store: object
    core: Goalkeeper
    clock: Callable[[], datetime]
    wiki: object = None  # adapters.wiki.MediaWiki when GOALKEEPER_WIKI_* is set

    def close(self) -> None:
        self.store.close()


def open_store(config: Config):
    """The store the configuration names: PostgreSQL in DATABASE_URL, else SQLite in GOALKEEPER_DB."""
    if config.database_url:
        return _open_postgres(config)
    from storage.sqlite import Store

    try:
        return Store(config.db_path, busy_timeout_ms=config.busy_timeout_ms)
    except StoreError as e:
        raise StoreOpenError(f"GOALKEEPER_DB: {e}") from None
    except Exception as e:  # sqlite3.Error, OSError: a path that cannot hold a database
        raise StoreOpenError(f"GOALKEEPER_DB: cannot open {config.db_path!r} as a database ({e})") from None


def _open_postgres(config: Config):
    import psycopg

    from storage.postgres import Store, UrlError, start_error

    url = config.database_url
    try:
        return Store(url, busy_timeout_ms=config.busy_timeout_ms)
    except UrlError as e:
        raise StoreOpenError(f"DATABASE_URL: {e}") from None
    except StoreUnavailable as e:
        raise StoreOpenError(f"DATABASE_URL: {start_error(url, e.__cause__ or e)}") from None
    except StoreError as e:
        raise StoreOpenError(f"DATABASE_URL: {e}") from None
    except psycopg.Error as e:  # bad host, password, database: libpq's words, without the URL
        raise StoreOpenError(f"DATABASE_URL: {start_error(url, e)}") from None


def bootstrap(env: Mapping[str, str] | None = None, *, now: datetime | None = None, log=None,
              config: Config | None = None) -> App:
    """Everything a process needs. `now` pins the clock (--now, tests); `log` receives incidents
    (default: the `goalkeeper` logger)."""
    env = os.environ if env is None else env
    config = config or Config.from_env(env)
    wiki = open_wiki(env)
    store = open_store(config)
    clock = (lambda: now) if now is not None else utc_now
    return App(config, store, Goalkeeper(store, config, log=log, wiki=wiki), clock, wiki)


def open_wiki(env: Mapping[str, str]):
    """The wiki GOALKEEPER_WIKI_* names (None: publishing is off); mwclient is imported only when it is set."""
    if not any((env.get(k) or "").strip() for k in ("GOALKEEPER_WIKI_API", "GOALKEEPER_WIKI_USER",
                                                     "GOALKEEPER_WIKI_PASSWORD")):
        return None
    from adapters.wiki import from_env

    return from_env(env)


__all__ = ["App", "ConfigError", "StoreOpenError", "bootstrap", "open_store", "utc_now"]
