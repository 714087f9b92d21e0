"""The weekly check-in: at each team's check-in slot, every owner of a quiet goal is asked about it.

A goal is quiet when it belongs to the team's current quarter or the quarter under review (at the
slot), has no final status, and has had no status change, note or learning in the 7 days before the
slot (counted from when it was added, if it has had none). Its owner is asked once per team and week:

- where the chat reaches one person (console, Slack), one message per owner (`checkin|team|owner|slot`);
- where it asks in the channel (IRC), one line in the team channel naming those owners (at most
  MAX_NAMED a line), by the name the bot last saw for each account.

A team's pass is claimed once per slot in the store (`claim_checkin_pass`) in the same commit as its
messages, so restarts and several processes ask once; only the latest slot is ever a candidate, as
for digests (a missed one goes out late once, an older one is skipped, a clock set back resends none).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .digest import LINE_BYTES, clip
from .life import team_under_review
from .model import FINAL_STATUSES
from .people import display_name, namespace
from .quarters import quarter_of
from .render import renderer_for
from .slots import UTC, parse_hhmm, week_before, weekly_slots
from .times import instant_or_none, iso, zone, zone_or_default

KIND = "checkin"
MAX_NAMED = 10  # never ping more than this many people in one IRC line
HINT = "goal status <id> <status> [note] or learning <id> <text>"


def owner_key(team: str, owner: str, slot: str) -> str:
    return f"{KIND}|{team}|{owner}|{slot}"


def channel_key(channel: str, slot: str) -> str:
    return f"{channel}|{KIND}|{slot}"


@dataclass
class CheckinDue:
    team: str
    slot: datetime
    tz: str


def plan_checkins(rows: list[dict], now: datetime, default_tz: str = "UTC"):
    """Pure: the teams whose latest check-in slot at `now` has no pass yet, and the next slot of any team.
    `rows`: the scheduler's channel rows (a team once per channel), each with its team's `checkin_done`."""

    now = now.astimezone(UTC)
    out, nxt = [], None
    specs: dict[tuple, tuple] = {}  # (zone, weekday, time) -> slots: ten thousand teams share a few schedules
    seen: set[str] = set()
    for row in rows:
        if not row["checkin_enabled"] or row["team"] in seen:
            continue
        seen.add(row["team"])
        spec = (row["tz"], row["checkin_weekday"], row["checkin_time"])
        slots = specs.get(spec)
        if slots is None:
            tz = zone_or_default(row["tz"], default_tz)
            h, m = parse_hhmm(row["checkin_time"])
            slot, following = weekly_slots(now, int(row["checkin_weekday"]) % 7, h, m, tz)
            slots = specs[spec] = (slot, following, iso(slot), tz.key)
            if nxt is None or following < nxt:
                nxt = following
        slot, _, slot_iso, tzname = slots
        since = instant_or_none(row["checkin_since"])
        if since is not None and slot <= since:
            continue  # the first check-in is the first slot after the schedule (or the team) began
        done = row["checkin_done"]
        if done is not None and done >= slot_iso:
            continue  # asked already, or a later slot was (the clock went back)
        out.append(CheckinDue(row["team"], slot, tzname))
    return out, nxt


def pairs_for(store, config, due: CheckinDue) -> list[tuple[str, dict]]:
    """(owner, goal) pairs of the team's quiet goals at the slot: the one store call that knows owners."""
    tz = zone(due.tz)
    labels = [quarter_of(due.slot.astimezone(tz).date(), config.fiscal_start).label]
    reviewed = team_under_review(store, config, due.team, due.slot)
    if reviewed is not None and reviewed.label not in labels:
        labels.append(reviewed.label)
    return store.checkin_pairs(due.team, labels, FINAL_STATUSES, iso(week_before(due.slot, tz)))


