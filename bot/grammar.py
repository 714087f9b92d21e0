"""Text -> (positional text, {key: value}) with the contract's option rules.

An option `key:value` runs until the next known key; only the keys a command knows
are keys, so a title may hold `http://x` or `10:30`. Double quotes group words and
are removed; a key inside quotes is text.
"""
from __future__ import annotations

import re
from functools import lru_cache


class UsageError(Exception):
    """A refused command: `str()` says what was wrong; `usage` is the command's usage line."""

    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.usage = usage


# IRC formatting/colour codes and CTCP; colour codes carry up to two numbers
_IRC_COLOUR = re.compile(r"\x03(?:\d{1,2}(?:,\d{1,2})?)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(text: str) -> str:
    """Remove control characters (NUL, CR, LF, tab, CTCP, IRC formatting and colour codes); keep the rest
    exactly. Bytes that were not UTF-8 (surrogates from a lenient decoder) become U+FFFD."""
    if _SURROGATE.search(text):
        try:  # bytes a lenient decoder escaped: one U+FFFD each
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # lone surrogates from elsewhere (JSON "\ud800")
            raw = text.encode("utf-8", "surrogatepass")
        text = raw.decode("utf-8", "replace")
    return _CONTROL.sub("", _IRC_COLOUR.sub("", text))


# keys whose value is one word unless quoted: options may come first or between words
ONE_WORD_KEYS = frozenset({"team", "owner", "quarter", "kind", "status", "shared", "tz", "unit", "target", "better",
                           "size"})
MAX_DATE_WORDS = 8  # the longest leading phrase of a `due:` tried as a date


def split_options(text: str, keys: tuple[str, ...], is_date=None) -> tuple[str, dict[str, str]]:
    """Split `text` into its positional part and its `key:value` options.

    A value runs until the next known key; a one-word key (ONE_WORD_KEYS) takes one word (or one quoted
    phrase), and a `due:` whose whole run does not read as a date (`is_date`) takes the longest leading
    phrase that does. The words left over, wherever they stood, are the positional part.

    >>> split_options("Migrate Gerrit due:end of March owner:greg", ("due", "owner"))
    ('Migrate Gerrit', {'due': 'end of March', 'owner': 'greg'})
    >>> split_options("owner:mark due:Friday Ship it", ("due", "owner"), lambda s: s == "Friday")
    ('Ship it', {'owner': 'mark', 'due': 'Friday'})
    """
    if not keys:
        return _unquote(text.strip()), {}
    pattern = _key_pattern(keys)
    # positions of keys outside double quotes
    spans = []
    quoted = _quoted_ranges(text)
    for m in pattern.finditer(text):
        if not any(a <= m.start() < b for a, b in quoted):
            spans.append(m)
    if not spans:
        return _unquote(text.strip()), {}
    left = [text[: spans[0].start()].strip()]
    options: dict[str, str] = {}
    for i, m in enumerate(spans):
        end = spans[i + 1].start() if i + 1 < len(spans) else len(text)
        key = m.group(1).lower()
        if key in options:
            raise UsageError(f"{key}: is given twice")
        value, rest = _value(key, text[m.end() : end].strip(), is_date)
        options[key] = _unquote(value)
        left.append(rest)
    positional = " ".join(p for p in left if p)
    return _unquote(positional) if len(left[0]) == len(positional) else positional, options


def _value(key: str, run: str, is_date) -> tuple[str, str]:
    """(the value, the words after it that are not the key's) of one key's run."""
    if run[:1] in '"\u201c':
        close = next((i for i in range(1, len(run)) if run[i] in '"\u201d'), None)
        if close is not None:
            return run[: close + 1], run[close + 1 :].strip()
    if key in ONE_WORD_KEYS:
        parts = run.split(None, 1)
        return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
    if key == "due" and is_date is not None and " " in run and not is_date(run):
        words = run.split()
        for n in range(min(len(words) - 1, MAX_DATE_WORDS), 0, -1):
            head = " ".join(words[:n])
            if is_date(head):
                return head, " ".join(words[n:])
    return run, ""


@lru_cache(maxsize=64)
def _key_pattern(keys: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"(?:(?<=\s)|^)(" + "|".join(re.escape(k) for k in keys) + r"):", re.I)


def _quoted_ranges(text: str) -> list[tuple[int, int]]:
    out = []
    start = None
    for i, ch in enumerate(text):
        if ch in '"\u201c\u201d':
            if start is None:
                start = i
            else:
                out.append((start, i))
                start = None
    return out


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] in '"\u201c' and s[-1] in '"\u201d':
        return s[1:-1].strip()
    return s


def no_words(extra: str, what: str, usage: str) -> None:
    """Refuse free words where a command takes only options (`what` says which)."""
    if extra.strip():
        raise UsageError(f"{what}, not {extra.strip()[:40]!r}", usage)


def first_word(text: str) -> tuple[str, str]:
    """('goal', 'add x y') from 'goal add x y'."""
    parts = text.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def parse_id(token: str, usage: str) -> int:
    """A goal id: `12` or `#12`, a small positive integer."""
    t = token.strip()
    if t.startswith("#"):
        t = t[1:]
    if not t:
        raise UsageError("a goal id is needed (like 12 or #12)", usage)
    if not t.isdigit() or not t.isascii():
        raise UsageError(f"{token!r} is not a goal id (like 12 or #12)", usage)
    if len(t) > 9:
        raise UsageError(f"there is no goal #{t[:12]}{'...' if len(t) > 12 else ''}", usage)
    return int(t)


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?(\D|$)")
_NUMBER = re.compile(r"^([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[-+]?\d+)?)\s*(.*)$", re.I)


def parse_number(text: str) -> tuple[float, str]:
    """'99.979%' -> (99.979, '%'); '6 min' -> (6.0, 'min'); raises ValueError otherwise."""
    text = text.strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    m = _NUMBER.match(text)
    if not m:
        raise ValueError(text)
    value = float(m.group(1).replace(",", "."))
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value, m.group(2).strip()
