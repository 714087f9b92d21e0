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

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import STATUSES
from .quarters import Quarter

COUNT_KEYS = ("hit", "partial", "miss", "dropped", "open")
_REVIEW_LEAD = timedelta(days=30)
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
    trend: str | None  # "better", "worse", "flat"; None with fewer than two values
    target_met: bool | None  # None without a target or a value
    count: int  # values inside the quarter

    @property
    def good(self) -> bool | None:
        return None if self.trend in (None, "flat") else self.trend == "better"

    def line(self) -> str:
        """`time-to-merge: 11 min -> 6 min (better)`."""
        if self.first is None:
            return f"{self.name}: no value this quarter"
        if self.count == 1:
            return f"{self.name}: {with_unit(self.first, self.unit)} (one value this quarter)"
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
            d = datetime.fromisoformat(str(s).replace("Z", "+00:00"))
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
    """A person's name: from `people`, else from the identity itself."""
    if not identity:
        return None
    if people and people.get(identity):
        return people[identity]
    platform, _, rest = identity.partition(":")
    if platform == "console" and rest:
        return rest
    if platform == "irc":
        _, _, who = rest.partition(":")  # drop the network
        return who.split("!", 1)[0] or identity
    if platform == "slack":
        return rest.rsplit(":", 1)[-1] or identity
    return identity


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


