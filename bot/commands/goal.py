"""goal add | list | show | edit | status | hit | partial | miss | delete | restore | carry"""
from __future__ import annotations

import json
from ..limits import MAX_TEXT, MAX_TITLE, check_name, check_text
from ..format import goal_line
from ..grammar import UsageError, first_word, no_words, parse_id
from ..model import FINAL_STATUSES, STATUSES, Reply
from ..format import fmt_date
from ..quarters import QuarterError, quarter_from_label, quarter_of
from ..times import parse_iso, zone
from .registry import command

ADD = ("goal add <title> [team:<t>] [owner:<who>[,<who>]] [shared:<team>[,<team>]] [due:<when>] [quarter:<q>]"
       " [kind:<k>]   (options may come first: goal add owner:mark due:Friday Ship it)")
LIST = "goal list [team:<t>] [quarter:<q>] [status:<s>] [owner:<who>]"
SHOW = "goal show <id>"
EDIT = ("goal edit <id> [title:<text>] [due:<when>|due:none] [owner:<who>[,<who>]] [shared:<team>[,...]|shared:none]"
        " [team:<t>] [quarter:<q>] [kind:<k>]")
STATUS = "goal status <id> <status> [note]   (statuses: " + ", ".join(STATUSES) + ")"
DELETE = "goal delete <id>"
RESTORE = "goal restore <id>   (a deleted goal comes back, its history intact)"
CARRY = "goal carry <id> [quarter:<q>]   (the goal continues next quarter, or in q, as a new linked goal)"
LIST_LIMIT = 50
MAX_OWNERS = 10
ADD_KEYS = ("team", "owner", "shared", "due", "quarter", "kind")
EDIT_KEYS = ("title", "due", "owner", "shared", "team", "quarter", "kind")

GROUPS = {"goal": "goal add|list|show|edit|status|hit|partial|miss|delete|restore|carry ...  (help goal <sub> for more)"}


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


def load_goal(ctx, token: str, usage: str, change: bool = False, deleted: bool = False) -> dict:
    """The goal an id names, with its owners and shared teams; `change`: refused from another team's
    channel (bot/context.py require_team_of); `deleted`: a deleted goal is fine too."""
    gid = parse_id(token, usage)
    g = ctx.store.goal(gid)
    if g is None or (g["deleted"] and not deleted):
        where = ""
        if not ctx.msg.channel.private:
            where = f" in {ctx.r.text(ctx.team({}, usage))}" if g is None else ""
        restore = f": goal restore {gid} brings it back" if g and usage != RESTORE else ""
        raise UsageError(f"there is no goal #{gid}{where}" + (f" (it was deleted{restore})" if g else ""), usage)
    g["owners"] = ctx.store.owners_of(gid)
    g["shared"] = ctx.store.shared_of(gid)
    if change:
        ctx.require_team_of(g, usage)
    return g


def with_links(ctx, goals: list[dict]) -> list[dict]:
    """Goals with their several owners, shared teams and continuation, for showing (three queries)."""
    ids = [g["id"] for g in goals]
    owners, shared, after = (ctx.store.owners_of_goals(ids), ctx.store.shared_of_goals(ids),
                             ctx.store.continued_as_of(ids))
    for g in goals:
        g["owners"] = owners.get(g["id"]) or ([g["owner"]] if g["owner"] else [])
        g["shared"] = shared.get(g["id"], [])
        g["continued_as"] = after.get(g["id"])
    return goals


def names_for(ctx, goals) -> dict:
    return ctx.store.person_names([o for g in goals for o in (g.get("owners") or [g["owner"]])])


def parse_owners(ctx, text: str, usage: str) -> list[str]:
    """owner:greg or owner:greg,mark: identities, the first the goal's owner."""
    names = text.split(",")
    if len(names) > MAX_OWNERS:
        raise UsageError(f"a goal has at most {MAX_OWNERS} owners, not {len(names)}", usage)
    out: list[str] = []
    for n in names:
        if not n.strip():
            raise UsageError(f"owner:{text[:60]} has an empty name: separate owners with one comma", usage)
        who = ctx.resolve_person(n, usage)
        if who not in out:
            out.append(who)
    return out


