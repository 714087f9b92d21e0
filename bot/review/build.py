"""The quarterly review: what a team presents, built from the store's export document.

Pure functions over the export dict (`goalkeeper export`): no I/O, no clock, no store.
`build_review` rebuilds one team's quarter; the `render_*` functions write it as
Markdown, MediaWiki markup, one self-contained HTML deck, or a short chat summary.

How the quarter is rebuilt (its life is bot/life.py: open, under review, closed):
- A closed quarter is shown as it stood at its close instant (the team's `closed`,
  else the end of the review day that reviews it, else the end of the next quarter):
  each goal's fields come from its history, undoing every change made after the
  close. Those later changes, and learnings written after it, are listed apart
  (`changed_after`) and alter no count, rate or KPI figure.
- A quarter open or under review is shown as of `now`: final statuses, notes,
  learnings and KPI values recorded while it is under review count in it.
- Hit rate = hit / (hit + partial + miss): a partial is not a hit. "Hit or partial"
  = (hit + partial) / (hit + partial + miss). Dropped goals and goals with no final
  status are in neither; both rates are None when no goal has hit/partial/miss.
- A KPI's change runs from its baseline (its last value before the quarter began,
  else its first in it) to its latest value by the cut-off; the change over a year
  from the last value at least a year before that latest one, when there is one.
- The team's review date is shown with the quarter it reviews: a date from 30 days
  before the quarter's end to 30 days before the next quarter's end.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from ..people import display_name as _display_name
from ..format import fmt_number as format_number  # noqa: F401  (part of this module's API)
from ..format import judge
from ..format import fmt_value as with_unit  # noqa: F401
from ..model import STATUSES
from ..life import CLOSED, OPEN, UNDER_REVIEW, close_instant
from ..quarters import REVIEW_LEAD, Quarter, quarter_of
from ..times import iso, parse_iso, zone_or_default
from .meeting import meeting_part


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
class ReviewChange:
    """Something recorded for a closed quarter after its close: shown apart, counted nowhere."""
    at: datetime
    goal: int | None  # None: a team learning
    text: str  # `#3 Nodepool: status on-track -> hit (greg)`


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
    baseline: float | None = None  # last value before the quarter began, else its first value in it
    baseline_before: bool = False  # the baseline comes from before the quarter
    year_ago: float | None = None  # the last value at least a year before the latest
    year_change: float | None = None
    year_trend: str | None = None
    points: list[tuple[str, float]] = field(default_factory=list)  # (ISO instant, value), oldest first: the chart

    @property
    def good(self) -> bool | None:
        return None if self.trend in (None, "no change") else self.trend == "better"

    def line(self) -> str:
        """`time-to-merge: 11 min -> 6 min (better)`, from the baseline; the year's change after it."""
        if self.first is None:
            if self.baseline is not None:
                return f"{self.name}: {with_unit(self.baseline, self.unit)} before the quarter, no value in it"
            return f"{self.name}: no value this quarter"
        if self.trend is None:
            return f"{self.name}: {with_unit(self.first, self.unit)} (first value this quarter)"
        s = (f"{self.name}: {with_unit(self.baseline, self.unit)} -> "
             f"{with_unit(self.latest, self.unit)} ({self.trend})")
        if self.year_trend is not None:
            s += f"; a year ago {with_unit(self.year_ago, self.unit)} ({self.year_trend})"
        return s


