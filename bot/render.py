"""How the core's words look on each platform: status colours, user text escaping, emphasis.

The core writes every reply through one of these, picked by the message's platform,
so handlers never know which chat they serve.
"""
from __future__ import annotations

from .model import STATUSES

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


class IrcRenderer(PlainRenderer):
    """mIRC colour codes around the status word; the word alone still reads without colour."""

    platform = "irc"

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


RENDERERS = {"console": PlainRenderer(), "irc": IrcRenderer(), "slack": SlackRenderer()}


def renderer_for(platform: str) -> PlainRenderer:
    return RENDERERS.get(platform, RENDERERS["console"])
