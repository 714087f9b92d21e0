"""Slack stand-ins: a local Web API that records every call, a Socket Mode endpoint, signed requests.

No Slack server is reachable from tests, so these answer as Slack does (shapes from api.slack.com)
and keep everything they received, so tests assert what Slack would have seen.
"""
from __future__ import annotations

import itertools
import json
import queue
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.fixtures_core import store_env

TEAM_ID = "T0TEST"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"


@dataclass
class Call:
    """One request the stand-in received."""

    method: str  # Web API method (`chat.postMessage`), or `response_url` / `upload`
    path: str
    body: dict
    headers: dict
    at: float = field(default_factory=time.monotonic)
    answer: dict | None = None  # what the stand-in answered (Web API methods)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        api: SlackWebStandIn = self.server.standin  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, payload = api.answer(self.path, dict(self.headers), raw)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the caller died (a test's kill -9) or gave up
            pass

    do_GET = do_POST


def _parse_body(headers: dict, raw: bytes) -> dict:
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if "json" in ctype:
        return json.loads(raw or b"{}")
    if "x-www-form-urlencoded" in ctype:
        return {k: v for k, v in urllib.parse.parse_qsl(raw.decode())}
    return {"raw": raw}


class SlackWebStandIn:
    """Slack's Web API on loopback: `base_url` for WebClient, `response_url(name)` for slash commands."""

    def __init__(self):
        self.calls: list[Call] = []
        self.users: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}
        self.ws_url = ""  # what apps.connections.open hands out (the Socket Mode stand-in sets it)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._ts = itertools.count(1)
        self._limited: list[tuple[str | None, int]] = []  # (method or None for any, Retry-After seconds)
        self._failures: list[tuple[str, str]] = []
        self._server_errors: list[str] = []  # methods answered with HTTP 500, once per entry
        self.views: dict[str, dict] = {}  # user -> the Home view published for them
        self._response_posts: dict[str, int] = {}
        self.delay = 0.0  # seconds every answer waits (a slow Slack)
        self._slow: dict[str, float] = {}  # method -> seconds it answers late, after taking the call
        self.history: dict[str, list[dict]] = {}  # channel -> messages posted there (conversations.history)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.standin = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # -- set-up ---------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"  # trailing slash: WebClient joins the method name

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def rate_limit(self, calls: int = 1, retry_after: int = 1, method: str | None = None) -> None:
        """Answer the next `calls` calls (to `method`, or any) with HTTP 429 and Retry-After."""
        with self._lock:
            self._limited += [(method, retry_after)] * calls

    def fail(self, method: str, error: str, calls: int = 1) -> None:
        """Answer the next `calls` calls to `method` with `{"ok": false, "error": error}`."""
        with self._lock:
            self._failures += [(method, error)] * calls

    def server_error(self, method: str, calls: int = 1) -> None:
        """Answer the next `calls` calls to `method` with HTTP 500 (Slack having a bad moment)."""
        with self._lock:
            self._server_errors += [method] * calls

    def slow(self, method: str, seconds: float) -> None:
        """Take every call to `method` at once (a post reaches the channel) but answer `seconds` late."""
        with self._lock:
            self._slow[method] = seconds

    def reset(self) -> None:
        with self._lock:
            self._slow.clear()
            self.history.clear()
            self.calls.clear()
            self._limited.clear()
            self._failures.clear()
            self._server_errors.clear()
            self.views.clear()
            self._response_posts.clear()
            self.delay = 0.0

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what was received ----------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self) -> list[Call]:
        """Every message that reached Slack, in order: chat.postMessage, chat.postEphemeral, response_url."""
        kinds = ("chat.postMessage", "chat.postEphemeral", "response_url")
        with self._lock:
            return [c for c in self.calls if c.method in kinds]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until at least `count` calls to `method` arrived (or fail after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [c for c in self.calls if c.method == method]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method}: {len(got)} calls after {timeout}s, wanted {count}: {self.calls}")
                self._cond.wait(left)

    # -- answering ------------------------------------------------------
    def answer(self, path: str, headers: dict, raw: bytes):
        if self.delay:
            time.sleep(self.delay)
        route, _, rest = path.lstrip("/").partition("/")
        method = {"api": rest.split("?")[0], "response": "response_url", "upload": "upload"}.get(route, route)
        body = _parse_body(headers, raw)
        if method == "upload":
            body = {"raw": raw}
        with self._cond:
            limited = next((i for i, (m, _) in enumerate(self._limited) if m in (None, method)), None)
            if limited is not None:
                _, retry_after = self._limited.pop(limited)
                self.calls.append(Call("429:" + method, path, body, headers))
                self._cond.notify_all()
                return 429, {"Retry-After": str(retry_after), "Content-Type": "application/json"}, {
                    "ok": False,
                    "error": "ratelimited",
                }
            if method in self._server_errors:
                self._server_errors.remove(method)
                self.calls.append(Call("500:" + method, path, body, headers))
                self._cond.notify_all()
                return 500, {"Content-Type": "application/json"}, {"ok": False, "error": "internal_error"}
            call = Call(method, path, body, headers)
            self.calls.append(call)
            self._cond.notify_all()
            failure = next((i for i, (m, _) in enumerate(self._failures) if m == method), None)
            if failure is not None:
                _, error = self._failures.pop(failure)
                return 200, {"Content-Type": "application/json"}, {"ok": False, "error": error}
            if method == "response_url":
                # Slack takes at most 5 posts per response_url
                n = self._response_posts[path] = self._response_posts.get(path, 0) + 1
                if n > 5:
                    return 404, {"Content-Type": "text/plain"}, b"used_url"
                return 200, {"Content-Type": "text/plain"}, b"ok"
            if method == "upload":
                return 200, {"Content-Type": "text/plain"}, f"OK - {len(raw)}".encode()
            ts = f"{1700000000 + next(self._ts)}.000100"
            late = self._slow.get(method, 0.0)
        call.answer = self._api(method, body, headers, ts)
        if late:
            time.sleep(late)
        return 200, {"Content-Type": "application/json"}, call.answer

    def _api(self, method: str, body: dict, headers: dict, ts: str) -> dict:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if not auth.startswith("Bearer ") and not body.get("token"):
            return {"ok": False, "error": "not_authed"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://goalkeeper-test.slack.com/",
                "team": "Goalkeeper Test",
                "user": "goalkeeper",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            if not body.get("channel"):
                return {"ok": False, "error": "channel_not_found"}
            if not body.get("text") and not body.get("blocks"):
                return {"ok": False, "error": "no_text"}
            if len(body.get("blocks") or []) > 50:
                return {"ok": False, "error": "invalid_blocks"}
            message = {"type": "message", "text": body.get("text", ""), "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            metadata = body.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            with self._lock:
                self.history.setdefault(body["channel"], []).append({**message, "metadata": metadata})
            if metadata:
                message["metadata"] = metadata
            return {"ok": True, "channel": body["channel"], "ts": ts, "message": message}
        if method in ("conversations.history", "conversations.replies"):
            with self._lock:
                posted = list(self.history.get(body.get("channel", ""), []))
            if method == "conversations.replies":
                posted = [m for m in posted if m["ts"] == body.get("ts") or m.get("thread_ts") == body.get("ts")]
            else:
                posted = [m for m in posted if not m.get("thread_ts") and float(m["ts"]) >= float(body.get("oldest") or 0)]
            keep = body.get("include_all_metadata") in (True, "true", "1", 1)
            return {"ok": True, "messages": [{k: v for k, v in m.items() if k != "metadata" or keep} for m in posted]}
        if method == "conversations.open":
            users = body.get("users", "")
            if not users:
                return {"ok": False, "error": "users_list_not_supplied"}
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}
        if method == "chat.update":
            if not body.get("channel") or not body.get("ts"):
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": body["channel"], "ts": body["ts"], "text": body.get("text", "")}
        if method == "views.open":
            if not body.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            view = json.loads(body["view"]) if isinstance(body.get("view"), str) else body.get("view")
            return {"ok": True, "view": {"id": f"V{ts.replace('.', '')}", **(view or {})}}
        if method == "views.publish":
            view = json.loads(body["view"]) if isinstance(body.get("view"), str) else body.get("view")
            if not body.get("user_id") or not view or len(view.get("blocks") or []) > 100:
                return {"ok": False, "error": "invalid_arguments"}
            with self._lock:
                self.views[body["user_id"]] = view
            return {"ok": True, "view": {"id": f"V{ts.replace('.', '')}", **view}}
        if method == "chat.postEphemeral":
            if not body.get("channel") or not body.get("user"):
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "message_ts": ts}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.ws_url} if self.ws_url else {"ok": False, "error": "no_socket"}
        if method == "users.info":
            uid = body.get("user", "")
            user = self.users.get(uid)
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": uid, "team_id": TEAM_ID, **user}}
        if method == "conversations.info":
            cid = body.get("channel", "")
            channel = self.channels.get(cid)
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": cid, **channel}}
        if method == "files.getUploadURLExternal":
            fid = f"F{ts.replace('.', '')}"
            return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files", "[]")) if isinstance(body.get("files"), str) else body.get("files")
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files or []]}
        return {"ok": False, "error": "unknown_method"}


