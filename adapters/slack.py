"""Slack: Bolt receives slash commands, mentions and direct messages; the core answers; Block Kit goes back.

Every request is acknowledged within Slack's 3 seconds: a quick command answers in the ack itself,
a slow one (`review`, `digest` now) acks at once and finishes in a Bolt lazy listener. Events are
acked before any work and deduplicated on `event_id` in the store, so Slack's retries and Socket
Mode redeliveries are handled once across restarts and processes.
"""
from __future__ import annotations

import logging
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable, Mapping

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.model import Actor, Channel, Message, Reply

from .slack_blocks import to_messages
from .slack_text import COMMANDS, command_text, from_slack, is_slow, strip_mention  # noqa: F401 (COMMANDS: API)
from .slack_outbox import ChannelPacer, OutboxWorker, log_problem, post_messages, utc_now

from bot.config import ConfigError


PROBLEM = "error: the bot hit a problem, try again"
SLACK_API_URL = "https://slack.com/api/"
RESPONSE_URL_POSTS = 5  # Slack takes at most 5 posts per response_url
ACK_GRACE = 0.3  # seconds a continuation waits so the ack (first part) reaches Slack before it


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _require(env: Mapping[str, str], name: str, why: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {why}")
    return value


def make_client(env: Mapping[str, str], token: str) -> WebClient:
    """The Web API client: GOALKEEPER_SLACK_API_URL, with 429s and dropped connections retried."""
    base_url = (env.get("GOALKEEPER_SLACK_API_URL") or SLACK_API_URL).strip()
    retries = int(_env_float(env, "GOALKEEPER_SLACK_RETRIES", 3))
    return WebClient(
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        token=token,
        retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=retries)],
    )


def deliver_outbox(env: Mapping[str, str], bot, now: datetime) -> int:
    """What `goalkeeper tick` delivers to Slack when it has a bot token: the queued Slack messages, paced."""
    token = _require(env, "SLACK_BOT_TOKEN", "the bot token (xoxb-...)")
    pacer = ChannelPacer(_env_float(env, "GOALKEEPER_SLACK_PACE_SECONDS", 1.0))
    return OutboxWorker(bot, make_client(env, token), pacer, clock=lambda: now, worker_id="tick").run_once()


