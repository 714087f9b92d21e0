"""The IRC adapter: IRC events in, `Message`s to the core, its replies out through the delivery.

One thread does everything: reads lines, calls the core, hands replies to the delivery (paced, in turn
per person), drains the outbox, keeps the connection alive and reconnects. Identity follows the contract:
`irc:<network>:<account>` for a user logged in to services (account-tag, else extended-join /
account-notify / WHOX kept per nick), otherwise `irc:<network>:<nick>!<user>@<host>`.
"""
from __future__ import annotations

import logging
import os
import random
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
from .session import Backoff, CapNegotiation, Connection, Reactor, Roster, irc_lower

log = logging.getLogger("goalkeeper.irc")

MAX_WAITING_LINES = 40  # a person's commands are ignored while this many lines of answers wait to go out
REJOIN_EVERY = 30.0  # seconds between attempts to join a configured channel the bot is not in
_SASL_FAIL = ("nicklocked", "saslfail", "sasltoolong", "saslaborted", "saslmechs")


class IrcAdapter:
    """An IRC client holding the core and its delivery (composition): the connection and the events here,
    what goes out in `self.delivery`."""

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
        self.reactor = Reactor()
        self.conn: Connection = self.reactor.server()
        self.delivery = Delivery(bot, config, self, self.now, monotonic, self.worker, self._key_prefix)
        self.backoff = Backoff(config.reconnect_min, config.reconnect_max)
        self.stop_event = threading.Event()
        self.joined: dict[str, str] = {}  # lower-case channel -> name as the server spells it
        self.roster = Roster()
        self.cap = CapNegotiation(config.sasl_username, config.sasl_password)
        self.registered = False
        self.stats = {"connects": 0, "welcomes": 0, "commands": 0}
        self._reset_connection_state()
        self._next_connect = 0.0
        self._next_tick = 0.0
        self._next_nick_try = 0.0
        for name in ("welcome", "featurelist", "nicknameinuse", "erroneusnickname", "nickcollision",
                     "unavailresource", "cap", "authenticate", "loggedin", "saslsuccess", "saslalready", "pong",
                     "join", "part", "kick", "quit", "nick", "namreply", "whospcrpl", "account", "chghost",
                     "pubmsg", "privmsg", "disconnect", "error", "all_raw_messages", "bannedfromchan",
                     "inviteonlychan", "channelisfull", "badchannelkey", *_SASL_FAIL):
            self.reactor.add_global_handler(name, self._dispatch, 0)

    # -- time ------------------------------------------------------------------------

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
                self._timers()
                self.delivery.pump()
                self.reactor.process_once(timeout=self._wait())
                self._drain_tls()
            except Exception as e:  # never let one fault end the process
                self.delivery.log_limited("loop", f"unexpected {type(e).__name__}: {e}")
                time.sleep(0.05)
        self._shutdown()

    def stop(self) -> None:
        self.stop_event.set()

    def _wait(self) -> float:
        return max(0.0, min(0.2, self.delivery.queue.wait() if self.registered else 0.2))

    def _drain_tls(self) -> None:
        # TLS may hold decrypted bytes select() cannot see
        sock = self.conn.socket
        while isinstance(sock, ssl.SSLSocket) and self.conn.is_connected() and sock.pending():
            self.conn.process_data()
            sock = self.conn.socket

    def _timers(self) -> None:
        mono = self._mono()
        if not self.conn.is_connected():
            if mono >= self._next_connect:
                self._connect()
            return
        if not self.registered and mono - self._connected_at > self.cfg.register_timeout:
            log.warning(f"no welcome from {self.cfg.server} within {self.cfg.register_timeout:g}s; reconnecting")
            self.conn.disconnect("registration timed out")
            return
        idle = mono - self._last_rx
        if self._ping_sent_at and self._last_rx < self._ping_sent_at and mono - self._ping_sent_at > self.cfg.ping_interval:
            log.warning(f"no answer to PING for {mono - self._ping_sent_at:.1f}s; the connection is dead, reconnecting")
            self.conn.disconnect("ping timeout")
            return
        if idle > self.cfg.ping_interval and (not self._ping_sent_at or self._last_rx >= self._ping_sent_at):
            self._ping_sent_at = mono
            self._control(f"PING :{self.cfg.server}")
        if not self.registered:
            return
        if mono >= self._next_tick:
            self._next_tick = mono + self.cfg.tick_interval
            self.delivery.scheduled_pass()
        if mono >= self._next_join_check:
            missing = [c for c in self.cfg.channels if irc_lower(c) not in self.joined]
            if missing:  # kicked, banned, or a JOIN the server refused: try again, every 30 s at most
                self._join(missing)
            self._next_join_check = mono + REJOIN_EVERY
        if self.nick != self.cfg.nick and mono >= self._next_nick_try:
            self._regain_nick()

    # -- connecting ----------------------------------------------------------------------

    @property
    def nick(self) -> str:
        return self.conn.get_nickname() if self.conn.is_connected() else self.cfg.nick

    def _reset_connection_state(self) -> None:
        self.registered = False
        self.joined.clear()
        self.roster.clear()
        self.cap.reset()
        self._alt_index = 0
        self._nick_limit = 30
        self._own_userhost = ""
        self._connected_at = self._mono()
        self._last_rx = self._mono()
        self._ping_sent_at = 0.0
        self._next_join_check = float("inf")
        self._welcomed_at = 0.0

    def _open_socket(self, address):
        """jaraco's connect() sends NICK and USER at once; CAP LS (and PASS) must reach the server
        first, so they are written here, on the fresh socket, before connect() goes on."""
        host = self.cfg.server.strip("[]")  # an IPv6 literal may be written [::1]
        sock = socket.create_connection((host, address[1]), timeout=15)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a reply's lines go out now, not after an ACK
        if self.cfg.tls:
            ctx = ssl.create_default_context(cafile=self.cfg.tls_ca_file)
            sock = ctx.wrap_socket(sock, server_hostname=host)
        sock.settimeout(30)  # a write to a server that stopped reading ends in a reconnect, not a hang
        first = "CAP LS 302\r\n"
        if self.cfg.password:
            first += f"PASS {self.cfg.password}\r\n"
        sock.sendall(first.encode())
        return sock

    def _connect(self) -> None:
        self._reset_connection_state()
        self.stats["connects"] += 1
        try:
            self.conn.connect(self.cfg.server, self.cfg.port, self.cfg.nick, None,
                              username=(self.cfg.sasl_username or self.cfg.nick)[:10].replace("@", "_"),
                              ircname="Goalkeeper, quarterly goals bot", connect_factory=self._open_socket)
        except (irc.client.ServerConnectionError, OSError, ssl.SSLError) as e:
            wait = self.backoff.next()
            self._next_connect = self._mono() + wait
            log.warning(f"cannot connect to {self.cfg.server}:{self.cfg.port} ({e}); next try in {wait:.1f}s")
            return
        self._connected_at = self._last_rx = self._mono()

    def _control(self, raw: str) -> None:
        """A line that cannot wait behind replies (PING, JOIN, NICK, CAP): spends a token regardless."""
        if self.conn.is_connected():
            self.delivery.spend_token()
            try:
                self.conn.send_raw(raw)
            except irc.client.IRCError as e:
                log.warning(f"could not send {raw.split(' ')[0]}: {e}")

    def _join(self, channels: list[str]) -> None:
        self._next_join_check = self._mono() + REJOIN_EVERY
        batch: list[str] = []
        for c in channels:
            if batch and len(",".join(batch + [c])) > 400:
                self._control("JOIN " + ",".join(batch))
                batch = []
            batch.append(c)
        if batch:
            self._control("JOIN " + ",".join(batch))

    def _alt_nick(self, erroneous: bool) -> str:
        """goalkeeper_, goalkeeper__, goalkeeper___, then goalkeeper123; after an 'erroneous nickname'
        (too long for this server) the same cut to RFC 1459's 9 characters."""
        self._alt_index += 1
        if erroneous:
            self._nick_limit = 9
        limit, k = self._nick_limit, self._alt_index
        if k <= 3:
            return self.cfg.nick[: limit - k] + "_" * k
        return self.cfg.nick[: limit - 3] + str(random.randint(100, 999))

    def _regain_nick(self) -> None:
        self._next_nick_try = self._mono() + self.cfg.nick_retry
        self._control(f"NICK {self.cfg.nick}")

    # -- events ----------------------------------------------------------------------------

    def _dispatch(self, conn, event) -> None:
        handler = getattr(self, "_on_" + event.type, None)
        if handler is None:
            return
        try:
            handler(conn, event)
        except Exception as e:  # one bad event never stops the reactor
            self.delivery.log_limited(event.type, f"fault handling {event.type}: {type(e).__name__}: {e}")

    def _on_all_raw_messages(self, conn, event) -> None:
        self._last_rx = self._mono()

    def _send_all(self, lines: list[str]) -> None:
        for line in lines:
            self._control(line)

    def _on_cap(self, conn, event) -> None:
        self._send_all(self.cap.on_cap(list(event.arguments), self.registered))

    def _on_authenticate(self, conn, event) -> None:
        self._send_all(self.cap.on_authenticate(event.target))

    def _on_loggedin(self, conn, event) -> None:
        account = event.arguments[1] if len(event.arguments) > 1 else "?"
        log.info(f"logged in to services as {account}")

    def _on_saslsuccess(self, conn, event) -> None:
        self._send_all(self.cap.end())

    _on_saslalready = _on_saslsuccess

    def _on_saslfail(self, conn, event) -> None:
        if not self.registered:
            log.warning(f"SASL login as {self.cfg.sasl_username} failed ({event.type}); continuing without an account")
            self._send_all(self.cap.end())

    _on_nicklocked = _on_sasltoolong = _on_saslaborted = _on_saslmechs = _on_saslfail

    def _on_welcome(self, conn, event) -> None:
        self.registered = True
        self._welcomed_at = self._mono()
        self.stats["welcomes"] += 1
        self.cap.done = True
        log.info(f"connected to {self.cfg.server} as {self.nick}")
        if self.nick != self.cfg.nick:
            self._next_nick_try = self._mono() + self.cfg.nick_retry
        self._join(list(self.cfg.channels))
        self._next_tick = self._mono() + min(1.0, self.cfg.tick_interval)

    def _on_featurelist(self, conn, event) -> None:
        pass  # jaraco loads ISUPPORT into conn.features; WHOX is read from there

    def _on_nicknameinuse(self, conn, event) -> None:
        if self.registered:
            return  # a regain attempt failed: the nick is still taken, try again later
        alt = self._alt_nick(erroneous=False)
        log.info(f"nick {event.arguments[0] if event.arguments else self.cfg.nick} is taken; using {alt} for now")
        self._control(f"NICK {alt}")

    _on_nickcollision = _on_unavailresource = _on_nicknameinuse

    def _on_erroneusnickname(self, conn, event) -> None:
        if not self.registered:
            self._control(f"NICK {self._alt_nick(erroneous=True)}")

    def _on_error(self, conn, event) -> None:
        log.warning(f"server says: {' '.join(map(str, [event.target, *event.arguments]))[:200]}")

    def _on_disconnect(self, conn, event) -> None:
        lasted = self._mono() - self._welcomed_at if self._welcomed_at else 0.0
        if lasted > 60:
            self.backoff.reset()
        self._reset_connection_state()
        self.delivery.dropped()
        if self.stop_event.is_set():
            return
        wait = self.backoff.next()
        self._next_connect = self._mono() + wait
        log.warning(f"disconnected ({event.arguments[0] if event.arguments else ''}); reconnecting in {wait:.1f}s")

    def _on_join(self, conn, event) -> None:
        nick, chan = event.source.nick, event.target
        if irc_lower(nick) == irc_lower(self.nick):
            self.joined[irc_lower(chan)] = chan
            self.roster.bot_joined(chan)
            self._own_userhost = event.source.userhost or self._own_userhost
            try:
                self.bot.register_channel(self._channel(chan), self.now())
            except Exception as e:
                self.delivery.log_limited("register", f"could not register {chan}: {type(e).__name__}: {e}")
            if "whox" in vars(conn.features) and "account-tag" not in self.cap.caps:
                self._control(f"WHO {chan} %tna,417")
            return
        self.roster.joined(chan, nick)
        if "extended-join" in self.cap.caps and event.arguments:
            self.roster.set_account(nick, event.arguments[0])

    def _on_namreply(self, conn, event) -> None:
        if len(event.arguments) >= 3:
            self.roster.names(event.arguments[1], event.arguments[2].split())

    def _on_whospcrpl(self, conn, event) -> None:
        if len(event.arguments) >= 3 and event.arguments[0] == "417":
            self.roster.set_account(event.arguments[1], event.arguments[2])

    def _on_account(self, conn, event) -> None:
        self.roster.set_account(event.source.nick, event.target)

    def _on_chghost(self, conn, event) -> None:
        if irc_lower(event.source.nick) == irc_lower(self.nick) and len(event.arguments) >= 1:
            self._own_userhost = f"{event.target}@{event.arguments[0]}"

    def _on_part(self, conn, event) -> None:
        self._left(event.target, event.source.nick)

    def _on_kick(self, conn, event) -> None:
        if event.arguments:
            self._left(event.target, event.arguments[0])

    def _left(self, chan: str, nick: str) -> None:
        if irc_lower(nick) == irc_lower(self.nick):
            self.joined.pop(irc_lower(chan), None)
            self.roster.bot_left(chan)
            # kicked: back after a short pause (a channel that keeps kicking gets one JOIN per 30 s)
            self._next_join_check = min(self._next_join_check, self._mono() + max(1.0, self.cfg.reconnect_min))
        else:
            self.roster.left(chan, nick)

    def _on_quit(self, conn, event) -> None:
        self.roster.quit(event.source.nick)  # whoever takes this nick next is someone else
        if irc_lower(event.source.nick) == irc_lower(self.cfg.nick) and self.nick != self.cfg.nick:
            self._regain_nick()

    def _on_nick(self, conn, event) -> None:
        old, new = event.source.nick, event.target
        self.roster.renamed(old, new)
        if irc_lower(old) == irc_lower(self.cfg.nick) and self.nick != self.cfg.nick:
            self._regain_nick()
        if irc_lower(new) == irc_lower(self.nick):
            log.info(f"now known as {new}")

    def _on_bannedfromchan(self, conn, event) -> None:
        log.warning(f"cannot join {event.arguments[0] if event.arguments else '?'}: {event.type}")

    _on_inviteonlychan = _on_channelisfull = _on_badchannelkey = _on_bannedfromchan

    # -- who said what, where ----------------------------------------------------------

    def _account(self, source: irc.client.NickMask, tags) -> str | None:
        """The services account the sender is logged in to, if the server says so."""
        if "account-tag" in self.cap.caps:
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

    def _on_pubmsg(self, conn, event) -> None:
        self._on_message(event, private=False)

    def _on_privmsg(self, conn, event) -> None:
        if irc_lower(event.target or "") == irc_lower(self.nick):
            self._on_message(event, private=True)

    def _on_message(self, event, private: bool) -> None:
        source = event.source
        if not source or not source.userhost or irc_lower(source.nick) == irc_lower(self.nick):
            return  # server notices, and the bot's own echo
        raw = event.arguments[0] if event.arguments else ""
        if raw.startswith("\x01"):
            return  # CTCP (ACTION, VERSION, ...) is never a command
        command = self._command_text(clean_incoming(raw), private)
        if command is None:
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
        actor_id = f"{self._key_prefix}{account}" if account else f"{self._key_prefix}{source}"
        msg = Message(text=command, actor=Actor(id=actor_id, name=source.nick), channel=channel, at=self.now())
        try:
            replies = self.bot.handle(msg)
            texts = [r.text for r in replies]
        except Exception as e:  # a locked database or a fault the core did not catch
            log.warning(f"core failed on a command from {source.nick}: {type(e).__name__}: {e}")
            texts = [BUSY_REPLY]
        self.delivery.reply(channel, target, texts, lane)

    def _on_pong(self, conn, event) -> None:
        token = ([event.target, *event.arguments] or [""])[-1] or ""
        if token.startswith(PROBE):
            self.delivery.on_pong(token)

    def _shutdown(self) -> None:
        if self.conn.is_connected() and self.delivery.unconfirmed():
            end = self._mono() + 2.0  # a short wait for the server to confirm what was written last
            while self.delivery.unconfirmed() and self.conn.is_connected() and self._mono() < end:
                self.reactor.process_once(timeout=0.05)
        self.delivery.stopping()
        if self.conn.is_connected():
            try:
                self.conn.disconnect("Goalkeeper stopping")
            except Exception as e:  # closing a broken socket: nothing left to save
                log.warning(f"while disconnecting: {type(e).__name__}: {e}")

    # -- what the delivery uses (delivery.Link) ---------------------------------------------------

    @property
    def own_userhost(self) -> str:
        return self._own_userhost

    def writable(self) -> bool:
        return self.registered and self.conn.is_connected()

    def joined_as(self, channel: str) -> str | None:
        return self.joined.get(irc_lower(channel))

    def write(self, data: bytes) -> bool:
        sock = self.conn.socket if self.conn.is_connected() else None
        if sock is None:
            return False
        try:
            sock.sendall(data)
        except OSError as e:
            self.conn.disconnect(f"write failed: {e}")
            return False
        return True