def parse_shared(ctx, text: str, team: str, usage: str) -> list[str]:
    """shared:ops or shared:ops,qa: teams that exist, not the goal's own; `none` shares with nobody."""
    if text.strip().lower() == "none":
        return []
    out: list[str] = []
    for n in text.split(","):
        if not n.strip():
            raise UsageError(f"shared:{text[:60]} has an empty team name: separate teams with one comma", usage)
        t = check_name(n.strip().lstrip("#"), "team", usage).lower()
        if t == team:
            raise UsageError(f"#{t} is the goal's own team: shared: names other teams", usage)
        if ctx.store.team(t) is None:
            raise UsageError(f"there is no team {t!r} to share with (a team exists once its channel has used me)", usage)
        if t not in out:
            out.append(t)
    return out


@command("goal add", ADD, "add a goal for the quarter", keys=ADD_KEYS)
def goal_add(ctx, rest: str) -> Reply:
    title, opts = ctx.options(rest, ADD_KEYS)
    check_text(title, "title", MAX_TITLE, ADD)
    team = ctx.team(opts, ADD)
    tz = ctx.team_tz(team)
    due = ctx.due(opts["due"], tz, ADD) if "due" in opts else None
    quarter = ctx.quarter(opts, tz, ADD, due)
    owners = parse_owners(ctx, opts["owner"], ADD) if "owner" in opts else [ctx.actor.id]
    shared = parse_shared(ctx, opts["shared"], team, ADD) if "shared" in opts else []
    kind = parse_kind(ctx, opts["kind"], ADD) if "kind" in opts else ctx.config.kinds[0]
    goal = {"title": title, "team": team, "quarter": quarter.label, "owner": owners[0], "kind": kind,
            "due": due.isoformat() if due else None}
    linked = len(owners) > 1 or shared
    with ctx.write(team, single=not linked) as conn:
        gid = ctx.store.add_goal(conn, goal, ctx.actor.id, ctx.now)
        if linked:
            ctx.store.add_goal_links(conn, gid, owners, shared)
    goal.update(id=gid, status=None, note=None, owners=owners, shared=shared)
    names = ctx.store.person_names(owners) if len(owners) > 1 else {ctx.actor.id: ctx.actor.name}
    return Reply(goal_line(ctx, goal, names, ctx.today(tz)), public=True)


@command("goal list", LIST, "the team's goals this quarter", keys=("team", "quarter", "status", "owner"))
def goal_list(ctx, rest: str) -> Reply:
    extra, opts = ctx.options(rest, ("team", "quarter", "status", "owner"))
    no_words(extra, "goal list takes only options", LIST)
    team = ctx.team(opts, LIST)
    tz = ctx.team_tz(team)
    quarter = ctx.quarter(opts, tz, LIST)
    status = None
    if "status" in opts:
        status = "none" if opts["status"].lower() in ("none", "open", "unset") else parse_status(opts["status"], LIST)
    owner = ctx.resolve_person(opts["owner"], LIST) if "owner" in opts else None
    goals = ctx.store.list_goals(team, quarter.label, status, owner, limit=LIST_LIMIT + 1, shared=True)
    # without quarter:, the quarter under review's goals still without a final status come too
    reviewed = None if "quarter" in opts or status in FINAL_STATUSES else ctx.under_review(team, tz)
    pending = ctx.store.list_goals(team, reviewed.label, status, owner, limit=LIST_LIMIT + 1,
                                   not_final=FINAL_STATUSES, shared=True) if reviewed else []
    head = f"{ctx.r.bold(ctx.r.text(team))} · {quarter.label}"
    today = ctx.today(tz)
    if not goals:
        lines = [f"{head}: no goals" + (" with that filter" if status or owner else ctx.r.text(" yet (goal add <title>)"))]
    else:
        more = len(goals) > LIST_LIMIT
        goals = with_links(ctx, goals[:LIST_LIMIT])
        lines = [f"{head}: {len(goals)}{'+' if more else ''} goal{'s' if len(goals) != 1 else ''}"]
        names = names_for(ctx, goals)
        lines += [goal_line(ctx, g, names, today) for g in goals]
        if more:
            lines.append(f"... more than {LIST_LIMIT}: narrow with status: or owner:")
    if pending:
        more = len(pending) > LIST_LIMIT
        pending = with_links(ctx, pending[:LIST_LIMIT])
        names = names_for(ctx, pending)
        lines.append(f"{reviewed.label} (under review) still without a final status: {len(pending)}{'+' if more else ''}")
        lines += [goal_line(ctx, g, names, today) for g in pending]
    return Reply("\n".join(lines))


