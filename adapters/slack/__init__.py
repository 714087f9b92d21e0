"""Slack: Bolt receives slash commands, mentions and direct messages (over HTTP or Socket Mode); the
core answers; Block Kit goes back; scheduled messages go out from the outbox.

config (env) -> client (WebClient) -> app (Bolt wiring, listeners -> core) -> http / socket_mode (the
edges) ; text and blocks translate; outbox delivers what the scheduler queued.
"""
from __future__ import annotations

import signal
import threading
from datetime import datetime
from typing import Callable, Mapping

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError

from .app import SlackAdapter, build_app
from .client import make_client
from .config import SlackConfig, http_port
from .http import make_http_server
from .log import log
from .outbox import ChannelPacer, OutboxWorker
from .socket_mode import SocketModeRunner


def deliver_outbox(env: Mapping[str, str], bot, now: datetime) -> int:
    """What `goalkeeper tick` delivers to Slack when it has a bot token: the queued Slack messages, paced."""
    config = SlackConfig.from_env(env, serving=False)
    return OutboxWorker(bot, make_client(config), ChannelPacer(config.pace_seconds), clock=lambda: now,
                        worker_id="tick").run_once()


def serve(env: Mapping[str, str], bot, clock: Callable[[], datetime] | None = None) -> None:
    """`goalkeeper slack`: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT; SIGTERM exits cleanly."""
    config = SlackConfig.from_env(env)
    port = http_port(env)
    try:  # Bolt checks the token now (auth.test, reused for every request): a bad one stops us at start
        adapter = SlackAdapter(config, bot, clock, verify_token=True)
    except BoltError as e:
        cause = e.__context__
        error = cause.response.get("error") if isinstance(cause, SlackApiError) else e
        raise ConfigError(f"SLACK_BOT_TOKEN was refused by Slack: {error}") from None
    except Exception as e:
        raise ConfigError(f"GOALKEEPER_SLACK_API_URL: cannot reach Slack's Web API at {config.api_url} "
                          f"({type(e).__name__}: {e})".replace("\n", " ")) from None
    app = adapter.app

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    outbox = OutboxWorker(bot, app.client, adapter.pacer, adapter.clock, config.tick_seconds,
                          after=adapter.interactions.refresh_homes).start()
    try:
        if config.socket_mode:
            runner = SocketModeRunner(app, bot, config.app_token, config.ping_seconds, adapter.clock).connect()
            print("goalkeeper slack: connecting in Socket Mode", flush=True)
            _serve_until(stop, adapter)
            runner.close()
        else:
            try:
                server = make_http_server(app, config.signing_secret, port=port).start()
            except OSError as e:
                raise ConfigError(f"PORT: cannot listen on port {port} ({e.strerror or e})") from None
            print(f"goalkeeper slack: serving http://0.0.0.0:{port}/slack/events", flush=True)
            _serve_until(stop, adapter)
            server.stop()
    finally:
        outbox.stop()


def _serve_until(stop: threading.Event, adapter: SlackAdapter, every: float = 60.0) -> None:
    """Finish what a dead process acknowledged: at start, then every minute (a second process on the
    same file may die while this one runs)."""
    while True:
        try:
            adapter.finish_recorded()
        except Exception as e:  # the store busy or gone: the next round tries again
            log.error("goalkeeper slack: finishing recorded deliveries: %s: %s", type(e).__name__, e)
        if stop.wait(every):
            return


__all__ = ["SlackAdapter", "SlackConfig", "SocketModeRunner", "build_app", "deliver_outbox", "log",
           "make_http_server", "serve"]
