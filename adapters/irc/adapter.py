"""The IRC adapter: IRC events in, `Message`s to the core, its replies out through the delivery.

One thread does everything: reads lines, calls the core, hands replies to the delivery (paced, in turn
per person), drains the outbox, and lets the session keep the connection up. Identity follows the contract:
`irc:<network>:<account>` for a user logged in to services (account-tag, else extended-join /
account-notify / WHOX kept per nick), otherwise `irc:<network>:<nick>!<user>@<host>`.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import ssl
import threading
import time
from datetime import datetime, timezone
from typing import Callable

import irc.client

from bot.model import Actor, Channel, Message

from .config import IrcConfig
from .delivery import BUSY_REPLY, PROBE, Delivery
from .lines import clean_incoming
from .roster import Roster, irc_lower, who_left
from .session import EVENTS, Session

log = logging.getLogger("goalkeeper.irc")

MAX_WAITING_LINES = 40  # a person's commands are ignored while this many lines of answers wait to go out


class IrcAdapter:
    """An IRC client holding the core, its session and its delivery (composition): the session keeps the
    connection, the adapter turns what people say into Messages, the delivery sends what comes back."""

    def __init__(self, config: IrcConfig, bot, clock: Callable[[], datetime] | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.cfg = config
        self.bot = bot
        self._words = frozenset(bot.top_words) | {"more"}  # ours and the adapter's own `!more`
        self._clock = getattr(clock, "now", clock) or (lambda: datetime.now(timezone.utc))
        self._mono = monotonic
        self.network = config.network or config.server
        self._key_prefix = f"irc:{self.network}:"
        self.worker = f"irc:{self.network}:{socket.gethostname()}:{os.getpid()}"
        self.session = Session(config, lambda: self.delivery.spend_token(), monotonic)
        self.delivery = Delivery(bot, config, self.session, self.now, monotonic, self.worker, self._key_prefix)
        self.roster = Roster()
        self.stop_event = threading.Event()
        self.stats = self.session.stats
        self.stats["commands"] = 0
        self._next_tick = 0.0
        for name in {*EVENTS, "pong", "namreply", "whospcrpl", "account", "pubmsg", "privmsg"}:
            self.session.reactor.add_global_handler(name, self._dispatch, 0)

    # the session's state, as tests and the CLI read it
    @property
    def registered(self) -> bool:
        return self.session.registered

    @property
    def joined(self) -> dict[str, str]:
        return self.session.joined

    @property
    def nick(self) -> str:
        return self.session.nick

    @property
    def conn(self):
        return self.session.conn

    def now(self) -> datetime:
        at = self._clock()
        return at if at.tzinfo else at.replace(tzinfo=timezone.utc)

    # -- the loop ----------------------------------------------------------------------

    def run(self) -> None:
        """Serve until `stop()`; every fault is logged and survived."""
        log.info(f"serving {', '.join(self.cfg.channels)} on {self.cfg.server}:{self.cfg.port}"
                 f" ({'TLS' if self.cfg.tls else 'plain'}) as {self.cfg.nick}")
        while not self.stop_event.is_set():
            try:
                self.session.keep_up()
                if self.registered and self._mono() >= self._next_tick:
                    self._next_tick = self._mono() + self.cfg.tick_interval
                    self.delivery.scheduled_pass()
                self.delivery.pump()
                self.session.reactor.process_once(timeout=self._wait())
                self._drain_tls()
            except Exception as e:  # never let one fault end the process
                self.delivery.log_limited("loop", f"unexpected {type(e).__name__}: {e}")
                time.sleep(0.05)
        self._shutdown()

    def stop(self) -> None:
        self.session.stopping = True
        self.stop_event.set()

    def _wait(self) -> float:
        return max(0.0, min(0.2, self.delivery.queue.wait() if self.registered else 0.2))

    def _drain_tls(self) -> None:
        # TLS may hold decrypted bytes select() cannot see
        sock = self.conn.socket
        while isinstance(sock, ssl.SSLSocket) and self.conn.is_connected() and sock.pending():
            self.conn.process_data()
            sock = self.conn.socket

    def _shutdown(self) -> None:
        if self.conn.is_connected() and self.delivery.unconfirmed():
            end = self._mono() + 2.0  # a short wait for the server to confirm what was written last
            while self.delivery.unconfirmed() and self.conn.is_connected() and self._mono() < end:
                self.session.reactor.process_once(timeout=0.05)
        self.delivery.stopping()
        self.session.close("Goalkeeper stopping")

    # -- events ----------------------------------------------------------------------------

    def _dispatch(self, conn, event) -> None:
        try:
            self.session.handle(event)
            handler = getattr(self, "_on_" + event.type, None)
            if handler is not None:
                handler(event)
        except Exception as e:  # one bad event never stops the reactor
            self.delivery.log_limited(event.type, f"fault handling {event.type}: {type(e).__name__}: {e}")

    def _on_welcome(self, event) -> None:
        self._next_tick = self._mono() + min(1.0, self.cfg.tick_interval)

    def _on_disconnect(self, event) -> None:
        self.roster.clear()
        self.delivery.dropped()

    def _on_pong(self, event) -> None:
        token = ([event.target, *event.arguments] or [""])[-1] or ""
        if token.startswith(PROBE):
            self.delivery.on_pong(token)

    def _on_join(self, event) -> None:
        nick, chan = event.source.nick, event.target
        if self.session.is_me(nick):
            self.roster.bot_joined(chan)
            try:
                self.bot.register_channel(self._channel(chan), self.now())
            except Exception as e:
                self.delivery.log_limited("register", f"could not register {chan}: {type(e).__name__}: {e}")
            if "whox" in vars(self.conn.features) and "account-tag" not in self.session.cap.caps:
                self.session.control(f"WHO {chan} %tna,417")
            return
        self.roster.joined(chan, nick)
        if "extended-join" in self.session.cap.caps and event.arguments:
            self.roster.set_account(nick, event.arguments[0])

    def _on_namreply(self, event) -> None:
        if len(event.arguments) >= 3:
            self.roster.names(event.arguments[1], event.arguments[2].split())

    def _on_whospcrpl(self, event) -> None:
        if len(event.arguments) >= 3 and event.arguments[0] == "417":
            self.roster.set_account(event.arguments[1], event.arguments[2])

    def _on_account(self, event) -> None:
        self.roster.set_account(event.source.nick, event.target)

    def _on_part(self, event) -> None:
        left = who_left(event)
        if left is None:
            return
        chan, nick = left
        if self.session.is_me(nick):
            self.roster.bot_left(chan)
        else:
            self.roster.left(chan, nick)

    _on_kick = _on_part  # a kick is a part said by someone else

    def _on_quit(self, event) -> None:
        self.roster.quit(event.source.nick)  # whoever takes this nick next is someone else

    def _on_nick(self, event) -> None:
        self.roster.renamed(event.source.nick, event.target)

    # -- who said what, where ----------------------------------------------------------

    def _account(self, source: irc.client.NickMask, tags) -> str | None:
        """The services account the sender is logged in to, if the server says so."""
        if "account-tag" in self.session.cap.caps:
            account = next((t.get("value") for t in (tags or []) if t.get("key") == "account"), None)
        else:
            account = self.roster.account_of(source.nick)
        return account if account and account != "*" else None

    def _channel(self, chan: str) -> Channel:
        return Channel(key=f"{self._key_prefix}{chan.lower()}", name=chan, platform="irc")

    def _private(self, nick: str) -> Channel:
        return Channel(key=f"{self._key_prefix}{nick.lower()}", name=nick, platform="irc", private=True)

    def _command_text(self, text: str, private: bool) -> str | None:
        """The command in a line, or None for chatter: `!cmd`, `nick: cmd`, `nick, cmd`, any private line."""
        if private:
            return text or None
        if text.startswith("!") and text[1:2].isalpha():
            words = self._words
            if text[1:].split(None, 1)[0].lower() in words:
                return text
            return None  # `!weather` is another bot's command: no "unknown command" noise in the channel
        for nick in {self.nick, self.cfg.nick}:
            m = re.match(re.escape(nick) + r"[:,]\s*(.*)$", text, re.I | re.S)
            if m:
                return m.group(1).strip() or "help"
        return None

    def _actor(self, source, account: str | None) -> Actor:
        actor_id = f"{self._key_prefix}{account}" if account else f"{self._key_prefix}{source}"
        return Actor(id=actor_id, name=source.nick)

    def _hear(self, event, source, line: str) -> None:
        """A channel line that is no command: a meeting's `#` word, or a line of its log, or nothing."""
        if not line.strip():
            return
        account = self._account(source, event.tags)
        msg = Message(text=line, actor=self._actor(source, account), channel=self._channel(event.target),
                      at=self.now())
        try:
            replies = self.bot.hear(msg)
        except Exception as e:  # a locked database or a fault the core did not catch
            log.warning(f"core failed on a line from {source.nick}: {type(e).__name__}: {e}")
            return
        if replies:
            lane = f"account:{account}" if account else irc_lower(source.userhost)
            self.delivery.reply(msg.channel, event.target, [r.text for r in replies], lane)

    def _on_pubmsg(self, event) -> None:
        self._on_message(event, private=False)

    def _on_privmsg(self, event) -> None:
        if irc_lower(event.target or "") == irc_lower(self.nick):
            self._on_message(event, private=True)

    def _on_message(self, event, private: bool) -> None:
        source = event.source
        if not source or not source.userhost or irc_lower(source.nick) == irc_lower(self.nick):
            return  # server notices, and the bot's own echo
        raw = event.arguments[0] if event.arguments else ""
        if raw.startswith("\x01"):
            return  # CTCP (ACTION, VERSION, ...) is never a command
        line = clean_incoming(raw)
        command = self._command_text(line, private)
        if command is None:
            if not private:
                self._hear(event, source, line)  # every channel line reaches the core: a meeting may log it
            return
        if private and command.startswith(("error:", "usage:")):
            return  # another bot's reply to our reply: never answer it (two bots would loop forever)
        account = self._account(source, event.tags)
        lane = f"account:{account}" if account else irc_lower(source.userhost)  # a new nick buys no new lane
        waiting = self.delivery.waiting_for(lane)
        if waiting >= MAX_WAITING_LINES:
            self.delivery.log_limited(f"flood{lane}", f"ignoring commands from {source.nick} ({lane}): "
                                      f"{waiting} lines of earlier answers still queued")
            return  # one person cannot bury the channel (or the queue) under answers
        self.stats["commands"] += 1
        channel = self._private(source.nick) if private else self._channel(event.target)
        target = source.nick if private else event.target
        if command.lstrip("!").strip().lower() == "more":
            self.delivery.more(channel, target, lane)
            return
        msg = Message(text=command, actor=self._actor(source, account), channel=channel, at=self.now())
        try:
            replies = self.bot.handle(msg)
            texts = [r.text for r in replies]
        except Exception as e:  # a locked database or a fault the core did not catch
            log.warning(f"core failed on a command from {source.nick}: {type(e).__name__}: {e}")
            texts = [BUSY_REPLY]
        self.delivery.reply(channel, target, texts, lane)
