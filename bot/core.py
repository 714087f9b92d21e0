"""The chat-agnostic core: a message in, replies out; scheduled messages into the outbox."""
from __future__ import annotations

import json
import logging
import traceback
from datetime import datetime

from .commands.catalog import registry
from .config import Config
from .context import Ctx
from .grammar import UsageError, clean
from .known import Known
from .meeting.ending import expire
from .meeting.hearing import hear, overhear
from .model import Channel, Message, Outgoing, Reply
from .ports import StoreBusy, StoreUnavailable
from .render import renderer_for
from .schedule import Scheduler

MAX_MESSAGE = 8000  # longer than any title + options + note the limits allow
log = logging.getLogger("goalkeeper")


class Goalkeeper:
    def __init__(self, store, config: Config | None = None, log=None, wiki=None):
        self.store = store
        self.wiki = wiki  # bot.ports.Wiki when GOALKEEPER_WIKI_* is set: publishing is on
        self.config = config or Config()
        self._log = log
        self.commands = registry()
        self.known = Known(store, self.config.tz)
        self.scheduler = Scheduler(store, self.config, self.log)
        self.meeting_ended: list = []  # callables (meeting id, now) -> lines added to #endmeeting's reply
        if wiki is not None:  # #endmeeting publishes the minutes and its reply carries the page's URL
            from .publications import minutes_hook

            self.meeting_ended.append(minutes_hook(self))

    def log(self, line: str) -> None:
        if self._log:
            self._log(line)
        else:
            log.error(line)

    # -- the one way in for chat ---------------------------------------------------

    def handle(self, msg: Message) -> list[Reply]:
        """An addressed command (`!goal ...`, `/goal ...`, a private message); a `#` line is heard."""
        text = clean(msg.text).strip()
        if text.startswith("#"):
            return self.hear(msg)
        if text[:1] in ("/", "!"):
            text = text[1:].lstrip()
        state = {"usage": None}

        def run():
            if len(text) > MAX_MESSAGE:
                raise UsageError(f"that message is {len(text):,} characters; at most {MAX_MESSAGE:,} are read",
                                 "help [<command>]")
            try:
                cmd, rest = self.commands.resolve(text)
            except UsageError:
                overhear(self, msg)
                raise
            state["usage"] = cmd.usage
            overhear(self, msg)  # said in a channel where a meeting runs: a line of its log
            return cmd.fn(Ctx(self, Message(text=text, actor=msg.actor, channel=msg.channel, at=msg.at,
                                            ref=msg.ref)), rest)

        return self._guarded(msg, text, run, state)

    def hear(self, msg: Message) -> list[Reply]:
        """A line said in a channel that is no addressed command: a meeting's `#` word, a line of a
        running meeting's log, or chatter (no reply, nothing stored)."""
        return self._guarded(msg, msg.text, lambda: hear(self, msg, renderer_for(msg.channel.platform)), {})

    def listening(self, channel_key: str, text: str) -> bool:
        """Whether a channel line matters (a meeting runs there, or it starts one): adapters that pay to
        read a line (Slack's names) ask first."""
        return clean(text).lstrip().lower().startswith("#startmeeting") or \
            self.store.running_meeting(channel_key) is not None

    def _guarded(self, msg: Message, text: str, run, state: dict) -> list[Reply]:
        r = renderer_for(msg.channel.platform)
        usage = None
        try:
            out = run()
            if out is None:
                return []
            return out if isinstance(out, list) else [out]
        except UsageError as e:
            usage = state.get("usage")
            return [self.error(r, str(e), e.usage or usage)]
        except StoreBusy as e:
            usage = state.get("usage")
            self.log(f"database busy: {e}")
            return [self.error(r, "the database is busy (another process holds it); nothing was changed, try again",
                               usage)]
        except StoreUnavailable as e:
            usage = state.get("usage")
            self.log(f"database unavailable: {e}")
            return [self.error(r, f"the database is unreachable ({e}); nothing was changed, try again later", usage)]
        except Exception as e:  # every unexpected fault becomes a logged incident and a short apology
            usage = state.get("usage")
            self.log(f"incident on {text[:80]!r}: {type(e).__name__}: {e}")
            self.log("".join(traceback.format_exception(e)).rstrip())
            return [self.error(r, "something went wrong on our side; nothing was changed (the incident is logged)",
                               usage)]

    @staticmethod
    def error(r, message: str, usage: str | None) -> Reply:
        text = f"error: {message}"
        if usage:
            text += f"\nusage: {usage}"
        return Reply(r.text(text), error=True)

    # -- what adapters ask of the core ---------------------------------------------

    @property
    def top_words(self) -> tuple[str, ...]:
        """The command words (`goal`, `kpi` ...): what an adapter listens for."""
        return self.commands.top_words

    def is_slow(self, text: str) -> bool:
        """Whether this command line builds a whole document (answer it after a platform's ack)."""
        return self.commands.is_slow(clean(text).strip())

    def register_channel(self, channel: Channel, now: datetime) -> None:
        if channel.key in self.known.channels:
            return
        with self.store.write() as conn:
            self.known.ensure_channel(conn, channel, now)
        self.known.committed(None, channel=channel)

    # -- scheduled messages -----------------------------------------------------------

    def tick(self, now: datetime) -> int:
        """End the meetings silent for 6 hours, then queue every reminder, digest and check-in due at `now`;
        returns how many messages were queued."""
        return expire(self, now) + self.scheduler.queue_due(now)

    def claim_outgoing(self, platform: str, now: datetime, worker: str, limit: int = 100,
                       lease_seconds: int = 120) -> list[Outgoing]:
        rows = self.store.claim(platform, now, worker, lease_seconds, limit)
        return [Outgoing(r["id"], r["channel_key"], r["platform"], r["text"], r["kind"], r["slot"],
                         json.loads(r["data"]) if r.get("data") else {}) for r in rows]

    def mark_delivered(self, outgoing_id: int, now: datetime) -> None:
        self.store.mark_delivered(outgoing_id, now)

    def release(self, outgoing_id: int) -> None:
        self.store.release(outgoing_id)

    def enqueue(self, channel_key: str, platform: str, text: str, now: datetime, key: str | None = None,
                kind: str = "message", slot: str = "") -> int | None:
        with self.store.write() as conn:
            return self.store.enqueue(conn, key, channel_key, platform, kind, slot, text, now)

    # -- platform deliveries recorded before the ack (Slack; see storage's "Slack deliveries") --------

    def record_delivery(self, key: str, kind: str, body: str, worker: str, now: datetime,
                        applied: bool = False) -> bool:
        """Record a delivery before acknowledging it; False if it was recorded before (a redelivery)."""
        return self.store.record_delivery(key, kind, body, worker, now, applied)

    def delivery_recorded(self, key: str) -> bool:
        return self.store.delivery_recorded(key)

    def applying(self, key: str, worker: str, now: datetime, record: tuple[str, str] | None = None):
        """Context: the command handled within marks the delivery applied in its own commit."""
        return self.store.applying_delivery(key, worker, now, record)

    def mark_applied(self, key: str, worker: str, now: datetime) -> bool:
        return self.store.mark_delivery_applied(key, worker, now)

    def unapplied_deliveries(self, worker: str, gone, stale_before: datetime) -> list[dict]:
        """Deliveries acknowledged but never applied (their process died): taken over by `worker`."""
        return self.store.take_unapplied_deliveries(worker, gone, stale_before)

    def record_post_attempt(self, outgoing_id: int, now: datetime) -> bool:
        """False if this outbox message was attempted before: it may have reached the platform."""
        return self.store.record_post_attempt(outgoing_id, now)

    def bounded_wait(self, seconds: float):
        """Context: the store waits at most `seconds` on another process's lock (an ack's deadline)."""
        return self.store.bounded_wait(seconds)

