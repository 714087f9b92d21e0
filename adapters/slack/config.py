"""The Slack adapter's settings, read once from the environment; a bad one is a ConfigError naming it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from bot.config import ConfigError

SLACK_API_URL = "https://slack.com/api/"


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0 or value != value or value == float("inf"):
        raise ConfigError(f"{name} must be a finite number, not negative")
    return value


def _require(env: Mapping[str, str], name: str, why: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {why}")
    return value


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    app_token: str = ""           # set: Socket Mode; empty: HTTP
    signing_secret: str = ""
    api_url: str = SLACK_API_URL
    retries: int = 3              # 429s retried after Retry-After
    pace_seconds: float = 1.0     # between two posts to one channel
    tick_seconds: float = 10.0
    api_timeout: float = 5.0      # a Web API call that takes longer is given up (never blindly re-sent)
    max_body: int = 512 * 1024    # Slack's requests are a few KB; anything bigger is refused unread
    ping_seconds: float = 10.0    # Socket Mode keepalive: a ping this often, given up without a pong as long

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str], serving: bool = True) -> "SlackConfig":
        """`serving`: a process that receives requests (needs the signing secret over HTTP)."""
        token = _require(env, "SLACK_BOT_TOKEN", "the bot token (xoxb-...) from the app's OAuth & Permissions page")
        app_token = (env.get("SLACK_APP_TOKEN") or "").strip()
        secret = (env.get("SLACK_SIGNING_SECRET") or "").strip()
        if serving and not app_token and not secret:
            _require(env, "SLACK_SIGNING_SECRET", "the signing secret from the app's Basic Information page")
        url = (env.get("GOALKEEPER_SLACK_API_URL") or SLACK_API_URL).strip()
        return cls(
            bot_token=token,
            app_token=app_token,
            signing_secret=secret,
            api_url=url if url.endswith("/") else url + "/",
            retries=int(_float(env, "GOALKEEPER_SLACK_RETRIES", 3)),
            pace_seconds=_float(env, "GOALKEEPER_SLACK_PACE_SECONDS", 1.0),
            tick_seconds=_float(env, "GOALKEEPER_TICK_SECONDS", 10.0),
            api_timeout=max(0.1, _float(env, "GOALKEEPER_SLACK_API_TIMEOUT", 5.0)),
            ping_seconds=max(0.1, _float(env, "GOALKEEPER_SLACK_PING_SECONDS", 10.0)),
        )


def http_port(env: Mapping[str, str]) -> int:
    raw = (env.get("PORT") or "3000").strip()
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT must be a port number, not {raw!r}")
    return int(raw)
