"""What the core needs from the world, as Protocols: a store, a renderer, a wiki. The core defines the
errors a store raises, so no handler ever knows which database it talks to."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
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
    def close(self) -> None: ...
    # platform deliveries recorded before the ack (Slack)
    def record_delivery(self, key: str, kind: str, body: str, worker: str, now, applied: bool = False) -> bool: ...
    def delivery_recorded(self, key: str) -> bool: ...
    def applying_delivery(self, key: str, worker: str, now, record=None) -> AbstractContextManager[Any]: ...
    def mark_delivery_applied(self, key: str, worker: str, now) -> bool: ...
    def take_unapplied_deliveries(self, worker: str, gone, stale_before) -> list[dict]: ...
    def record_post_attempt(self, outgoing_id: int, now) -> bool: ...
    def bounded_wait(self, seconds: float) -> AbstractContextManager[Any]: ...
    # review meetings (storage/meetings.py): reads, and writes inside the caller's transaction
    def meeting(self, mid: int) -> dict | None: ...
    def running_meeting(self, channel_key: str) -> dict | None: ...
    def meeting_log(self, mid: int) -> list[tuple]: ...
    def start_meeting(self, conn, m: dict, ref: str | None) -> int | None: ...
    def log_line(self, conn, mid: int, at, by: str, name: str, text: str, ref: str | None) -> bool: ...
    def end_meeting(self, conn, mid: int, at: str, by: str, how: str) -> bool: ...
    def add_action(self, conn, mid: int, team: str, owner: str, text: str, by: str, at) -> int: ...
    def open_actions(self, team: str, limit: int) -> tuple[int, list[dict]]: ...


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


# -- publishing to a wiki (adapters/wiki.py is the MediaWiki implementation) -----------------------------


class WikiError(Exception):
    """The wiki could not be read or written (unreachable, login refused, protected, too big ...);
    str() is one line a person can read, never a password. Nothing was written."""


class WikiTitleRefused(WikiError):
    """The wiki does not accept this page title."""


class WikiEditConflict(WikiError):
    """The wiki saw an edit after the revision the save was based on."""


@dataclass(frozen=True)
class WikiPage:
    title: str               # as the wiki normalised it
    exists: bool
    text: str                # "" when the page does not exist
    revision: int | None     # the current revision: the base of the next save
    timestamp: str | None    # that revision's timestamp (the edit's basetimestamp)
    user: str | None         # who made it
    url: str
    read_at: str | None = None  # the wiki's clock when it was read (the edit's starttimestamp)


@dataclass(frozen=True)
class WikiRevision:
    revision: int
    user: str
    timestamp: str
    text: str


class Wiki(Protocol):
    """What publishing needs from a wiki. Every method raises WikiError (or a subclass) and nothing else."""

    api: str  # the wiki's API URL: which wiki a page's record in the store belongs to

    def page(self, title: str) -> WikiPage: ...
    def revisions_after(self, title: str, revision: int, limit: int) -> list[WikiRevision]: ...
    def save(self, base: WikiPage, text: str, summary: str) -> int | None: ...  # new revision id, None: no change
