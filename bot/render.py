"""How the core's words look on each platform: status colours, user text escaping, emphasis.

The core writes every reply through one of these, picked by the message's platform,
so handlers never know which chat they serve.
"""
from __future__ import annotations

import re

from .model import STATUSES
from .people import display_name

# mIRC colour numbers for the status colours (03 green, 07 orange-yellow, 04 red, 14 grey)
_IRC_COLOURS = {"green": "03", "yellow": "07", "red": "04", "grey": "14"}
_SLACK_EMOJI = {
    "green": ":large_green_circle:",
    "yellow": ":large_yellow_circle:",
    "red": ":red_circle:",
    "grey": ":white_circle:",
}


class PlainRenderer:
    """Console and anything without markup: the colour is spelled out beside final statuses."""

    platform = "console"
    short = False               # output kept to a few lines
    uploads = False             # takes whole documents as files
    names_are_accounts = True   # `owner:greg` is the identity of that name, never whoever uses it now
    asks_in_channel = False     # a check-in names its owners in the team channel rather than asking each apart

    def text(self, s: str) -> str:
        """User-supplied text, made safe for this platform."""
        return s

    def status(self, status: str | None) -> str:
        if not status:
            return "no status yet"
        colour, _ = STATUSES[status]
        return f"{status} ({colour})"

    def bold(self, s: str) -> str:
        return s

    def code(self, s: str) -> str:
        return s

    def mention(self, identity: str | None, names: dict | None = None) -> str:
        """How to name a person in a reply."""
        return self.text(display_name(identity, names))

    def read_mention(self, text: str) -> str | None:
        """The user id a mention in the text names (`<@U123>` on Slack), None where it is no mention."""
        return None


class IrcRenderer(PlainRenderer):
    """mIRC colour codes around the status word; the word alone still reads without colour."""

    platform = "irc"
    short = True
    asks_in_channel = True  # no private message reaches an account reliably; one line in the channel does

    def status(self, status: str | None) -> str:
        if not status:
            return "no status yet"
        colour, _ = STATUSES[status]
        return f"\x03{_IRC_COLOURS[colour]}{status}\x0f"

    def bold(self, s: str) -> str:
        return f"\x02{s}\x02"


class SlackRenderer(PlainRenderer):
    """mrkdwn: user text escaped so nobody can post `<!channel>` or a disguised link through the bot."""

    platform = "slack"
    uploads = True
    names_are_accounts = False  # a Slack name is not an id: only a mention or a person seen counts

    def text(self, s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def status(self, status: str | None) -> str:
        if not status:
            return ":white_circle: no status yet"
        colour, _ = STATUSES[status]
        return f"{_SLACK_EMOJI[colour]} {status}"

    def bold(self, s: str) -> str:
        return f"*{s}*"

    def code(self, s: str) -> str:
        return f"`{s}`"

    def mention(self, identity: str | None, names: dict | None = None) -> str:
        if identity and identity.startswith("slack:"):
            return f"<@{identity.rsplit(':', 1)[-1]}>"
        return super().mention(identity, names)

    def read_mention(self, text: str) -> str | None:
        m = _SLACK_MENTION.match(text)
        return m.group(1) if m else None


_SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


RENDERERS = {"console": PlainRenderer(), "irc": IrcRenderer(), "slack": SlackRenderer()}


def renderer_for(platform: str) -> PlainRenderer:
    return RENDERERS.get(platform, RENDERERS["console"])