@command("goal show", SHOW, "one goal with its history and learnings")
def goal_show(ctx, rest: str) -> Reply:
    token, extra = first_word(rest)
    g = load_goal(ctx, token, SHOW, deleted=True)
    with_links(ctx, [g])
    g["continues"] = g.get("continues")
    tz = ctx.team_tz(g["team"])
    today = ctx.today(tz)
    events = ctx.store.goal_events(g["id"])
    learnings = ctx.store.learnings_of_goal(g["id"])
    ids = [*g["owners"], g["creator"]] + [e["by"] for e in events] + [l["by"] for l in learnings]
    for e in events:
        ids += [v for k, pair in json.loads(e["changes"]).items() if k == "owner" for v in pair]
        ids += [v for k, pair in json.loads(e["changes"]).items() if k == "owners" for side in pair for v in side or ()]
    names = ctx.store.person_names([i for i in ids if isinstance(i, str)])
    r = ctx.r
    lines = [goal_line(ctx, g, names, today), f"created by {ctx.show(g['creator'], names)}, kind {g['kind']}"]
    if g["deleted"]:
        lines.append(ctx.r.text(f"deleted: goal restore {g['id']} brings it back"))
    for l in learnings:
        lines.append(f"learning L{l['id']}: {r.text(l['text'])} ({ctx.show(l['by'], names)})")
    for e in events:
        when = parse_iso(e["at"]).astimezone(zone(tz)).strftime("%d %b %H:%M")
        changes = json.loads(e["changes"])
        who = ctx.show(e["by"], names)
        if e["action"] == "status":
            old, new = changes.get("status", [None, None])
            note = f' "{r.text(e["note"])}"' if e["note"] else ""
            lines.append(f"{when} {who}: {old or 'none'} -> {r.status(new)}{note}")
        elif e["action"] == "edit":
            what = "; ".join(f"{k} {_shown(ctx, k, old, names, today)} -> {_shown(ctx, k, new, names, today)}"
                             for k, (old, new) in sorted(changes.items()) if k != "owner" or "owners" not in changes)
            lines.append(f"{when} {who}: changed {what}")
        elif e["action"] in ("delete", "restore"):
            lines.append(f"{when} {who}: {'deleted' if e['action'] == 'delete' else 'restored'}")
        elif e["action"] == "carry":
            new = (changes.get("continued_as") or [None, None])[1]
            lines.append(f"{when} {who}: continued as #{new}")
    return Reply("\n".join(lines))


def _shown(ctx, field: str, value, names: dict, today) -> str:
    """An old or new value in `goal show`'s history: dates as dates, people by name, none for nothing."""
    if value is None or value == []:
        return "none"
    if field == "due":
        return fmt_date(value, today)
    if field == "owner":
        return ctx.show(value, names)
    if field == "owners":
        return ", ".join(ctx.show(v, names) for v in value)
    if field == "shared":
        return ", ".join(ctx.r.text(v) for v in value)
    return ctx.r.text(repr(value) if field == "title" else str(value))


@command("goal edit", EDIT, "change a goal's title, due date, owner, team, quarter or kind",
         keys=EDIT_KEYS)
def goal_edit(ctx, rest: str) -> Reply:
    token, rest = first_word(rest)
    g = load_goal(ctx, token, EDIT, change=True)
    extra, opts = ctx.options(rest, EDIT_KEYS)
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
    if "due" in opts and opts["due"].strip().lower() in ("none", "no", "-"):
        changes["due"] = None  # the goal stays in its quarter
    elif "due" in opts:
        due = ctx.due(opts["due"], tz, EDIT)
        changes["due"] = due.isoformat()
        if "quarter" not in opts:
            changes["quarter"] = quarter_of(due, ctx.config.fiscal_start).label
    if "quarter" in opts:
        changes["quarter"] = ctx.quarter(opts, tz, EDIT).label
    if "owner" in opts:
        owners = parse_owners(ctx, opts["owner"], EDIT)
        if len(owners) == 1 and len(g["owners"]) <= 1:
            changes["owner"] = owners[0]  # one owner for another: the history says owner, as it always has
        elif owners != g["owners"]:
            changes["owners"] = owners
    if "shared" in opts:
        shared = parse_shared(ctx, opts["shared"], team, EDIT)
        if shared != g["shared"]:
            changes["shared"] = shared
    if "kind" in opts:
        changes["kind"] = parse_kind(ctx, opts["kind"], EDIT)
    with ctx.write(team if "team" in opts else None) as conn:
        ctx.store.change_goal(conn, g, changes, "edit", ctx.actor.id, ctx.now)
    g.update(changes)
    names = names_for(ctx, [g])
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
    g = load_goal(ctx, token, STATUS, change=True)
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
        g = load_goal(ctx, token, usage, change=True)
        return set_status(ctx, g, status, note.strip(), usage)

    return handler


