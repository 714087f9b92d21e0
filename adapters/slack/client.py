"""The Web API client: slack_sdk's WebClient with bounded timeouts and slack_sdk's own retry handlers.

Only failures before the request left are retried (URLError: refused, unreachable) and 429s (after
Retry-After); a timeout or a connection dropped mid-answer is not, since the post may have reached Slack.
"""
from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from .config import SlackConfig


def make_client(config: SlackConfig, token: str | None = None) -> WebClient:
    return WebClient(
        base_url=config.api_url,
        token=token or config.bot_token,
        timeout=config.api_timeout,
        retry_handlers=[ConnectionErrorRetryHandler(error_types=[URLError]),
                        RateLimitErrorRetryHandler(max_retry_count=config.retries)],
    )
