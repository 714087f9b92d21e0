"""The chat-agnostic core: a message in, replies out; scheduled messages into the outbox."""
from __future__ import annotations

import sys
import threading
import traceback
from datetime import datetime

from .commands import resolve
from .config import Config
from .context import Ctx, channel_team_name
from .grammar import UsageError, clean
from .model import Channel, Message, Outgoing, Reply
from .render import renderer_for
from .times import parse_iso, zone

MAX_MESSAGE = 8000  # longer than any title + options + note the limits allow


def _is_busy(exc: BaseException) -> bool:
    return type(exc).__name__ in ("StoreBusy", "OperationalError") and (
        "locked" in str(exc) or "busy" in str(exc) or type(exc).__name__ == "StoreBusy"
    )


class Goalkeeper:
    def __init__(self, store, config: Config | None = None, log=None):
        self.store = store
        self.config = config or Config()
        self._log = log
        self._known_channels: set[str] = set()
        self._known_people: dict[str, str] = {}
        self._known_teams: set[str] = set()  # teams that exist in the store (teams are never deleted)
        self._pending = threading.local()  # teams touched by the write in progress on this thread

    # -- helpers the handlers share ---------------------------------------------

    def local(self, at: str, tz: str) -> datetime:
        return parse_iso(at).astimezone(zone(tz))

    def log(self, line: str) -> None:
        if self._log:
            self._log(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def touch(self, conn, msg: Message, team: str | None = None) -> None:
        """Inside a write: the channel, the team being written to and the speaker exist in the store."""
        ch = msg.channel
        if ch.key not in self._known_channels:
            self.store.ensure_channel(conn, ch.key, ch.name, ch.platform, channel_team_name(ch.name), ch.private, msg.at)
        if team and team not in self._known_teams:
            self.store.ensure_team(conn, team, self.config.tz, msg.at)
            self._pending.teams = getattr(self._pending, "teams", set()) | {team}
        if self._known_people.get(msg.actor.id) != msg.actor.name:
            self.store.touch_person(conn, msg.actor.id, msg.actor.name, msg.at)

    def _after_commit(self, msg: Message) -> None:
        self._known_channels.add(msg.channel.key)
        self._known_people[msg.actor.id] = msg.actor.name
        self._known_teams.update(getattr(self._pending, "teams", ()))

    # -- the one way in for chat ---------------------------------------------------

    def handle(self, msg: Message) -> list[Reply]:
        r = renderer_for(msg.channel.platform)
        text = clean(msg.text).strip()
        if text[:1] in ("/", "!"):
            text = text[1:].lstrip()
        usage = None
        self._pending.teams = set()
        try:
            if len(text) > MAX_MESSAGE:
                raise UsageError(f"that message is {len(text):,} characters; at most {MAX_MESSAGE:,} are read",
                                 "help [<command>]")
            cmd, rest = resolve(text)
            usage = cmd.usage
            out = cmd.fn(Ctx(self, msg.__class__(text=text, actor=msg.actor, channel=msg.channel, at=msg.at)), rest)
            if cmd.mutates:
                self._after_commit(msg)
            return out if isinstance(out, list) else [out]
        except UsageError as e:
            return [self.error(r, str(e), e.usage or usage)]
        except Exception as e:  # every unexpected fault becomes a logged incident and a short apology
            if _is_busy(e):
                self.log(f"goalkeeper: database busy: {e}")
                return [self.error(r, "the database is busy (another process holds it); nothing was changed, try again",
                                   usage)]
            self.log(f"goalkeeper: incident on {text[:80]!r}: {type(e).__name__}: {e}")
            self.log("".join(traceback.format_exception(e)).rstrip())
            return [self.error(r, "something went wrong on our side; nothing was changed (the incident is logged)",
                               usage)]

    @staticmethod
    def error(r, message: str, usage: str | None) -> Reply:
        text = f"error: {message}"
        if usage:
            text += f"\nusage: {usage}"
        return Reply(r.text(text), error=True)

    # -- channels the adapters serve, and the scheduled messages -----------------

    def register_channel(self, channel: Channel, now: datetime) -> None:
        if channel.key in self._known_channels:
            return
        with self.store.write() as conn:
            self.store.ensure_channel(conn, channel.key, channel.name, channel.platform,
                                      channel_team_name(channel.name), channel.private, now)
        self._known_channels.add(channel.key)

    def tick(self, now: datetime) -> int:
        from .schedule import queue_due

        return queue_due(self.store, self.config, now)

    def claim_outgoing(self, platform: str, now: datetime, worker: str, limit: int = 100,
                       lease_seconds: int = 120) -> list[Outgoing]:
        rows = self.store.claim(platform, now, worker, lease_seconds, limit)
        return [Outgoing(r["id"], r["channel_key"], r["platform"], r["text"], r["kind"], r["slot"]) for r in rows]

    def mark_delivered(self, outgoing_id: int, now: datetime) -> None:
        self.store.mark_delivered(outgoing_id, now)

    def release(self, outgoing_id: int) -> None:
        self.store.release(outgoing_id)

    def enqueue(self, channel_key: str, platform: str, text: str, now: datetime, key: str | None = None,
                kind: str = "message", slot: str = "") -> int | None:
        with self.store.write() as conn:
            return self.store.enqueue(conn, key, channel_key, platform, kind, slot, text, now)
