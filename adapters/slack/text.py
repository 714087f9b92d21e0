"""What Slack sends, as the core reads it: slash command + text -> one command line, mentions stripped,
Slack's wire format (`<!channel>`, `<#C1|releng>`, `&lt;`) turned back into what the user typed."""
from __future__ import annotations

import re

_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")
_TOKEN = re.compile(r"<([^<>]*)>")


def command_text(command: str, text: str, top_words) -> str:
    """`/goal` + `add X` -> `goal add X` (`top_words`: the core's command words); any other slash command
    (`/goalkeeper`, a renamed one) takes a whole command line: alone it is help."""
    name = command.lstrip("/").strip().lower()
    text = (text or "").strip()
    if name not in top_words or name == "help":
        return text or "help"
    return f"{name} {text}".strip()


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """`<@UBOT> goal list` -> `goal list` (only a leading mention of the bot itself)."""
    m = _LEADING_MENTION.match(text or "")
    if m and (not bot_user_id or m.group(0).lstrip().startswith(f"<@{bot_user_id}")):
        return text[m.end():].strip()
    return (text or "").strip()


def _plain_token(m: re.Match) -> str:
    target, _, label = m.group(1).partition("|")
    if target.startswith("@"):
        return m.group(0)  # a user mention: the core resolves `<@U123|greg>` to that Slack user
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):
        return label or "@" + target[len("!subteam^"):]
    if target.startswith("!"):
        return label if target.startswith("!date") and label else "@" + (label.lstrip("@") or target[1:])
    if target.startswith("mailto:"):
        return label or target[len("mailto:"):]
    if label and label != target.split("://", 1)[-1]:
        return f"{label} ({target})"
    return label or target


def from_slack(text: str) -> str:
    """Slack's wire format back to what the user typed: `<#C1|releng>` -> `#releng`, `<!channel>` ->
    `@channel`, `<http://x|y>` -> `y (http://x)`, `&lt;` -> `<`; user mentions stay for the core.
    The core stores plain text and the renderer escapes it again on the way out."""
    text = _TOKEN.sub(_plain_token, text or "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
