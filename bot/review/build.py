"""The quarterly review: what a team presents, built from the store's export document.

Pure functions over the export dict (`goalkeeper export`): no I/O, no clock, no store.
`build_review` rebuilds one team's quarter; the `render_*` functions write it as
Markdown, MediaWiki markup, one self-contained HTML deck, or a short chat summary.

How the quarter is rebuilt:
- A quarter that is over is shown as it stood at its end: each goal's fields come
  from its history, undoing every change made at or after the end instant
  (quarter.bounds(team tz)[1]). A status set after the end does not rewrite it; a
  goal moved to the next quarter after the end still shows here.
- A quarter still running (or not begun) is shown as of `now`.
- Hit rate = hit / (hit + partial + miss): a partial is not a hit. "Hit or partial"
  = (hit + partial) / (hit + partial + miss). Dropped goals and goals with no final
  status are in neither; both rates are None when no goal has hit/partial/miss.
- A KPI shows its first and latest value inside the quarter (up to `now`).
- The team's review date is shown with the quarter it reviews: a date from 30 days
  before the quarter's end to 30 days before the next quarter's end.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..people import display_name as _display_name
from ..format import fmt_number as format_number  # noqa: F401  (part of this module's API)
from ..format import judge
from ..format import fmt_value as with_unit  # noqa: F401
from ..model import STATUSES
from ..quarters import REVIEW_LEAD, Quarter
from ..times import parse_iso


COUNT_KEYS = ("hit", "partial", "miss", "dropped", "open")
# the fields of a goal that its history can change
_GOAL_FIELDS = ("title", "owner", "kind", "quarter", "status", "note", "deleted", "due", "team")


# ---------------------------------------------------------------- the review, as data


@dataclass(frozen=True)
class ReviewLearning:
    text: str
    by: str  # display name
    at: datetime
    goal: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class ReviewGoal:
    id: int
    title: str
    status: str | None  # any of model.STATUSES, or None (no status ever set)
    colour: str | None  # green / yellow / red / grey; None without a status
    final: bool  # hit, partial, miss or dropped
    owner: str | None  # display name
    kind: str  # "strategic" or "core"
    due: str | None  # ISO date
    note: str | None
    learnings: tuple[ReviewLearning, ...] = ()

    @property
    def status_label(self) -> str:
        """The status as words, never colour alone: `miss (red)`, `no final status: on-track`."""
        if self.status is None:
            return "no final status: no status yet"
        if not self.final:
            return f"no final status: {self.status}"
        return f"{self.status} ({self.colour})"


@dataclass(frozen=True)
class ReviewKpi:
    name: str
    unit: str | None
    target: float | None
    better: str  # "up" or "down"
    first: float | None  # first value inside the quarter
    latest: float | None  # latest value inside the quarter
    change: float | None  # latest - first, rounded to the inputs' decimals
    trend: str | None  # "better", "worse", "no change" (format.judge); None with fewer than two values
    target_met: bool | None  # None without a target or a value
    count: int  # values inside the quarter

    @property
    def good(self) -> bool | None:
        return None if self.trend in (None, "no change") else self.trend == "better"

    def line(self) -> str:
        """`time-to-merge: 11 min -> 6 min (better)`."""
        if self.first is None:
            return f"{self.name}: no value this quarter"
        if self.count == 1:
            return f"{self.name}: {with_unit(self.first, self.unit)} (first value this quarter)"
        return (f"{self.name}: {with_unit(self.first, self.unit)} -> "
                f"{with_unit(self.latest, self.unit)} ({self.trend})")


@dataclass
class Review:
    team: str
    quarter: str  # label, e.g. FY2016Q3
    start: date  # first day
    end: date  # last day (inclusive)
    tz: str
    as_of: datetime  # the instant the review reflects: the quarter's end, or now
    complete: bool  # the quarter is over (state as at its end)
    review_date: str | None  # ISO date of the team's review, if it belongs to this quarter
    goals: list[ReviewGoal] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # COUNT_KEYS; "open" = no final status
    hit_rate: float | None = None  # hit / (hit + partial + miss)
    hit_or_partial_rate: float | None = None  # (hit + partial) / (hit + partial + miss)
    kpis: list[ReviewKpi] = field(default_factory=list)
    split: dict[str, int] = field(default_factory=dict)  # {"strategic": n, "core": m}
    split_percent: dict[str, int] = field(default_factory=dict)  # of all goals, rounded
    learnings: list[ReviewLearning] = field(default_factory=list)  # the team's, on no goal

    @property
    def decided(self) -> int:
        return self.counts.get("hit", 0) + self.counts.get("partial", 0) + self.counts.get("miss", 0)


# ---------------------------------------------------------------- reading the export


def _parse_at(s, tz: ZoneInfo) -> datetime | None:
    if not s:
        return None
    if isinstance(s, datetime):
        d = s
    else:
        try:
            d = parse_iso(str(s), tz)
        except ValueError:
            return None  # an unreadable time: the entry is left out rather than failing the review
    return d if d.tzinfo else d.replace(tzinfo=tz)


def _zone(name: str | None, default: str) -> ZoneInfo:
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def display_name(identity: str | None, people: dict[str, str] | None = None) -> str | None:
    """A person's name: from `people`, else from the identity itself (None for nobody)."""
    return _display_name(identity, people) if identity else None