@dataclass
class Review:
    team: str
    quarter: str  # label, e.g. FY2016Q3
    start: date  # first day
    end: date  # last day (inclusive)
    tz: str
    as_of: datetime  # the instant the review reflects: its close, or now
    complete: bool  # the quarter is closed (state as at its close)
    review_date: str | None  # ISO date of the team's review, if it belongs to this quarter
    goals: list[ReviewGoal] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # COUNT_KEYS; "open" = no final status
    hit_rate: float | None = None  # hit / (hit + partial + miss)
    hit_or_partial_rate: float | None = None  # (hit + partial) / (hit + partial + miss)
    kpis: list[ReviewKpi] = field(default_factory=list)
    split: dict[str, int] = field(default_factory=dict)  # {"strategic": n, "core": m}
    split_percent: dict[str, int] = field(default_factory=dict)  # of all goals, rounded
    learnings: list[ReviewLearning] = field(default_factory=list)  # the team's, on no goal
    state: str = OPEN  # bot/life.py: open, under review, closed
    closed_at: datetime | None = None  # the close instant, once closed
    changed_after: list[ReviewChange] = field(default_factory=list)  # the earliest recorded after the close
    changed_after_count: int = 0  # how many things were recorded after the close (none counted)
    title: str | None = None  # the team's display name (team set title:)
    size: int | None = None  # people (team set size:)
    time: dict[str, int] = field(default_factory=dict)  # the declared time split (team time), percent per kind
    recent: list = field(default_factory=list)  # (label, hit, decided) of the last closed quarters (--all)
    meeting: object = None  # bot/review/meeting.py ReviewMeeting: the review meeting's decisions and actions

    @property
    def display(self) -> str:
        """`Technical Operations (17 people)`, else the team's name."""
        name = self.title or self.team
        if self.size:
            name += f" ({self.size} {'person' if self.size == 1 else 'people'})"
        return name

    @property
    def recent_rate(self) -> float | None:
        hit, decided = sum(r[1] for r in self.recent), sum(r[2] for r in self.recent)
        return hit / decided if decided else None

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
        self.by_label: dict[tuple, list] = {}  # (team, quarter label) -> the goals that ever had both
        self.history: dict = {}  # (id(goal), zone) -> its parsed history: once per index, not per quarter
        self.team_learnings: dict[str, list[dict]] = {}  # on no goal, by team
        self.goal_learnings: dict[object, list[dict]] = {}  # by goal id, whatever team wrote them
        self.kpis: dict[str, list[dict]] = {}
        for g in doc.get("goals") or []:
            teams = {g.get("team")}
            for h in g.get("history") or ():
                moved = (h.get("changes") or {}).get("team")
                if isinstance(moved, (list, tuple)):
                    teams.update(moved)
            labels = {str(g.get("quarter") or "").upper()}
            for h in g.get("history") or ():
                moved = (h.get("changes") or {}).get("quarter")
                if isinstance(moved, (list, tuple)):
                    labels.update(str(x or "").upper() for x in moved)
            for t in teams | set(g.get("shared") or ()):  # a shared goal is in those teams' reviews too
                if t:
                    self.goals.setdefault(t, []).append(g)
                    for label in labels:
                        self.by_label.setdefault((t, label), []).append(g)
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


def _history(g: dict, tz: ZoneInfo, cache: dict | None = None) -> list:
    """The goal's history as (instant, index, entry), oldest first; parsed once per index (`cache`)."""
    key = (id(g), tz.key)
    got = cache.get(key) if cache is not None else None
    if got is None:
        got = sorted(
            ((_parse_at(h.get("at"), tz), i, h) for i, h in enumerate(g.get("history") or [])),
            key=lambda t: (t[0] is None, t[0] or datetime.min.replace(tzinfo=timezone.utc), t[1]),
        )
        if cache is not None:
            cache[key] = got
    return got


def _goal_as_of(g: dict, included, tz: ZoneInfo, cache: dict | None = None) -> dict | None:
    """The goal's fields as they stood at the cut-off; None if it did not exist yet.

    Starts from the current record and undoes, newest first, every history entry
    after the cut-off, so fields no entry mentions keep their current value."""
    history = _history(g, tz, cache)
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


def _year_before(at: datetime) -> datetime:
    try:
        return at.replace(year=at.year - 1)
    except ValueError:  # 29 February
        return at.replace(year=at.year - 1, day=28)


def _taken_back(item: dict, included, tz: ZoneInfo) -> bool:
    """Deleted by the cut-off: a correction made after a quarter closed leaves its review as it stood."""
    if not item.get("deleted"):
        return False
    at = _parse_at(item.get("deleted_at"), tz)
    return at is None or included(at)


