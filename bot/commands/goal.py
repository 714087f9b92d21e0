"""goal add | list | show | edit | status | hit | partial | miss | delete"""
from __future__ import annotations

import json
from ..limits import MAX_TEXT, MAX_TITLE, check_text
from ..format import goal_line
from ..grammar import UsageError, first_word, no_words, parse_id, split_options
from ..model import FINAL_STATUSES, STATUSES, Reply
from ..quarters import quarter_of
from ..times import parse_iso, zone
from .registry import command

ADD = "goal add <title> [team:<t>] [owner:<who>] [due:<when>] [quarter:<q>] [kind:core|strategic]"
LIST = "goal list [team:<t>] [quarter:<q>] [status:<s>] [owner:<who>]"
SHOW = "goal show <id>"
EDIT = "goal edit <id> [title:<text>] [due:<when>] [owner:<who>] [team:<t>] [quarter:<q>] [kind:<k>]"
STATUS = "goal status <id> <status> [note]   (statuses: " + ", ".join(STATUSES) + ")"
DELETE = "goal delete <id>"
LIST_LIMIT = 50

GROUPS = {"goal": "goal add|list|show|edit|status|hit|partial|miss|delete ...  (help goal <sub> for more)"}


def parse_kind(ctx, text: str, usage: str) -> str:
    k = text.strip().lower()
    if k not in ctx.config.kinds:
        raise UsageError(f"kind is {' or '.join(ctx.config.kinds)}, not {text[:40]!r}", usage)
    return k


def parse_status(text: str, usage: str) -> str:
    s = text.strip().lower().replace("_", "-").replace(" ", "-")
    s = {"ontrack": "on-track", "atrisk": "at-risk", "offtrack": "off-track", "missed": "miss",
         "drop": "dropped", "green": "on-track", "yellow": "at-risk", "red": "off-track"}.get(s, s)
    if s not in STATUSES:
        raise UsageError(f"{text[:40]!r} is not a status (one of {', '.join(STATUSES)})", usage)
    return s


def load_goal(ctx, token: str, usage: str) -> dict:
    gid = parse_id(token, usage)
    g = ctx.store.goal(gid)
    if g is None or g["deleted"]:
        where = ""
        if not ctx.msg.channel.private:
            where = f" in {ctx.r.text(ctx.team({}, usage))}" if g is None else ""
        raise UsageError(f"there is no goal #{gid}{where}" + (" (it was deleted)" if g else ""), usage)
    return g


def names_for(ctx, goals) -> dict:
    return ctx.store.person_names([g["owner"] for g in goals])


@command("goal add", ADD, "add a goal for the quarter", keys=("team", "owner", "due", "quarter", "kind"))
def goal_add(ctx, rest: str) -> Reply:
    title, opts = split_options(rest, ("team", "owner", "due", "quarter", "kind"))
    check_text(title, "title", MAX_TITLE, ADD)
    team = ctx.team(opts, ADD)
    tz = ctx.team_tz(team)
    due = ctx.due(opts["due"], tz, ADD) if "due" in opts else None
    quarter = ctx.quarter(opts, tz, ADD, due)
    owner = ctx.resolve_person(opts["owner"], ADD) if "owner" in opts else ctx.actor.id
    kind = parse_kind(ctx, opts["kind"], ADD) if "kind" in opts else ctx.config.kinds[0]
    goal = {"title": title, "team": team, "quarter": quarter.label, "owner": owner, "kind": kind,
            "due": due.isoformat() if due else None}
    with ctx.write(team, single=True) as conn:
        gid = ctx.store.add_goal(conn, goal, ctx.actor.id, ctx.now)
    goal.update(id=gid, status=None, note=None)
    return Reply(goal_line(ctx, goal, {ctx.actor.id: ctx.actor.name}, ctx.today(tz)), public=True)


