"""The weekly digest and the review reminders, as text for one platform.

Both read the store with aggregate queries (COUNT ... GROUP BY, LIMIT), never a team's
whole history, so a team with a thousand goals and ten thousand learnings costs a
few milliseconds. `short=True` (IRC) keeps the digest within 8 lines, each well under
IRC's 512-byte line; the long form (console, Slack) caps every list with "and N more".
"""
from __future__ import annotations

import json
from datetime import date, datetime

from .format import fmt_date, fmt_value, judge, possessive
from .life import team_under_review
from .model import FINAL_STATUSES
from .people import display_name
from .quarters import quarter_of, reviewed_quarter
from .slots import week_before
from .times import iso, zone

SPARK = "▁▂▃▄▅▆▇█"
STATUS_ORDER = ("off-track", "at-risk", "on-track", "none", "hit", "partial", "miss", "dropped")
SHORT_LINES = 8
LINE_BYTES = 380  # an IRC line holds 512 bytes with the `PRIVMSG #channel :` prefix
LONG = {"goals": 5, "events": 12, "learnings": 8, "kpis": 10, "reminder": 50}
SHORT = {"goals": 6, "events": 8, "learnings": 2, "kpis": 4, "reminder": 30}


# -- small pieces -------------------------------------------------------------------------


def sparkline(values: list[float]) -> str:
    """▁▃▅▇ from the values' range; a flat series is a flat line, one value none."""
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARK[3] * len(values)
    top = len(SPARK) - 1
    span = hi / 2 - lo / 2  # halves: the range of two huge values of opposite sign stays finite
    return "".join(SPARK[min(top, max(0, round((v / 2 - lo / 2) / span * top)))] for v in values)


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def pack(head: str, items: list[str], total: int, limit: int = LINE_BYTES, lines: int = 1) -> list[str]:
    """`head item, item, ... and N more` over at most `lines` lines of `limit` UTF-8 bytes each."""
    out: list[str] = []
    cur, fresh, shown = head, True, 0
    for item in items:
        rest = total - shown - 1
        tail = f" and {rest} more" if rest else ""
        candidate = cur + ("" if fresh else ", ") + item
        if len((candidate + tail).encode()) > limit and not fresh and len(out) + 1 < lines:
            out.append(cur + ",")
            cur, fresh = "  ", True
            candidate = cur + item
        if len((candidate + tail).encode()) > limit:
            break
        cur, fresh, shown = candidate, False, shown + 1
    if total > shown:
        cur += ("" if fresh else " ") + f"and {total - shown} more"
    out.append(cur)
    return out


def _days_text(review: str | None, today: date) -> str:
    if not review:
        return "no review date yet (review date <when>)"
    d = date.fromisoformat(review)
    n = (d - today).days
    when = fmt_date(d, today)
    if n > 1:
        return f"review {when}, in {n} days"
    if n == 1:
        return f"review {when}, tomorrow"
    if n == 0:
        return f"review {when}, today"
    return f"last review {when} ({-n} days ago; review date <when> sets the next)"


def _team_zones(store, config, team: str) -> tuple[dict | None, str, str]:
    row = store.team(team)
    tz = (row or {}).get("tz") or config.tz
    return row, tz, (row or {}).get("digest_tz") or tz


def _names(store, ids) -> dict:
    return store.person_names([i for i in ids if i])


def _who(r, identity: str | None, names: dict) -> str:
    return r.text(display_name(identity, names))


# -- the weekly digest ---------------------------------------------------------------------