class _Index:
    """The export document, grouped once by team (and learnings by goal), so that a
    review of many goals and learnings is linear in the size of the document."""

    def __init__(self, doc: dict):
        self.people = {p["id"]: p.get("name") for p in doc.get("people") or [] if p.get("id")}
        self.teams = {t["name"]: t for t in doc.get("teams") or [] if t.get("name")}
        self.goals: dict[str, list[dict]] = {}  # by every team the goal ever belonged to
        self.team_learnings: dict[str, list[dict]] = {}  # on no goal, by team
        self.goal_learnings: dict[object, list[dict]] = {}  # by goal id, whatever team wrote them
        self.kpis: dict[str, list[dict]] = {}
        for g in doc.get("goals") or []:
            teams = {g.get("team")}
            for h in g.get("history") or ():
                moved = (h.get("changes") or {}).get("team")
                if isinstance(moved, (list, tuple)):
                    teams.update(moved)
            for t in teams:
                if t:
                    self.goals.setdefault(t, []).append(g)
        for item in doc.get("learnings") or []:
            if item.get("goal") is None:
                self.team_learnings.setdefault(item.get("team"), []).append(item)
            else:
                self.goal_learnings.setdefault(item["goal"], []).append(item)
        for k in doc.get("kpis") or []:
            self.kpis.setdefault(k.get("team"), []).append(k)

    def team_names(self) -> list[str]:
        names = set(self.teams) | set(self.goals) | set(self.team_learnings) | set(self.kpis)
        return sorted(n for n in names if n)


def _goal_as_of(g: dict, included, tz: ZoneInfo) -> dict | None:
    """The goal's fields as they stood at the cut-off; None if it did not exist yet.

    Starts from the current record and undoes, newest first, every history entry
    after the cut-off, so fields no entry mentions keep their current value."""
    history = sorted(
        ((_parse_at(h.get("at"), tz), i, h) for i, h in enumerate(g.get("history") or [])),
        key=lambda t: (t[0] is None, t[0] or datetime.min.replace(tzinfo=timezone.utc), t[1]),
    )
    created = _parse_at(g.get("created_at"), tz) or (history[0][0] if history else None)
    if created is not None and not included(created):
        return None
    state = {f: g.get(f) for f in _GOAL_FIELDS}
    after = [h for at, _, h in history if at is not None and not included(at)]
    if not after:
        return state
    for h in reversed(after):
        for f, change in (h.get("changes") or {}).items():
            if f in state and isinstance(change, (list, tuple)) and len(change) == 2:
                state[f] = change[0]
    noted = any("note" in (h.get("changes") or {}) for _, _, h in history)
    if not noted and any(h.get("action") == "status" for h in after):
        # the store keeps a status note on the entry: the note is the last status entry's
        note = None
        for at, _, h in history:
            if (at is None or included(at)) and h.get("action") == "status":
                note = h.get("note")
        state["note"] = note
    return state


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _decimals(v: float) -> int:
    r = repr(float(v))
    if "e" in r or "E" in r:
        return 6
    return len(r.split(".", 1)[1].rstrip("0")) if "." in r else 0


def _kpi(k: dict, start: datetime, included, tz: ZoneInfo) -> ReviewKpi:
    values = []
    for i, v in enumerate(k.get("values") or []):
        at = _parse_at(v.get("at"), tz)
        if at is not None and at >= start and included(at) and isinstance(v.get("value"), (int, float)):
            values.append((at, i, v["value"]))
    values.sort()
    better = k.get("better") if k.get("better") in ("up", "down") else "up"
    target = k.get("target")
    first = latest = change = trend = target_met = None
    if values:
        first, latest = values[0][2], values[-1][2]
        if target is not None:
            target_met = latest <= target if better == "down" else latest >= target
    if len(values) >= 2:
        change = round(latest - first, max(_decimals(first), _decimals(latest))) or 0.0
        trend = judge(first, first + change, better)
    return ReviewKpi(
        name=k.get("name", ""), unit=k.get("unit"), target=target, better=better,
        first=first, latest=latest, change=change, trend=trend, target_met=target_met,
        count=len(values),
    )


