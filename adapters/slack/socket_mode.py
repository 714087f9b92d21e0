"""Socket Mode: Slack's envelopes over one WebSocket, on the `websockets` client, fed to the Bolt app.

slack_sdk's built-in client spins at 100% CPU and never reconnects when the TCP connection drops
without a close frame. Here websockets' keepalive (a ping every `ping_seconds`, the connection
given up when no pong comes within as long) and its EOF handling end the connection in either case,
and the loop opens a new one (apps.connections.open) with a growing pause between failures.
Each envelope_id is taken once (in the store), so a redelivered envelope is acked and not re-run.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable

from slack_bolt import App
from slack_bolt.request import BoltRequest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from adapters.bootstrap import utc_now
from bot.ports import StoreError

from .app import worker_id
from .log import log, log_problem

ENVELOPE_WAIT = 0.8  # seconds the envelope_id check may wait on a lock (the ack is due within 3)
MAX_FRAME = 1 << 20


class SocketModeRunner:
    def __init__(self, app: App, bot, app_token: str, ping_seconds: float = 10.0,
                 clock: Callable[[], datetime] | None = None):
        self.app = app
        self.bot = bot
        self.app_token = app_token
        self.ping_seconds = ping_seconds
        self.clock = clock or utc_now
        self.connections = 0
        self.worker = worker_id()
        self._stop = threading.Event()
        self._ws = None
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="goalkeeper-socket")

    def connect(self) -> "SocketModeRunner":
        self._thread = threading.Thread(target=self._run, name="goalkeeper-socket-mode", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 2.0) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.close()
        if self._thread:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False)

    def _run(self) -> None:
        pause = 0.0
        while not self._stop.is_set():
            if pause:
                self._stop.wait(pause)
            try:
                url = self.app.client.apps_connections_open(app_token=self.app_token)["url"]
                with connect(url, proxy=None, open_timeout=10, ping_interval=self.ping_seconds,
                             ping_timeout=self.ping_seconds, close_timeout=min(2.0, self.ping_seconds),
                             max_size=MAX_FRAME) as ws:
                    self._ws = ws
                    self.connections += 1
                    pause = 0.0
                    for frame in ws:
                        self._frame(ws, frame)
            except ConnectionClosed as e:
                if not self._stop.is_set():
                    log.warning("goalkeeper slack: Socket Mode connection lost (%s); reconnecting", e)
                pause = min(max(pause * 2, 0.5), 30.0)
            except Exception as e:
                if not self._stop.is_set():
                    log_problem("Socket Mode", e)
                pause = min(max(pause * 2, 0.5), 30.0)
            finally:
                self._ws = None

    def _frame(self, ws, frame) -> None:
        try:
            data = json.loads(frame)
        except ValueError:
            log.warning("goalkeeper slack: Socket Mode frame that is not JSON ignored")
            return
        if not isinstance(data, dict):
            return
        if data.get("type") == "disconnect":  # Slack asks for a new connection
            ws.close()
            return
        if data.get("envelope_id"):
            self._pool.submit(self._envelope, ws, data)

    def _envelope(self, ws, env: dict) -> None:
        envelope_id = env["envelope_id"]
        key = f"envelope:{envelope_id}"
        try:
            if self.bot.delivery_recorded(key):
                self._send(ws, {"envelope_id": envelope_id})  # taken before: ack, do not run again
                return
            headers = {}
            if env.get("retry_attempt") is not None:
                headers["x-slack-retry-num"] = str(env["retry_attempt"])
            if env.get("retry_reason") is not None:
                headers["x-slack-retry-reason"] = env["retry_reason"]
            resp = self.app.dispatch(BoltRequest(body=env.get("payload") or {}, mode="socket_mode",
                                                 headers=headers or None))
        except StoreError as e:  # no ack: Slack delivers the envelope again
            log_problem(f"envelope {envelope_id}", e)
            return
        except Exception as e:
            log_problem(f"envelope {envelope_id}", e)
            return
        if resp.status != 200:
            log.warning("goalkeeper slack: envelope %s not acked (HTTP %s)", envelope_id, resp.status)
            return
        try:  # after the work is recorded or done: a redelivery of this envelope is acked and skipped
            with self.bot.bounded_wait(ENVELOPE_WAIT):
                self.bot.record_delivery(key, "envelope", "{}", self.worker, self.clock(), applied=True)
        except StoreError as e:  # the event_id / trigger_id inside still dedupes a redelivery
            log_problem(f"recording {key}", e)
        ack: dict = {"envelope_id": envelope_id}
        if resp.body:
            ctype = (resp.headers.get("content-type") or [""])[0]
            ack["payload"] = json.loads(resp.body) if ctype.startswith("application/json") else {"text": resp.body}
        self._send(ws, ack)

    def _send(self, ws, frame: dict) -> None:
        try:
            ws.send(json.dumps(frame))
        except Exception as e:  # the connection went: Slack redelivers what was not acked
            log_problem("Socket Mode ack", e)