def _learning_as_of(item: dict, included, tz: ZoneInfo, at: datetime, after: list | None) -> dict:
    """A learning's text at the cut-off; each edit or delete after it goes to `after`."""
    text = item.get("text")
    for e in reversed(item.get("history") or []):
        when = _parse_at(e.get("at"), tz)
        if when is None or included(when):
            break
        old = (e.get("changes") or {}).get("text")
        if e.get("action") == "edit" and isinstance(old, (list, tuple)) and len(old) == 2:
            text = old[0]
        if after is not None:
            after.append((when, None, dict(item, correction="edited" if e.get("action") == "edit" else "deleted",
                                           correction_by=e.get("by"))))
    return item if text == item.get("text") else dict(item, text=text)


def _kpi(k: dict, start: datetime, included, tz: ZoneInfo) -> ReviewKpi:
    every = []
    for i, v in enumerate(k.get("values") or []):
        at = _parse_at(v.get("at"), tz)
        if at is not None and not _taken_back(v, included, tz) and isinstance(v.get("value"), (int, float)) \
                and included(at):
            every.append((at, i, v["value"]))
    every.sort()
    values = [x for x in every if x[0] >= start]
    before = [x for x in every if x[0] < start]
    better = k.get("better") if k.get("better") in ("up", "down") else "up"
    target = k.get("target")
    first = latest = change = trend = target_met = None
    if values:
        first, latest = values[0][2], values[-1][2]
        if target is not None:
            target_met = latest <= target if better == "down" else latest >= target
    baseline = before[-1][2] if before else first
    if values and (before or len(values) >= 2):
        change = _diff(latest, baseline)
        trend = judge(baseline, baseline + change, better)
    year_ago = year_change = year_trend = None
    if values:
        old = [x for x in every if x[0] <= _year_before(values[-1][0])]
        if old:
            year_ago = old[-1][2]
            year_change = _diff(latest, year_ago)
            year_trend = judge(year_ago, year_ago + year_change, better)
    return ReviewKpi(
        name=k.get("name", ""), unit=k.get("unit"), target=target, better=better,
        first=first, latest=latest, change=change, trend=trend, target_met=target_met,
        count=len(values), baseline=baseline, baseline_before=bool(before), year_ago=year_ago,
        year_change=year_change, year_trend=year_trend, points=[(iso(at), value) for at, _, value in values],
    )


def _diff(a: float, b: float) -> float:
    """a - b rounded to the inputs' decimals (99.979 - 99.942 is 0.037, not 0.03699999)."""
    return round(a - b, max(_decimals(a), _decimals(b))) or 0.0


def split_percent(counts: dict[str, int]) -> dict[str, int]:
    """Whole percents that add up to 100 (largest remainder), 0 each with nothing to split."""
    total = sum(counts.values())
    if not total:
        return dict.fromkeys(counts, 0)
    exact = {k: v * 100 / total for k, v in counts.items()}
    out = {k: int(x) for k, x in exact.items()}
    order = sorted(counts, key=lambda k: (-(exact[k] - out[k]), list(counts).index(k)))
    for k in order[: 100 - sum(out.values())]:
        out[k] += 1
    return out


def _learning(item: dict, at: datetime, people) -> ReviewLearning:
    return ReviewLearning(
        text=item.get("text") or "", by=display_name(item.get("by"), people) or "",
        at=at, goal=item.get("goal"), id=item.get("id"),
    )


CHANGES_KEPT = 50  # what changed after the review is counted in full; the earliest are kept as text


def _changes_after(g: dict, close: datetime, tz: ZoneInfo, cache: dict) -> list[tuple]:
    """The goal's history entries after the close, as (instant, goal, entry): formatted only if kept."""
    out = []
    for at, _, h in reversed(_history(g, tz, cache)):
        if at is None or at <= close:
            break
        out.append((at, g, h))
    return out