# -- Socket Mode ---------------------------------------------------------------


class SocketModeStandIn:
    """Slack's Socket Mode endpoint: greets with `hello`, pushes envelopes, records the acks it gets."""

    def __init__(self, web: SlackWebStandIn):
        from websockets.sync.server import serve

        self.acks: list[dict] = []
        self.connections = 0
        self._ack_cond = threading.Condition()
        self._outbox: queue.Queue = queue.Queue()
        self._sockets: list = []
        self._server = serve(self._session, "127.0.0.1", 0)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.proxy = _TcpProxy(self.port)  # the network between the app and Slack: it can drop or go deaf
        web.ws_url = f"ws://127.0.0.1:{self.proxy.port}/link/?ticket=test-ticket&app_id=A0TEST"

    def _session(self, ws) -> None:
        self.connections += 1
        self._sockets.append(ws)
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}}))
        # one thread writes what tests queue up, this one reads acks
        sender = threading.Thread(target=self._send_loop, args=(ws,), daemon=True)
        sender.start()
        try:
            for frame in ws:
                data = json.loads(frame)
                data["_at"] = time.monotonic()  # when the ack arrived
                with self._ack_cond:
                    self.acks.append(data)
                    self._ack_cond.notify_all()
        except Exception:
            pass
        finally:
            self._sockets.remove(ws)

    def _send_loop(self, ws) -> None:
        while True:
            frame = self._outbox.get()
            if frame is None:
                return
            try:
                ws.send(json.dumps(frame))
            except Exception:
                self._outbox.put(frame)
                return

    def wait_connected(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._sockets:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode connection")
            time.sleep(0.01)

    def send(self, envelope: dict) -> float:
        """Queue one envelope; returns the monotonic time it was handed over."""
        self._outbox.put(envelope)
        return time.monotonic()

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self._ack_cond:
            while True:
                for a in self.acks:
                    if a.get("envelope_id") == envelope_id:
                        return a
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for {envelope_id}: {self.acks}")
                self._ack_cond.wait(left)

    def drop(self) -> None:
        """Cut every open connection at the TCP level: no close frame, as a dying peer or NAT does."""
        self.proxy.drop()

    def go_deaf(self) -> None:
        """The open connections stop carrying anything (pings unanswered), the sockets stay open."""
        self.proxy.go_deaf()

    def close(self) -> None:
        self._outbox.put(None)
        self.proxy.close()
        self._server.shutdown()


class _TcpProxy:
    """Loopback TCP relay in front of the Socket Mode stand-in."""

    def __init__(self, upstream_port: int):
        import socket

        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: list[dict] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            pair = {"client": client, "upstream": upstream, "deaf": False}
            self.pairs.append(pair)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(pair, a, b), daemon=True).start()

    @staticmethod
    def _pump(pair: dict, src, dst) -> None:
        import socket

        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:  # pass the end on, as a relay does
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if pair["deaf"]:
                continue
            try:
                dst.sendall(data)
            except OSError:
                return

    def drop(self) -> None:
        import socket

        for pair in self.pairs:
            for sock in (pair["client"], pair["upstream"]):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        self.pairs = []

    def go_deaf(self) -> None:
        for pair in self.pairs:
            pair["deaf"] = True

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.drop()


