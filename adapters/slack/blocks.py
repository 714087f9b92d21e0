"""Block Kit from the core's mrkdwn text, within Slack's limits.

A section's text is at most 3,000 characters, a message at most 50 blocks, and Slack truncates
a message's text past 40,000 characters. Paragraphs (blank-line separated) become their own
section blocks; lines are packed into sections and split only at line boundaries, or, for a
single overlong line, at a space that is not inside an `&amp;` entity or a `<...>` token.
"""
from __future__ import annotations

import re

SECTION_CHARS = 3000
MESSAGE_BLOCKS = 50
MESSAGE_CHARS = 40000
FALLBACK_CHARS = 300  # the notification text beside the blocks
_FENCE = "```"
# the only `<...>` tokens the core may send: user and channel mentions (`<@U123>`, `<#C123|releng>`)
_RAW_LT = re.compile(r"<(?![@#][UWC][A-Z0-9]+(?:\|[^<>&]*)?>)")


def guard(text: str) -> str:
    """Escape any `<` that does not open a mention: a last line of defence at the edge, so a reply the
    core forgot to escape (or a future one) can never carry `<!channel>` or a disguised link to Slack."""
    return _RAW_LT.sub("&lt;", text)


def _safe_cut(line: str, limit: int) -> int:
    """Where to cut `line` at most `limit` chars in: after a space if there is one in the
    second half, never inside an entity (`&lt;`) or a `<...>` token (a mention or link)."""
    cut = limit
    space = line.rfind(" ", limit // 2, limit)
    if space > 0:
        cut = space + 1
    # step back out of an entity or an angle-bracket token that straddles the cut
    amp = line.rfind("&", max(0, cut - 8), cut)
    if amp >= 0 and ";" not in line[amp:cut] and re.match(r"&[a-z#0-9]{1,6};", line[amp:amp + 9]):
        cut = amp
    lt = line.rfind("<", 0, cut)
    if lt >= 0 and ">" not in line[lt:cut] and lt > 0:
        cut = lt
    return max(cut, 1)


def _pieces(line: str, limit: int) -> list[str]:
    out = []
    while len(line) > limit:
        cut = _safe_cut(line, limit)
        out.append(line[:cut])
        line = line[cut:]
    out.append(line)
    return out


def split_sections(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """The text as section texts, each non-empty and at most `limit` characters, in order."""
    sections: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        if not para.strip():
            continue
        current = ""
        fence_open = False  # inside a ``` block at the end of `current`
        for line in para.split("\n"):
            for piece in _pieces(line, limit - 8):
                # 4 characters kept free for a closing fence at a cut
                if current and len(current) + 1 + len(piece) + 4 > limit:
                    sections.append(current + ("\n" + _FENCE if fence_open else ""))
                    current = (_FENCE + "\n" if fence_open else "") + piece
                else:
                    current = current + "\n" + piece if current else piece
                if piece.count(_FENCE) % 2:
                    fence_open = not fence_open
        if current.strip():
            sections.append(current)
    return sections


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def fallback_text(sections: list[str]) -> str:
    """A short plain line for notifications, cut where no entity or token breaks."""
    first = sections[0] if sections else ""
    line = first.split("\n", 1)[0]
    if len(line) > FALLBACK_CHARS:
        line = line[: _safe_cut(line, FALLBACK_CHARS)].rstrip() + "…"
    return line or " "


def to_messages(text: str) -> list[dict]:
    """Slack messages (`{"text", "blocks"}`) carrying `text`: each within 50 blocks and 40,000 characters."""
    messages: list[list[str]] = []
    size = 0
    for s in split_sections(guard(text)):
        if not messages or len(messages[-1]) >= MESSAGE_BLOCKS or size + len(s) > MESSAGE_CHARS:
            messages.append([])
            size = 0
        messages[-1].append(s)
        size += len(s)
    return [{"text": fallback_text(m), "blocks": [section(s) for s in m]} for m in messages]
