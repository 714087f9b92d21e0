"""IRC text on the wire: cleaning what comes in, cutting what goes out into lines that fit
512 bytes as the server relays them, and pacing those lines so no server drops the bot for flooding.

Nothing here touches a socket: the delivery (adapters/irc/delivery.py) feeds lines in and takes
them out when the connection may carry them.
"""
from __future__ import annotations

import re
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from typing import Callable

LINE_LIMIT = 512  # bytes, CRLF included (RFC 1459 / 2812)
# the longest user@host a server may show for the bot (USERLEN 10 + '@' + HOSTLEN 63): used when
# the bot's own mask is unknown or shorter, so a later cloak or CHGHOST cannot push lines over
GENEROUS_USERHOST = 74

# mIRC formatting: bold, colour (\x03fg[,bg]), hex colour (\x04rrggbb[,rrggbb]), reset, monospace,
# reverse, italics, strike-through, underline; and CTCP's \x01
_FORMAT_RE = re.compile(
    r"\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\x01\x02\x0f\x11\x16\x1d\x1e\x1f]"
)
# every other C0 control and DEL; \x00, \r and \n included (they would end or corrupt an IRC line)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# what the bot itself may send: the core's renderer uses colour and bold; nothing else is control
_OUT_DROP_RE = re.compile(r"[\x00\x01\x05-\x08\x0a-\x0e\x10\x12-\x15\x17-\x1c\x7f]")

_TOGGLES = {"\x02": "b", "\x11": "m", "\x16": "r", "\x1d": "i", "\x1e": "s", "\x1f": "u"}
_TOGGLE_CODE = {v: k for k, v in _TOGGLES.items()}


def clean_incoming(text: str) -> str:
    """A user's line as the core should see it: no CTCP, colour or formatting codes, no control characters."""
    text = _FORMAT_RE.sub("", text).replace("\t", " ")
    return _CONTROL_RE.sub("", text).strip()


def clean_outgoing(line: str) -> str:
    """One line the bot may send: colour/bold kept, CTCP marker and every line-breaking control removed."""
    return _OUT_DROP_RE.sub("", line.replace("\t", " "))


