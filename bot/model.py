"""The vocabulary every adapter and the core share: who spoke, where, when, and what comes back."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PLATFORMS = ("console", "irc", "slack")

# status -> (colour word, final?)
STATUSES = {
    "on-track": ("green", False),
    "at-risk": ("yellow", False),
    "off-track": ("red", False),
    "hit": ("green", True),
    "partial": ("yellow", True),
    "miss": ("red", True),
    "dropped": ("grey", True),
}
FINAL_STATUSES = tuple(s for s, (_, final) in STATUSES.items() if final)
KINDS = ("core", "strategic")


@dataclass(frozen=True)
class Actor:
    """Someone who speaks. `id` is the identity the contract defines
    (`console:greg`, `irc:<network>:<account>`, `irc:<network>:nick!user@host`,
    `slack:<team-id>:<user-id>`); `name` is how to show them (a nick, a display name)."""

    id: str
    name: str


@dataclass(frozen=True)
class Channel:
    """Where a message was said. `key` is unique across platforms and is what
    the store keeps (`console:#releng`, `irc:<network>:#releng`,
    `slack:<team-id>:<channel-id>`); `name` is what people call it (`#releng`)."""

    key: str
    name: str
    platform: str  # one of PLATFORMS
    private: bool = False  # a private/direct message rather than a channel


@dataclass(frozen=True)
class Message:
    """One incoming chat message, already stripped of platform addressing
    (`!`, `/`, `goalkeeper:`, `<@BOT>`); `at` is an aware datetime. `ref` is the platform's own id of
    the line where it has one (Slack's `ts`): a meeting logs a line once, whichever process hears it."""

    text: str
    actor: Actor
    channel: Channel
    at: datetime
    ref: str | None = None


@dataclass
class Reply:
    """One reply. `text` is already rendered for the message's platform
    (IRC colour codes, Slack mrkdwn escaping); lines are separated by `\\n`.
    `error` replies start with `error: ` and go to the asker alone on Slack.
    `public` marks a change the team should see (Slack posts it in the channel).
    `files` are documents for platforms that take uploads: (filename, title, content)."""

    text: str
    error: bool = False
    public: bool = False
    files: list = field(default_factory=list)


@dataclass
class Outgoing:
    """A scheduled message waiting in the store's outbox for its platform's adapter."""

    id: int
    channel_key: str
    platform: str
    text: str
    kind: str = ""
    slot: str = ""
    extra: dict = field(default_factory=dict)
