"""The Web API client: slack_sdk's WebClient with bounded timeouts and slack_sdk's own retry handlers.

Only failures before the request left are retried (URLError: refused, unreachable) and 429s (after
Retry-After); a timeout or a connection dropped mid-answer is not, since the post may have reached Slack.
"""
from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (ConnectionErrorRetryHandler, RateLimitErrorRetryHandler,
                                                   ServerErrorRetryHandler)

from .config import SlackConfig


def make_client(config: SlackConfig, token: str | None = None, idempotent: bool = False) -> WebClient:
    """`idempotent`: a client only for calls that may be repeated (views.publish, chat.update, views.open),
    which also retries Slack's 5xx answers; a post is never repeated on a 5xx (it may have arrived)."""
    handlers = [ConnectionErrorRetryHandler(error_types=[URLError]),
                RateLimitErrorRetryHandler(max_retry_count=config.retries)]
    if idempotent:
        handlers.append(ServerErrorRetryHandler(max_retry_count=config.retries))
    return WebClient(base_url=config.api_url, token=token or config.bot_token, timeout=config.api_timeout,
                     retry_handlers=handlers)