def utf8_len(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


def relay_budget(nick: str, userhost_len: int, target: str) -> int:
    """Bytes of text that fit in one PRIVMSG as relayed: `:nick!user@host PRIVMSG target :text\\r\\n` <= 512."""
    userhost_len = max(userhost_len, GENEROUS_USERHOST)
    overhead = 1 + utf8_len(nick) + 1 + userhost_len + len(" PRIVMSG ") + utf8_len(target) + len(" :") + 2
    return LINE_LIMIT - overhead


def split_text(text: str, budget: int) -> list[str]:
    """A reply's text as IRC lines of at most `budget` UTF-8 bytes each, in order.

    Splits on newlines first (CR, CRLF and LF all count), then long lines at word boundaries where
    one is near, else at a character boundary; formatting active at a cut is re-applied on the next
    line. Empty lines are dropped: IRC cannot carry them."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = clean_outgoing(raw).rstrip()
        if line.strip():
            out.extend(wrap_line(line, budget))
    return out


def wrap_line(line: str, budget: int) -> list[str]:
    """One line cut into pieces of at most `budget` bytes each (see `split_text`)."""
    budget = max(budget, 16)
    pieces: list[str] = []
    carry = ""  # formatting codes to re-open at the start of the next piece
    rest = line
    while rest:
        if utf8_len(carry) + 8 > budget // 2:
            carry = ""
        if utf8_len(carry + rest) <= budget:
            pieces.append(carry + rest)
            break
        avail = budget - utf8_len(carry)
        fit = len(rest.encode("utf-8", "surrogatepass")[:avail].decode("utf-8", "ignore"))
        cut, skip = _choose_cut(rest, fit)
        piece = carry + rest[:cut].rstrip(" ")
        if piece.strip():
            pieces.append(piece)
        carry = _format_state(piece)
        rest = rest[cut + skip :].lstrip(" ")
        if carry and rest[:1] in ",0123456789":
            carry += "\x02\x02"  # keep a following digit or comma from being read as part of a colour code
    return pieces


def _choose_cut(rest: str, fit: int) -> tuple[int, int]:
    """Where to cut `rest` given that its first `fit` characters fit: (cut index, characters to skip)."""
    space = rest.rfind(" ", 0, fit + 1)
    if space > 0 and space >= fit // 2:
        return space, 1
    cut = fit
    for m in _FORMAT_RE.finditer(rest, max(0, fit - 16), fit + 16):
        if m.start() < cut < m.end():  # never cut a colour code from its digits
            cut = m.start()
    # keep combining marks, joiners and variation selectors with the character they modify
    while cut > 1 and (
        unicodedata.combining(rest[cut]) or rest[cut] in "\u200d\ufe0e\ufe0f" or rest[cut - 1] == "\u200d"
        or 0x1F3FB <= ord(rest[cut]) <= 0x1F3FF
    ):
        cut -= 1
    return max(cut, 1), 0


def _format_state(piece: str) -> str:
    """The formatting still open at the end of `piece`, as codes that re-open it."""
    on: set[str] = set()
    colour = ""
    for m in _FORMAT_RE.finditer(piece):
        code = m.group()
        if code == "\x0f":
            on.clear()
            colour = ""
        elif code in _TOGGLES:
            on ^= {_TOGGLES[code]}
        elif code[0] in "\x03\x04":
            if len(code) == 1:
                colour = ""
            elif code[0] == "\x03":
                fg, _, bg = code[1:].partition(",")
                colour = "\x03" + fg.zfill(2) + ("," + bg.zfill(2) if bg else "")
            else:
                colour = code
    return "".join(_TOGGLE_CODE[t] for t in sorted(on)) + colour


class TokenBucket:
    """A burst of `burst` lines, then `rate` lines a second: what servers tolerate without 'Excess Flood'."""

    def __init__(self, rate: float, burst: int, monotonic: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._mono = monotonic
        self._tokens = float(burst)
        self._at = monotonic()

    def _refill(self) -> None:
        now = self._mono()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self) -> bool:
        """Spend a token if one is there."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def force(self) -> None:
        """Spend a token whether or not one is there (a line that cannot wait, e.g. PONG)."""
        self._refill()
        self._tokens = max(self._tokens - 1, -self.burst)

    def wait(self) -> float:
        """Seconds until the next token."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate


@dataclass
class OutLine:
    """One PRIVMSG waiting to be written; `on_confirmed` runs once the server is known to have it."""

    target: str
    text: str
    lane: str = ""  # whose command this line answers (account, else user@host); "" for scheduled messages
    outgoing_id: int | None = None  # set for outbox messages: given back to the outbox if never confirmed
    on_confirmed: Callable[[], None] | None = None


class SendQueue:
    """Lines waiting to go out, one lane per person, let out round robin at the token bucket's pace:
    a flood from one person delays everyone else by at most one line per turn."""

    def __init__(self, bucket: TokenBucket):
        self.bucket = bucket
        self._lanes: dict[str, deque[OutLine]] = {}  # in turn order: the lane served last moves to the end

    def __len__(self) -> int:
        return sum(map(len, self._lanes.values()))

    def waiting_for(self, lane: str) -> int:
        """Lines still queued in `lane` (answers to one person's commands)."""
        return len(self._lanes.get(lane, ()))

    def extend(self, lines: list[OutLine]) -> None:
        for line in lines:
            self._lanes.setdefault(line.lane, deque()).append(line)

    def give_back(self, lines: list[OutLine]) -> None:
        """Lines taken but not known to have reached the server: first again in their lanes, in order."""
        for line in reversed(lines):
            self._lanes.setdefault(line.lane, deque()).appendleft(line)

    def take(self, ready: Callable[[OutLine], bool] = lambda line: True) -> list[OutLine]:
        """As many lines as the bucket allows, one lane after another; a lane whose next line is not
        `ready` (its channel not joined yet) waits without holding up the others."""
        batch: list[OutLine] = []
        while True:
            lane = next((k for k, q in self._lanes.items() if ready(q[0])), None)
            if lane is None or not self.bucket.take():
                return batch
            q = self._lanes.pop(lane)
            batch.append(q.popleft())
            if q:
                self._lanes[lane] = q  # to the back of the turn order

    def wait(self) -> float:
        """Seconds until the next line may go (infinity when nothing waits)."""
        return self.bucket.wait() if self._lanes else float("inf")

    def drain(self) -> list[OutLine]:
        """Everything not yet taken, queue emptied."""
        lines = [line for q in self._lanes.values() for line in q]
        self._lanes.clear()
        return lines


class Pager:
    """Channel manners: a reply longer than `limit` lines shows `limit - 1` of them and a line offering the
    rest, which `!more` pages through (per channel; private replies are never cut)."""

    def __init__(self, limit: int = 8):
        self.limit = max(2, limit)
        self._rest: dict[str, list[str]] = {}  # channel key -> lines not yet shown

    def first_page(self, key: str, lines: list[str]) -> list[str]:
        if len(lines) <= self.limit:
            return lines
        return self._page(key, lines)

    def next_page(self, key: str) -> list[str]:
        lines = self._rest.pop(key, None)
        if not lines:
            return ["nothing more to show"]
        return lines if len(lines) <= self.limit else self._page(key, lines)

    def _page(self, key: str, lines: list[str]) -> list[str]:
        shown, rest = lines[: self.limit - 1], lines[self.limit - 1 :]
        self._rest[key] = rest
        return shown + [f"({len(rest)} more lines: say !more)"]
