"""Commands as data: each handler is a plain function (ctx, rest) -> Reply | list[Reply].

`@command(...)` only records the command's metadata on its function; a Registry is built
from an explicit list of modules (bot/commands/catalog.py) and refuses a name used twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..grammar import UsageError, first_word


@dataclass(frozen=True)
class Command:
    name: str          # "goal add", "learning", "kpi" ...
    fn: Callable
    usage: str
    summary: str
    keys: tuple = ()   # the option keys this command knows
    slow: bool = False  # builds a whole document: Slack answers it after the ack, not in it


def command(name: str, usage: str, summary: str, keys: tuple = (), slow: bool = False):
    def mark(fn):
        fn.commands = getattr(fn, "commands", ()) + (Command(name, fn, usage, summary, keys, slow),)
        return fn

    return mark


class Registry:
    """Every command of the given modules; each module's GROUPS maps a top word to its group usage."""

    def __init__(self, modules: Iterable):
        self.commands: dict[str, Command] = {}
        self.groups: dict[str, str] = {}
        for module in modules:
            for value in vars(module).values():
                for cmd in getattr(value, "commands", ()) if callable(value) else ():
                    if cmd.name in self.commands and self.commands[cmd.name] is not cmd:
                        raise ValueError(f"command {cmd.name!r} registered twice")
                    self.commands[cmd.name] = cmd
            self.groups.update(getattr(module, "GROUPS", {}))
        self.top_words = tuple(sorted({n.split()[0] for n in self.commands} | set(self.groups)))

    def resolve(self, text: str) -> tuple[Command, str]:
        """'goal add X' -> (the goal add command, 'X'); UsageError for unknown commands."""
        top, rest = first_word(text)
        top = top.lower()
        if not top:
            raise UsageError("empty command: say what to do", "help [<command>]  (try: help)")
        sub, subrest = first_word(rest)
        two = f"{top} {sub.lower()}"
        if sub and two in self.commands:
            return self.commands[two], subrest
        if top in self.commands:
            return self.commands[top], rest
        if top in self.groups:
            if not sub:
                raise UsageError(f"{top} needs a subcommand", self.groups[top])
            raise UsageError(f"{top} has no subcommand {sub[:40]!r}", self.groups[top])
        raise UsageError(f"unknown command {top[:40]!r}",
                         "help [<command>]  (commands: " + ", ".join(self.top_words) + ")")

    def is_slow(self, text: str) -> bool:
        """Whether a command line names a slow command (an unknown one is answered at once)."""
        try:
            return self.resolve(text.lstrip("/!"))[0].slow
        except UsageError:
            return False

    def usage_of(self, name: str) -> str | None:
        if name in self.commands:
            return self.commands[name].usage
        return self.groups.get(name)
