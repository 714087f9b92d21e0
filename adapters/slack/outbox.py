"""Posting to Slack channels at Slack's pace, and the scheduled-delivery loop.

chat.postMessage takes about one message per second per channel; over that Slack answers 429.
The client retries 429s (RateLimitErrorRetryHandler), and the pacer keeps us from causing them:
a digest to forty channels goes out at once, forty messages to one channel take forty seconds.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from datetime import datetime
from typing import Callable

from adapters.bootstrap import utc_now

from .blocks import to_messages
from .log import log_problem

MARKER = "goalkeeper_post"  # the message metadata event_type that names an outbox row and part


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
                  user: str | None = None, marker: int | None = None, posted: dict | None = None) -> str | None:
    """Post messages in order; with `user`, as ephemeral messages to that user alone. Continuations
    thread under the first message (or stay in `thread_ts`). Returns the first message's ts.
    `marker` (an outbox id) goes into each message's metadata with its part number, and parts in
    `posted` (part -> ts, found in the channel's history) are not posted again.
    Raises slack_sdk's SlackApiError when Slack refuses one, TimeoutError when it does not answer."""
    posted = posted or {}
    first_ts = posted.get(0)
    for part, m in enumerate(messages):
        if part in posted:
            continue
        if user:
            client.chat_postEphemeral(channel=channel, user=user, text=m["text"], blocks=m["blocks"],
                                      thread_ts=thread_ts)
            continue
        pacer.wait(channel)
        extra = {}
        if marker is not None:
            extra["metadata"] = {"event_type": MARKER, "event_payload": {"outbox_id": marker, "part": part}}
        resp = client.chat_postMessage(channel=channel, text=m["text"], blocks=m["blocks"],
                                       thread_ts=thread_ts or first_ts, unfurl_links=False, unfurl_media=False,
                                       **extra)
        first_ts = first_ts or resp.get("ts")
    return first_ts


def already_posted(client, channel: str, outbox_id: int, oldest: float) -> dict[int, str]:
    """Parts of an outbox message Slack already has (a post that timed out may have arrived): part -> ts,
    found by their metadata marker in the channel's history (and the first part's thread)."""
    found: dict[int, str] = {}

    def scan(messages):
        for msg in messages or []:
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == MARKER and payload.get("outbox_id") == outbox_id:
                found[int(payload.get("part", 0))] = msg.get("ts")

    resp = client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200)
    scan(resp.get("messages"))
    if 0 in found:
        replies = client.conversations_replies(channel=channel, ts=found[0], include_all_metadata=True, limit=200)
        scan(replies.get("messages"))
    return found


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
                 interval: float = 10.0, worker_id: str | None = None, after: Callable[[], object] | None = None):
        self.bot = bot
        self.client = client
        self.pacer = pacer
        self.clock = clock
        self.interval = interval
        self.worker_id = worker_id or f"slack-{socket.gethostname()}-{os.getpid()}"
        self.after = after  # run after each pass (the Home tabs' refresh)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass; returns how many messages were delivered. A post that times out ends the pass (Slack
        is not answering: the rest wait for the next one), and a post that was attempted before is looked
        for in the channel's history before it is sent again, so a slot is delivered once."""
        try:
            self.bot.tick(self.clock())
        except Exception as e:  # a failing tick must not stop delivery of what is already queued
            log_problem("tick", e)
        delivered = 0
        items = self.bot.claim_outgoing("slack", self.clock(), self.worker_id)
        for n, item in enumerate(items):
            try:
                self._deliver(item)
                self.bot.mark_delivered(item.id, self.clock())
                delivered += 1
            except TimeoutError as e:
                log_problem(f"delivering outbox #{item.id} to {item.channel_key} (Slack did not answer; "
                            f"it and {len(items) - n - 1} more wait for the next pass)", e)
                for rest in items[n:]:
                    self.bot.release(rest.id)
                break
            except Exception as e:
                log_problem(f"delivering outbox #{item.id} to {item.channel_key}", e)
            if self._stop.is_set():
                break
        if self.after:
            try:
                self.after()
            except Exception as e:
                log_problem("after the outbox pass", e)
        return delivered

    def _deliver(self, item) -> None:
        channel = channel_id(item.channel_key)
        checkin = item.kind == "checkin" and bool(item.extra.get("owner"))
        if checkin:  # a check-in goes to its owner alone, in a direct message
            channel = self.client.conversations_open(users=item.extra["owner"].rsplit(":", 1)[-1])["channel"]["id"]
        posted = {}
        if not self.bot.record_post_attempt(item.id, self.clock()):
            # attempted before: it may be in the channel already (a timeout, a crash before it was marked)
            oldest = self.clock().timestamp() - 7 * 86400
            posted = already_posted(self.client, channel, item.id, oldest)
        messages = to_messages(item.text, menus=True, team=item.extra.get("team", ""), notes=checkin)
        post_messages(self.client, self.pacer, channel, messages, marker=item.id, posted=posted)

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
