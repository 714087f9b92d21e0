"""What a review shows of its review meetings: the decisions and action items of the meeting that
reviewed the quarter, and how many of the last review's action items are done (pure, over the export)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..people import display_name
from ..times import instant_or_none


@dataclass
class ReviewMeeting:
    id: int | None = None                  # the meeting that reviewed this quarter, if one was held
    title: str = ""
    decisions: list[str] = field(default_factory=list)
    actions: list[tuple[int, str, str, bool]] = field(default_factory=list)  # (id, owner name, text, done)
    last_id: int | None = None             # the meeting that reviewed the quarter before
    last_done: int = 0
    last_total: int = 0

    def last_text(self) -> str | None:
        if self.last_id is None or not self.last_total:
            return None
        return f"actions from the last review (M{self.last_id}): {self.last_done} of {self.last_total} done"


def meeting_part(doc: dict, team: str, label: str, prev_label: str, as_of: datetime) -> ReviewMeeting | None:
    meetings = [m for m in doc.get("meetings") or [] if m.get("team") == team]
    if not meetings:
        return None
    names = {p["id"]: p["name"] for p in doc.get("people") or []}
    actions = [a for a in doc.get("actions") or [] if a.get("team") == team and not a.get("deleted")]
    part = ReviewMeeting()
    this = [m for m in meetings if m.get("quarter") == label]
    if this:
        m = this[-1]
        part.id, part.title = m["id"], m["title"]
        part.decisions = [i["text"] for i in m.get("items") or [] if i["kind"] == "agreed" and not i.get("undone")]
        part.actions = [(a["id"], display_name(a["owner"], names), a["text"], bool(a.get("done")))
                        for a in actions if a["meeting"] == m["id"]]
    last = [m for m in meetings if m.get("quarter") == prev_label]
    if last:
        mid = last[-1]["id"]
        mine = [a for a in actions if a["meeting"] == mid]
        part.last_id, part.last_total = mid, len(mine)
        part.last_done = sum(1 for a in mine if instant_or_none(a.get("done")) and instant_or_none(a["done"]) <= as_of)
    if part.id is None and part.last_id is None:
        return None
    return part