def _change(at: datetime, g: dict | None, h: dict, people) -> ReviewChange:
    if g is None and "kpi" in h:  # a KPI value of the quarter taken back after the close
        by = display_name(h.get("by"), people) or "someone"
        return ReviewChange(at, None, f"KPI {h['kpi']}: value {format_number(h.get('value'))} taken back ({by})")
    if g is None and h.get("correction"):  # a learning of the quarter edited or deleted after the close
        on = f"#{h['goal']}" if h.get("goal") is not None else "team"
        by = display_name(h.get("correction_by"), people) or "someone"
        return ReviewChange(at, h.get("goal"), f"{on}: learning L{h.get('id')} {h['correction']} ({by})")
    if g is None:  # a learning written after the close
        on = f"#{h['goal']}" if h.get("goal") is not None else "team"
        by = display_name(h.get("by"), people) or "someone"
        return ReviewChange(at, h.get("goal"), f"{on}: learning added: {h.get('text') or ''} ({by})")
    changes = h.get("changes") or {}
    if h.get("action") == "status" and "status" in changes:
        what = f"status {changes['status'][0] or 'none'} -> {changes['status'][1]}"
        if h.get("note"):
            what += f' "{h["note"]}"'
    elif h.get("action") in ("delete", "restore"):
        what = h["action"] + "d"
    elif h.get("action") == "carry":
        what = f"continued as #{(changes.get('continued_as') or [None, '?'])[1]}"
    else:
        what = "changed " + (", ".join(sorted(changes)) or "nothing")
    by = display_name(h.get("by"), people) or "someone"
    return ReviewChange(at, g.get("id"), f"#{g.get('id')} {g.get('title') or ''}: {what} ({by})")


def _build(index: _Index, team: str, quarter: Quarter, now: datetime, default_tz: str,
           kinds: tuple = ("strategic", "core"), counts_only: bool = False) -> Review:
    """One team's review; `counts_only` (a past quarter's line in the organisation summary) leaves out
    learnings, KPIs and what changed after the review."""
    team_doc = index.teams.get(team) or {}
    tz = zone_or_default(team_doc.get("tz"), default_tz)
    start, end = quarter.bounds(tz)
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    close = close_instant(quarter, tz.key, team_doc.get("review_date"), team_doc.get("closed"))
    state = OPEN if now < end else CLOSED if now >= close else UNDER_REVIEW
    complete = state == CLOSED
    as_of = close if complete else now

    def included(at: datetime) -> bool:
        return at <= as_of

    label = quarter.label.upper()

    def learnings(items, after: list | None = None) -> list[ReviewLearning]:
        out = []
        for item in items:
            at = _parse_at(item.get("at"), tz)
            if at is None or _taken_back(item, included, tz):
                continue
            if included(at) and complete:  # as it stood at the close: later edits undone, listed apart
                item = _learning_as_of(item, included, tz, at, after)
            if included(at):
                out.append(_learning(item, at, index.people))
            elif after is not None and complete:
                after.append((at, None, item))
        return sorted(out, key=lambda x: (x.at, x.id or 0))

    changed_after: list[tuple] = []
    team_learnings = [] if counts_only else learnings(
        (x for x in index.team_learnings.get(team, ()) if str(x.get("quarter") or "").upper() == label), changed_after)

    goals: list[ReviewGoal] = []
    for g in index.by_label.get((team, label), ()):  # a goal never in this quarter needs no rebuilding
        state_of = _goal_as_of(g, included, tz, index.history)
        if state_of is None or state_of.get("deleted"):
            continue
        if str(state_of.get("quarter") or "").upper() != label:
            continue
        home = state_of.get("team") or g.get("team")
        if home != team and team not in (g.get("shared") or ()):
            continue  # belonged to another team at the cut-off
        if complete and not counts_only:
            changed_after += _changes_after(g, close, tz, index.history)
        status = state_of.get("status") if state_of.get("status") in STATUSES else None
        colour, final = STATUSES[status] if status else (None, False)
        kind = state_of.get("kind")
        owners = g.get("owners") or []
        owner = (", ".join(display_name(o, index.people) for o in owners) if len(owners) > 1
                 else display_name(state_of.get("owner"), index.people))
        marks = ([f"shared from {home}"] if home != team else []) + \
            ([f"continues #{g['continues']}"] if g.get("continues") else []) + \
            ([f"continued as #{g['continued_as']}"] if g.get("continued_as") else [])
        title = (state_of.get("title") or "") + (f" ({'; '.join(marks)})" if marks else "")
        goals.append(ReviewGoal(
            id=g.get("id"), title=title, status=status, colour=colour,
            final=final, owner=owner,
            kind=kind if kind in kinds else kinds[0],
            due=state_of.get("due"), note=state_of.get("note") or None,
            learnings=() if counts_only else tuple(learnings(index.goal_learnings.get(g.get("id"), ()), changed_after)),
        ))
    goals.sort(key=lambda x: (x.id is None, x.id or 0))
    if complete and not counts_only:  # KPI values taken back after the close still count, and are listed
        for k in index.kpis.get(team, ()):
            for v in k.get("values") or ():
                at, gone = _parse_at(v.get("at"), tz), _parse_at(v.get("deleted_at"), tz) if v.get("deleted") else None
                if at is not None and gone is not None and start <= at and included(at) and not included(gone):
                    changed_after.append((gone, None, {"kpi": k.get("name"), "value": v.get("value"),
                                                       "by": v.get("deleted_by")}))
    n_after = len(changed_after)
    kept = heapq.nsmallest(CHANGES_KEPT, enumerate(changed_after), key=lambda x: (x[1][0], x[0]))
    changed = [_change(at, g, h, index.people) for _, (at, g, h) in kept]

    counts = dict.fromkeys(COUNT_KEYS, 0)
    for x in goals:
        counts[x.status if x.final else "open"] += 1
    decided = counts["hit"] + counts["partial"] + counts["miss"]
    split = dict.fromkeys(kinds, 0)
    for x in goals:
        split[x.kind] += 1

    kpis = []
    for k in () if counts_only else index.kpis.get(team, ()):  # as recorded: the first KPI is usually the main one
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
    size = team_doc.get("size")

    return Review(
        team=team, quarter=quarter.label, start=quarter.start, end=quarter.end,
        tz=str(tz.key), as_of=as_of, complete=complete, review_date=review_date or None,
        goals=goals, counts=counts,
        hit_rate=_rate(counts["hit"], decided),
        hit_or_partial_rate=_rate(counts["hit"] + counts["partial"], decided),
        kpis=kpis, split=split, split_percent=split_percent(split), learnings=team_learnings,
        state=state, closed_at=close if complete else None, changed_after=changed, changed_after_count=n_after,
        title=team_doc.get("title") or None, size=size if isinstance(size, int) else None,
        time=_in_order(dict((team_doc.get("time") or {}).get(quarter.label) or {}), kinds),
    )