goal_hit, goal_partial, goal_miss = _final("hit"), _final("partial"), _final("miss")


@command("goal delete", DELETE, "delete a goal (its history stays)")
def goal_delete(ctx, rest: str) -> Reply:
    token, extra = first_word(rest)
    g = load_goal(ctx, token, DELETE, change=True)
    no_words(extra, "goal delete takes only an id", DELETE)
    ctx.require_change(g, DELETE)
    with ctx.write() as conn:
        ctx.store.change_goal(conn, g, {"deleted": 1}, "delete", ctx.actor.id, ctx.now)
    return Reply(f"deleted #{g['id']} {ctx.r.text(g['title'])} (its history is kept; goal restore {g['id']}"
                 " brings it back)", public=True)


@command("goal restore", RESTORE, "bring back a deleted goal, its history intact")
def goal_restore(ctx, rest: str) -> Reply:
    token, extra = first_word(rest)
    g = load_goal(ctx, token, RESTORE, change=True, deleted=True)
    no_words(extra, "goal restore takes only an id", RESTORE)
    if not g["deleted"]:
        raise UsageError(f"#{g['id']} is not deleted: there is nothing to restore", RESTORE)
    ctx.require_change(g, RESTORE)
    with ctx.write() as conn:
        ctx.store.change_goal(conn, g, {"deleted": 0}, "restore", ctx.actor.id, ctx.now)
    g["deleted"] = 0
    tz = ctx.team_tz(g["team"])
    return Reply("restored: " + goal_line(ctx, with_links(ctx, [g])[0], names_for(ctx, [g]), ctx.today(tz)),
                 public=True)


@command("goal carry", CARRY, "the goal continues next quarter (or in q) as a new goal linked to this one",
         keys=("quarter",))
def goal_carry(ctx, rest: str) -> Reply:
    token, rest = first_word(rest)
    g = load_goal(ctx, token, CARRY, change=True)
    extra, opts = ctx.options(rest, ("quarter",))
    no_words(extra, "goal carry takes an id and quarter:", CARRY)
    ctx.require_change(g, CARRY)
    tz = ctx.team_tz(g["team"])
    fs = ctx.config.fiscal_start
    try:
        here = quarter_from_label(g["quarter"], fs)
    except QuarterError:
        here = quarter_of(ctx.today(tz), fs)
    target = ctx.quarter(opts, tz, CARRY) if "quarter" in opts else here.next()
    today = ctx.today(tz)
    if target.end < today:
        raise UsageError(f"{target.label} is over: carry a goal into this quarter or a later one", CARRY)
    if target <= here:
        raise UsageError(f"#{g['id']} is in {here.label}: it continues in a later quarter, not {target.label}", CARRY)
    for other in ctx.store.continuations(g["id"]):
        if other["quarter"] == target.label and not other["deleted"]:
            raise UsageError(f"#{g['id']} already continues in {target.label} as #{other['id']}", CARRY)
    new = {"title": g["title"], "team": g["team"], "quarter": target.label, "owner": g["owner"], "kind": g["kind"],
           "due": None}
    with ctx.write(g["team"]) as conn:
        nid = ctx.store.add_goal(conn, new, ctx.actor.id, ctx.now)
        ctx.store.add_goal_links(conn, nid, g["owners"], g["shared"], continues=g["id"])
        ctx.store.add_goal_event(conn, g["id"], "carry", {"continued_as": [None, nid]}, ctx.actor.id, ctx.now)
    new.update(id=nid, status=None, note=None, owners=g["owners"], shared=g["shared"], continues=g["id"])
    status = ctx.r.status(g["status"])
    return Reply(f"#{g['id']} stays in {here.label} ({status}; it still needs a final status) and continues as\n"
                 + goal_line(ctx, new, names_for(ctx, [new]), today), public=True)
