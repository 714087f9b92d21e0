"""Whether an export document may be imported: the same rules as the commands (bot/limits.py,
bot/config.py, bot/when.py), checked over the whole document before anything is written.
The first problem is reported with its path: `teams[2].tz: unknown time zone`."""
from __future__ import annotations

import re

from bot.config import valid_tz
from bot.limits import MAX_TEXT, MAX_TITLE, MAX_VALUE, NAME_RE, is_clean
from bot.model import PLATFORMS, STATUSES
from bot.times import day_or_none, instant_or_none
from bot.when import WEEKDAYS, time_of_day

_LABEL = re.compile(r"^(?:FY)?\d{4}Q[1-4]$")
_ACTIONS = ("create", "edit", "status", "delete", "restore")
MAX_DELIVERY = 40_000  # Slack's own cap on a message's text
MIN_YEAR, MAX_YEAR = 1970, 2200


class DocumentError(ValueError):
    """str() is `path: what is wrong`."""


def _fail(path: str, what: str):
    raise DocumentError(f"{path}: {what}")


def _list(doc: dict, key: str) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list):
        _fail(key, "is not a list")
    return value


def _obj(value, path: str) -> dict:
    if not isinstance(value, dict):
        _fail(path, "is not an object")
    return value


def _name(value, path: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        _fail(path, "is not a name (1-64 letters, digits, '-', '_', '.')")
    return value


def _text(value, path: str, limit: int, empty_ok: bool = False) -> None:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        _fail(path, "is not a text")
    if len(value) > limit:
        _fail(path, f"is longer than {limit:,} characters")
    if not is_clean(value):
        _fail(path, "holds control characters")


def _opt_text(value, path: str, limit: int) -> None:
    if value is not None:
        _text(value, path, limit, empty_ok=True)


def _identity(value, path: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or ":" not in value or len(value) > 300 or not is_clean(value):
        _fail(path, "is not an identity (like console:greg)")


def _instant(value, path: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    at = instant_or_none(value) if isinstance(value, str) else None
    if at is None or not MIN_YEAR <= at.year <= MAX_YEAR:
        _fail(path, "is not an ISO 8601 time")


def _day(value, path: str) -> None:
    if value is None:
        return
    d = day_or_none(value) if isinstance(value, str) else None
    if d is None or not MIN_YEAR <= d.year <= MAX_YEAR:
        _fail(path, f"is not a date (YYYY-MM-DD, years {MIN_YEAR}-{MAX_YEAR})")


def _number(value, path: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > MAX_VALUE:
        _fail(path, f"is not a finite number of at most {MAX_VALUE:.0e} in size")


def _bool(value, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, "is not true or false")


def _tz(value, path: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not valid_tz(value):
        _fail(path, "unknown time zone")


_LABEL = re.compile(r"^(?:FY)?\d{4}Q[1-4]$")


def _quarter_life(t: dict, p: str) -> None:
    """A team's title, size, declared time split and closes, as `team set`, `team time` and `review close` store them."""
    _opt_text(t.get("title"), p + ".title", 100)
    size = t.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= 100_000):
        _fail(p + ".size", "is not a number of people (1-100000)")
    for label, split in _obj(t.get("time") or {}, p + ".time").items():
        if not _LABEL.match(str(label)):
            _fail(f"{p}.time.{label}", "is not a quarter label")
        split = _obj(split, f"{p}.time.{label}")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in split.values()) \
                or sum(split.values()) > 100:
            _fail(f"{p}.time.{label}", "is not whole percents adding up to at most 100")
    for label, at in _obj(t.get("closed") or {}, p + ".closed").items():
        if not _LABEL.match(str(label)):
            _fail(f"{p}.closed.{label}", "is not a quarter label")
        _instant(at, f"{p}.closed.{label}")


def check(doc) -> None:
    """Raise DocumentError for the first thing the commands would not have let anyone store."""
    if not isinstance(doc, dict):
        _fail("document", "is not a Goalkeeper export (a JSON object with goals, learnings, kpis, teams)")
    teams = set()
    for i, t in enumerate(_list(doc, "teams")):
        p = f"teams[{i}]"
        _obj(t, p)
        teams.add(_name(t.get("name"), p + ".name"))
        _tz(t.get("tz"), p + ".tz")
        _day(t.get("review_date"), p + ".review_date")
        d = _obj(t.get("digest") or {}, p + ".digest")
        if d.get("weekday", "monday") not in WEEKDAYS:
            _fail(p + ".digest.weekday", "is not a weekday")
        hhmm = d.get("time", "09:00")
        if not isinstance(hhmm, str) or time_of_day(hhmm) != hhmm:
            _fail(p + ".digest.time", "is not a time of day HH:MM")
        _tz(d.get("tz"), p + ".digest.tz", optional=True)
        _bool(d.get("enabled", True), p + ".digest.enabled")
        _instant(d.get("since") or t.get("created_at"), p + ".digest.since")
        _quarter_life(t, p)
    channels = set()
    for i, c in enumerate(_list(doc, "channels")):
        p = f"channels[{i}]"
        _obj(c, p)
        key, platform = c.get("key"), c.get("platform")
        if platform not in PLATFORMS:
            _fail(p + ".platform", f"is not one of {', '.join(PLATFORMS)}")
        if not isinstance(key, str) or not key.startswith(platform + ":") or len(key) > 300 or not is_clean(key):
            _fail(p + ".key", f"is not a channel key (like {platform}:#releng)")
        _text(c.get("name"), p + ".name", 200)
        _name(c.get("team"), p + ".team")
        _bool(c.get("private", False), p + ".private")
        channels.add(key)
    for i, person in enumerate(_list(doc, "people")):
        p = f"people[{i}]"
        _obj(person, p)
        _identity(person.get("id"), p + ".id")
        _text(person.get("name"), p + ".name", 200)
        _instant(person.get("seen_at"), p + ".seen_at")
    goal_ids = set()
    for i, g in enumerate(_list(doc, "goals")):
        p = f"goals[{i}]"
        _obj(g, p)
        gid = g.get("id")
        if isinstance(gid, bool) or not isinstance(gid, int) or gid < 1 or gid in goal_ids:
            _fail(p + ".id", "is not a new positive whole number")
        goal_ids.add(gid)
        _text(g.get("title"), p + ".title", MAX_TITLE)
        _name(g.get("team"), p + ".team")
        if not isinstance(g.get("quarter"), str) or not _LABEL.match(g["quarter"]):
            _fail(p + ".quarter", "is not a quarter label (like FY2016Q3 or 2016Q1)")
        _identity(g.get("owner"), p + ".owner", optional=True)
        _identity(g.get("creator"), p + ".creator")
        _name(g.get("kind", "strategic"), p + ".kind")  # kinds are the deployment's (GOALKEEPER_KINDS)
        _day(g.get("due"), p + ".due")
        if g.get("status") is not None and g["status"] not in STATUSES:
            _fail(p + ".status", f"is not a status ({', '.join(STATUSES)})")
        _opt_text(g.get("note"), p + ".note", MAX_TEXT)
        _bool(g.get("deleted", False), p + ".deleted")
        _instant(g.get("created_at"), p + ".created_at")
        for j, e in enumerate(g.get("history") or []):
            q = f"{p}.history[{j}]"
            _obj(e, q)
            _instant(e.get("at"), q + ".at")
            _identity(e.get("by"), q + ".by")
            if e.get("action") not in _ACTIONS:
                _fail(q + ".action", f"is not one of {', '.join(_ACTIONS)}")
            _obj(e.get("changes", {}), q + ".changes")
            _opt_text(e.get("note"), q + ".note", MAX_TEXT)
    for i, l in enumerate(_list(doc, "learnings")):
        p = f"learnings[{i}]"
        _obj(l, p)
        if l.get("goal") is not None and l["goal"] not in goal_ids:
            _fail(p + ".goal", "names no goal of the document")
        _name(l.get("team"), p + ".team")
        _text(l.get("text"), p + ".text", MAX_TEXT)
        _identity(l.get("by"), p + ".by")
        _instant(l.get("at"), p + ".at")
    for i, k in enumerate(_list(doc, "kpis")):
        p = f"kpis[{i}]"
        _obj(k, p)
        _name(k.get("name"), p + ".name")
        _name(k.get("team"), p + ".team")
        unit = k.get("unit")
        if unit is not None and (not isinstance(unit, str) or len(unit) > 16 or any(ch in unit for ch in "<>&*_`~|")
                                 or not is_clean(unit)):
            _fail(p + ".unit", "is not a unit (at most 16 characters, no markup)")
        _number(k.get("target"), p + ".target", optional=True)
        if k.get("better", "up") not in ("up", "down"):
            _fail(p + ".better", "is not up or down")
        for j, v in enumerate(k.get("values") or []):
            q = f"{p}.values[{j}]"
            _obj(v, q)
            _instant(v.get("at"), q + ".at")
            _number(v.get("value"), q + ".value")
            _identity(v.get("by"), q + ".by")
    meeting_ids = _check_meetings(doc, goal_ids)
    for i, a in enumerate(_list(doc, "actions")):
        p = f"actions[{i}]"
        _obj(a, p)
        if isinstance(a.get("id"), bool) or not isinstance(a.get("id"), int) or a["id"] < 1:
            _fail(p + ".id", "is not a positive whole number")
        if a.get("meeting") not in meeting_ids:
            _fail(p + ".meeting", "names no meeting of the document")
        _name(a.get("team"), p + ".team")
        _identity(a.get("owner"), p + ".owner")
        _text(a.get("text"), p + ".text", MAX_TEXT)
        _identity(a.get("by"), p + ".by", optional=True)
        _instant(a.get("at"), p + ".at", optional=True)
        _instant(a.get("done"), p + ".done", optional=True)
        _opt_text(a.get("note"), p + ".note", MAX_TEXT)
    for i, o in enumerate(_list(doc, "deliveries")):
        p = f"deliveries[{i}]"
        _obj(o, p)
        if o.get("platform") not in PLATFORMS:
            _fail(p + ".platform", f"is not one of {', '.join(PLATFORMS)}")
        if o.get("channel") not in channels:
            _fail(p + ".channel", "names no channel of the document")
        # a queued message is posted as it stands: the same rule as every stored text, lines allowed
        text = o.get("text")
        if not isinstance(text, str) or len(text) > MAX_DELIVERY or not is_clean(text.replace("\n", "")):
            _fail(p + ".text", f"is not a message (at most {MAX_DELIVERY:,} characters, no control characters)")
        _instant(o.get("created_at"), p + ".created_at")
        _instant(o.get("delivered_at"), p + ".delivered_at", optional=True)


_ITEM_KINDS = ("topic", "info", "idea", "link", "agreed", "action", "status", "learning")
MAX_LINE = 8000


def _check_meetings(doc: dict, goal_ids: set) -> set:
    ids = set()
    for i, m in enumerate(_list(doc, "meetings")):
        p = f"meetings[{i}]"
        _obj(m, p)
        mid = m.get("id")
        if isinstance(mid, bool) or not isinstance(mid, int) or mid < 1 or mid in ids:
            _fail(p + ".id", "is not a new positive whole number")
        ids.add(mid)
        for j, it in enumerate(m.get("items") or []):
            if isinstance(it, dict) and (isinstance(it.get("id"), bool) or not isinstance(it.get("id"), int)):
                _fail(f"{p}.items[{j}].id", "is not a whole number")
        _name(m.get("team"), p + ".team")
        _text(m.get("channel"), p + ".channel", 300)
        _text(m.get("title"), p + ".title", MAX_TITLE)
        if m.get("quarter") is not None and not _LABEL.match(str(m["quarter"])):
            _fail(p + ".quarter", "is not a quarter label")
        _instant(m.get("started"), p + ".started")
        _instant(m.get("ended"), p + ".ended", optional=True)
        for j, who in enumerate(m.get("chairs") or []):
            _identity(who, f"{p}.chairs[{j}]")
        for j, it in enumerate(m.get("items") or []):
            q = f"{p}.items[{j}]"
            _obj(it, q)
            if it.get("kind") not in _ITEM_KINDS:
                _fail(q + ".kind", f"is not one of {', '.join(_ITEM_KINDS)}")
            _text(it.get("text"), q + ".text", MAX_TEXT)
            _identity(it.get("by"), q + ".by")
            _instant(it.get("at"), q + ".at")
            if it.get("goal") is not None and it["goal"] not in goal_ids:
                _fail(q + ".goal", "names no goal of the document")
        for j, line in enumerate(m.get("log") or []):
            q = f"{p}.log[{j}]"
            _obj(line, q)
            _instant(line.get("at"), q + ".at")
            _identity(line.get("by"), q + ".by")
            _text(line.get("text"), q + ".text", MAX_LINE, empty_ok=True)
    return ids


def check_or_raise(doc, error) -> None:
    """check(doc), its problem raised as `error` (the caller's exception type)."""
    try:
        check(doc)
    except DocumentError as e:
        raise error(f"{e}; nothing was imported") from None
