"""The HTTP edge: waitress serving Bolt at /slack/events, behind a guard that turns junk away cheaply.

waitress refuses a body over `max_body` from its Content-Length alone (413, nothing read), so a flood
of large unsigned posts cannot grow the process. The guard checks the signature before Bolt parses
anything: unsigned or unparseable requests get 401 / 400 and one rate-limited log line, never a 500
with a traceback.
"""
from __future__ import annotations

import io
import json
import threading
import time
import urllib.parse

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from .config import SlackConfig
from .log import RateLimitedLog

MAX_BODY = SlackConfig.max_body


class Guard:
    """WSGI middleware in front of Bolt: signed, parseable Slack requests pass, the rest stop here."""

    def __init__(self, handler, signing_secret: str, max_body: int = MAX_BODY):
        self.handler = handler
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.max_body = max_body
        self.noise = RateLimitedLog()
        self._seen: dict[str, int] = {}  # signature -> its timestamp, for the 5 minutes it is valid
        self._seen_lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or self.verifier is None:
            return self.handler(environ, start_response)
        raw_length = environ.get("CONTENT_LENGTH") or "0"
        if not raw_length.isdigit() or int(raw_length) > self.max_body:
            return self._refuse(start_response, 413, f"refused a request of {raw_length[:20]!r} bytes")
        body = environ["wsgi.input"].read(int(raw_length))
        ts = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        sig = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (ts.isdigit() and sig and self._signed(body, ts, sig)):
            return self._refuse(start_response, 401, "refused an unsigned or stale request", {"error": "invalid request"})
        if not _parseable(body, environ.get("CONTENT_TYPE", "")):
            return self._refuse(start_response, 400, "refused a signed request whose body is not Slack's")
        if body.startswith(b"payload=") and self._replayed(sig, int(ts)):  # interactions: Slack never resends one
            return self._refuse(start_response, 401, "refused a replayed request", {"error": "invalid request"})
        environ["wsgi.input"] = io.BytesIO(body)
        return self.handler(environ, start_response)

    def _replayed(self, sig: str, ts: int) -> bool:
        """A signed interaction seen before, byte for byte: someone replaying what they caught."""
        now = int(time.time())
        with self._seen_lock:
            if sig in self._seen:
                return True
            if len(self._seen) > 10_000:  # forget what has gone stale anyway: the 5-minute window refuses it
                self._seen = {s: t for s, t in self._seen.items() if t > now - 300}
            self._seen[sig] = ts
        return False

    def _signed(self, body: bytes, ts: str, sig: str) -> bool:
        try:
            return self.verifier.is_valid(body=body, timestamp=ts, signature=sig)
        except Exception:  # a body that is not UTF-8
            return False

    def _refuse(self, start_response, status: int, line: str, answer: dict | None = None):
        self.noise.warning(f"HTTP {status}: {line}")
        data = json.dumps(answer or {"error": "bad request"}).encode()
        reason = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


def _parseable(body: bytes, content_type: str) -> bool:
    """A JSON object (events), or a form whose `payload`, if any, is a JSON object (interactions)."""
    try:
        text = body.decode("utf-8")
        if "json" in content_type:
            return isinstance(json.loads(text), dict)
        form = urllib.parse.parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
        if "payload" in form:
            return isinstance(json.loads(form["payload"][0]), dict)
        return bool(form)
    except (ValueError, UnicodeDecodeError):
        return False


class HttpServer:
    """waitress serving Bolt at /slack/events, stoppable from another thread: requests in flight are
    answered, then the loop thread itself closes the sockets (closing them under its select() breaks it)."""

    def __init__(self, app: App, signing_secret: str, host: str = "0.0.0.0", port: int = 3000, threads: int = 8,
                 max_body: int = MAX_BODY):
        from waitress.server import create_server

        self.server = create_server(Guard(SlackRequestHandler(app), signing_secret, max_body), host=host, port=port,
                                    threads=threads, max_request_body_size=max_body)
        self.port = self.server.effective_port
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    def start(self) -> "HttpServer":
        self._thread = threading.Thread(target=self.server.run, name="goalkeeper-slack-http", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        srv = self.server
        srv.task_dispatcher.shutdown(timeout=timeout / 2)  # requests in flight finish
        deadline = time.monotonic() + 2.0
        try:
            srv.trigger.pull_trigger(lambda: self._close_when_flushed(deadline))  # runs in the loop thread
        except OSError:  # the loop's wake-up pipe is already gone: nothing can wake it, so close from here
            self._close_all()
        if self._thread:
            self._thread.join(timeout / 2)

    def _close_when_flushed(self, deadline: float) -> None:
        """In waitress's loop thread: once what finished requests wrote is sent, close every socket;
        an empty socket map ends the loop."""
        srv = self.server
        busy = [ch for ch in list(srv.active_channels.values()) if ch.total_outbufs_len]
        if busy and time.monotonic() < deadline:
            threading.Timer(0.05, self._wake, args=(deadline,)).start()
            return
        self._close_all()

    def _wake(self, deadline: float) -> None:
        try:
            self.server.trigger.pull_trigger(lambda: self._close_when_flushed(deadline))
        except OSError:  # as in stop(): the loop cannot be woken any more
            self._close_all()

    def _close_all(self) -> None:
        srv = self.server
        for ch in list(srv.active_channels.values()):
            ch.close()
        try:
            srv.close()
        except OSError:  # its wake-up pipe was closed already
            pass


def make_http_server(app: App, signing_secret: str, host: str = "0.0.0.0", port: int = 3000,
                     threads: int = 8) -> HttpServer:
    """waitress serving Bolt at /slack/events: `.start()` runs it in a thread, `.stop()` drains and closes it."""
    return HttpServer(app, signing_secret, host, port, threads)
