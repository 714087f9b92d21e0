"""The connection to the network, kept up: jaraco/irc's connection made safe (lenient decoding, whole
PRIVMSGs), connecting (CAP LS and PASS first, TLS checked), CAP and SASL, a nick of its own, the configured
channels joined, keepalive PINGs, and reconnecting with backoff. The adapter reads events through it."""
from __future__ import annotations

import logging
import random
import socket
import ssl
from typing import Callable

import irc.client
from jaraco.stream import buffer as jbuffer

from .caps import CapNegotiation
from .roster import irc_lower, who_left

log = logging.getLogger("goalkeeper.irc")

REJOIN_EVERY = 30.0  # seconds between attempts to join a configured channel the bot is not in
_SASL_FAIL = ("nicklocked", "saslfail", "sasltoolong", "saslaborted", "saslmechs")
# the events the session follows; the adapter registers them with the reactor alongside its own
EVENTS = ("welcome", "featurelist", "nicknameinuse", "erroneusnickname", "nickcollision", "unavailresource",
          "cap", "authenticate", "loggedin", "saslsuccess", "saslalready", "join", "part", "kick", "quit",
          "nick", "chghost", "disconnect", "error", "all_raw_messages", "bannedfromchan", "inviteonlychan",
          "channelisfull", "badchannelkey", *_SASL_FAIL)


class Session:
    """One network connection and its state (registered, joined channels, own nick and user@host);
    `keep_up()` from the loop connects, pings, rejoins and regains the nick. It is the delivery's `Link`."""

    def __init__(self, cfg, spend_token: Callable[[], None], monotonic: Callable[[], float]):
        self.cfg = cfg
        self._spend = spend_token
        self._mono = monotonic
        self.reactor = Reactor()
        self.conn: Connection = self.reactor.server()
        self.backoff = Backoff(cfg.reconnect_min, cfg.reconnect_max)
        self.cap = CapNegotiation(cfg.sasl_username, cfg.sasl_password)
        self.joined: dict[str, str] = {}  # lower-case channel -> name as the server spells it
        self.stats = {"connects": 0, "welcomes": 0}
        self.stopping = False
        self.reset()
        self._next_connect = 0.0
        self._next_nick_try = 0.0

    # -- what the delivery uses (delivery.Link) --------------------------------------------------

    @property
    def nick(self) -> str:
        return self.conn.get_nickname() if self.conn.is_connected() else self.cfg.nick

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

    # -- keeping the connection up ------------------------------------------------------------------

    def reset(self) -> None:
        self.registered = False
        self.joined.clear()
        self.cap.reset()
        self.own_userhost = ""
        self._alt_index = 0
        self._nick_limit = 30
        self._connected_at = self._last_rx = self._mono()
        self._ping_sent_at = 0.0
        self._next_join_check = float("inf")
        self._welcomed_at = 0.0

    def keep_up(self) -> None:
        """Connect when due, give up a connection never welcomed or gone silent, ping, rejoin, regain the nick."""
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
            self.control(f"PING :{self.cfg.server}")
        if not self.registered:
            return
        if mono >= self._next_join_check:
            missing = [c for c in self.cfg.channels if irc_lower(c) not in self.joined]
            if missing:  # kicked, banned, or a JOIN the server refused: try again, every 30 s at most
                self._join(missing)
            self._next_join_check = mono + REJOIN_EVERY
        if self.nick != self.cfg.nick and mono >= self._next_nick_try:
            self._regain_nick()

    def close(self, reason: str) -> None:
        if self.conn.is_connected():
            try:
                self.conn.disconnect(reason)
            except Exception as e:  # closing a broken socket: nothing left to save
                log.warning(f"while disconnecting: {type(e).__name__}: {e}")

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
        self.reset()
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

    def control(self, raw: str) -> None:
        """A line that cannot wait behind replies (PING, JOIN, NICK, CAP, WHO): spends a token regardless."""
        if self.conn.is_connected():
            self._spend()
            try:
                self.conn.send_raw(raw)
            except irc.client.IRCError as e:
                log.warning(f"could not send {raw.split(' ')[0]}: {e}")

    def _send_all(self, lines: list[str]) -> None:
        for line in lines:
            self.control(line)

    def _join(self, channels: list[str]) -> None:
        self._next_join_check = self._mono() + REJOIN_EVERY
        batch: list[str] = []
        for c in channels:
            if batch and len(",".join(batch + [c])) > 400:
                self.control("JOIN " + ",".join(batch))
                batch = []
            batch.append(c)
        if batch:
            self.control("JOIN " + ",".join(batch))

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
        self.control(f"NICK {self.cfg.nick}")

    def is_me(self, nick: str) -> bool:
        return irc_lower(nick) == irc_lower(self.nick)

    # -- the server's words -----------------------------------------------------------------------

    def handle(self, event) -> None:
        handler = getattr(self, "_on_" + event.type, None)
        if handler is not None:
            handler(event)

    def _on_all_raw_messages(self, event) -> None:
        self._last_rx = self._mono()

    def _on_cap(self, event) -> None:
        self._send_all(self.cap.on_cap(list(event.arguments), self.registered))

    def _on_authenticate(self, event) -> None:
        self._send_all(self.cap.on_authenticate(event.target))

    def _on_loggedin(self, event) -> None:
        account = event.arguments[1] if len(event.arguments) > 1 else "?"
        log.info(f"logged in to services as {account}")

    def _on_saslsuccess(self, event) -> None:
        self._send_all(self.cap.end())

    _on_saslalready = _on_saslsuccess

    def _on_saslfail(self, event) -> None:
        if not self.registered:
            log.warning(f"SASL login as {self.cfg.sasl_username} failed ({event.type}); continuing without an account")
            self._send_all(self.cap.end())

    _on_nicklocked = _on_sasltoolong = _on_saslaborted = _on_saslmechs = _on_saslfail

    def _on_welcome(self, event) -> None:
        self.registered = True
        self._welcomed_at = self._mono()
        self.stats["welcomes"] += 1
        self.cap.done = True
        log.info(f"connected to {self.cfg.server} as {self.nick}")
        if self.nick != self.cfg.nick:
            self._next_nick_try = self._mono() + self.cfg.nick_retry
        self._join(list(self.cfg.channels))

    def _on_featurelist(self, event) -> None:
        pass  # jaraco loads ISUPPORT into conn.features; WHOX is read from there

    def _on_nicknameinuse(self, event) -> None:
        if self.registered:
            return  # a regain attempt failed: the nick is still taken, try again later
        alt = self._alt_nick(erroneous=False)
        log.info(f"nick {event.arguments[0] if event.arguments else self.cfg.nick} is taken; using {alt} for now")
        self.control(f"NICK {alt}")

    _on_nickcollision = _on_unavailresource = _on_nicknameinuse

    def _on_erroneusnickname(self, event) -> None:
        if not self.registered:
            self.control(f"NICK {self._alt_nick(erroneous=True)}")

    def _on_error(self, event) -> None:
        log.warning(f"server says: {' '.join(map(str, [event.target, *event.arguments]))[:200]}")

    def _on_disconnect(self, event) -> None:
        lasted = self._mono() - self._welcomed_at if self._welcomed_at else 0.0
        if lasted > 60:
            self.backoff.reset()
        self.reset()
        if self.stopping:
            return
        wait = self.backoff.next()
        self._next_connect = self._mono() + wait
        log.warning(f"disconnected ({event.arguments[0] if event.arguments else ''}); reconnecting in {wait:.1f}s")

    def _on_join(self, event) -> None:
        if self.is_me(event.source.nick):
            self.joined[irc_lower(event.target)] = event.target
            self.own_userhost = event.source.userhost or self.own_userhost

    def _on_chghost(self, event) -> None:
        if self.is_me(event.source.nick) and len(event.arguments) >= 1:
            self.own_userhost = f"{event.target}@{event.arguments[0]}"

    def _on_part(self, event) -> None:
        left = who_left(event)
        if left is None:
            return
        chan, nick = left
        if self.is_me(nick):
            self.joined.pop(irc_lower(chan), None)
            # kicked: back after a short pause (a channel that keeps kicking gets one JOIN per 30 s)
            self._next_join_check = min(self._next_join_check, self._mono() + max(1.0, self.cfg.reconnect_min))

    _on_kick = _on_part  # a kick is a part said by someone else

    def _on_quit(self, event) -> None:
        if irc_lower(event.source.nick) == irc_lower(self.cfg.nick) and self.nick != self.cfg.nick:
            self._regain_nick()

    def _on_nick(self, event) -> None:
        old, new = event.source.nick, event.target
        if irc_lower(old) == irc_lower(self.cfg.nick) and self.nick != self.cfg.nick:
            self._regain_nick()
        if self.is_me(new):
            log.info(f"now known as {new}")

    def _on_bannedfromchan(self, event) -> None:
        log.warning(f"cannot join {event.arguments[0] if event.arguments else '?'}: {event.type}")

    _on_inviteonlychan = _on_channelisfull = _on_badchannelkey = _on_bannedfromchan


