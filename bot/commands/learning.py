"""learning <goal-id> <text> | learning <text> | learning edit/delete L<id> | learnings [team:] [quarter:] [words]"""
from __future__ import annotations

import re

from ..limits import MAX_TEXT, check_text
from ..grammar import UsageError, first_word
from ..model import Reply
from .registry import command
from .goal import load_goal

LEARNING = "learning <goal-id> <text>  |  learning <text> [quarter:<q>]   (a learning on one goal, or for the team)"
LEARNINGS = "learnings [team:<t>] [quarter:<q>] [<words to search>]   (options anywhere: learnings quarter:last silo)"
EDIT = "learning edit L<id> <text>   (the learning's author or an admin)"
DELETE = "learning delete L<id>   (the learning's author or an admin; it stays in the history)"
_LEARNING_ID = re.compile(r"^[Ll]#?(\d{1,9})$")
SHOW_LIMIT = 20
_GOAL_REF = re.compile(r"^#?(\d+)(?:\s+|$)")


@command("learning", LEARNING, "record what the team learned, on a goal or for the team", keys=("quarter",))
def learning(ctx, rest: str) -> Reply:
    text = rest.strip()
    m = _GOAL_REF.match(text)
    if m:
        g = load_goal(ctx, m.group(1), LEARNING, change=True)
        text = text[m.end():].strip()
        check_text(text, "learning", MAX_TEXT, LEARNING)
        with ctx.write() as conn:
            ctx.store.add_learning(conn, g["id"], g["team"], g["quarter"], text, ctx.actor.id, ctx.now)
        return Reply(f"learning added to #{g['id']} {ctx.r.text(g['title'])}", public=True)
    text, opts = ctx.options(text, ("quarter",))
    check_text(text, "learning", MAX_TEXT, LEARNING)
    team = ctx.team({}, LEARNING)
    tz = ctx.team_tz(team)
    quarter = ctx.review_quarter(opts, team, tz, LEARNING)  # while a quarter is under review, it is that one's
    with ctx.write(team) as conn:
        ctx.store.add_learning(conn, None, team, quarter.label, text, ctx.actor.id, ctx.now)
    return Reply(f"learning added for team {ctx.r.text(team)} ({quarter.label})", public=True)


@command("learnings", LEARNINGS, "the team's learnings this quarter, optionally searched", keys=("team", "quarter"))
def learnings(ctx, rest: str) -> Reply:
    words, opts = ctx.options(rest, ("team", "quarter"))
    team = ctx.team(opts, LEARNINGS)
    tz = ctx.team_tz(team)
    quarter = ctx.review_quarter(opts, team, tz, LEARNINGS)
    terms = [w for w in words.split() if w][:10]
    rows = ctx.store.learnings(team, quarter.label, terms, limit=SHOW_LIMIT + 1)
    r = ctx.r
    what = f" matching {r.text(' '.join(terms))!s}" if terms else ""
    head = f"{r.bold(r.text(team))} · {quarter.label} learnings{what}"
    if not rows:
        return Reply(f"{head}: none yet " + ctx.r.text("(learning <goal-id> <text>)") if not terms else f"{head}: none")
    more = len(rows) > SHOW_LIMIT
    rows = rows[:SHOW_LIMIT]
    names = ctx.store.person_names([l["by"] for l in rows])
    lines = [f"{head}:"]
    for l in rows:
        on = f"#{l['goal_id']} " if l["goal_id"] else "team "
        lines.append(f"L{l['id']} {on}{r.text(l['text'])} ({ctx.show(l['by'], names)})")
    if more:
        lines.append(f"... the latest {SHOW_LIMIT} shown; add words to search")
    return Reply("\n".join(lines))


def load_learning(ctx, token: str, usage: str) -> dict:
    """The learning `L7` names, if the speaker may change it (its author or an admin), from where it may be."""
    m = _LEARNING_ID.match(token.strip())
    if not m:
        raise UsageError(f"{token[:40]!r} is not a learning id (like L7, as learnings shows them)", usage)
    l = ctx.store.learning(int(m.group(1)))
    if l is None or l["deleted_at"]:
        raise UsageError(f"there is no learning L{m.group(1)}" + (" (it was deleted)" if l else ""), usage)
    if l["goal_id"] is not None:
        load_goal(ctx, str(l["goal_id"]), usage, change=True, deleted=True)
    elif not ctx.msg.channel.private and ctx.team({}, usage) != l["team"]:
        raise UsageError(f"L{l['id']} is team {ctx.r.text(l['team'])}'s learning: change it in its channel"
                         " or in a private message", usage)
    if l["by"] != ctx.actor.id and not ctx.is_admin():
        who = ctx.show(l["by"], ctx.store.person_names([l["by"]]))
        raise UsageError(f"only {who} (who wrote L{l['id']}) or an admin may change it", usage)
    return l


_MEANT_AS_ID = re.compile(r"^[Ll]?#?\d*$")


def _is_learning_id(rest: str) -> bool:
    """Whether the first word is (or is meant as) a learning id: `L7`, `L`, `7`; else it is a learning's text."""
    return bool(_MEANT_AS_ID.match(first_word(rest)[0]))


@command("learning edit", EDIT, "change a learning's text (the old text stays in its history)")
def learning_edit(ctx, rest: str) -> Reply:
    if not _is_learning_id(rest) and first_word(rest)[0]:
        return learning(ctx, "edit " + rest)  # a learning that begins with the word "edit"
    token, text = first_word(rest)
    if not token:
        raise UsageError("which learning? (like L7, as learnings shows them)", EDIT)
    l = load_learning(ctx, token, EDIT)
    text = text.strip()
    check_text(text, "learning", MAX_TEXT, EDIT)
    if text == l["text"]:
        raise UsageError(f"L{l['id']} already says that", EDIT)
    with ctx.write() as conn:
        ctx.store.edit_learning(conn, l["id"], l["text"], text, ctx.actor.id, ctx.now)
    return Reply(f"L{l['id']} now says: {ctx.r.text(text)}", public=True)


@command("learning delete", DELETE, "hide a learning from every list and review (its history stays)")
def learning_delete(ctx, rest: str) -> Reply:
    if not _is_learning_id(rest) and first_word(rest)[0]:
        return learning(ctx, "delete " + rest)  # a learning that begins with the word "delete"
    token, extra = first_word(rest)
    if not token:
        raise UsageError("which learning? (like L7, as learnings shows them)", DELETE)
    l = load_learning(ctx, token, DELETE)
    if extra.strip():
        raise UsageError(f"learning delete takes only an id, not {extra.strip()[:40]!r}", DELETE)
    with ctx.write() as conn:
        ctx.store.delete_learning(conn, l["id"], ctx.actor.id, ctx.now)
    return Reply(f"deleted L{l['id']} ({ctx.r.text(l['text'][:60])}); it stays in the history", public=True)
