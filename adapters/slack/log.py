"""The Slack adapter's log: one line per problem on the `goalkeeper.slack` logger, never a traceback."""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("goalkeeper.slack")


def log_problem(where: str, exc: BaseException) -> None:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:500]
    log.error("goalkeeper slack: %s: %s", where, text)


class RateLimitedLog:
    """At most `per_second` lines a second for one kind of noise (junk requests); the rest are counted
    and the count said in the next line, so a flood cannot fill the disk."""

    def __init__(self, per_second: float = 2.0, monotonic=time.monotonic):
        self.interval = 1.0 / per_second
        self._monotonic = monotonic
        self._next = 0.0
        self._dropped = 0
        self._lock = threading.Lock()

    def warning(self, line: str) -> bool:
        with self._lock:
            now = self._monotonic()
            if now < self._next:
                self._dropped += 1
                return False
            self._next = now + self.interval
            dropped, self._dropped = self._dropped, 0
        log.warning("goalkeeper slack: %s%s", line, f" ({dropped} more not logged)" if dropped else "")
        return True