def build_digest(store, config, team: str, now: datetime, renderer, *, until: datetime | None = None, since: datetime | None = None) -> str:
    """The team's weekly digest at `now`: goals by status, the week's changes and learnings, KPIs with
    their trend, days until the review. The week is the 7 days (same wall time, across DST) up to
    `until` (a scheduled digest passes its slot), else up to now; it starts at `since` if earlier (the
    previous slot: a slot moved out of a spring-forward gap leaves no half hour in no digest)."""
    r = renderer
    short = r.short
    row, tzname, dtzname = _team_zones(store, config, team)
    tz, dtz = zone(tzname), zone(dtzname)
    end = until or now
    start = week_before(end, dtz)
    if since is not None and since < start:
        start = since
    today = now.astimezone(tz).date()
    quarter = quarter_of(today, config.fiscal_start)
    lim = SHORT if short else LONG
    s_end, s_start = iso(end), iso(start)

    counts = store.count_goals(team, quarter.label)
    total = sum(counts.values())
    by_status: dict[str, list[dict]] = {}
    for st in counts:  # one indexed look-up per status present: cost grows with what is shown
        by_status[st] = store.goals_with_status(team, quarter.label, None if st == "none" else st, lim["goals"])
    n_events, events = store.team_events(team, s_start, s_end, lim["events"])
    n_learnings, learnings = store.team_learnings_between(team, s_start, s_end, lim["learnings"])
    n_kpis, kpis = store.kpis_page(team, lim["kpis"])
    kpi_texts = [_kpi_text(store, r, k, s_end) for k in kpis]
    n_actions, actions = store.open_actions(team, lim["events"])
    action_items = _action_items(store, r, actions, 40 if short else 100)

    names = _names(store, [e["by"] for e in events] + [l["by"] for l in learnings])
    review = (row or {}).get("review_date")
    # while a quarter is under review, its goals still without a final status are shown beside the new quarter's
    reviewed = team_under_review(store, config, team, now, row)
    n_pending, pending = store.goals_not_final(team, [reviewed.label], FINAL_STATUSES, lim["goals"]) if reviewed else (0, [])
    pending_items = [f"#{g['id']} {r.text(clip(g['title'], 40 if short else 60))} ({_status_word(r, g['status'])})"
                     for g in pending]
    pending_head = f"{reviewed.label} under review, no final status yet ({n_pending}): " if n_pending else ""
    head = (f"{r.bold('Weekly digest')} · {r.text(team)} · {quarter.label} · week to "
            f"{fmt_date(end.astimezone(dtz).date(), today)} · {_days_text(review, today)}")
    summary = ", ".join(f"{counts[s]} {_status_word(r, s)}" for s in STATUS_ORDER if counts.get(s))
    goals_line = f"Goals ({total}): {summary}" if total else r.text(f"Goals: none in {quarter.label} yet (goal add <title>)")
    event_items = [_event_text(r, e, names, short) for e in events]
    learning_items = [_learning_text(r, l, names, 50 if short else 120) for l in learnings]

    if short:
        lines = [clip_bytes(head), clip_bytes(goals_line)]
        if n_pending:
            lines += pack(pending_head, pending_items, n_pending)
        open_goals = by_status.get("none", []) + by_status.get("off-track", []) + by_status.get("at-risk", [])
        n_open = counts.get("none", 0) + counts.get("off-track", 0) + counts.get("at-risk", 0)
        if open_goals:
            items = [f"#{g['id']} {r.text(clip(g['title'], 40))} ({_status_word(r, g['status'] or 'none')})" for g in open_goals]
            lines += pack("Needs attention: ", items, n_open)
        lines += pack(f"This week ({n_events} change{'s' * (n_events != 1)}): ", event_items, n_events,
                      lines=2) if n_events else ["This week: no goal changed"]
        if n_learnings:
            lines += pack(f"New learnings ({n_learnings}): ", learning_items, n_learnings)
        else:
            lines.append("New learnings: none this week (learning <goal-id> <text>)")
        if n_actions:
            lines += pack(f"Open actions ({n_actions}): ", action_items, n_actions)
        if kpi_texts:
            lines += pack("KPIs: ", kpi_texts, n_kpis)
        return "\n".join(lines[:SHORT_LINES])

    lines = [head, goals_line]
    for s in STATUS_ORDER:
        if not counts.get(s):
            continue
        items = [f"#{g['id']} {r.text(clip(g['title'], 60))}" for g in by_status.get(s, [])]
        more = counts[s] - len(items)
        lines.append(f"  {_status_word(r, s)} ({counts[s]}): " + ", ".join(items) + (f" and {more} more" if more else ""))
    if n_pending:
        lines += _section(pending_head.rstrip(" :") + ":", pending_items, n_pending, " (goal list)", None)
    lines += _section(f"This week ({n_events} change{'s' * (n_events != 1)}):", event_items, n_events, "",
                      "This week: no goal changed")
    lines += _section(f"New learnings ({n_learnings}):", learning_items, n_learnings, " (learnings)",
                      r.text("New learnings: none this week (learning <goal-id> <text>)"))
    lines += _section(r.text(f"Open action items ({n_actions}; action done A<id>):"), action_items, n_actions,
                      " (actions)", None)
    lines += _section("KPIs:", kpi_texts, n_kpis, " (kpi list)", None)
    return "\n".join(lines)


def _action_items(store, r, actions: list[dict], width: int) -> list[str]:
    """`A3 chris: write up the asks (M2)`: an open action item of a review meeting."""
    names = _names(store, [a["owner"] for a in actions])
    return [f"A{a['id']} {_who(r, a['owner'], names)}: {r.text(clip(a['text'], width))} (M{a['meeting_id']})"
            for a in actions]


def _section(title: str, items: list[str], total: int, more_hint: str, empty: str | None) -> list[str]:
    """A titled, indented list that says how many more there are; `empty` when there is nothing."""
    if not total:
        return [empty] if empty else []
    out = [title] + [f"  {t}" for t in items]
    if total > len(items):
        out.append(f"  and {total - len(items)} more{more_hint}")
    return out


