"""What a click means: a status chosen from a goal's menu, a note or learning from a form, as the typed command.

A click carries the goal's id and the team it had when the message was made; the goal may since have been
deleted or moved to another team, and then the click is refused with a reply that says so. Otherwise it is
the very command a person would type (`goal status <id> <status>`, `learning <id> <text>`), so permissions,
history and replies are exactly those of the command.
"""
from __future__ import annotations

from dataclasses import replace

from .model import STATUSES, Message, Reply
from .render import renderer_for

STATUS_USAGE = "choose a status in the goal's menu (or goal status <id> <status> [note])"
NOTE_USAGE = "a note (with the goal's status) or a learning, at most 2,000 characters"


def _stale(core, msg: Message, gid: int, team_seen: str, usage: str) -> list[Reply] | None:
    """A refusal when the goal is gone or moved since the message was made, else None."""
    r = renderer_for(msg.channel.platform)
    g = core.store.goal(gid)
    if g is None:
        return [core.error(r, f"there is no goal #{gid}", usage)]
    if g["deleted"]:
        return [core.error(r, f"#{gid} was deleted since this message was posted (goal restore {gid} brings it back)",
                           usage)]
    if team_seen and g["team"] != team_seen:
        return [core.error(r, f"#{gid} moved from team {r.text(team_seen)} to {r.text(g['team'])} since this message "
                              "was posted; nothing was changed", usage)]
    return None


def choose_status(core, msg: Message, gid: int, status: str, team_seen: str = "") -> list[Reply]:
    if status not in STATUSES:
        return [core.error(renderer_for(msg.channel.platform), f"{status[:40]!r} is not a status", STATUS_USAGE)]
    refused = _stale(core, msg, gid, team_seen, STATUS_USAGE)
    if refused:
        return refused
    return core.handle(replace(msg, text=f"goal status {gid} {status}"))


def add_note(core, msg: Message, gid: int, kind: str, text: str, team_seen: str = "") -> list[Reply]:
    """kind `learning`: a learning on the goal; `note`: the goal's status set again with this note."""
    refused = _stale(core, msg, gid, team_seen, NOTE_USAGE)
    if refused:
        return refused
    text = " ".join((text or "").split("\n")).strip()
    if kind == "note":
        status = core.store.goal(gid)["status"]
        if not status:
            return [core.error(renderer_for(msg.channel.platform), f"#{gid} has no status yet: choose one in its menu, "
                               "or record a learning", NOTE_USAGE)]
        return core.handle(replace(msg, text=f"goal status {gid} {status} {text}"))
    return core.handle(replace(msg, text=f"learning {gid} {text}"))
