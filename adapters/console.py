"""The local chat: each line on standard input is one message, replies go to standard output."""
from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Callable, TextIO

from bot.model import Actor, Channel, Message

_SPEAKER = re.compile(r"^<([^<>\s]{1,64})>\s?(.*)$")


def console_channel(name: str) -> Channel:
    return Channel(key=f"console:{name}", name=name, platform="console")


def message_for(line: str, user: str, channel: Channel, at: datetime) -> Message:
    """A line `<nick> text` speaks as nick; any other line as the console's user."""
    m = _SPEAKER.match(line)
    if m:
        user, line = m.group(1), m.group(2)
    return Message(text=line, actor=Actor(id=f"console:{user}", name=user), channel=channel, at=at)


def dispatch(bot, msg: Message):
    """A command line goes to the core as a command; while a meeting runs in the channel, a line that is
    no command (`<lila> I heard this was the best one!`) is a line of its log, answered by nothing."""
    text = msg.text.lstrip()
    if text[:1] in ("/", "!", "#") or (text.split(None, 1) or [''])[0].lower() in bot.top_words:
        return bot.handle(msg)
    if not msg.channel.private and bot.listening(msg.channel.key, text):
        return bot.hear(msg)
    return bot.handle(msg)


def run(bot, channel_name: str, user: str, clock: Callable[[], datetime],
        stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    channel = console_channel(channel_name)
    if hasattr(stdin, "reconfigure"):  # bytes that are not UTF-8 reach the core (as U+FFFD), never a crash;
        stdin.reconfigure(errors="surrogateescape", newline=None)  # CR, LF and CRLF each end a line
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        _history()
        print(f"Goalkeeper console: you are {user} in {channel_name}. Try: help   (Ctrl-D quits)", file=stdout)
    while True:
        try:
            line = input("> ") if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            if interactive:
                print(file=stdout)
            return 0
        if not interactive and line == "":
            return 0
        line = line.rstrip("\r\n").lstrip("\ufeff")  # a byte-order mark is no part of a command
        if not line.strip():
            continue
        for reply in dispatch(bot, message_for(line, user, channel, clock())):
            print(reply.text, file=stdout, flush=True)


def _history() -> None:
    """Line editing at the prompt, and the history kept between sessions."""
    try:
        import atexit
        import os
        import readline
    except ImportError:
        return
    path = os.path.join(os.path.expanduser("~"), ".goalkeeper_history")
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)
    atexit.register(lambda: _save_history(readline, path))


def _save_history(readline, path: str) -> None:
    try:
        readline.write_history_file(path)
    except OSError:
        pass


def deliver(bot, now: datetime, stdout: TextIO = sys.stdout, worker: str = "tick") -> int:
    """Print every queued console message under a line `[#channel]` (a check-in under `[@owner]`), then mark
    it delivered."""
    n = 0
    claimed = bot.claim_outgoing("console", now, worker, limit=10_000)
    for i, out in enumerate(claimed):
        owner = out.extra.get("owner_name")
        name = f"@{owner}" if owner else out.channel_key.split(":", 1)[1]
        try:
            print(f"[{name}]\n{out.text}", file=stdout, flush=True)
        except OSError:  # standard output closed (`| head -1`): what was not printed is given back, queued
            for rest in claimed[i:]:
                bot.release(rest.id)
            raise
        bot.mark_delivered(out.id, now)
        n += 1
    return n

