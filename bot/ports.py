"""What the core needs from the world, as Protocols: a store, a renderer. The core defines the
errors a store raises, so no handler ever knows which database it talks to."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Iterable, Protocol


class StoreError(Exception):
    """Something the store could not do; str() is one line a person can read."""


class StoreBusy(StoreError):
    """Another process held the database past the busy timeout: nothing was changed."""


class StoreUnavailable(StoreError):
    """The database cannot be reached (gone, read-only, full, restarting): nothing was changed."""


class StoreConflict(StoreError):
    """The write broke a uniqueness rule (a name taken meanwhile, an event seen before)."""


class StoreRefused(StoreError):
    """At start: the file or database is not one this Goalkeeper can use (newer schema, foreign)."""


class Store(Protocol):
    """The store the core talks to (storage/sqlite.py; a second engine is a second file there)."""

    def write(self) -> AbstractContextManager[Any]: ...
    def team(self, name: str) -> dict | None: ...
    def teams(self) -> list[dict]: ...
    def channel_with_tz(self, key: str) -> dict | None: ...
    def goal(self, gid: int) -> dict | None: ...
    def list_goals(self, team: str, quarter: str, status=None, owner=None, limit=None) -> list[dict]: ...
    def person_names(self, ids: Iterable[str]) -> dict[str, str]: ...
    def export(self, team: str | None = None) -> dict: ...
    def seen_event(self, event_id: str, now) -> bool: ...
    def close(self) -> None: ...


class Renderer(Protocol):
    """How the core's words look on one platform, and what that platform can take."""

    platform: str
    short: bool      # output kept to a few lines (IRC)
    uploads: bool    # takes whole documents as files (Slack)

    def text(self, s: str) -> str: ...
    def status(self, status: str | None) -> str: ...
    def bold(self, s: str) -> str: ...
    def code(self, s: str) -> str: ...
    def mention(self, identity: str | None, names: dict | None = None) -> str: ...
    def read_mention(self, text: str) -> str | None: ...
