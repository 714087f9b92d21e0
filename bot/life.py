"""The quarter's life: open from its first to its last day, then under review, then closed.

Pure: the caller passes the team's record (`review_date`, `tz`), its stored closes
({quarter label: ISO instant}) and the clock. A quarter closes at the first of:
- its stored close (`review close`, a review meeting's #endmeeting, or one settled
  when the review date that implied it was moved);
- the end of the review day of the team's review date, when that date reviews it
  (never before the quarter's own end);
- the end of the next quarter: a quarter never closed stops being under review
  once a newer quarter has ended (so at most one quarter is under review at a time).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from .quarters import Quarter, quarter_of, reviewed_quarter
from .times import day_or_none, instant_or_none, iso, zone

OPEN, UNDER_REVIEW, CLOSED = "open", "under review", "closed"


def review_day_end(review: date, tz) -> datetime:
    """Midnight after the review day, in the team's zone."""
    return datetime.combine(review + timedelta(days=1), time(0), tz)


def close_instant(quarter: Quarter, tz: str, review_date: str | None, closed: dict | None) -> datetime:
    """When `quarter` closes (or closed), by the rules above; always at or after its end."""
    z = zone(tz)
    stored = instant_or_none((closed or {}).get(quarter.label))
    if stored is not None:
        return stored
    end = quarter.bounds(z)[1]
    review = day_or_none(review_date)
    if review is not None and reviewed_quarter(review, quarter.fiscal_start) == quarter:
        return max(review_day_end(review, z), end)
    return quarter.next().bounds(z)[1]


def state(quarter: Quarter, now: datetime, tz: str, review_date: str | None, closed: dict | None) -> str:
    if now < quarter.bounds(zone(tz))[1]:
        return OPEN
    return CLOSED if now >= close_instant(quarter, tz, review_date, closed) else UNDER_REVIEW


def under_review(now: datetime, tz: str, fiscal_start: int, review_date: str | None,
                 closed: dict | None) -> Quarter | None:
    """The quarter under review at `now`, if any: only the last quarter to end can be."""
    prev = quarter_of(now.astimezone(zone(tz)).date(), fiscal_start).prev()
    return prev if state(prev, now, tz, review_date, closed) == UNDER_REVIEW else None


def settle(now: datetime, tz: str, fiscal_start: int, review_date: str | None, closed: dict | None) -> dict:
    """The closes the current review date implies and the store does not hold yet ({label: ISO}):
    to be stored before the review date or zone changes, so that a moved date reopens nothing."""
    review = day_or_none(review_date)
    if review is None:
        return {}
    q = reviewed_quarter(review, fiscal_start)
    if q.label in (closed or {}):
        return {}
    at = close_instant(q, tz, review_date, closed)
    return {q.label: iso(at)} if now >= at else {}


def team_under_review(store, config, team: str, now: datetime, row: dict | None = None) -> Quarter | None:
    """The team's quarter under review now, from the store; a quarter in which the team recorded no goal
    has nothing to review, so it is never the default of `review`, `learnings` or `kpi list`."""
    row = row if row is not None else (store.team(team) or {})
    q = under_review(now, row.get("tz") or config.tz, config.fiscal_start, row.get("review_date"), store.closes(team))
    if q is None or not store.count_goals(team, q.label):
        return None
    return q