class SlackAdapter:
    """Turns Bolt requests into core Messages and core Replies into acks and posts."""

    def __init__(self, env: Mapping[str, str], bot, clock: Callable[[], datetime] | None = None):
        self.bot = bot
        self.clock = clock or utc_now
        token = _require(env, "SLACK_BOT_TOKEN", "the bot token (xoxb-...) from the app's OAuth & Permissions page")
        socket_mode = bool((env.get("SLACK_APP_TOKEN") or "").strip())
        secret = (env.get("SLACK_SIGNING_SECRET") or "").strip()
        if not socket_mode and not secret:
            _require(env, "SLACK_SIGNING_SECRET", "the signing secret from the app's Basic Information page")
        self.pacer = ChannelPacer(_env_float(env, "GOALKEEPER_SLACK_PACE_SECONDS", 1.0))
        self.tick_seconds = _env_float(env, "GOALKEEPER_TICK_SECONDS", 10.0)
        client = make_client(env, token)
        self.app = App(
            logger=_bolt_logger(),
            client=client,
            signing_secret=secret,  # never read from os.environ behind our back
            token_verification_enabled=False,
            process_before_response=True,  # ack in about 1 ms; slow work goes to lazy listeners
            listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="goalkeeper-slack"),
        )
        self._registered: set[str] = set()
        self._names: dict[str, str] = {}  # Slack id -> name (users and channels), learned as we go
        self._pending: dict[str, tuple] = {}  # _work_key(body) -> what the lazy listener finishes
        self._lock = threading.Lock()
        self._wire()

    # -- wiring -------------------------------------------------------------
    def _wire(self) -> None:
        app = self.app
        app.command(re.compile(r"^/.+"))(ack=self.on_command, lazy=[self.finish_command])
        app.event("app_mention")(ack=_ack_only, lazy=[self.on_mention])
        app.event("message")(ack=_ack_only, lazy=[self.on_message])
        app.error(self.on_error)

    def on_error(self, error, body, logger=None):
        log_problem("bolt", error)

    # -- identity -----------------------------------------------------------
    def _message(self, text: str, team: str, user: str, user_name: str, channel: str, channel_name: str,
                 private: bool, at: datetime) -> Message:
        actor = Actor(id=f"slack:{team}:{user}", name=user_name or user)
        name = f"@{user_name or user}" if private else f"#{channel_name or channel}"
        ch = Channel(key=f"slack:{team}:{channel}", name=name, platform="slack", private=private)
        self._register(ch, at)
        return Message(text=text, actor=actor, channel=ch, at=at)

    def _register(self, channel: Channel, at: datetime) -> None:
        with self._lock:
            if channel.key in self._registered:
                return
            self._registered.add(channel.key)
        try:
            self.bot.register_channel(channel, at)
        except Exception as e:
            with self._lock:
                self._registered.discard(channel.key)
            log_problem(f"register_channel {channel.key}", e)

    def _lookup(self, client, kind: str, ident: str) -> str:
        """A user's or channel's name from users.info / conversations.info, cached; the id if Slack will not say."""
        with self._lock:
            if ident in self._names:
                return self._names[ident]
        name = ident
        try:
            if kind == "user":
                user = client.users_info(user=ident)["user"]
                name = user.get("name") or (user.get("profile") or {}).get("display_name") or ident
            else:
                name = client.conversations_info(channel=ident)["channel"].get("name") or ident
        except Exception as e:  # a missing scope or a network fault costs a name, not the command
            log_problem(f"{kind} name for {ident}", e)
        with self._lock:
            self._names[ident] = name
        return name

    def _seen(self, event_id: str, at: datetime) -> bool:
        """True if this event was handled before, by this process or another, before or after a restart."""
        return bool(self.bot.store.seen_event(event_id, at))

    # -- slash commands -----------------------------------------------------
    def on_command(self, ack, body: dict) -> None:
        """Runs before the HTTP response: answer quick commands in the ack, hand slow ones over."""
        trigger = _work_key(body)
        try:
            text = command_text(body.get("command", ""), from_slack(body.get("text", "")))
            channel = body.get("channel_id", "")
            private = channel.startswith("D") or body.get("channel_name") == "directmessage"
            if body.get("channel_name") and not private:
                with self._lock:
                    self._names.setdefault(channel, body["channel_name"])
            msg = self._message(text, body.get("team_id", ""), body.get("user_id", ""), body.get("user_name", ""),
                                channel, body.get("channel_name", ""), private, self.clock())
            if is_slow(text):
                self._pending[trigger] = ("slow", msg)
                ack(text=f"working on `{text.split()[0]}`...", response_type="ephemeral")
                return
            posts = _as_posts(self.bot.handle(msg))
            if not posts:
                ack()
                return
            response_type, first = posts[0]
            ack(text=first["text"], blocks=first["blocks"], response_type=response_type)
            if len(posts) > 1:
                self._pending[trigger] = ("rest", posts[1:])
        except Exception as e:
            log_problem(f"command {body.get('command')}", e)
            self._pending.pop(trigger, None)
            ack(text=PROBLEM, response_type="ephemeral")

    def finish_command(self, body: dict, respond, client) -> None:
        """Lazy: the slow command's work, or what did not fit in the ack."""
        work = self._pending.pop(_work_key(body), None)
        if work is None:
            return
        kind, payload = work
        try:
            files = []
            if kind == "slow":
                replies = self.bot.handle(payload)
                posts = _as_posts(replies)
                files = [f for r in replies for f in r.files]
            else:
                posts = payload
                time.sleep(ACK_GRACE)
            self._respond_all(posts, body, respond, client)
            for filename, title, content in files:
                client.files_upload_v2(channel=body.get("channel_id", ""), content=content, filename=filename,
                                       title=title)
        except Exception as e:
            log_problem(f"command {body.get('command')} (after ack)", e)
            try:
                respond(text=PROBLEM, response_type="ephemeral")
            except Exception as e2:
                log_problem("reporting a problem", e2)

    def _respond_all(self, posts: list, body: dict, respond, client) -> None:
        """Through response_url while it takes posts (5 each), then chat.postMessage / chat.postEphemeral."""
        channel, user = body.get("channel_id", ""), body.get("user_id", "")
        used = 0
        for response_type, m in posts:
            if used < RESPONSE_URL_POSTS:
                used += 1
                resp = respond(text=m["text"], blocks=m["blocks"], response_type=response_type)
                if resp.status_code == 200:
                    continue
            ephemeral_to = user if response_type == "ephemeral" else None
            post_messages(client, self.pacer, channel, [m], user=ephemeral_to)

    # -- events -------------------------------------------------------------
    def on_mention(self, body: dict, event: dict, client, context) -> None:
        self._on_event(body, event, client, from_slack(strip_mention(event.get("text", ""), context.bot_user_id)))

    def on_message(self, body: dict, event: dict, client, context) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # channel messages reach us as app_mention; edits, joins and bots are not commands
        if not event.get("user") or event.get("user") == context.bot_user_id:
            return
        self._on_event(body, event, client, from_slack(strip_mention(event.get("text", ""), context.bot_user_id)))

    def _on_event(self, body: dict, event: dict, client, text: str) -> None:
        channel, user = event.get("channel", ""), event.get("user", "")
        private = event.get("channel_type") == "im" or channel.startswith("D")
        thread_ts = event.get("thread_ts")
        try:
            now = self.clock()
            event_id = body.get("event_id")
            if event_id and self._seen(event_id, now):
                return
            team = body.get("team_id") or event.get("team", "")
            user_name = self._lookup(client, "user", user)
            channel_name = "" if private else self._lookup(client, "channel", channel)
            msg = self._message(text or "help", team, user, user_name, channel, channel_name, private, now)
            for reply in self.bot.handle(msg):
                # asked in the open, answered in the open; an error goes to the asker alone (a DM is already private)
                to_user = user if reply.error and not private else None
                post_messages(client, self.pacer, channel, to_messages(reply.text), thread_ts=thread_ts, user=to_user)
        except Exception as e:
            log_problem(f"event {body.get('event_id')}", e)
            try:
                if private:
                    client.chat_postMessage(channel=channel, text=PROBLEM)
                else:
                    client.chat_postEphemeral(channel=channel, user=user, text=PROBLEM, thread_ts=thread_ts)
            except Exception as e2:
                log_problem("reporting a problem", e2)