class Connection(irc.client.ServerConnection):
    """jaraco's connection with two changes: lenient decoding (invalid UTF-8 falls back to latin-1 and
    never raises in the reactor), and PRIVMSG/NOTICE delivered whole (jaraco splits CTCP out of the
    middle of a line, which could turn one line into two commands)."""

    buffer_class = jbuffer.LenientDecodingLineBuffer

    def process_data(self):
        super().process_data()
        quick_ack(self.socket)

    def _process_line(self, line):
        try:
            super()._process_line(line)
        except Exception as e:  # a malformed line or a handler fault: log it, keep reading
            log.warning(f"could not process a line from the server ({type(e).__name__}: {e}): {line[:200]!r}")

    def _handle_message(self, arguments, command, source, tags):
        if len(arguments) < 2:
            return
        target, text = arguments[0], arguments[1]
        public = irc.client.is_channel(target)
        kind = ("pubmsg" if public else "privmsg") if command == "privmsg" else ("pubnotice" if public else "privnotice")
        self._handle_event(irc.client.Event(kind, source, target, [text], tags))


def quick_ack(sock) -> None:
    """Acknowledge the server's next lines at once. Each write ends with a PING; if the bot delayed its ACK
    of the PONG (40 ms on Linux), a server without TCP_NODELAY would hold the next command for it (Nagle)."""
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass  # closed meanwhile: the reactor notices


class Reactor(irc.client.Reactor):
    connection_class = Connection


class Backoff:
    """Waits between reconnection attempts: from `low` doubling to `high`, with jitter; one per adapter."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high
        self.attempt = 0

    def next(self) -> float:
        """The wait before the next attempt: `low` first, then doubling (from at least 0.25 s) up to `high`."""
        wait = self.low if self.attempt == 0 else min(self.high, max(self.low, 0.25) * 2 ** self.attempt)
        self.attempt = min(self.attempt + 1, 40)  # 2**40 is far past any cap; never an overflow
        return wait * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.attempt = 0
