"""IRCv3 capability negotiation (CAP LS 302 / REQ / ACK) and SASL PLAIN: a plain object fed the server's
words, returning the lines to send."""
from __future__ import annotations

import base64
import logging

log = logging.getLogger("goalkeeper.irc")

# asked for whenever the server offers them; `sasl` only when IRC_SASL_* is set
WANTED_CAPS = ("account-tag", "extended-join", "account-notify", "multi-prefix", "chghost", "cap-notify")


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
