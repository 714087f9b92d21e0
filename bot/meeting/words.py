"""The `#` words of a review meeting, MeetBot-style: each a plain function (ctx, rest) -> Reply.

`ctx` is a MeetingCtx (bot/meeting/hearing.py): its `write()` also logs the line and records
`ctx.item` in the same transaction, so a goal changed by `#status` and the meeting's item
commit together, and the goal commands themselves (`goal status`, `learning`) are reused as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..grammar import UsageError, first_word, parse_id
from ..limits import MAX_TEXT, MAX_TITLE, check_text
from ..model import Reply
from ..people import display_name


@dataclass(frozen=True)
class Word:
    name: str
    fn: Callable
    usage: str
    chairs_only: bool = False


WORDS: dict[str, Word] = {}


def word(name: str, usage: str, chairs_only: bool = False):
    def mark(fn):
        if name in WORDS:
            raise ValueError(f"meeting word #{name} registered twice")
        WORDS[name] = Word(name, fn, usage, chairs_only)
        return fn

    return mark


def _text(rest: str, what: str, usage: str, limit: int = MAX_TEXT) -> str:
    text = rest.strip()
    if not text:
        raise UsageError(f"#{what} needs a text", usage)
    return check_text(text, what, limit, usage)


def _tag(ctx) -> str:
    return f"M{ctx.meeting['id']}"


# -- chairs and the agenda ------------------------------------------------------------------

@word("chair", "#chair <who> [<who> ...]", chairs_only=True)
def chair(ctx, rest: str) -> Reply:
    usage = WORDS["chair"].usage
    names = rest.split()
    if not names:
        raise UsageError("#chair needs who to add as a chair", usage)
    if len(names) > 20:
        raise UsageError("at most 20 chairs at once", usage)
    people = [ctx.attendee(n, usage) for n in names]
    with ctx.write() as conn:
        for who in people:
            ctx.store.add_chair(conn, ctx.meeting["id"], who, ctx.actor.id, ctx.now)
    chairs = ctx.store.meeting_chairs(ctx.meeting["id"])
    names = ctx.names(chairs)
    return Reply(f"{_tag(ctx)} chairs: " + ", ".join(ctx.show(c, names) for c in chairs), public=True)


@word("topic", "#topic <text>", chairs_only=True)
def topic(ctx, rest: str) -> Reply:
    text = _text(rest, "topic", WORDS["topic"].usage, MAX_TITLE)
    ctx.item = ("topic", text, None)
    with ctx.write():
        pass
    return Reply(f"{_tag(ctx)} topic: {ctx.r.text(text)}", public=True)


def _noted(kind: str, usage: str):
    def handler(ctx, rest: str) -> Reply:
        text = _text(rest, kind, usage)
        if kind == "link" and not first_word(text)[0]:
            raise UsageError("#link needs a URL", usage)
        ctx.item = (kind, text, None)
        with ctx.write():
            pass
        return Reply(f"{_tag(ctx)} {kind} noted" if kind != "agreed" else
                     f"{_tag(ctx)} agreed: {ctx.r.text(text)}", public=True)

    return handler


word("info", "#info <text>")(_noted("info", "#info <text>"))
word("idea", "#idea <text>")(_noted("idea", "#idea <text>"))
word("link", "#link <url> [text]")(_noted("link", "#link <url> [text]"))
word("agreed", "#agreed <text>", chairs_only=True)(_noted("agreed", "#agreed <text>"))


@word("action", "#action <who> <text>")
def action(ctx, rest: str) -> Reply:
    usage = WORDS["action"].usage
    who, text = first_word(rest)
    if not who:
        raise UsageError("#action needs who does it and what", usage)
    if not text.strip():
        raise UsageError(f"#action needs what {who[:40]} is to do", usage)
    text = check_text(text.strip(), "action", MAX_TEXT, usage)
    owner = ctx.resolve_person(who, usage)
    with ctx.write(ctx.meeting["team"]) as conn:
        aid = ctx.store.add_action(conn, ctx.meeting["id"], ctx.meeting["team"], owner, text, ctx.actor.id, ctx.now)
        ctx.item = ("action", text, None, aid)
    names = ctx.names([owner])
    return Reply(f"{_tag(ctx)} action A{aid} for {ctx.show(owner, names)}: {ctx.r.text(text)}", public=True)


# -- goals, as the commands change them ------------------------------------------------------

def _goal_word(status: str | None):
    usage = "#status <id> <status> [note]" if status is None else f"#{status} <id> [note]"
    command = "goal status" if status is None else f"goal {status}"

    def handler(ctx, rest: str) -> Reply:
        token, after = first_word(rest)
        gid = parse_id(token, usage)
        said, note = (status, after.strip()) if status else first_word(after)
        goal = ctx.store.goal(gid)
        title = f" {goal['title']}" if goal else ""
        ctx.item = ("status", f"#{gid}{title}: {said}" + (f' "{note.strip()}"' if note.strip() else ""), gid)
        try:
            return ctx.core.commands.commands[command].fn(ctx, rest)
        except UsageError as e:  # the goal command's refusal, with the meeting word's usage
            raise UsageError(str(e), usage) from None

    return usage, handler


for _s in (None, "hit", "partial", "miss"):
    _usage, _fn = _goal_word(_s)
    word(_s or "status", _usage)(_fn)


@word("learning", "#learning [<goal-id>] <text>")
def learning(ctx, rest: str) -> Reply:
    usage = WORDS["learning"].usage
    token, after = first_word(rest)
    gid = None
    if token.lstrip("#").isdigit() and token.lstrip("#").isascii():
        gid = parse_id(token, usage)
    _text(after if gid else rest, "learning", usage)
    ctx.item = ("learning", f"#{gid} {after.strip()}" if gid else rest.strip(), gid)
    try:
        return ctx.core.commands.commands["learning"].fn(ctx, rest)
    except UsageError as e:
        raise UsageError(str(e), usage) from None


# -- taking back, and the end ------------------------------------------------------------------

@word("undo", "#undo", chairs_only=True)
def undo(ctx, rest: str) -> Reply:
    usage = WORDS["undo"].usage
    mid = ctx.meeting["id"]
    item = ctx.store.last_item_by(mid, ctx.actor.id)
    if item is None:
        raise UsageError(f"you have no item in {_tag(ctx)} to take back", usage)
    if item["kind"] == "learning":
        raise UsageError("a learning stays recorded once said (it is the team's); your last other items stay too",
                         usage)
    with ctx.write() as conn:
        ctx.store.undo_item(conn, item, ctx.now)
        if item["kind"] == "status":
            _restore_status(ctx, conn, item)
    what = {"action": "action item", "status": "status change"}.get(item["kind"], item["kind"])
    return Reply(f"{_tag(ctx)} taken back: your {what} \"{ctx.r.text(_short(item['text']))}\"", public=True)


def _restore_status(ctx, conn, item: dict) -> None:
    """A status set in the meeting goes back to what it was, as a new entry in the goal's history."""
    import json

    changes = [c for c in ctx.store.meeting_goal_changes(ctx.meeting["id"])
               if c["goal_id"] == item["goal_id"] and c["at"] == item["at"]]
    goal = ctx.store.goal(item["goal_id"])
    if not changes or goal is None:
        return
    old = (json.loads(changes[-1]["changes"]).get("status") or [goal["status"]])[0]
    ctx.store.change_goal(conn, goal, {"status": old}, "status", ctx.actor.id, ctx.now,
                          note=f"taken back in {_tag(ctx)}")
    ctx.store.tag_goal_events(conn, ctx.meeting["id"], goal["id"], ctx.now)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@word("endmeeting", "#endmeeting", chairs_only=True)
def endmeeting(ctx, rest: str) -> list[Reply]:
    from .ending import end_meeting

    return end_meeting(ctx)


def chair_names(ctx) -> str:
    chairs = ctx.store.meeting_chairs(ctx.meeting["id"])
    names = ctx.names(chairs)
    return ", ".join(display_name(c, names) for c in chairs)