def _learning(item: dict, at: datetime, people) -> ReviewLearning:
    return ReviewLearning(
        text=item.get("text") or "", by=display_name(item.get("by"), people) or "",
        at=at, goal=item.get("goal"), id=item.get("id"),
    )


def _build(index: _Index, team: str, quarter: Quarter, now: datetime, default_tz: str) -> Review:
    team_doc = index.teams.get(team) or {}
    tz = _zone(team_doc.get("tz"), default_tz)
    start, end = quarter.bounds(tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    complete = now >= end
    as_of = end if complete else now

    def included(at: datetime) -> bool:
        return at < end if complete else at <= now

    label = quarter.label.upper()

    def learnings(items) -> list[ReviewLearning]:
        out = []
        for item in items:
            at = _parse_at(item.get("at"), tz)
            if at is not None and included(at):
                out.append(_learning(item, at, index.people))
        return sorted(out, key=lambda x: (x.at, x.id or 0))

    team_learnings = learnings(
        x for x in index.team_learnings.get(team, ()) if str(x.get("quarter") or "").upper() == label)

    goals: list[ReviewGoal] = []
    for g in index.goals.get(team, ()):
        state = _goal_as_of(g, included, tz)
        if state is None or state.get("deleted"):
            continue
        if str(state.get("quarter") or "").upper() != label:
            continue
        if (state.get("team") or g.get("team")) != team:
            continue  # belonged to another team at the cut-off
        status = state.get("status") if state.get("status") in STATUSES else None
        colour, final = STATUSES[status] if status else (None, False)
        goals.append(ReviewGoal(
            id=g.get("id"), title=state.get("title") or "", status=status, colour=colour,
            final=final, owner=display_name(state.get("owner"), index.people),
            kind=state.get("kind") if state.get("kind") in ("core", "strategic") else "strategic",
            due=state.get("due"), note=state.get("note") or None,
            learnings=tuple(learnings(index.goal_learnings.get(g.get("id"), ()))),
        ))
    goals.sort(key=lambda x: (x.id is None, x.id or 0))

    counts = dict.fromkeys(COUNT_KEYS, 0)
    for x in goals:
        counts[x.status if x.final else "open"] += 1
    decided = counts["hit"] + counts["partial"] + counts["miss"]
    split = {"strategic": 0, "core": 0}
    for x in goals:
        split[x.kind] += 1
    split_percent = {k: (int(v * 100 / len(goals) + 0.5) if goals else 0) for k, v in split.items()}

    kpis = []
    for k in index.kpis.get(team, ()):  # as recorded: the first KPI is usually the main one
        created = _parse_at(k.get("created_at"), tz)
        if created is not None and not included(created):
            continue
        kpis.append(_kpi(k, start, included, tz))

    review_date = team_doc.get("review_date")
    if review_date:
        # a review is held in a quarter's last month or during the next quarter: each
        # date then belongs to exactly one quarter (Jan 22 reviews Oct-Dec)
        try:
            d = date.fromisoformat(str(review_date)[:10])
            if not quarter.end - REVIEW_LEAD < d <= quarter.next().end - REVIEW_LEAD:
                review_date = None
        except ValueError:
            review_date = None

    return Review(
        team=team, quarter=quarter.label, start=quarter.start, end=quarter.end,
        tz=str(tz.key), as_of=as_of, complete=complete, review_date=review_date or None,
        goals=goals, counts=counts,
        hit_rate=_rate(counts["hit"], decided),
        hit_or_partial_rate=_rate(counts["hit"] + counts["partial"], decided),
        kpis=kpis, split=split, split_percent=split_percent, learnings=team_learnings,
    )


def build_review(doc: dict, team: str, quarter: Quarter, now: datetime,
                 default_tz: str = "UTC") -> Review:
    """One team's review of `quarter`; `now` is the caller's clock (aware datetime).
    `default_tz` is for a team without a time zone (GOALKEEPER_TZ)."""
    return _build(_Index(doc), team, quarter, now, default_tz)


def build_all(doc: dict, quarter: Quarter, now: datetime, default_tz: str = "UTC") -> list[Review]:
    """Every team's review, by team name: teams with a record and teams seen only on goals,
    learnings or KPIs."""
    index = _Index(doc)
    return [_build(index, t, quarter, now, default_tz) for t in index.team_names()]


