"""The command registry: each handler is a plain function (ctx, rest) -> Reply | list[Reply].

Registration only records metadata; a duplicate name is an error at import.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..grammar import UsageError, first_word


@dataclass(frozen=True)
class Command:
    name: str          # "goal add", "learning", "kpi" ...
    fn: Callable
    usage: str
    summary: str
    keys: tuple = ()   # the option keys this command knows
    mutates: bool = False


REGISTRY: dict[str, Command] = {}
GROUPS: dict[str, str] = {}  # top word -> usage of the group


def command(name: str, usage: str, summary: str, keys: tuple = (), mutates: bool = False):
    def register(fn):
        if name in REGISTRY:
            raise ValueError(f"command {name!r} registered twice")
        REGISTRY[name] = Command(name, fn, usage, summary, keys, mutates)
        return fn

    return register


def group(top: str, usage: str) -> None:
    GROUPS[top] = usage


def resolve(text: str) -> tuple[Command, str]:
    """'goal add X' -> (the goal add command, 'X'); UsageError for unknown commands."""
    top, rest = first_word(text)
    top = top.lower()
    if not top:
        raise UsageError("empty command: say what to do", "help [<command>]  (try: help)")
    sub, subrest = first_word(rest)
    two = f"{top} {sub.lower()}"
    if sub and two in REGISTRY:
        return REGISTRY[two], subrest
    if top in REGISTRY:
        return REGISTRY[top], rest
    if top in GROUPS:
        if not sub:
            raise UsageError(f"{top} needs a subcommand", GROUPS[top])
        raise UsageError(f"{top} has no subcommand {sub[:40]!r}", GROUPS[top])
    raise UsageError(f"unknown command {top[:40]!r}", "help [<command>]  (commands: " + ", ".join(TOP_WORDS) + ")")


def usage_of(name: str) -> str | None:
    if name in REGISTRY:
        return REGISTRY[name].usage
    return GROUPS.get(name)


from . import goal, learning, kpi, team, reports, help  # noqa: E402,F401  (registration)

TOP_WORDS = sorted({n.split()[0] for n in REGISTRY} | set(GROUPS))
