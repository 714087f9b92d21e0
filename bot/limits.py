"""What a name or a text may be: the contract's limits, checked once for commands and import alike."""
from __future__ import annotations

import re

from .grammar import UsageError

NAME_RE = re.compile(r"^[\w.-]{1,64}$")  # letters and digits of any script, '_', '.', '-'
MAX_NAME = 64
MAX_TITLE = 200
MAX_TEXT = 2000


def check_name(value: str, what: str, usage: str) -> str:
    if not value:
        raise UsageError(f"a {what} name is needed", usage)
    if len(value) > MAX_NAME:
        raise UsageError(f"a {what} name is at most {MAX_NAME} characters (this one has {len(value)})", usage)
    if not NAME_RE.match(value):
        raise UsageError(f"a {what} name is letters, digits, '-', '_' and '.' only: {value!r}", usage)
    return value


def check_text(value: str, what: str, limit: int, usage: str) -> str:
    if not value.strip():
        raise UsageError(f"the {what} is empty", usage)
    if len(value) > limit:
        raise UsageError(f"a {what} is at most {limit:,} characters (this one has {len(value):,})", usage)
    return value


def channel_team_name(channel_name: str) -> str:
    """The team of a channel nobody named: the channel's own name, made a valid team name."""
    name = re.sub(r"[^\w.-]+", "-", channel_name.lstrip("#&!+")).strip("-")[:MAX_NAME]
    return name.lower() or "general"

# a KPI value or target: finite and far from float's edge, so sums, differences and charts stay finite
MAX_VALUE = 1e15


def check_value(value: float, what: str, usage: str) -> float:
    if value != value or abs(value) > MAX_VALUE:
        raise UsageError(f"a {what} is a finite number of at most {MAX_VALUE:.0e} in size", usage)
    return value


def is_clean(text: str) -> bool:
    """Text as a command would store it: no control characters, formatting codes or stray surrogates."""
    from .grammar import clean

    return clean(text) == text