def _in_order(split: dict, kinds: tuple) -> dict:
    """A declared split in the order of GOALKEEPER_KINDS (a kind no longer configured last)."""
    return {k: split[k] for k in (*kinds, *sorted(set(split) - set(kinds))) if k in split}


def build_review(doc: dict, team: str, quarter: Quarter, now: datetime,
                 default_tz: str = "UTC", kinds: tuple = ("strategic", "core")) -> Review:
    """One team's review of `quarter`; `now` is the caller's clock (aware datetime).
    `default_tz` is for a team without a time zone (GOALKEEPER_TZ)."""
    review = _build(_Index(doc), team, quarter, now, default_tz, kinds)
    review.meeting = meeting_part(doc, team, quarter.label, quarter.prev().label, review.as_of)
    return review


RECENT = 4  # closed quarters in the organisation summary's history


def build_all(doc: dict, quarter: Quarter, now: datetime, default_tz: str = "UTC",
              teams: list[str] | None = None, kinds: tuple = ("strategic", "core")) -> list[Review]:
    """Every team's review (in `teams`' order, else by name: teams with a record and teams seen only on
    goals, learnings or KPIs), each with its hit counts over its last four closed quarters."""
    index = _Index(doc)
    out = []
    for t in teams if teams is not None else index.team_names():
        review = _build(index, t, quarter, now, default_tz, kinds)
        review.meeting = meeting_part(doc, t, quarter.label, quarter.prev().label, review.as_of)
        tz = zone_or_default((index.teams.get(t) or {}).get("tz"), default_tz)
        q = quarter_of(now.astimezone(tz).date(), quarter.fiscal_start).prev()
        for _ in range(RECENT + 1):  # the last quarter to end may still be under review
            if len(review.recent) == RECENT:
                break
            past = _build(index, t, q, now, default_tz, kinds, counts_only=True)
            if past.complete:
                review.recent.insert(0, (q.label, past.counts["hit"], past.decided))
            q = q.prev()
        out.append(review)
    return out
