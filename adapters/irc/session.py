"""One IRC connection below the adapter: jaraco/irc's connection made safe (lenient decoding, whole
PRIVMSGs), the reconnect backoff, capability negotiation (with SASL PLAIN) and who is logged in to which
services account. The last two are plain objects fed the server's words; the adapter sends what they return."""
from __future__ import annotations

import base64
import logging
import random
import socket

import irc.client
from jaraco.stream import buffer as jbuffer

log = logging.getLogger("goalkeeper.irc")

# asked for whenever the server offers them; `sasl` only when IRC_SASL_* is set
WANTED_CAPS = ("account-tag", "extended-join", "account-notify", "multi-prefix", "chghost", "cap-notify")


def irc_lower(s: str) -> str:
    """RFC 1459 case mapping: {}|^ are the lower case of []\\~."""
    return s.lower().translate(_LOWER)


_LOWER = str.maketrans("[]\\~", "{}|^")


class CapNegotiation:
    """IRCv3 CAP LS 302 / REQ / ACK, then SASL PLAIN, then CAP END; `caps` holds what the server granted."""

    def __init__(self, sasl_username: str | None = None, sasl_password: str | None = None):
        self.sasl_username, self.sasl_password = sasl_username, sasl_password
        self.reset()

    def reset(self) -> None:
        self.caps: set[str] = set()
        self.done = False
        self._ls: list[str] = []
        self._pending: set[str] = set()

    def on_cap(self, args: list[str], registered: bool) -> list[str]:
        """The lines to send after `CAP <target> <args...>` from the server."""
        sub = args[0].upper() if args else ""
        if sub == "LS":
            self._ls.extend(args[-1].split())
            if len(args) >= 3 and args[1] == "*":
                return []  # more LS lines follow
            return self._request(dict(item.partition("=")[::2] for item in self._ls))
        if sub in ("ACK", "NAK"):
            for item in args[-1].split():
                name = item.lstrip("-~=")
                if sub == "ACK":
                    (self.caps.discard if item.startswith("-") else self.caps.add)(name)
                self._pending.discard(name)
            if not self._pending and not self.done:
                return ["AUTHENTICATE PLAIN"] if "sasl" in self.caps and self.sasl_username else self.end()
            return []
        if sub == "DEL":
            for name in args[-1].split():
                self.caps.discard(name.partition("=")[0])
        elif sub == "NEW" and registered:
            return [f"CAP REQ :{n}" for n in (c.partition("=")[0] for c in args[-1].split())
                    if n in WANTED_CAPS and n not in self.caps]
        return []

    def _request(self, offered: dict[str, str]) -> list[str]:
        want = [c for c in WANTED_CAPS if c in offered]
        if self.sasl_username:
            mechs = offered.get("sasl")
            if mechs is None:
                log.warning("the server does not offer SASL; continuing without logging in")
            elif mechs and "PLAIN" not in mechs.upper().split(","):
                log.warning(f"the server offers SASL {mechs} but not PLAIN; continuing without logging in")
            else:
                want.append("sasl")
        if not want:
            return self.end()
        self._pending = set(want)
        return [f"CAP REQ :{c}" for c in want]  # one at a time: a NAK of one cannot refuse the others

    def on_authenticate(self, target: str) -> list[str]:
        """`AUTHENTICATE +` from the server: the credentials, in 400-byte chunks."""
        if target != "+" or not self.sasl_username:
            return []
        user = self.sasl_username
        blob = base64.b64encode(f"{user}\0{user}\0{self.sasl_password or ''}".encode()).decode()
        chunks = [blob[i:i + 400] for i in range(0, len(blob), 400)]
        if not chunks or len(chunks[-1]) == 400:
            chunks.append("+")
        return [f"AUTHENTICATE {c}" for c in chunks]

    def end(self) -> list[str]:
        if self.done:
            return []
        self.done = True
        return ["CAP END"]


class Roster:
    """Who shares a channel with the bot and which services account each is logged in to, by nick.

    Only needed when the server does not tag every message with its sender's account (account-tag):
    then accounts come from extended-join, account-notify and WHOX, and are forgotten as soon as the
    person leaves the bot's sight, so whoever takes the nick next starts unknown."""

    def __init__(self):
        self.members: dict[str, set[str]] = {}  # lower-case channel -> lower-case nicks
        self.accounts: dict[str, str] = {}  # lower-case nick -> account

    def clear(self) -> None:
        self.members.clear()
        self.accounts.clear()

    def account_of(self, nick: str) -> str | None:
        return self.accounts.get(irc_lower(nick))

    def set_account(self, nick: str, account: str | None) -> None:
        if not account or account in ("*", "0"):
            self.accounts.pop(irc_lower(nick), None)
        else:
            self.accounts[irc_lower(nick)] = account

    def bot_joined(self, chan: str) -> None:
        self.members[irc_lower(chan)] = set()

    def joined(self, chan: str, nick: str) -> None:
        self.members.setdefault(irc_lower(chan), set()).add(irc_lower(nick))

    def names(self, chan: str, items: list[str]) -> None:
        members = self.members.setdefault(irc_lower(chan), set())
        for item in items:
            members.add(irc_lower(item.lstrip("~&@%+!").split("!")[0]))

    def left(self, chan: str, nick: str) -> None:
        self.members.get(irc_lower(chan), set()).discard(irc_lower(nick))
        self._forget_if_gone(irc_lower(nick))

    def bot_left(self, chan: str) -> None:
        for n in self.members.pop(irc_lower(chan), set()):
            self._forget_if_gone(n)

    def quit(self, nick: str) -> None:
        low = irc_lower(nick)
        for m in self.members.values():
            m.discard(low)
        self.accounts.pop(low, None)

    def renamed(self, old: str, new: str) -> None:
        old, new = irc_lower(old), irc_lower(new)
        for m in self.members.values():
            if old in m:
                m.discard(old)
                m.add(new)
        account = self.accounts.pop(old, None)
        if account:
            self.accounts[new] = account

    def _forget_if_gone(self, low_nick: str) -> None:
        if not any(low_nick in m for m in self.members.values()):
            self.accounts.pop(low_nick, None)


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
