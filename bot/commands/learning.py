"""learning <goal-id> <text> | learning <text> | learnings [team:] [quarter:] [words]"""
from __future__ import annotations

import re

from ..limits import MAX_TEXT, check_text
from ..grammar import split_options
from ..model import Reply
from .registry import command
from .goal import load_goal

LEARNING = "learning <goal-id> <text>  |  learning <text> [quarter:<q>]   (a learning on one goal, or for the team)"
LEARNINGS = "learnings [team:<t>] [quarter:<q>] [<words to search>]"
SHOW_LIMIT = 20
_GOAL_REF = re.compile(r"^#?(\d+)(?:\s+|$)")


@command("learning", LEARNING, "record what the team learned, on a goal or for the team", keys=("quarter",))
def learning(ctx, rest: str) -> Reply:
    text = rest.strip()
    m = _GOAL_REF.match(text)
    if m:
        g = load_goal(ctx, m.group(1), LEARNING)
        text = text[m.end():].strip()
        check_text(text, "learning", MAX_TEXT, LEARNING)
        with ctx.write() as conn:
            ctx.store.add_learning(conn, g["id"], g["team"], g["quarter"], text, ctx.actor.id, ctx.now)
        return Reply(f"learning added to #{g['id']} {ctx.r.text(g['title'])}", public=True)
    text, opts = split_options(text, ("quarter",))
    check_text(text, "learning", MAX_TEXT, LEARNING)
    team = ctx.team({}, LEARNING)
    tz = ctx.team_tz(team)
    quarter = ctx.review_quarter(opts, team, tz, LEARNING)  # while a quarter is under review, it is that one's
    with ctx.write(team) as conn:
        ctx.store.add_learning(conn, None, team, quarter.label, text, ctx.actor.id, ctx.now)
    return Reply(f"learning added for team {ctx.r.text(team)} ({quarter.label})", public=True)


@command("learnings", LEARNINGS, "the team's learnings this quarter, optionally searched", keys=("team", "quarter"))
def learnings(ctx, rest: str) -> Reply:
    words, opts = split_options(rest, ("team", "quarter"))
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
        lines.append(f"{on}{r.text(l['text'])} ({ctx.show(l['by'], names)})")
    if more:
        lines.append(f"... the latest {SHOW_LIMIT} shown; add words to search")
    return Reply("\n".join(lines))