def build_checkins(store, config, due: CheckinDue) -> list[dict]:
    """The outbox rows of one team's check-in: {key, channel_key, platform, kind, slot, text, data}."""
    pairs = pairs_for(store, config, due)
    if not pairs:
        return []
    goals: dict[str, list[dict]] = {}
    for owner, goal in pairs:
        goals.setdefault(owner, []).append(goal)
    channels = store.channels_of(due.team)  # public, by key: the first of a chat is where its people are asked
    where: dict[str, dict] = {}
    for c in channels:
        where.setdefault(namespace(c["key"]), c)
    names = store.person_names(goals)
    slot = iso(due.slot)
    out, in_channel = [], {}
    for owner, mine in goals.items():
        ch = where.get(namespace(owner))
        if ch is None:
            continue  # no channel of the team reaches this person's chat
        r = renderer_for(ch["platform"])
        if r.asks_in_channel:
            in_channel.setdefault(ch["key"], (ch, []))[1].append(owner)
            continue
        name = display_name(owner, names)
        out.append({"key": owner_key(due.team, owner, slot), "channel_key": ch["key"], "platform": ch["platform"],
                    "kind": KIND, "slot": slot, "text": owner_text(r, due.team, mine),
                    "data": {"team": due.team, "owner": owner, "owner_name": name, "goals": mine}})
    for key, (ch, owners) in in_channel.items():
        r = renderer_for(ch["platform"])
        out.append({"key": channel_key(key, slot), "channel_key": key, "platform": ch["platform"], "kind": KIND,
                    "slot": slot, "text": "\n".join(channel_lines(r, due.team, owners, goals, names)),
                    "data": {"team": due.team, "owners": {o: [g["id"] for g in goals[o]] for o in owners}}})
    return out


def goal_line(r, g: dict) -> str:
    status = r.status(g["status"]) if g["status"] else "no status yet"
    return f"#{g['id']} {r.text(clip(g['title'], 120))} · {status} · {g['quarter']}"


def owner_text(r, team: str, goals: list[dict]) -> str:
    n = len(goals)
    head = (f"{r.bold('Check-in')} · {r.text(team)} · {n} goal{'s' * (n != 1)} with no update for a week: "
            f"how {'are they' if n != 1 else 'is it'} going?")
    return "\n".join([head] + [f"  {goal_line(r, g)}" for g in goals] + [r.text(f"(answer with {HINT})")])


def _owner_item(r, name: str, goals: list[dict], budget: int) -> str:
    """`name: #1 title, #2 title`, shortened to ids, then to `and N more`, to fit `budget` bytes."""
    full = f"{name}: " + ", ".join(f"#{g['id']} {r.text(clip(g['title'], 30))}" for g in goals)
    if len(full.encode()) <= budget:
        return full
    ids = [f"#{g['id']}" for g in goals]
    for k in range(len(ids), 0, -1):
        text = f"{name}: " + " ".join(ids[:k]) + (f" and {len(ids) - k} more" if k < len(ids) else "")
        if len(text.encode()) <= budget:
            return text
    return f"{name}: {len(ids)} goals"


def channel_lines(r, team: str, owners: list[str], goals: dict, names: dict) -> list[str]:
    """Lines naming the owners (at most MAX_NAMED each) with their quiet goals, each under LINE_BYTES."""
    head = f"{r.bold('Check-in')} {r.text(team)}, no update for a week: "
    tail = f" · how are they going? ({HINT})"
    per_owner = (LINE_BYTES - len(head.encode()) - len(tail.encode())) // 2
    lines, cur, count = [], [], 0
    for owner in owners:
        item = _owner_item(r, r.mention(owner, names), goals[owner], per_owner)
        candidate = "; ".join(cur + [item])
        if cur and (count >= MAX_NAMED or len((head + candidate + tail).encode()) > LINE_BYTES):
            lines.append(head + "; ".join(cur))
            cur, count = [], 0
        cur.append(item)
        count += 1
    lines.append(head + "; ".join(cur) + tail)
    return lines