# -- requests as Slack signs them ----------------------------------------------


def signed_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   content_type: str = "") -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


_trigger = itertools.count(1)


def slash_body(
    command: str,
    text: str,
    *,
    response_url: str,
    user_id: str = "U1GREG",
    user_name: str = "greg",
    channel_id: str = "C1RELENG",
    channel_name: str = "releng",
    team_id: str = TEAM_ID,
) -> str:
    """The form body Slack posts for a slash command."""
    n = next(_trigger)
    return urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "goalkeeper-test",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0TEST",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{n}.{n}.trigger",
        }
    )


_event_ids = itertools.count(1)


def event_payload(event: dict, event_id: str | None = None, team_id: str = TEAM_ID) -> dict:
    """An Events API `event_callback` envelope around `event`."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "api_app_id": "A0TEST",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention_event(text: str, user: str = "U1GREG", channel: str = "C1RELENG", ts: str | None = None) -> dict:
    ts = ts or f"{time.time():.6f}"
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }


def dm_event(text: str, user: str = "U1GREG", channel: str = "D1GREG", **extra) -> dict:
    ts = f"{time.time():.6f}"
    return {"type": "message", "channel_type": "im", "user": user, "text": text, "ts": ts, "channel": channel,
            "event_ts": ts, **extra}


_clicks = itertools.count(1)


def find_menu(blocks: list[dict], gid: int) -> dict:
    """The section carrying goal #gid's status menu, found as a person sees it: by the line it sits on."""
    for b in blocks:
        acc = b.get("accessory") or {}
        if acc.get("type") == "static_select" and b["text"]["text"].lstrip().startswith(f"#{gid} "):
            return b
    raise AssertionError(f"no status menu for #{gid} in {blocks}")


