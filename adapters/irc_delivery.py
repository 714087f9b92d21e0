"""What the IRC adapter sends: replies (paged in channels), scheduled messages from the outbox, and what
becomes of lines still queued when the connection drops."""
from __future__ import annotations

import irc.client

from bot.model import Channel

from .irc_lines import LINE_LIMIT, OutLine, relay_budget, split_text
from .irc_session import irc_lower, log

BUSY_REPLY = "error: the bot hit a problem (database busy?), try again"


class Delivery:
    """The sending half of `IrcAdapter`, kept in its own file. It uses the adapter's `bot`, `cfg`, `conn`,
    `queue`, `pager`, `joined`, `registered`, `nick`, `stats`, `worker`, `_inflight`, `_own_userhost`,
    `_key_prefix`, `now()` and `_mono()`."""

    # -- output ------------------------------------------------------------------------------

    def budget(self, target: str) -> int:
        nick = max((self.nick, self.cfg.nick + "___"), key=len)
        return relay_budget(nick, len(self._own_userhost), target)

    def reply(self, channel: Channel, target: str, texts: list[str], asker: str = "") -> None:
        """Replies as IRC lines to `target`; in a channel, a long one shows its first lines and keeps the rest."""
        budget = self.budget(target)
        lines = [line for t in texts for line in split_text(t, budget)]
        if not channel.private:
            lines = self.pager.first_page(channel.key, lines)
        self._queue_lines(channel, target, lines, asker)

    def _send_more(self, channel: Channel, target: str, asker: str) -> None:
        self._queue_lines(channel, target, self.pager.next_page(channel.key), asker)

    def _queue_lines(self, channel: Channel, target: str, lines: list[str], asker: str) -> None:
        self.queue.extend([OutLine(target, line, channel_key="" if channel.private else channel.key,
                                   private=channel.private, asker=asker) for line in lines])
        self._pump()

    def _pump(self) -> None:
        if self.registered and self.conn.is_connected():
            self.queue.pump(self._write)

    def _write(self, lines: list[OutLine]) -> bool:
        """PRIVMSG lines in one write (several small writes would wait on each other: Nagle, delayed ACKs)."""
        sock = self.conn.socket if self.conn.is_connected() else None
        if sock is None:
            return False
        data = []
        for line in lines:
            raw = f"PRIVMSG {line.target} :{line.text}".encode("utf-8", "replace") + b"\r\n"
            if len(raw) > LINE_LIMIT or any(b in raw[:-2] for b in (b"\r", b"\n", b"\0")):
                log(f"dropped a line the server would refuse ({len(raw)} bytes)")  # a bug here, never the user's
                continue
            data.append(raw)
        try:
            sock.sendall(b"".join(data))
        except OSError as e:
            self.conn.disconnect(f"write failed: {e}")
            return False
        self.stats["lines_sent"] += len(data)
        return True

    def _dropped_lines(self) -> bool:
        return len(self.queue) > 0

    def _requeue_dropped(self) -> None:
        """The connection dropped with lines unsent: channel replies go to the durable outbox (sent after
        reconnecting); outbox messages were never marked delivered, so they come back by themselves."""
        by_channel: dict[str, list[str]] = {}
        released: set[int] = set()
        for line in self.queue.drain():
            if line.outgoing_id is not None:
                oid = line.outgoing_id
                self._inflight.discard(oid)
                if oid not in released:
                    released.add(oid)
                    self._safely("release", self.bot.release, oid)
            elif line.channel_key:
                by_channel.setdefault(line.channel_key, []).append(line.text)
        for key, texts in by_channel.items():
            self._safely("requeue", self.bot.enqueue, key, "irc", "\n".join(texts), self.now())
        if by_channel:
            log(f"connection dropped mid-reply; {sum(map(len, by_channel.values()))} lines kept for after reconnect")

    # -- scheduled messages ------------------------------------------------------------------

    def _scheduled_pass(self) -> None:
        if len(self.queue) > 50:
            return  # still busy with earlier output; claim more when it has gone out
        now = self.now()
        self._safely("tick", self.bot.tick, now)
        outgoing = self._safely("claim", self.bot.claim_outgoing, "irc", now, self.worker) or []
        for out in outgoing:
            if out.id not in self._inflight:
                self.deliver(out)

    def deliver(self, out) -> bool:
        """Queue one outbox message; it is marked delivered once its last line is in the socket."""
        if not out.channel_key.startswith(self._key_prefix):
            return False  # another network's: its lease runs out and that network's bot takes it
        name = out.channel_key[len(self._key_prefix):]
        if irc.client.is_channel(name):
            target = self.joined.get(irc_lower(name))
            if target is None:
                self._log_limited(f"notjoined{name}", f"not in {name}; message {out.id} waits")
                return False
        else:
            target = name
        lines = split_text(out.text, self.budget(target))

        def delivered() -> None:
            self._inflight.discard(out.id)
            self._safely("mark", self.bot.mark_delivered, out.id, self.now())

        if not lines:
            delivered()
            return True
        self._inflight.add(out.id)
        batch = [OutLine(target, line, outgoing_id=out.id) for line in lines]
        batch[-1].on_written = delivered
        self.queue.extend(batch)
        self._pump()
        return True

    def _safely(self, what: str, fn, *args):
        """A call into the core that may fail (a locked database): logged, never raised into the reactor."""
        try:
            return fn(*args)
        except Exception as e:
            self._log_limited(what, f"{what} failed: {type(e).__name__}: {e}")
            return None

    def _log_limited(self, key: str, text: str, every: float = 60.0) -> None:
        mono = self._mono()
        if mono - self._last_errors.get(key + text, -every) >= every:
            self._last_errors[key + text] = mono
            log(text)
