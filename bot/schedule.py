"""What is due at an instant: review reminders and weekly digests, queued exactly once.

A pass (`queue_due`) decides from the store alone, never from timers in memory:

- for every public team channel, the latest digest slot at or before `now` (if the
  digest is on and the slot is after `digest_since` and after the channel appeared),
  and the latest review reminder slot (14, 7, 1 days before the review date at 09:00
  in the team's zone) while the review is still ahead;
- each becomes an outbox key (`<channel>|digest|<slot UTC>`,
  `<channel>|reminder-<days>|<review date>`); one batched query finds the keys that
  already exist, and the missing ones are inserted with INSERT OR IGNORE in one
  transaction, so two processes at the same instant queue one message;
- only the latest slot is ever a candidate, so a missed digest goes out late once
  and an older one is skipped; a slot older than one already queued for the same
  channel is never queued (a clock set back resends nothing).

Slots are wall-clock times in the team's zone (zoneinfo): 09:00 stays 09:00 across
daylight-saving changes; a time skipped by a spring-forward gap goes at the first
instant after the gap, an ambiguous fall-back time at its first occurrence.

Delivery is the adapters' business (`claim_outgoing` / `mark_delivered`).
"""
from __future__ import annotations

import sys
import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from .quarters import Quarter, quarter_of
from .render import renderer_for
from .times import iso, zone

UTC = timezone.utc
REMINDER_DAYS = (14, 7, 1)
REMINDER_TIME = (9, 0)
REVIEW_LEAD = timedelta(days=30)  # as in bot/review.py: a review reviews the quarter that ended < 30 days before

# -- pure slot functions ------------------------------------------------------------