def block_action(blocks: list[dict], gid: int, status: str, *, response_url: str, user: str = "U1GREG",
                 user_name: str = "greg", channel: str = "C1RELENG", ts: str = "1700000001.000100",
                 ephemeral: bool = False, team_id: str = TEAM_ID, user_team: str | None = None,
                 container: str = "message", text: str = "") -> dict:
    """The block_actions payload Slack sends when `user` picks `status` in goal #gid's menu among `blocks`."""
    n = next(_clicks)
    if status == "note":  # the "note / learning" button under the goal's line
        button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"].startswith("goal_note:") and e["value"].split("|")[0] == str(gid))
        block_id = next(b["block_id"] for b in blocks if b["type"] == "actions" and button in b["elements"])
        action = {"type": "button", "action_id": button["action_id"], "block_id": block_id, "value": button["value"],
                  "action_ts": f"{time.time():.6f}"}
    else:
        section = find_menu(blocks, gid)
        menu = section["accessory"]
        option = next(o for o in menu["options"] if o["text"]["text"] == status)
        action = {"type": "static_select", "action_id": menu["action_id"], "block_id": section["block_id"],
                  "selected_option": option, "action_ts": f"{time.time():.6f}"}
    payload = {
        "type": "block_actions", "api_app_id": "A0TEST", "token": "legacy-verification-token",
        "team": {"id": team_id, "domain": "goalkeeper-test"},
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": user_team or team_id},
        "trigger_id": f"{n}.{n}.click", "actions": [action], "is_enterprise_install": False,
    }
    if container == "view":
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {"id": "VHOME", "type": "home", "blocks": blocks}
    else:
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": ephemeral}
        payload["channel"] = {"id": channel, "name": "releng"}
        payload["response_url"] = response_url
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": ts, "text": text, "user": BOT_USER_ID, "blocks": blocks}
    return payload


def view_submission(view: dict, values: dict, *, user: str = "U1GREG", user_name: str = "greg",
                    team_id: str = TEAM_ID, user_team: str | None = None) -> dict:
    """The view_submission payload for a modal Goalkeeper opened (`view`, as views.open got it), with the
    person's entries: {block_id: value} (a string, a user id for users_select, a date for datepicker)."""
    n = next(_clicks)
    state = {}
    for b in view["blocks"]:
        if b["type"] != "input" or b["block_id"] not in values:
            continue
        el, v = b["element"], values[b["block_id"]]
        kind = el["type"]
        if kind == "users_select":
            entry = {"type": kind, "selected_user": v}
        elif kind == "datepicker":
            entry = {"type": kind, "selected_date": v}
        elif kind == "static_select":
            option = next(o for o in el["options"] if o["value"] == v)
            entry = {"type": kind, "selected_option": option}
        else:
            entry = {"type": kind, "value": v}
        state[b["block_id"]] = {el["action_id"]: entry}
    return {
        "type": "view_submission", "api_app_id": "A0TEST", "token": "legacy-verification-token",
        "team": {"id": team_id, "domain": "goalkeeper-test"},
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": user_team or team_id},
        "trigger_id": f"{n}.{n}.submit", "is_enterprise_install": False,
        "view": {**view, "id": f"V{n}", "team_id": team_id, "state": {"values": state}, "hash": f"h{n}"},
    }


