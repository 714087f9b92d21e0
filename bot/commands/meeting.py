"""meetings [team:] | minutes M<id> | actions [team:] [owner:] | action done A<id> [note]"""
from __future__ import annotations

from ..grammar import UsageError, first_word, no_words, split_options
from ..limits import MAX_TEXT, check_text
from ..meeting.minutes import MinutesError, chat_summary, load_minutes, parse_meeting_id, render_html
from ..model import Reply
from ..times import parse_iso, zone
from .registry import command

MEETINGS = "meetings [team:<t>]"
MINUTES = "minutes M<id>"
ACTIONS = "actions [team:<t>] [owner:<who>] [all]"
DONE = "action done A<id> [note]"
SHOW = 20

GROUPS = {"action": DONE}


@command("meetings", MEETINGS, "the team's review meetings, newest first", keys=("team",))
def meetings(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "meetings takes only team:", MEETINGS)
    team = ctx.team(opts, MEETINGS)
    tz = zone(ctx.team_tz(team))
    rows = ctx.store.meetings_of(team, SHOW)
    r = ctx.r
    if not rows:
        return Reply(f"{r.text(team)}: no meetings yet (#startmeeting in the team's channel)")
    lines = [f"{r.bold(r.text(team))} meetings:"]
    for m in rows:
        when = parse_iso(m["started_at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        state = "running" if not m["ended_at"] else ("ended" if m["end_how"] != "silence" else "ended (silence)")
        lines.append(f"M{m['id']} {when} {r.text(m['title'])} · {r.text(m['channel_name'])} · {state}")
    return Reply("\n".join(lines))


def _meeting_id(token: str, usage: str) -> int:
    mid = parse_meeting_id(token)
    if mid is None:
        raise UsageError(f"{token[:40]!r} is not a meeting id (like M3)" if token else "which meeting? (like M3)", usage)
    return mid


@command("minutes", MINUTES, "a meeting's minutes: the summary here, the whole file on platforms that take files",
         slow=True)
def minutes(ctx, rest: str) -> Reply:
    token, extra = first_word(rest)
    mid = _meeting_id(token, MINUTES)
    no_words(extra, "minutes takes only a meeting id", MINUTES)
    try:
        m = load_minutes(ctx.store, ctx.config, mid)
    except MinutesError as e:
        raise UsageError(str(e), MINUTES) from None
    lines = chat_summary(m, ctx.r)
    reply = Reply("\n".join(lines))
    if ctx.r.uploads:  # a platform that takes files gets the whole minutes beside the summary
        reply.files.append((f"minutes-M{mid}-{m.team}-{m.date.isoformat()}.html", m.title, render_html(m)))
    else:
        reply.text += f"\nthe whole minutes: goalkeeper minutes M{mid} --format html|md|wiki [-o FILE]"
    return reply


@command("actions", ACTIONS, "the team's open action items from review meetings (all: the done ones too)",
         keys=("team", "owner"))
def actions(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team", "owner"))
    every = extra.strip().lower() == "all"
    if not every:
        no_words(extra, "actions takes team:, owner: and all", ACTIONS)
    team = ctx.team(opts, ACTIONS) if "team" in opts or not ctx.msg.channel.private else None
    owner = ctx.resolve_person(opts["owner"], ACTIONS) if "owner" in opts else None
    rows = ctx.store.list_actions(team, owner, not every, SHOW + 1)
    r = ctx.r
    names = ctx.store.person_names([a["owner"] for a in rows])
    head = f"{r.text(team) if team else 'every team'}: {'action items' if every else 'open action items'}"
    if owner:
        head += f" of {ctx.show(owner, names)}"
    if not rows:
        return Reply(f"{head}: none")
    lines = [f"{head}:"]
    for a in rows[:SHOW]:
        state = "" if not a["done_at"] else f" (done {a['done_at'][:10]})"
        where = "" if team else f" · {r.text(a['team'])}"
        lines.append(f"A{a['id']} {ctx.show(a['owner'], names)}: {r.text(a['text'])} · M{a['meeting_id']}{where}{state}")
    if len(rows) > SHOW:
        lines.append(f"... more than {SHOW}: narrow with owner:")
    return Reply("\n".join(lines))


@command("action done", DONE, "an action item is done (its owner, a chair of its meeting, or an admin)")
def action_done(ctx, rest: str) -> Reply:
    token, note = first_word(rest)
    t = token.strip()
    t = t[1:] if t[:1] in ("A", "a") else t
    if not (t.isdigit() and t.isascii() and len(t) <= 9):
        raise UsageError(f"{token[:40]!r} is not an action item id (like A9)" if token else "which action item? (like A9)",
                         DONE)
    a = ctx.store.action(int(t))
    if a is None or a["deleted"]:
        raise UsageError(f"there is no action item A{t}", DONE)
    note = note.strip()
    if note:
        check_text(note, "note", MAX_TEXT, DONE)
    if a["done_at"]:
        raise UsageError(f"A{a['id']} is done already (since {a['done_at'][:10]})", DONE)
    chairs = ctx.store.meeting_chairs(a["meeting_id"])
    if ctx.actor.id != a["owner"] and ctx.actor.id not in chairs and not ctx.is_admin():
        names = ctx.store.person_names([a["owner"], *chairs])
        who = ", ".join([ctx.show(a["owner"], names) + " (owner)"] + [ctx.show(c, names) for c in chairs])
        raise UsageError(f"only {who} (chairs of M{a['meeting_id']}) or an admin may close A{a['id']}", DONE)
    with ctx.write() as conn:
        if not ctx.store.finish_action(conn, a["id"], ctx.actor.id, ctx.now, note or None):
            raise UsageError(f"A{a['id']} is done already", DONE)
    text = f"A{a['id']} done: {ctx.r.text(a['text'])}"
    if note:
        text += f', "{ctx.r.text(note)}"'
    return Reply(text, public=True)
