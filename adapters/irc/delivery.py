"""What the IRC adapter sends: replies (paged in channels) and scheduled messages from the outbox, paced
and taken in turn per person, and what counts as sent.

A line counts as sent only once the server is known to have it: each write ends with `PING :gk-ack-N`,
and the server's PONG (it handles a client's lines in order) confirms every line written before it. Lines written but not confirmed when the connection drops go out again after the
reconnect, before anything newer; on stop, replies are dropped and unfinished outbox messages released.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol

import irc.client

from bot.model import Channel

from .lines import LINE_LIMIT, OutLine, Pager, SendQueue, TokenBucket, relay_budget, split_text

log = logging.getLogger("goalkeeper.irc")

BUSY_REPLY = "error: the bot hit a problem (database busy?), try again"
PROBE = "gk-ack-"  # the token of the PINGs that confirm written lines


class Link(Protocol):
    """What the delivery needs from the connection the adapter keeps."""

    nick: str  # the bot's nick now
    own_userhost: str  # the bot's user@host as the server shows it ("" until known)

    def writable(self) -> bool: ...  # connected and welcomed

    def joined_as(self, channel: str) -> str | None: ...  # the channel's name as the server spells it, if in it

    def write(self, data: bytes) -> bool: ...  # False when the write failed (the connection is then dropped)


class Delivery:
    """The adapter's output: a send queue with a lane per person, the pager, and the outbox's messages."""

    def __init__(self, core, cfg, link: Link, now: Callable, monotonic: Callable[[], float], worker: str,
                 key_prefix: str):
        self.core, self.cfg, self.link = core, cfg, link
        self.now, self.worker, self.key_prefix = now, worker, key_prefix
        self.queue = SendQueue(TokenBucket(cfg.rate, cfg.burst, monotonic))
        self.pager = Pager(cfg.channel_lines)
        self._inflight: dict[int, str] = {}  # outbox id -> channel key, while its lines are queued or unconfirmed
        self._begun: set[int] = set()  # outbox ids of which the server has confirmed some lines
        self._unconfirmed: list[OutLine] = []  # written, in order, not yet confirmed by a PONG
        self._written = 0  # lines written on this connection; a probe confirms those up to its number
        self._probes: dict[str, int] = {}  # PING token awaited -> lines written before it
        self._serial = 0
        self._errors: dict[str, float] = {}
        self._mono = monotonic

    # -- replies -------------------------------------------------------------------------------

    def budget(self, target: str) -> int:
        """Bytes of text one PRIVMSG to `target` may carry, with the prefix the server adds when relaying."""
        nick = max((self.link.nick, self.cfg.nick + "___"), key=len)
        return relay_budget(nick, len(self.link.own_userhost), target)

    def reply(self, channel: Channel, target: str, texts: list[str], lane: str) -> None:
        """Replies as IRC lines to `target`; in a channel, a long one shows its first lines and keeps the rest."""
        budget = self.budget(target)
        lines = [line for t in texts for line in split_text(t, budget)]
        if not channel.private:
            lines = self.pager.first_page(channel.key, lines)
        self._queue(target, lines, lane)

    def more(self, channel: Channel, target: str, lane: str) -> None:
        self._queue(target, self.pager.next_page(channel.key), lane)

    def spend_token(self) -> None:
        """A control line (PING, JOIN, NICK) went out past the queue: it counts against the pace too."""
        self.queue.bucket.force()

    def waiting_for(self, lane: str) -> int:
        return self.queue.waiting_for(lane)

    def _queue(self, target: str, lines: list[str], lane: str) -> None:
        self.queue.extend([OutLine(target, line, lane=lane) for line in lines])
        self.pump()

    # -- the wire ------------------------------------------------------------------------------

    def _ready(self, line: OutLine) -> bool:
        return not irc.client.is_channel(line.target) or self.link.joined_as(line.target) is not None

    def pump(self) -> None:
        """Write what the bucket allows in one write (several small writes would wait on each other: Nagle,
        delayed ACKs), followed by the PING whose answer confirms them."""
        if not self.link.writable():
            return
        batch = self.queue.take(self._ready)
        if not batch:
            return
        data = []
        for line in batch:
            raw = f"PRIVMSG {line.target} :{line.text}".encode("utf-8", "replace") + b"\r\n"
            if len(raw) > LINE_LIMIT or any(b in raw[:-2] for b in (b"\r", b"\n", b"\0")):
                log.error(f"dropped a line the server would refuse ({len(raw)} bytes)")  # a bug here, never the user's
                raw = b""
            data.append(raw)
        self._unconfirmed.extend(batch)
        self._written += len(batch)
        self._serial += 1
        token = f"{PROBE}{self._serial}"
        self._probes[token] = self._written
        if not self.link.write(b"".join(data) + f"PING :{token}\r\n".encode()):
            self.dropped()
            return

    def on_pong(self, token: str) -> None:
        """The server answered a probe: every line written before it has reached the server."""
        upto = self._probes.pop(token, None)
        if upto is None:
            return
        for earlier in [t for t, n in self._probes.items() if n <= upto]:  # their answers were lost: covered now
            del self._probes[earlier]
        count = len(self._unconfirmed) - (self._written - upto)
        done, self._unconfirmed = self._unconfirmed[:count], self._unconfirmed[count:]
        for line in done:
            if line.on_confirmed is not None:
                line.on_confirmed()

    def unconfirmed(self) -> int:
        return len(self._unconfirmed)

    def dropped(self) -> None:
        """The connection is gone: lines written but never confirmed go first again after the reconnect."""
        if self._unconfirmed:
            log.info(f"connection dropped with {len(self._unconfirmed)} lines unconfirmed; they go out again "
                     "after reconnecting")
        self.queue.give_back(self._unconfirmed)
        self._unconfirmed = []
        self._written = 0
        self._probes.clear()

    def stopping(self) -> None:
        """The process stops: what is left of an outbox message goes back to the outbox (the part not yet
        confirmed, as a message of its own, if the server has the first lines); answers to commands are
        dropped, never carried across a restart."""
        self.dropped()
        replies = 0
        rest: dict[int, list[str]] = {}
        for line in self.queue.drain():
            if line.outgoing_id is None:
                replies += 1
            else:
                rest.setdefault(line.outgoing_id, []).append(line.text)
        for oid, texts in rest.items():
            key = self._inflight.pop(oid, None)
            if key is None:
                continue
            if oid not in self._begun:
                self._safely("release", self.core.release, oid)
            elif self._safely("requeue", self.core.enqueue, key, "irc", "\n".join(texts), self.now()) is not None:
                self._safely("mark", self.core.mark_delivered, oid, self.now())
            else:
                self._safely("release", self.core.release, oid)  # sent again whole: better twice than never
        if replies:
            log.info(f"stopping: {replies} lines of replies not sent (replies do not outlive the process)")

    # -- scheduled messages ----------------------------------------------------------------------

    def scheduled_pass(self) -> None:
        if len(self.queue) > 50:
            return  # still busy with earlier output; claim more when it has gone out
        now = self.now()
        self._safely("tick", self.core.tick, now)
        outgoing = self._safely("claim", self.core.claim_outgoing, "irc", now, self.worker) or []
        for out in outgoing:
            if out.id not in self._inflight:
                self.deliver(out)

    def deliver(self, out) -> bool:
        """Queue one outbox message; it is marked delivered once the server has confirmed its last line."""
        if not out.channel_key.startswith(self.key_prefix):
            return False  # another network's: its lease runs out and that network's bot takes it
        name = out.channel_key[len(self.key_prefix):]
        if irc.client.is_channel(name):
            target = self.link.joined_as(name)
            if target is None:
                self.log_limited(f"notjoined{name}", f"not in {name}; message {out.id} waits")
                return False
        else:
            target = name
        lines = split_text(out.text, self.budget(target))

        def delivered() -> None:
            self._inflight.pop(out.id, None)
            self._begun.discard(out.id)
            self._safely("mark", self.core.mark_delivered, out.id, self.now())

        if not lines:
            delivered()
            return True
        self._inflight[out.id] = out.channel_key
        batch = [OutLine(target, line, outgoing_id=out.id, on_confirmed=lambda: self._begun.add(out.id))
                 for line in lines]
        batch[-1].on_confirmed = delivered
        self.queue.extend(batch)
        self.pump()
        return True

    def _safely(self, what: str, fn, *args):
        """A call into the core that may fail (a locked database): logged, never raised into the reactor."""
        try:
            return fn(*args)
        except Exception as e:
            self.log_limited(what, f"{what} failed: {type(e).__name__}: {e}")
            return None

    def log_limited(self, key: str, text: str, every: float = 60.0) -> None:
        """A warning at most once a minute per kind: a fault that repeats does not fill the log."""
        mono = self._mono()
        if mono - self._errors.get(key + text, -every) >= every:
            self._errors[key + text] = mono
            log.warning(text)