class _DropTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN in os.environ is unused when it is given a client: it is the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("goalkeeper.slack")
    if not logger.filters:
        logger.addFilter(_DropTokenNotice())
    return logger


def _work_key(body: dict) -> str:
    """What ties a slash command's ack to its lazy listener: unique per invocation."""
    return body.get("trigger_id") or body.get("response_url") or ""


def _ack_only(ack) -> None:
    ack()


def _as_posts(replies: list[Reply]) -> list[tuple[str, dict]]:
    """Replies as (response_type, message) in order: errors and answers to the asker, changes to the channel."""
    posts = []
    for r in replies or []:
        response_type = "in_channel" if r.public and not r.error else "ephemeral"
        posts += [(response_type, m) for m in to_messages(r.text)]
    return posts


def build_app(env: Mapping[str, str], bot, clock: Callable[[], datetime] | None = None) -> App:
    """The Bolt app serving `bot`. Raises ConfigError (one line naming the variable) when a token is missing."""
    return SlackAdapter(env, bot, clock).app


class HttpServer:
    """waitress serving Bolt at /slack/events, stoppable from another thread: requests in flight are
    answered, then the loop thread itself closes the sockets (closing them under its select() breaks it)."""

    def __init__(self, app: App, host: str = "0.0.0.0", port: int = 3000, threads: int = 8):
        from slack_bolt.adapter.wsgi import SlackRequestHandler
        from waitress.server import create_server

        self.server = create_server(SlackRequestHandler(app), host=host, port=port, threads=threads)
        self.port = self.server.effective_port
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        from waitress import wasyncore

        srv = self.server
        while not self._stopping.is_set():
            wasyncore.loop(timeout=1.0, use_poll=srv.adj.asyncore_use_poll, map=srv._map, count=1)
        deadline = time.monotonic() + 2.0  # flush what finished requests wrote
        while time.monotonic() < deadline and any(ch.total_outbufs_len for ch in srv.active_channels.values()):
            wasyncore.loop(timeout=0.05, use_poll=srv.adj.asyncore_use_poll, map=srv._map, count=1)
        wasyncore.close_all(srv._map)

    def start(self) -> "HttpServer":
        self._thread = threading.Thread(target=self.run, name="goalkeeper-slack-http", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.accepting = False
        self.server.task_dispatcher.shutdown(timeout=timeout / 2)  # requests in flight finish
        self._stopping.set()
        self.server.pull_trigger()  # wake the loop's select()
        if self._thread:
            self._thread.join(timeout / 2)


def make_http_server(app: App, host: str = "0.0.0.0", port: int = 3000, threads: int = 8) -> HttpServer:
    """waitress serving Bolt at /slack/events: `.start()` runs it in a thread, `.stop()` drains and closes it."""
    return HttpServer(app, host, port, threads)


def serve(env: Mapping[str, str], bot, clock: Callable[[], datetime] | None = None) -> None:
    """`goalkeeper slack`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT; SIGTERM exits cleanly."""
    adapter = SlackAdapter(env, bot, clock)
    app = adapter.app
    port_raw = (env.get("PORT") or "3000").strip()
    if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
        raise ConfigError(f"PORT must be a port number, not {port_raw!r}")
    try:  # check the token now, so a bad one stops us at start rather than at the first command
        auth = app.client.auth_test()
    except SlackApiError as e:
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack: {e.response.get('error')}") from None
    except Exception as e:
        raise ConfigError(f"GOALKEEPER_SLACK_API_URL: cannot reach Slack's Web API at {app.client.base_url} "
                          f"({type(e).__name__}: {e})".replace("\n", " ")) from None
    _remember_auth(app, auth)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    outbox = OutboxWorker(bot, app.client, adapter.pacer, adapter.clock, adapter.tick_seconds).start()
    app_token = (env.get("SLACK_APP_TOKEN") or "").strip()
    try:
        if app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(app, app_token)
            handler.connect()
            print(f"goalkeeper slack: connected in Socket Mode as {auth.get('user')}", flush=True)
            while not stop.wait(0.5):
                pass
            # close() can sit up to 3 s on its threads' timeouts; the socket is closed at exit anyway
            closing = threading.Thread(target=handler.close, daemon=True)
            closing.start()
            closing.join(1.0)
        else:
            try:
                server = make_http_server(app, port=int(port_raw)).start()
            except OSError as e:
                raise ConfigError(f"PORT: cannot listen on port {port_raw} ({e.strerror or e})") from None
            print(f"goalkeeper slack: serving http://0.0.0.0:{port_raw}/slack/events", flush=True)
            while not stop.wait(0.5):
                pass
            server.stop()
    finally:
        outbox.stop()


def _remember_auth(app: App, auth) -> None:
    """Hand the start-up auth.test to Bolt so the first request does not pay for another one."""
    from slack_bolt.middleware.authorization.single_team_authorization import SingleTeamAuthorization

    for mw in getattr(app, "_middleware_list", []):
        if isinstance(mw, SingleTeamAuthorization) and not mw.auth_test_result:
            mw.auth_test_result = auth