@command("goal list", LIST, "the team's goals this quarter", keys=("team", "quarter", "status", "owner"))
def goal_list(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team", "quarter", "status", "owner"))
    no_words(extra, "goal list takes only options", LIST)
    team = ctx.team(opts, LIST)
    tz = ctx.team_tz(team)
    quarter = ctx.quarter(opts, tz, LIST)
    status = None
    if "status" in opts:
        status = "none" if opts["status"].lower() in ("none", "open", "unset") else parse_status(opts["status"], LIST)
    owner = ctx.resolve_person(opts["owner"], LIST) if "owner" in opts else None
    goals = ctx.store.list_goals(team, quarter.label, status, owner, limit=LIST_LIMIT + 1)
    # without quarter:, the quarter under review's goals still without a final status come too
    reviewed = None if "quarter" in opts or status in FINAL_STATUSES else ctx.under_review(team, tz)
    pending = ctx.store.list_goals(team, reviewed.label, status, owner, limit=LIST_LIMIT + 1,
                                   not_final=FINAL_STATUSES) if reviewed else []
    head = f"{ctx.r.bold(ctx.r.text(team))} · {quarter.label}"
    today = ctx.today(tz)
    if not goals:
        lines = [f"{head}: no goals" + (" with that filter" if status or owner else ctx.r.text(" yet (goal add <title>)"))]
    else:
        more = len(goals) > LIST_LIMIT
        goals = goals[:LIST_LIMIT]
        lines = [f"{head}: {len(goals)}{'+' if more else ''} goal{'s' if len(goals) != 1 else ''}"]
        names = names_for(ctx, goals)
        lines += [goal_line(ctx, g, names, today) for g in goals]
        if more:
            lines.append(f"... more than {LIST_LIMIT}: narrow with status: or owner:")
    if pending:
        more = len(pending) > LIST_LIMIT
        pending = pending[:LIST_LIMIT]
        names = names_for(ctx, pending)
        lines.append(f"{reviewed.label} (under review) still without a final status: {len(pending)}{'+' if more else ''}")
        lines += [goal_line(ctx, g, names, today) for g in pending]
    return Reply("\n".join(lines))


@command("goal show", SHOW, "one goal with its history and learnings")
def goal_show(ctx, rest: str) -> Reply:
    token, extra = first_word(rest)
    g = load_goal(ctx, token, SHOW)
    tz = ctx.team_tz(g["team"])
    events = ctx.store.goal_events(g["id"])
    learnings = ctx.store.learnings_of_goal(g["id"])
    names = ctx.store.person_names([g["owner"], g["creator"]] + [e["by"] for e in events] + [l["by"] for l in learnings])
    r = ctx.r
    lines = [goal_line(ctx, g, names, ctx.today(tz)), f"created by {ctx.show(g['creator'], names)}, kind {g['kind']}"]
    for l in learnings:
        lines.append(f"learning: {r.text(l['text'])} ({ctx.show(l['by'], names)})")
    for e in events:
        when = parse_iso(e["at"]).astimezone(zone(tz)).strftime("%d %b %H:%M")
        changes = json.loads(e["changes"])
        if e["action"] == "status":
            old, new = changes.get("status", [None, None])
            note = f' "{r.text(e["note"])}"' if e["note"] else ""
            lines.append(f"{when} {ctx.show(e['by'], names)}: {old or 'none'} -> {r.status(new)}{note}")
        elif e["action"] in ("edit", "delete"):
            what = "deleted" if e["action"] == "delete" else "changed " + ", ".join(sorted(changes))
            lines.append(f"{when} {ctx.show(e['by'], names)}: {what}")
    return Reply("\n".join(lines))


@command("goal edit", EDIT, "change a goal's title, due date, owner, team, quarter or kind",
         keys=("title", "due", "owner", "team", "quarter", "kind"))
def goal_edit(ctx, rest: str) -> Reply:
    token, rest = first_word(rest)
    g = load_goal(ctx, token, EDIT)
    extra, opts = split_options(rest, ("title", "due", "owner", "team", "quarter", "kind"))
    no_words(extra, "say what to change with key:value", EDIT)
    if not opts:
        raise UsageError("nothing to change", EDIT)
    ctx.require_change(g, EDIT)
    changes: dict = {}
    if "title" in opts:
        changes["title"] = check_text(opts["title"], "title", MAX_TITLE, EDIT)
    team = ctx.team({"team": opts["team"]}, EDIT) if "team" in opts else g["team"]
    tz = ctx.team_tz(team)
    if "team" in opts:
        changes["team"] = team
    if "due" in opts:
        due = ctx.due(opts["due"], tz, EDIT)
        changes["due"] = due.isoformat()
        if "quarter" not in opts:
            changes["quarter"] = quarter_of(due, ctx.config.fiscal_start).label
    if "quarter" in opts:
        changes["quarter"] = ctx.quarter(opts, tz, EDIT).label
    if "owner" in opts:
        changes["owner"] = ctx.resolve_person(opts["owner"], EDIT)
    if "kind" in opts:
        changes["kind"] = parse_kind(ctx, opts["kind"], EDIT)
    with ctx.write(team if "team" in opts else None) as conn:
        ctx.store.change_goal(conn, g, changes, "edit", ctx.actor.id, ctx.now)
    g.update(changes)
    names = ctx.store.person_names([g["owner"]])
    return Reply("edited: " + goal_line(ctx, g, names, ctx.today(tz)), public=True)


def set_status(ctx, g: dict, status: str, note: str, usage: str) -> Reply:
    if note:
        check_text(note, "note", MAX_TEXT, usage)
    ctx.require_change(g, usage)
    with ctx.write() as conn:
        ctx.store.change_goal(conn, g, {"status": status, "note": note or None}, "status", ctx.actor.id, ctx.now,
                              note=note or None)
    r = ctx.r
    text = f"#{g['id']} {r.text(g['title'])}: {r.status(status)}"
    if note:
        text += f', "{r.text(note)}"'
    return Reply(text, public=True)


@command("goal status", STATUS, "set a goal's status")
def goal_status(ctx, rest: str) -> Reply:
    token, rest = first_word(rest)
    g = load_goal(ctx, token, STATUS)
    word, note = first_word(rest)
    if not word:
        raise UsageError("which status?", STATUS)
    # "on track" in two words is fine too
    two, after = first_word(note)
    if word.lower() in ("on", "at", "off") and two:
        word, note = f"{word}-{two}", after
    return set_status(ctx, g, parse_status(word, STATUS), note.strip(), STATUS)


def _final(status: str):
    usage = f"goal {status} <id> [note]"

    @command(f"goal {status}", usage, f"the goal ends as {status} ({STATUSES[status][0]})")
    def handler(ctx, rest: str) -> Reply:
        token, note = first_word(rest)
        g = load_goal(ctx, token, usage)
        return set_status(ctx, g, status, note.strip(), usage)

    return handler


goal_hit, goal_partial, goal_miss = _final("hit"), _final("partial"), _final("miss")


@command("goal delete", DELETE, "delete a goal (its history stays)")
def goal_delete(ctx, rest: str) -> Reply:
    token, extra = first_word(rest)
    g = load_goal(ctx, token, DELETE)
    no_words(extra, "goal delete takes only an id", DELETE)
    ctx.require_change(g, DELETE)
    with ctx.write() as conn:
        ctx.store.change_goal(conn, g, {"deleted": 1}, "delete", ctx.actor.id, ctx.now)
    return Reply(f"deleted #{g['id']} {ctx.r.text(g['title'])} (its history is kept)", public=True)
