"""Posting to Slack channels at Slack's pace, and the scheduled-delivery loop.

chat.postMessage takes about one message per second per channel; over that Slack answers 429.
The client retries 429s (RateLimitErrorRetryHandler), and the pacer keeps us from causing them:
a digest to forty channels goes out at once, forty messages to one channel take forty seconds.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from .slack_blocks import to_messages


def log_problem(where: str, exc: BaseException) -> None:
    """One line on stderr: where it happened and what it was (never a traceback in chat)."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:500]
    print(f"goalkeeper slack: {where}: {text}", file=sys.stderr, flush=True)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ChannelPacer:
    """At most one post per `interval` seconds to each channel; other channels are not held up."""

    def __init__(self, interval: float = 1.0, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> float:
        """Wait for this channel's next slot; returns how long we waited."""
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next.get(channel, 0.0))
            self._next[channel] = slot + self.interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


def post_messages(client, pacer: ChannelPacer, channel: str, messages: list[dict], *, thread_ts: str | None = None,
                  user: str | None = None) -> str | None:
    """Post messages in order; with `user`, as ephemeral messages to that user alone. Continuations
    thread under the first message (or stay in `thread_ts`). Returns the first message's ts.
    Raises slack_sdk's SlackApiError when Slack refuses one."""
    first_ts = None
    for m in messages:
        if user:
            client.chat_postEphemeral(channel=channel, user=user, text=m["text"], blocks=m["blocks"],
                                      thread_ts=thread_ts)
            continue
        pacer.wait(channel)
        resp = client.chat_postMessage(channel=channel, text=m["text"], blocks=m["blocks"],
                                       thread_ts=thread_ts or first_ts, unfurl_links=False, unfurl_media=False)
        first_ts = first_ts or resp.get("ts")
    return first_ts


def channel_id(channel_key: str) -> str:
    """`slack:<team>:<channel>` -> `<channel>`."""
    parts = channel_key.split(":", 2)
    if len(parts) != 3 or parts[0] != "slack" or not parts[2]:
        raise ValueError(f"not a Slack channel key: {channel_key!r}")
    return parts[2]


class OutboxWorker:
    """Every `interval` seconds: queue what is due (`bot.tick`), then deliver this platform's outbox.
    An item is marked delivered only after Slack said ok; a failed one stays for a later pass."""

    def __init__(self, bot, client, pacer: ChannelPacer, clock: Callable[[], datetime] = utc_now,
                 interval: float = 10.0, worker_id: str | None = None):
        self.bot = bot
        self.client = client
        self.pacer = pacer
        self.clock = clock
        self.interval = interval
        self.worker_id = worker_id or f"slack-{socket.gethostname()}-{os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass; returns how many messages were delivered."""
        try:
            self.bot.tick(self.clock())
        except Exception as e:  # a failing tick must not stop delivery of what is already queued
            log_problem("tick", e)
        delivered = 0
        for item in self.bot.claim_outgoing("slack", self.clock(), self.worker_id):
            try:
                post_messages(self.client, self.pacer, channel_id(item.channel_key), to_messages(item.text))
                self.bot.mark_delivered(item.id, self.clock())
                delivered += 1
            except Exception as e:
                log_problem(f"delivering outbox #{item.id} to {item.channel_key}", e)
            if self._stop.is_set():
                break
        return delivered

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as e:
                log_problem("outbox", e)
            self._stop.wait(self.interval)

    def start(self) -> "OutboxWorker":
        self._thread = threading.Thread(target=self._loop, name="goalkeeper-slack-outbox", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