class BoltOverHttp:
    """The app's waitress server run in a thread on loopback, with a client that signs as Slack does."""

    def __init__(self, server, secret: str = SIGNING_SECRET):
        self.secret = secret
        self.server = server.start()  # adapters.slack.make_http_server(app, secret, host="127.0.0.1", port=0)
        self.url = f"http://127.0.0.1:{server.port}/slack/events"

    def post(self, body: str, headers: dict | None = None, sign: bool = True, timestamp: int | None = None,
             content_type: str = "application/x-www-form-urlencoded"):
        """POST `body`; returns (status, parsed body or text, seconds taken)."""
        hdrs = {"Content-Type": content_type}
        if sign:
            hdrs.update(signed_headers(body, self.secret, timestamp))
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url, data=body.encode(), headers=hdrs, method="POST")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        took = time.perf_counter() - start
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode()
        return status, parsed, took

    def command(self, command: str, text: str, response_url: str, **kw):
        return self.post(slash_body(command, text, response_url=response_url, **kw))

    def event(self, payload: dict, headers: dict | None = None):
        return self.post(json.dumps(payload), headers=headers, content_type="application/json")

    def interact(self, payload: dict, **kw):
        """An interaction (block_actions, view_submission) as Slack posts it: a form with one `payload` field."""
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), **kw)

    def close(self) -> None:
        self.server.stop()


@pytest.fixture(scope="session")
def slack_web():
    """One stand-in Web API for the session; `reset()` between tests (the `slack_api` fixture does)."""
    api = SlackWebStandIn()
    yield api
    api.close()


@pytest.fixture
def slack_api(slack_web):
    slack_web.reset()
    slack_web.users.clear()
    slack_web.channels.clear()
    yield slack_web
    slack_web.reset()


@pytest.fixture
def slack_socket(slack_web):
    sock = SocketModeStandIn(slack_web)
    yield sock
    sock.close()
    slack_web.ws_url = ""


# -- the real app on the real core ---------------------------------------------

NOW = "2016-01-04T10:00:00+00:00"  # a Monday in FY2016Q3 (fiscal year from July), as in the contract


class SlackRig:
    """The real core on a real SQLite file, behind a real Bolt app served over HTTP, talking to the stand-in."""

    def __init__(self, db_path: str, api: SlackWebStandIn, env: dict | None = None, now: str = NOW,
                 http: bool = True):
        from datetime import datetime

        self.api = api
        self.env = {
            **store_env(db_path),
            "GOALKEEPER_FISCAL_YEAR_START": "7",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "GOALKEEPER_SLACK_API_URL": api.base_url,
            "GOALKEEPER_SLACK_PACE_SECONDS": "0.05",
            **(env or {}),
        }
        self.now = datetime.fromisoformat(now)
        self.http = None
        self.serve_http = http
        self.start()

    def start(self) -> None:
        from adapters.bootstrap import bootstrap
        from adapters.slack import build_app, make_http_server

        app = bootstrap(self.env)
        self.config, self.store, self.bot = app.config, app.store, app.core
        self.app = build_app(self.env, self.bot, clock=lambda: self.now)
        if self.serve_http:
            self.http = BoltOverHttp(make_http_server(self.app, self.env["SLACK_SIGNING_SECRET"], host="127.0.0.1",
                                                      port=0))

    def restart(self) -> None:
        """A new process, as far as the app can tell: new store, core and app on the same SQLite file."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.http:
            self.http.close()
            self.http = None
        self.store.close()

    def command(self, command: str, text: str, response_url: str | None = None, **kw):
        return self.http.command(command, text, response_url or self.api.response_url(), **kw)

    def event(self, event: dict, event_id: str | None = None, headers: dict | None = None):
        return self.http.event(event_payload(event, event_id), headers=headers)

    def interact(self, payload: dict, **kw):
        return self.http.interact(payload, **kw)

    def goals(self) -> list[dict]:
        return self.store.export()["goals"]


@pytest.fixture
def slack(tmp_path, slack_api, store_kind):
    rig = SlackRig(str(tmp_path / "goalkeeper.db"), slack_api)
    yield rig
    rig.stop()
