"""What is due at an instant: review reminders, weekly digests and check-ins, queued exactly once.

A pass (`queue_due`) decides from the store alone, never from timers in memory:

- for every public team channel, the latest digest slot at or before `now` (if the
  digest is on and the slot is after `digest_since` and after the channel appeared),
  and the latest review reminder slot (14, 7, 1 days before the review date at 09:00
  in the team's zone) while the review is still ahead;
- each becomes an outbox key (`<channel>|digest|<slot UTC>`,
  `<channel>|reminder-<days>|<review date>`); one batched query finds the keys that
  already exist, and the missing ones are added (a duplicate key is ignored) in one
  transaction, so two processes at the same instant queue one message;
- only the latest slot is ever a candidate, so a missed digest goes out late once
  and an older one is skipped; a slot older than one already queued for the same
  channel is never queued (a clock set back resends nothing).

Slots are wall-clock times in the team's zone (zoneinfo): 09:00 stays 09:00 across
daylight-saving changes; a time skipped by a spring-forward gap goes at the first
instant after the gap, an ambiguous fall-back time at its first occurrence.

Check-ins (bot/checkin.py) are claimed per team and slot, in the same commit as their messages.

Delivery is the adapters' business (`claim_outgoing` / `mark_delivered`).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .checkin import build_checkins, plan_checkins
from .digest import build_digest, build_reminder
from .render import renderer_for
from .slots import UTC, parse_hhmm, reminder_slots, weekly_slots
from .times import day_or_none, instant_or_none, iso, zone_or_default


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
                tz = zone_or_default(tzname, default_tz)
                wd = int(row["digest_weekday"]) % 7
                latest, following = weekly_slots(now, wd, h, m, tz)
                slots = weekly[spec] = (latest, following, iso(latest), (wd, h, m, tz))
            latest, following, latest_iso, schedule = slots
            since = instant_or_none(row["digest_since"])
            born = instant_or_none(row["channel_since"])
            if (since is None or latest > since) and (born is None or latest > born):
                out.append(Due(digest_key(row["key"], latest_iso), row["key"], row["platform"], row["team"],
                               "digest", latest, schedule=schedule))
            if nxt is None or following < nxt:
                nxt = following
        review = day_or_none(row["review_date"])
        if review is None:
            continue
        spec = (row["tz"], review)
        if spec not in reviews:
            reviews[spec] = _review_plan(review, zone_or_default(row["tz"], default_tz), now)
        latest, later_days, following = reviews[spec]
        if following is not None and (nxt is None or following < nxt):
            nxt = following
        if latest is None:
            continue
        n, slot = latest
        bounds = [b for b in (instant_or_none(row["review_set_at"]), instant_or_none(row["channel_since"])) if b is not None]
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


class Scheduler:
    """One per core: queues what is due, from the store alone. After a pass with nothing to queue it
    remembers the store's change token and the next instant anything can be due, so the next pass on
    an unchanged store before that instant costs one look at the token."""

    def __init__(self, store, config, log):
        self.store = store
        self.config = config
        self.log = log
        self._quiet = threading.local()  # (token, at, until) of this thread's last pass with nothing due

    def queue_due(self, now: datetime) -> int:
        """Queue every reminder and digest due at `now` into the outbox; returns how many were queued."""
        store = self.store
        now = now.astimezone(UTC)
        token = store.change_token()
        quiet = getattr(self._quiet, "last", None)
        if quiet is not None and token is not None and quiet[0] == token and quiet[1] <= now and (
                quiet[2] is None or now < quiet[2]):
            return 0
        rows = store.schedule_rows()
        candidates, nxt = plan(rows, now, self.config.tz)
        checkins, nxt_checkin = plan_checkins(rows, now, self.config.tz)
        if nxt_checkin is not None and (nxt is None or nxt_checkin < nxt):
            nxt = nxt_checkin
        due = _missing(store, candidates)
        if not due and not checkins:
            self._quiet.last = (token, now, nxt) if token is not None else None
            return 0
        self._quiet.last = None
        texts = self._texts(due, now)
        asks = self._checkins(checkins)
        n = 0
        with store.write() as conn:
            for d in due:
                if id(d) in texts and store.enqueue(conn, d.key, d.channel_key, d.platform, d.kind, iso(d.slot),
                                                    texts[id(d)], now):
                    n += 1
            for c, rows in asks:  # a team's pass and its messages in one commit: asked once, whoever comes first
                if not store.claim_checkin_pass(conn, c.team, iso(c.slot), now):
                    continue
                for m in rows:
                    if store.enqueue(conn, m["key"], m["channel_key"], m["platform"], m["kind"], m["slot"], m["text"],
                                     now, data=m["data"]):
                        n += 1
        return n

    def _checkins(self, due) -> list[tuple]:
        out = []
        for c in due:
            try:
                out.append((c, build_checkins(self.store, self.config, c)))
            except Exception as e:  # one team's bad data must not hold up the others; a later pass retries it
                self.log(f"schedule: cannot build the check-in of {c.team}: {type(e).__name__}: {e}")
        return out

    def _texts(self, due: list[Due], now: datetime) -> dict[int, str]:
        """The text of each due message, built once per team, kind, slot and platform."""
        cache: dict[tuple, str | None] = {}
        out: dict[int, str] = {}
        for d in due:
            r = renderer_for(d.platform)
            k = (d.team, d.kind, d.slot, d.days, r.platform)
            if k not in cache:
                try:
                    if d.kind == "digest":
                        wd, h, m, tz = d.schedule
                        before = weekly_slots(d.slot - timedelta(seconds=1), wd, h, m, tz)[0]
                        cache[k] = build_digest(self.store, self.config, d.team, now, r, until=min(d.slot, now),
                                                since=before)
                    else:
                        cache[k] = build_reminder(self.store, self.config, d.team, now, r, review=d.review,
                                                  days=d.days)
                except Exception as e:  # one team's bad data must not hold up the others; a later pass retries it
                    cache[k] = None
                    self.log(f"schedule: cannot build the {d.kind} of {d.team}: {type(e).__name__}: {e}")
            if cache[k] is not None:
                out[id(d)] = cache[k]
        return out


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
        latest = store.latest_digest_slots([c.channel_key for c in digests])
        due = [c for c in due if c.kind != "digest" or latest.get(c.channel_key, "") < iso(c.slot)]
    return due
