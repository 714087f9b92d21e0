"""`goalkeeper irc`: the core served on an IRC network.

config (IRC_* variables); session (the connection kept up: connecting, nick, joins, keepalive, reconnect),
caps (CAP and SASL); roster (who is logged in to which account); lines (cleaning, 512-byte lines, pacing in
turns, paging); delivery (what goes out, and what counts as sent); adapter (events -> Messages -> the core).
"""
from __future__ import annotations

import signal
import threading
from typing import Mapping

from .adapter import IrcAdapter
from .config import IrcConfig
from .delivery import BUSY_REPLY

__all__ = ["BUSY_REPLY", "IrcAdapter", "IrcConfig", "serve"]


def serve(env: Mapping[str, str], bot, clock=None) -> None:
    """`goalkeeper irc`: connect, join IRC_CHANNELS, serve until SIGTERM/SIGINT."""
    adapter = IrcAdapter(IrcConfig.from_env(env), bot, clock)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: adapter.stop())
    adapter.run()