@lru_cache(maxsize=8192)
def local_instant(d: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of the wall time `d hour:minute` in tz.

    A wall time skipped by a spring-forward gap is the first instant after the gap;
    an ambiguous fall-back time is its first occurrence (fold=0)."""
    wall = datetime(d.year, d.month, d.day, hour, minute)
    at = wall.replace(tzinfo=tz).astimezone(UTC)
    if at.astimezone(tz).replace(tzinfo=None) == wall:
        return at
    # in a gap: fold=0 read it with the offset before the transition (later instant), fold=1
    # with the one after (earlier instant); the transition lies between, find it to the second
    lo = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(at.timestamp())
    if lo > hi:
        lo, hi = hi, lo
    while lo < hi:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid + 1
    return datetime.fromtimestamp(hi, UTC)


def parse_hhmm(text: str) -> tuple[int, int]:
    h, _, m = (text or "09:00").partition(":")
    return int(h), int(m or 0)


def weekly_slots(now: datetime, weekday: int, hour: int, minute: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """(latest slot at or before now, first slot after now) of a weekly schedule; weekday 0 = Monday."""
    today = now.astimezone(tz).date()
    d = today - timedelta(days=(today.weekday() - weekday) % 7)
    this = local_instant(d, hour, minute, tz)
    if this <= now:
        return this, local_instant(d + timedelta(days=7), hour, minute, tz)
    return local_instant(d - timedelta(days=7), hour, minute, tz), this


def reminder_slots(review: date, tz: ZoneInfo) -> list[tuple[int, datetime]]:
    """[(days before, instant)] for the review's reminders, earliest first."""
    return [(n, local_instant(review - timedelta(days=n), *REMINDER_TIME, tz)) for n in REMINDER_DAYS]


def week_before(end: datetime, tz: ZoneInfo) -> datetime:
    """The same wall time seven days earlier in tz (the previous weekly slot, across DST)."""
    local = end.astimezone(tz)
    return local_instant(local.date() - timedelta(days=7), local.hour, local.minute, tz) + timedelta(
        seconds=local.second, microseconds=local.microsecond)


def reviewed_quarter(review: date, fiscal_start: int = 1) -> Quarter:
    """The quarter a review date reviews (as bot/review.py shows it): held from 30 days before
    that quarter's end to 30 days before the next quarter's end (Jan 22 reviews Oct-Dec)."""
    return quarter_of(review + REVIEW_LEAD, fiscal_start).prev()


def digest_key(channel_key: str, slot: datetime | str) -> str:
    return f"{channel_key}|digest|{slot if isinstance(slot, str) else iso(slot)}"


def reminder_key(channel_key: str, days: int, review: str) -> str:
    return f"{channel_key}|reminder-{days}|{review}"


# -- one pass ---------------------------------------------------------------------------


@dataclass
class Due:
    key: str
    channel_key: str
    platform: str
    team: str
    kind: str  # digest | reminder
    slot: datetime
    days: int = 0
    review: str = ""
    later_keys: tuple = ()  # a reminder is not sent once a later one of the same review exists
    schedule: tuple | None = None  # a digest's (weekday, hour, minute, zone): its week starts at the slot before


@lru_cache(maxsize=4096)
def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


@lru_cache(maxsize=4096)
def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _zone(name: str | None, default: str) -> ZoneInfo:
    for n in (name, default, "UTC"):
        if n:
            try:
                return zone(n)
            except Exception:  # an unknown zone in the store never stops the other teams
                continue
    return zone("UTC")


_CHANNELS_SQL = (
    "SELECT c.key, c.platform, c.created_at AS channel_since, t.name AS team, t.tz, t.review_date,"
    " t.review_set_at, t.digest_weekday, t.digest_time, t.digest_tz, t.digest_enabled, t.digest_since"
    " FROM channels c JOIN teams t ON t.name = c.team WHERE c.private = 0"
)


def plan(rows: list[dict], now: datetime, default_tz: str = "UTC") -> tuple[list[Due], datetime | None]:
    """Pure: what could be due at now for these channel rows, and the next instant something may become due."""
    now = now.astimezone(UTC)
    out: list[Due] = []
    nxt: datetime | None = None
    weekly: dict[tuple, tuple[datetime, datetime, str]] = {}
    reviews: dict[tuple, tuple] = {}
    for row in rows:
        if row["digest_enabled"]:
            tzname = row["digest_tz"] or row["tz"]
            spec = (tzname, row["digest_weekday"], row["digest_time"])
            slots = weekly.get(spec)
            if slots is None:
                h, m = parse_hhmm(row["digest_time"])
                tz = _zone(tzname, default_tz)
                wd = int(row["digest_weekday"]) % 7
                latest, following = weekly_slots(now, wd, h, m, tz)
                slots = weekly[spec] = (latest, following, iso(latest), (wd, h, m, tz))
            latest, following, latest_iso, schedule = slots
            since = _instant(row["digest_since"])
            born = _instant(row["channel_since"])
            if (since is None or latest > since) and (born is None or latest > born):
                out.append(Due(digest_key(row["key"], latest_iso), row["key"], row["platform"], row["team"],
                               "digest", latest, schedule=schedule))
            if nxt is None or following < nxt:
                nxt = following
        review = _day(row["review_date"])
        if review is None:
            continue
        spec = (row["tz"], review)
        if spec not in reviews:
            reviews[spec] = _review_plan(review, _zone(row["tz"], default_tz), now)
        latest, later_days, following = reviews[spec]
        if following is not None and (nxt is None or following < nxt):
            nxt = following
        if latest is None:
            continue
        n, slot = latest
        bounds = [b for b in (_instant(row["review_set_at"]), _instant(row["channel_since"])) if b is not None]
        if any(slot < b for b in bounds):
            continue  # its time passed before the review date was set or before the channel was there
        keys = tuple(reminder_key(row["key"], d, row["review_date"]) for d in later_days)
        out.append(Due(keys[0], row["key"], row["platform"], row["team"], "reminder", slot, n,
                       row["review_date"], keys[1:]))
    return out, nxt


def _review_plan(review: date, tz: ZoneInfo, now: datetime):
    """(latest reminder slot passed, as (days, instant), or None while none has or once the review is over;
    the days of that reminder and of the later ones; the next reminder instant after now, or None)."""
    slots = reminder_slots(review, tz)
    ahead = review >= now.astimezone(tz).date()
    past = [(n, s) for n, s in slots if s <= now] if ahead else []
    future = [s for _, s in slots if s > now]
    if not past:
        return None, [], future[0] if future else None
    latest = past[-1]
    return latest, [n for n, s in slots if s >= latest[1]], future[0] if future else None


class _Memo:
    """After a pass with nothing to queue: the store's state and the next instant anything can be due.
    A later pass on the same connection with the same state, before that instant, has nothing to do."""

    __slots__ = ("state", "at", "until")

    def __init__(self, state, at, until):
        self.state, self.at, self.until = state, at, until


_memos: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_memo_lock = threading.Lock()


def _state(store) -> tuple | None:
    try:
        conn = store.conn
        row = conn.execute("PRAGMA data_version").fetchone()
        version = row["data_version"] if isinstance(row, dict) else row[0]
        return (id(conn), version, conn.total_changes)
    except Exception:
        return None


def _memo_get(store) -> dict:
    with _memo_lock:
        try:
            m = _memos.get(store)
            if m is None:
                m = _memos[store] = {}
            return m
        except TypeError:  # not weak-referenceable: no fast path
            return {}


def queue_due(store, config, now: datetime) -> int:
    """Queue every reminder and digest due at `now` into the outbox; returns how many were queued."""
    now = now.astimezone(UTC)
    memos = _memo_get(store)
    tid = threading.get_ident()
    state = _state(store)
    memo = memos.get(tid)
    if memo is not None and state is not None and memo.state == state and memo.at <= now and (
            memo.until is None or now < memo.until):
        return 0
    rows = store.all(_CHANNELS_SQL)
    candidates, nxt = plan(rows, now, getattr(config, "tz", "UTC"))
    due = _missing(store, candidates)
    if not due:
        if state is not None:
            memos[tid] = _Memo(state, now, nxt)
        return 0
    memos.pop(tid, None)
    texts = _texts(store, config, due, now)
    n = 0
    with store.write() as conn:
        for d in due:
            if id(d) in texts and store.enqueue(conn, d.key, d.channel_key, d.platform, d.kind, iso(d.slot), texts[id(d)], now):
                n += 1
    return n


def _missing(store, candidates: list[Due]) -> list[Due]:
    """The candidates with no key in the outbox, nor a later reminder, nor a later digest of the channel."""
    if not candidates:
        return []
    have = store.outbox_has([c.key for c in candidates])
    due = [c for c in candidates if c.key not in have]
    later = [k for c in due for k in c.later_keys]
    if later:  # rare: a reminder whose key is missing; a later one of the same review may exist
        have = store.outbox_has(later)
        due = [c for c in due if not any(k in have for k in c.later_keys)]
    digests = [c for c in due if c.kind == "digest"]
    if digests:
        latest = _latest_digest_slots(store, [c.channel_key for c in digests])
        due = [c for c in due if c.kind != "digest" or latest.get(c.channel_key, "") < iso(c.slot)]
    return due


def _latest_digest_slots(store, channel_keys: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for i in range(0, len(channel_keys), 500):
        chunk = channel_keys[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.all(
            f"SELECT channel_key, MAX(slot) AS slot FROM outbox WHERE kind = 'digest' AND channel_key IN ({marks})"
            " GROUP BY channel_key", chunk):
            out[r["channel_key"]] = r["slot"]
    return out


def _texts(store, config, due: list[Due], now: datetime) -> dict[int, str]:
    """The text of each due message, built once per team, kind, slot and platform."""
    from .digest import build_digest, build_reminder

    cache: dict[tuple, str | None] = {}
    out: dict[int, str] = {}
    for d in due:
        r = renderer_for(d.platform)
        k = (d.team, d.kind, d.slot, d.days, r.platform)
        if k not in cache:
            short = r.platform == "irc"
            try:
                if d.kind == "digest":
                    wd, h, m, tz = d.schedule
                    before = weekly_slots(d.slot - timedelta(seconds=1), wd, h, m, tz)[0]
                    cache[k] = build_digest(store, config, d.team, now, r, short=short, until=min(d.slot, now),
                                            since=before)
                else:
                    cache[k] = build_reminder(store, config, d.team, now, r, short=short, review=d.review,
                                              days=d.days)
            except Exception as e:  # one team's bad data must not hold up the others; a later pass retries it
                cache[k] = None
                print(f"goalkeeper: schedule: cannot build the {d.kind} of {d.team}: {type(e).__name__}: {e}",
                      file=sys.stderr, flush=True)
        if cache[k] is not None:
            out[id(d)] = cache[k]
    return out