def clip_bytes(line: str, limit: int = LINE_BYTES) -> str:
    if len(line.encode()) <= limit:
        return line
    b = line.encode()[: limit - 3]
    return b.decode("utf-8", "ignore") + "…"


def _status_word(r, status: str | None) -> str:
    if not status or status == "none":
        return "no status"
    return r.status(status)


def _event_text(r, e: dict, names: dict, short: bool) -> str:
    title = r.text(clip(e["title"], 30 if short else 60))
    what = e["action"]
    try:
        changes = json.loads(e["changes"] or "{}")
    except ValueError:
        changes = {}
    if what == "create":
        text = "added"
    elif what == "delete":
        text = "deleted"
    elif what == "status":
        old, new = (changes.get("status") or [None, None])[:2]
        if "status" not in changes:
            new = old = None
        text = f"{_status_word(r, old)} -> {_status_word(r, new)}" if new else "status set again"
        if e["note"]:
            text += f' "{r.text(clip(e["note"], 40 if short else 100))}"'
    else:
        text = "edited " + (", ".join(sorted(changes)) or "nothing")
    by = "" if short else f" ({_who(r, e['by'], names)})"
    return f"#{e['goal_id']} {title}: {text}{by}"


def _learning_text(r, l: dict, names: dict, n: int) -> str:
    on = f"#{l['goal_id']}" if l["goal_id"] else "team"
    return f'{on}: "{r.text(clip(l["text"], n))}" ({_who(r, l["by"], names)})'


def _kpi_text(store, r, k: dict, until: str) -> str:
    values = store.kpi_recent_values(k["id"], until, 8)
    name = r.text(k["name"])
    unit = r.text(k["unit"]) if k["unit"] else None
    if not values:
        return f"{name}: no value yet"
    text = f"{name} {fmt_value(values[-1], unit)}"
    spark = sparkline(values)
    if spark:
        text += f" {spark} ({judge(values[0], values[-1], k['better'])})"
    return text


# -- the review reminder -------------------------------------------------------------------


def build_reminder(store, config, team: str, now: datetime, renderer, *, review: str | None = None, days: int | None = None) -> str:
    """Before the review: the goals with no final status and the goals with no learning, of the
    quarter the review reviews, never the next one's (each named `#id title`)."""
    r = renderer
    short = r.short
    row, tzname, _ = _team_zones(store, config, team)
    today = now.astimezone(zone(tzname)).date()
    review = review or (row or {}).get("review_date")
    reviewed = (reviewed_quarter(date.fromisoformat(review), config.fiscal_start) if review
                else quarter_of(today, config.fiscal_start))
    labels = [reviewed.label]
    cap = SHORT["reminder"] if short else LONG["reminder"]
    n_open, open_goals = store.goals_not_final(team, labels, FINAL_STATUSES, cap)
    n_bare, bare = store.goals_without_learning(team, labels, cap)

    last = store.last_ended_meeting(team)
    acts = [a for a in store.actions_of_meeting(last["id"]) if not a["done_at"]] if last else []
    act_head = f"Open actions from the last review meeting M{last['id']} ({len(acts)}): " if acts else ""
    when = _days_text(review, today)
    lines = [f"{r.bold('Reminder')}: {r.text(possessive(team))} quarterly {when} · goals of {' and '.join(labels)}"]
    width = 120 if short else 200
    open_items = [f"#{g['id']} {r.text(clip(g['title'], width))}: {_status_word(r, g['status'])}" for g in open_goals]
    bare_items = [f"#{g['id']} {r.text(clip(g['title'], width))}" for g in bare]
    if short:
        lines += pack(f"No final status yet ({n_open}): ", open_items, n_open, lines=3) if n_open else [
            "Every goal has a final status."]
        lines += pack(f"No learning yet ({n_bare}): ", bare_items, n_bare, lines=3) if n_bare else [
            "Every goal has a learning."]
        if acts:
            lines += pack(act_head, _action_items(store, r, acts[:cap], 60), len(acts), lines=2)
        return "\n".join(clip_bytes(l) for l in lines)
    lines += _section(r.text(f"No final status yet ({n_open}; goal hit|partial|miss <id> [note]):"), open_items,
                      n_open, " (goal list status:none)", "Every goal has a final status.")
    lines += _section(r.text(f"No learning yet ({n_bare}; learning <goal-id> <text>):"), bare_items, n_bare, "",
                      "Every goal has a learning.")
    if acts:
        lines += _section(r.text(act_head.rstrip(": ") + "; action done A<id>:"), _action_items(store, r, acts[:cap], 120),
                          len(acts), " (actions)", None)
    return "\n".join(lines)
