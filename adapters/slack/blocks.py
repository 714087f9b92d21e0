"""Block Kit from the core's mrkdwn text, within Slack's limits.

A section's text is at most 3,000 characters, a message at most 50 blocks, and Slack truncates
a message's text past 40,000 characters. Paragraphs (blank-line separated) become their own
section blocks; lines are packed into sections and split only at line boundaries, or, for a
single overlong line, at a space that is not inside an `&amp;` entity or a `<...>` token.
"""
from __future__ import annotations

import re

from bot.model import STATUSES

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


def to_messages(text: str, menus: bool = False, team: str = "", notes: bool = False) -> list[dict]:
    """Slack messages (`{"text", "blocks"}`) carrying `text`: each within 50 blocks and 40,000 characters.
    `menus`: every line about one goal (`#12 ...`) is a section of its own with that goal's status menu
    (`team`: the goal's team when the message was made, so a later move is noticed); `notes`: and a
    "note / learning" button under it (check-ins)."""
    groups = _goal_groups(guard(text)) if menus else [[section(s)] for s in split_sections(guard(text))]
    messages: list[list[dict]] = []
    size = 0
    used = 0
    for group in groups:
        n = sum(len(b["text"]["text"]) for b in group if b["type"] == "section")
        weight = 2 if notes and "block_id" in group[0] else len(group)  # a goal line's button is a block too
        if not messages or used + weight > MESSAGE_BLOCKS or size + n > MESSAGE_CHARS:
            used = 0
            messages.append([])
            size = 0
        messages[-1].extend(group)
        size += n
        used += weight
    if menus:
        for i, b in enumerate(b for m in messages for b in m if b.get("block_id", "").startswith("goal:")):
            gid = b["block_id"].split(":")[1]
            b["block_id"] = f"goal:{gid}:{i}"  # unique within the message even when a goal shows twice
            b["accessory"] = status_menu(int(gid), team, _status_in(b["text"]["text"]), i)
    out = []
    for m in messages:
        if notes:
            m = [x for b in m for x in ([b, note_button(b)] if b.get("block_id", "").startswith("goal:") else [b])]
        out.append({"text": fallback_text([b["text"]["text"] for b in m if b["type"] == "section"]), "blocks": m})
    return out


# -- status menus on goal lines -----------------------------------------------------------

STATUS_ACTION = "goal_status"  # action_id `goal_status:<id>:<n>`; option value `<id>|<status>|<team>`
NOTE_ACTION = "goal_note"      # action_id `goal_note:<id>:<n>`; value `<id>|<team>`
_GOAL_LINE = re.compile(r"^\s*#(\d{1,9})\b")
_STATUS_SHOWN = re.compile(r":(?:large_green_circle|large_yellow_circle|red_circle|white_circle): ([a-z-]+)")


def _status_in(text: str) -> str | None:
    m = _STATUS_SHOWN.search(text)
    return m.group(1) if m and m.group(1) in STATUSES else None


def status_menu(gid: int, team: str, current: str | None, n: int = 0) -> dict:
    """A static_select (not an overflow): it shows the goal's status as it stands, and one click opens it."""
    options = [{"text": {"type": "plain_text", "text": s}, "value": f"{gid}|{s}|{team}"} for s in STATUSES]
    menu = {"type": "static_select", "action_id": f"{STATUS_ACTION}:{gid}:{n}",
            "placeholder": {"type": "plain_text", "text": "Set status"}, "options": options}
    if current in STATUSES:
        menu["initial_option"] = options[list(STATUSES).index(current)]
    return menu


def note_button(goal_section: dict) -> dict:
    _, gid, n = goal_section["block_id"].split(":")
    team = goal_section["accessory"]["options"][0]["value"].split("|", 2)[2]
    return {"type": "actions", "block_id": f"note:{gid}:{n}", "elements": [
        {"type": "button", "action_id": f"{NOTE_ACTION}:{gid}:{n}", "value": f"{gid}|{team}",
         "text": {"type": "plain_text", "text": "note / learning"}}]}


def _goal_groups(text: str) -> list[list[dict]]:
    """Blocks in order: runs of ordinary lines packed into sections, each goal line a section of its own."""
    groups: list[list[dict]] = []
    for para in re.split(r"\n\s*\n", text):
        run: list[str] = []

        def flush():
            if run:
                groups.extend([section(s)] for s in split_sections("\n".join(run)))
                run.clear()

        for line in para.split("\n"):
            m = _GOAL_LINE.match(line)
            if m and len(line) <= SECTION_CHARS:
                flush()
                groups.append([dict(section(line), block_id=f"goal:{m.group(1)}")])
            else:
                run.append(line)
        flush()
    return groups