def format_number(v) -> str:
    """11.0 -> `11`, 99.979 -> `99.979` (decimals as given, never padded)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def with_unit(v, unit: str | None) -> str:
    n = format_number(v)
    if not unit:
        return n
    return f"{n}{unit}" if unit == "%" else f"{n} {unit}"


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
        change = round(latest - first, max(_decimals(first), _decimals(latest)))
        if change == 0:
            trend, change = "flat", 0.0
        elif (change < 0) == (better == "down"):
            trend = "better"
        else:
            trend = "worse"
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
            if not quarter.end - _REVIEW_LEAD < d <= quarter.next().end - _REVIEW_LEAD:
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


# ---------------------------------------------------------------- shared wording


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{int(rate * 100 + 0.5)}%"


def _rate_text(review: Review, part: int) -> str:
    if not review.decided:
        return "n/a (no goal hit, partial or miss)"
    rate = part / review.decided
    return f"{percent(rate)} ({part} of {review.decided})"


def _as_of_text(review: Review) -> str:
    if review.complete:
        return f"as it stood at the end of the quarter ({review.end.isoformat()}, {review.tz})"
    when = review.as_of.astimezone(ZoneInfo(review.tz))
    state = "quarter not begun yet" if when.date() < review.start else "quarter in progress"
    return f"as of {when.strftime('%Y-%m-%d %H:%M')} {review.tz} ({state})"


def _split_text(review: Review) -> str:
    return (f"{review.split['strategic']} strategic ({review.split_percent['strategic']}%), "
            f"{review.split['core']} core ({review.split_percent['core']}%)")


def _change_text(k: ReviewKpi) -> str:
    if k.change is None:
        return ""
    sign = "+" if k.change > 0 else ""
    return f"{sign}{with_unit(k.change, k.unit)}"


def _better_text(k: ReviewKpi) -> str:
    return "lower is better" if k.better == "down" else "higher is better"


def _target_text(k: ReviewKpi) -> str:
    if k.target is None:
        return "no target"
    mark = {True: "met", False: "not met", None: "no value"}[k.target_met]
    return f"{with_unit(k.target, k.unit)} ({mark})"


def _counts_text(review: Review) -> str:
    c = review.counts
    return (f"{c['hit']} hit, {c['partial']} partial, {c['miss']} miss, {c['dropped']} dropped, "
            f"{c['open']} with no final status")


RATE_NOTE = ("Hit rate = hit / (hit + partial + miss): a partial does not count as a hit. "
             "\"Hit or partial\" counts it with the hits. Dropped goals and goals with "
             "no final status are in neither.")


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|#~])")
_MD_DOT = {"green": "🟢", "yellow": "🟡", "red": "🔴", "grey": "⚪"}


def _md(s) -> str:
    """User text for a Markdown table cell or line: punctuation escaped, one line."""
    s = " ".join(str(s or "").split())
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_status(g: ReviewGoal) -> str:
    if g.final:
        return f"{_MD_DOT[g.colour]} **{g.status}** ({g.colour})"
    return g.status_label


def _md_body(review: Review, h: str) -> list[str]:
    """One team's review; `h` is the heading prefix of the team's title (`#` or `##`)."""
    out = [f"{h} Quarterly review: {_md(review.team)}, {review.quarter}", ""]
    out.append(f"{review.start.isoformat()} to {review.end.isoformat()}, {_as_of_text(review)}.")
    if review.review_date:
        out.append(f"Review date: {review.review_date}.")
    out.append("")
    if not review.goals:
        out += [f"No goals were recorded for {_md(review.team)} in {review.quarter}.", ""]
    else:
        c = review.counts
        out += [
            f"{h}# Summary", "",
            "| hit | partial | miss | dropped | no final status | hit rate | hit or partial |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {c['hit']} | {c['partial']} | {c['miss']} | {c['dropped']} | {c['open']} "
            f"| {_rate_text(review, c['hit'])} | {_rate_text(review, c['hit'] + c['partial'])} |",
            "", RATE_NOTE, "",
            f"Goals by kind: {_split_text(review)}.", "",
            f"{h}# Goals", "",
            "| # | Goal | Status | Owner | Kind | Due | Note |",
            "| ---: | --- | --- | --- | --- | --- | --- |",
        ]
        for g in review.goals:
            out.append(f"| #{g.id} | {_md(g.title)} | {_md_status(g)} | {_md(g.owner or 'no owner')} "
                       f"| {g.kind} | {g.due or ''} | {_md(g.note or '')} |")
        out.append("")
        with_learnings = [g for g in review.goals if g.learnings]
        if with_learnings:
            out += [f"{h}# Learnings by goal", ""]
            for g in with_learnings:
                out.append(f"- **#{g.id} {_md(g.title)}**: {g.status_label}")
                out += [f"  - {_md(x.text)} ({_md(x.by)})" for x in g.learnings]
            out.append("")
    out += [f"{h}# KPIs", ""]
    if review.kpis:
        out += ["| KPI | first | latest | change | | target |",
                "| --- | ---: | ---: | ---: | --- | --- |"]
        for k in review.kpis:
            verdict = k.trend or ("one value" if k.count == 1 else "no value")
            out.append(f"| {_md(k.name)} | {_md(with_unit(k.first, k.unit)) or '-'} "
                       f"| {_md(with_unit(k.latest, k.unit)) or '-'} | {_md(_change_text(k)) or '-'} "
                       f"| {verdict} ({_better_text(k)}) | {_md(_target_text(k))} |")
        out += ["", *[f"- {_md(k.line())}" for k in review.kpis], ""]
    else:
        out += ["No KPIs recorded.", ""]
    out += [f"{h}# Team learnings", ""]
    if review.learnings:
        out += [f"- {_md(x.text)} ({_md(x.by)})" for x in review.learnings]
    else:
        out.append("No team learnings recorded.")
    out.append("")
    return out


def render_markdown(review: Review) -> str:
    return "\n".join(_md_body(review, "#")).rstrip("\n") + "\n"


def _summary_rows(reviews: list[Review]):
    for r in reviews:
        c = r.counts
        yield r, c, (len(r.goals), c["hit"], c["partial"], c["miss"], c["dropped"], c["open"])


def render_all_markdown(reviews: list[Review], title: str | None = None) -> str:
    quarter = reviews[0].quarter if reviews else ""
    out = [f"# {_md(title or f'Quarterly reviews, {quarter}')}", ""]
    if not reviews:
        return "\n".join(out + ["No teams recorded.", ""])
    out += ["| team | goals | hit | partial | miss | dropped | no final status | hit rate | hit or partial |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r, c, nums in _summary_rows(reviews):
        cells = " | ".join(str(n) for n in nums)
        out.append(f"| {_md(r.team)} | {cells} | {percent(r.hit_rate)} "
                   f"| {percent(r.hit_or_partial_rate)} |")
    out += ["", RATE_NOTE, ""]
    for r in reviews:
        out += _md_body(r, "##")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- MediaWiki

_WIKI_BG = {"green": "#c6efce", "yellow": "#ffeb9c", "red": "#ffc7ce", "grey": "#e0e0e0"}
_WIKI_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "{": "&#123;",
                  "}": "&#125;", "[": "&#91;", "]": "&#93;", "~": "&#126;"}
_WIKI_SPECIAL = re.compile(r"[&<>|{}\[\]~]|'{2,}|_{2,}|!{2,}")


def _wiki(s) -> str:
    """User text made inert in wiki markup: no links, templates, tags, table syntax,
    signatures, bold/italic or behaviour switches; one line."""
    s = " ".join(str(s or "").split())

    def sub(m):
        t = m.group(0)
        return _WIKI_ENTITIES.get(t) or "".join(f"&#{ord(ch)};" for ch in t)
    return _WIKI_SPECIAL.sub(sub, s)


def _wiki_body(review: Review, level: int) -> list[str]:
    eq, sub = "=" * level, "=" * (level + 1)
    out = [f"{eq} Quarterly review: {_wiki(review.team)}, {review.quarter} {eq}",
           f"{review.start.isoformat()} to {review.end.isoformat()}, {_as_of_text(review)}."]
    if review.review_date:
        out += ["", f"'''Review date:''' {review.review_date}"]
    out.append("")
    if not review.goals:
        out += [f"No goals were recorded for {_wiki(review.team)} in {review.quarter}.", ""]
    else:
        c = review.counts
        out += [
            f"{sub} Summary {sub}",
            '{| class="wikitable"',
            "! hit !! partial !! miss !! dropped !! no final status !! hit rate !! hit or partial",
            "|-",
            f"| {c['hit']} || {c['partial']} || {c['miss']} || {c['dropped']} || {c['open']} "
            f"|| {_rate_text(review, c['hit'])} || {_rate_text(review, c['hit'] + c['partial'])}",
            "|}", RATE_NOTE, "",
            f"Goals by kind: {_split_text(review)}.", "",
            f"{sub} Goals {sub}",
            '{| class="wikitable sortable"',
            "! # !! Goal !! Status !! Owner !! Kind !! Due !! Note !! Learnings",
        ]
        for g in review.goals:
            style = f'style="background:{_WIKI_BG[g.colour]}" | ' if g.final else ""
            word = f"'''{g.status}''' ({g.colour})" if g.final else g.status_label
            cells = [str(g.id), _wiki(g.title), style + word, _wiki(g.owner or "no owner"),
                     g.kind, g.due or "", _wiki(g.note or "")]
            out += ["|-", *[f"| {c}".rstrip() for c in cells]]
            if g.learnings:
                out += ["|", *[f"* {_wiki(x.text)} ({_wiki(x.by)})" for x in g.learnings]]
            else:
                out.append("|")
        out += ["|}", ""]
    out.append(f"{sub} KPIs {sub}")
    if review.kpis:
        out += ['{| class="wikitable"', "! KPI !! first !! latest !! change !! trend !! target"]
        for k in review.kpis:
            verdict = k.trend or ("one value" if k.count == 1 else "no value")
            out += ["|-", f"| {_wiki(k.name)} || {_wiki(with_unit(k.first, k.unit)) or '-'} "
                    f"|| {_wiki(with_unit(k.latest, k.unit)) or '-'} || {_wiki(_change_text(k)) or '-'} "
                    f"|| {verdict} ({_better_text(k)}) || {_wiki(_target_text(k))}"]
        out += ["|}", *[f"* {_wiki(k.line())}" for k in review.kpis], ""]
    else:
        out += ["No KPIs recorded.", ""]
    out.append(f"{sub} Team learnings {sub}")
    if review.learnings:
        out += [f"* {_wiki(x.text)} ({_wiki(x.by)})" for x in review.learnings]
    else:
        out.append("No team learnings recorded.")
    out.append("")
    return out


def render_wiki(review: Review) -> str:
    return "\n".join(_wiki_body(review, 2)).rstrip("\n") + "\n"


def render_all_wiki(reviews: list[Review], title: str | None = None) -> str:
    quarter = reviews[0].quarter if reviews else ""
    out = [f"== {_wiki(title or f'Quarterly reviews, {quarter}')} =="]
    if not reviews:
        return "\n".join(out + ["No teams recorded.", ""])
    out += ['{| class="wikitable sortable"',
            "! team !! goals !! hit !! partial !! miss !! dropped !! no final status "
            "!! hit rate !! hit or partial"]
    for r, c, nums in _summary_rows(reviews):
        cells = " || ".join(str(n) for n in nums)
        out += ["|-", f"| {_wiki(r.team)} || {cells} || {percent(r.hit_rate)} "
                f"|| {percent(r.hit_or_partial_rate)}"]
    out += ["|}", RATE_NOTE, ""]
    for r in reviews:
        out += _wiki_body(r, 3)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- HTML deck

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #e8ebee; color: #1d2327;
  font: 18px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
section { max-width: 1000px; min-height: 560px; margin: 28px auto; padding: 40px 56px;
  background: #fff; border-top: 14px solid #54646f; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, .18); }
section.title { border-top-color: #1d2327; display: flex; flex-direction: column; justify-content: center; }
h1 { font-size: 44px; margin: 0 0 8px; }
h2 { font-size: 32px; margin: 0 0 16px; overflow-wrap: anywhere; }
h3 { font-size: 20px; margin: 24px 0 8px; }
.kicker { color: #54646f; text-transform: uppercase; letter-spacing: .06em; font-size: 14px; margin: 0 0 8px; }
.sub { color: #3c474f; font-size: 20px; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; margin: 12px 0; font-size: 16px; }
th, td { border: 1px solid #c3cad0; padding: 6px 10px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f2f4; }
td.n { text-align: right; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 16px 0; }
dt { font-weight: 600; color: #54646f; }
dd { margin: 0; overflow-wrap: anywhere; }
ul { margin: 8px 0; padding-left: 24px; }
li { margin: 4px 0; overflow-wrap: anywhere; }
.by { color: #54646f; font-size: 15px; }
.status { display: inline-block; padding: 2px 10px; border: 2px solid #54646f; border-radius: 4px;
  font-weight: 700; background: #fff; color: #1d2327; white-space: nowrap; }
.status.green { background: #c8e6c9; border-color: #2e7d32; color: #1b5e20; }
.status.yellow { background: #fff3b0; border-color: #b58900; color: #5c4500; }
.status.red { background: #ffcdd2; border-color: #c62828; color: #8e0000; }
.status.grey { background: #e0e0e0; border-color: #757575; color: #333; }
.status.open { border-style: dashed; }
section.goal.green { border-top-color: #2e7d32; }
section.goal.yellow { border-top-color: #d4a800; }
section.goal.red { border-top-color: #c62828; }
section.goal.grey { border-top-color: #9e9e9e; }
section.goal .status { font-size: 26px; padding: 4px 16px; }
.bar { display: flex; height: 28px; border: 1px solid #c3cad0; border-radius: 4px; overflow: hidden; margin: 8px 0; }
.bar span { display: block; height: 100%; }
.bar .strategic { background: #5b7ea4; }
.bar .core { background: #b9c6d2; }
.trend.better { color: #1b5e20; font-weight: 700; }
.trend.worse { color: #8e0000; font-weight: 700; }
.empty { color: #54646f; font-style: italic; }
@media print {
  body { background: #fff; font-size: 14pt; }
  section { margin: 0; max-width: none; min-height: 0; box-shadow: none; border-radius: 0;
    page-break-after: always; break-after: page; page-break-inside: avoid; break-inside: avoid; }
  section:last-of-type { page-break-after: auto; break-after: auto; }
  .status, .bar span, section { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()

_SYMBOL = {"hit": "✔", "partial": "◐", "miss": "✘", "dropped": "–"}


def _h(s) -> str:
    return html.escape(str(s if s is not None else ""), quote=True)


def _html_status(g: ReviewGoal) -> str:
    if g.final:
        return (f'<span class="status {g.colour}">{_SYMBOL.get(g.status, "")} {_h(g.status)}</span> '
                f'<span class="colour">({g.colour})</span>')
    return f'<span class="status open">{_h(g.status_label)}</span>'


def _html_rate(review: Review, part: int) -> str:
    return _h(_rate_text(review, part))


def _html_team(review: Review) -> list[str]:
    t = _h(review.team)
    kicker = f'<p class="kicker">{t} · {_h(review.quarter)}</p>'
    out = ['<section class="team">', kicker, f"<h2>{t}: the quarter at a glance</h2>",
           f'<p class="sub">{review.start.isoformat()} to {review.end.isoformat()}, '
           f"{_h(_as_of_text(review))}</p>"]
    if review.review_date:
        out.append(f"<p>Review date: <strong>{_h(review.review_date)}</strong></p>")
    if not review.goals:
        out.append(f'<p class="empty">No goals were recorded for {t} in {_h(review.quarter)}.</p>')
    else:
        c = review.counts
        out += ["<table><tr><th>hit</th><th>partial</th><th>miss</th><th>dropped</th>"
                "<th>no final status</th><th>hit rate</th><th>hit or partial</th></tr>",
                f'<tr><td class="n">{c["hit"]}</td><td class="n">{c["partial"]}</td>'
                f'<td class="n">{c["miss"]}</td><td class="n">{c["dropped"]}</td>'
                f'<td class="n">{c["open"]}</td><td>{_html_rate(review, c["hit"])}</td>'
                f'<td>{_html_rate(review, c["hit"] + c["partial"])}</td></tr></table>',
                f'<p class="by">{_h(RATE_NOTE)}</p>',
                f"<h3>Goals by kind: {_h(_split_text(review))}</h3>",
                f'<div class="bar" role="img" aria-label="{_h(_split_text(review))}">'
                f'<span class="strategic" style="width:{review.split_percent["strategic"]}%"></span>'
                f'<span class="core" style="width:{review.split_percent["core"]}%"></span></div>',
                "<table><tr><th>#</th><th>goal</th><th>status</th><th>owner</th></tr>"]
        for g in review.goals:
            out.append(f'<tr><td class="n">#{g.id}</td><td>{_h(g.title)}</td>'
                       f"<td>{_html_status(g)}</td><td>{_h(g.owner or 'no owner')}</td></tr>")
        out.append("</table>")
    out.append("</section>")
    for g in review.goals:
        out += [f'<section class="goal {g.colour if g.final else "open"}">',
                f'<p class="kicker">{t} · {_h(review.quarter)} · goal #{g.id} · {g.kind}</p>',
                f"<h2>{_h(g.title)}</h2>", f"<p>{_html_status(g)}</p>",
                f"<dl><dt>Owner</dt><dd>{_h(g.owner or 'no owner')}</dd>"
                f"<dt>Due</dt><dd>{_h(g.due or 'no due date')}</dd>"
                f"<dt>Note</dt><dd>{_h(g.note or '-')}</dd></dl>"]
        if g.learnings:
            out += ["<h3>Learnings</h3>", "<ul>",
                    *[f'<li>{_h(x.text)} <span class="by">({_h(x.by)})</span></li>' for x in g.learnings],
                    "</ul>"]
        out.append("</section>")
    out += ['<section class="kpis">', kicker, "<h2>KPIs</h2>"]
    if review.kpis:
        out.append("<table><tr><th>KPI</th><th>first</th><th>latest</th><th>change</th>"
                   "<th>trend</th><th>target</th></tr>")
        for k in review.kpis:
            verdict = k.trend or ("one value" if k.count == 1 else "no value")
            out.append(f"<tr><td>{_h(k.name)}</td><td class=\"n\">{_h(with_unit(k.first, k.unit)) or '-'}</td>"
                       f"<td class=\"n\">{_h(with_unit(k.latest, k.unit)) or '-'}</td>"
                       f"<td class=\"n\">{_h(_change_text(k)) or '-'}</td>"
                       f'<td><span class="trend {k.trend or "none"}">{verdict}</span> ({_better_text(k)})</td>'
                       f"<td>{_h(_target_text(k))}</td></tr>")
        out += ["</table>", "<ul>", *[f"<li>{_h(k.line())}</li>" for k in review.kpis], "</ul>"]
    else:
        out.append('<p class="empty">No KPIs recorded.</p>')
    out += ["</section>", '<section class="learnings">', kicker, "<h2>Team learnings</h2>"]
    if review.learnings:
        out += ["<ul>", *[f'<li>{_h(x.text)} <span class="by">({_h(x.by)})</span></li>'
                          for x in review.learnings], "</ul>"]
    else:
        out.append('<p class="empty">No team learnings recorded.</p>')
    out.append("</section>")
    return out


def render_html(reviews: list[Review] | Review, title: str | None = None) -> str:
    """One self-contained HTML deck: inline styles, no script, nothing loaded from anywhere."""
    if isinstance(reviews, Review):
        reviews = [reviews]
    quarter = reviews[0].quarter if reviews else ""
    if title is None:
        title = (f"{reviews[0].team}: quarterly review {quarter}" if len(reviews) == 1
                 else f"Quarterly reviews {quarter}")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_h(title)}</title>", f"<style>\n{_CSS}\n</style>", "</head>", "<body>",
           '<section class="title">', f"<h1>{_h(title)}</h1>"]
    if reviews:
        r0 = reviews[0]
        out.append(f'<p class="sub">{_h(quarter)}: {r0.start.isoformat()} to {r0.end.isoformat()}</p>')
        out.append("<table><tr><th>team</th><th>goals</th><th>hit</th><th>partial</th><th>miss</th>"
                   "<th>dropped</th><th>no final status</th><th>hit rate</th><th>hit or partial</th></tr>")
        for r, c, nums in _summary_rows(reviews):
            cells = "".join(f'<td class="n">{n}</td>' for n in nums)
            out.append(f"<tr><td>{_h(r.team)}</td>{cells}<td class=\"n\">{percent(r.hit_rate)}</td>"
                       f'<td class="n">{percent(r.hit_or_partial_rate)}</td></tr>')
        out.append("</table>")
    else:
        out.append('<p class="empty">No teams recorded.</p>')
    out.append("</section>")
    for r in reviews:
        out += _html_team(r)
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- chat

CHAT_MAX_LINES = 15
_CHAT_MAX_KPIS = 4


def render_chat(review: Review, renderer, max_lines: int = CHAT_MAX_LINES) -> list[str]:
    """A short summary for chat, one string per line, at most `max_lines` lines.
    `renderer` is a bot.render renderer (plain, IRC, Slack)."""
    t = renderer.text
    head = f"{renderer.bold(t(review.team) + ' ' + review.quarter + ' review')}: "
    if not review.goals:
        head += "no goals recorded"
    else:
        head += _counts_text(review)
        if review.decided:
            head += (f"; hit rate {percent(review.hit_rate)} ({review.counts['hit']} of {review.decided}), "
                     f"hit or partial {percent(review.hit_or_partial_rate)}")
        head += f"; {_split_text(review)}"
    if not review.complete:
        head += " (quarter in progress)"
    lines = [head]

    kpis = [t(k.line()) for k in review.kpis[:_CHAT_MAX_KPIS]]
    if len(review.kpis) > _CHAT_MAX_KPIS:
        kpis.append(f"... and {len(review.kpis) - _CHAT_MAX_KPIS} more KPIs")
    tail = list(kpis)
    if review.learnings:
        n = len(review.learnings)
        tail.append(f"{n} team learning{'s' if n != 1 else ''}: {t(review.learnings[0].text)}"
                    + (" ..." if n > 1 else ""))

    room = max(1, max_lines - 1 - len(tail))
    goals = review.goals
    shown = goals if len(goals) <= room else goals[: room - 1]
    for g in shown:
        status = renderer.status(g.status)
        if g.status and not g.final:
            status = f"no final status: {status}"
        lines.append(f"#{g.id} {t(g.title)} — {status} ({t(g.owner or 'no owner')})")
    if len(shown) < len(goals):
        lines.append(f"... and {len(goals) - len(shown)} more goals")
    return (lines + tail)[:max_lines]
