"""Fiscal quarters: which quarter a date falls in, its label, its first and last day.

A fiscal year is named by the calendar year it ends in: with a year that starts
in July, Jul 2015 - Jun 2016 is FY2016 and Jan-Mar 2016 is FY2016Q3. With the
calendar year (start month 1) the label has no FY: `2016Q1`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUARTER_USAGE = "a quarter is Q1-Q4, 2016Q1, FY2016Q3, this, next or last"


class QuarterError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Quarter:
    fy: int
    q: int
    fiscal_start: int = 1

    @property
    def label(self) -> str:
        if self.fiscal_start == 1:
            return f"{self.fy}Q{self.q}"
        return f"FY{self.fy}Q{self.q}"

    def __str__(self) -> str:
        return self.label

    @property
    def start(self) -> date:
        """First day of the quarter."""
        # months since the fiscal year began, then back to a calendar month
        offset = (self.fiscal_start - 1) + 3 * (self.q - 1)
        first_year = self.fy if self.fiscal_start == 1 else self.fy - 1
        year = first_year + offset // 12
        return date(year, offset % 12 + 1, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> "Quarter":
        if self.q == 4:
            return Quarter(self.fy + 1, 1, self.fiscal_start)
        return Quarter(self.fy, self.q + 1, self.fiscal_start)

    def prev(self) -> "Quarter":
        if self.q == 1:
            return Quarter(self.fy - 1, 4, self.fiscal_start)
        return Quarter(self.fy, self.q - 1, self.fiscal_start)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the quarter as aware datetimes in tz."""
        return (
            datetime.combine(self.start, time(0), tz),
            datetime.combine(self.next().start, time(0), tz),
        )


def quarter_of(d: date, fiscal_start: int = 1) -> Quarter:
    months_in = (d.month - fiscal_start) % 12
    q = months_in // 3 + 1
    fy = d.year if (fiscal_start == 1 or d.month < fiscal_start) else d.year + 1
    return Quarter(fy, q, fiscal_start)


_LABEL = re.compile(r"^(?:fy)?(\d{4})\s*-?\s*q([1-4])$", re.I)
_Q_ONLY = re.compile(r"^q([1-4])$", re.I)


def parse_quarter(text: str, today: date, fiscal_start: int = 1) -> Quarter:
    """`Q3` (this fiscal year's), `2016Q1` (a calendar quarter), `FY2016Q3` (a fiscal one), `this`, `next`,
    `last`. With the calendar year (fiscal start 1) the two label forms are the same quarter."""
    t = text.strip().lower()
    current = quarter_of(today, fiscal_start)
    if t in ("this", "current", "now"):
        return current
    if t == "next":
        return current.next()
    if t in ("last", "previous", "prev"):
        return current.prev()
    m = _Q_ONLY.match(t)
    if m:
        return Quarter(current.fy, int(m.group(1)), fiscal_start)
    m = _LABEL.match(t)
    if m:
        year, q = int(m.group(1)), int(m.group(2))
        if not 1970 <= year <= 2200:
            raise QuarterError(f"{text!r} is not a quarter I know ({QUARTER_USAGE})")
        if fiscal_start != 1 and not t.startswith("fy"):
            # 2016Q1 without FY is the calendar quarter (Jan-Mar 2016): FY2016Q3 when the year starts in July
            return quarter_of(date(year, 3 * (q - 1) + 1, 1), fiscal_start)
        return Quarter(year, q, fiscal_start)
    raise QuarterError(f"{text!r} is not a quarter ({QUARTER_USAGE})")


def quarter_from_label(label: str, fiscal_start: int = 1) -> Quarter:
    """A stored label back to a Quarter."""
    m = _LABEL.match(label.strip())
    if not m:
        raise QuarterError(f"bad quarter label {label!r}")
    return Quarter(int(m.group(1)), int(m.group(2)), fiscal_start)


# a review date reviews the quarter whose end lies between 30 days before it and 30 days before
# the next quarter's end (Jan 22 reviews Oct-Dec)
REVIEW_LEAD = timedelta(days=30)


def reviewed_quarter(review: date, fiscal_start: int = 1) -> Quarter:
    """The quarter a review held on `review` reviews."""
    return quarter_of(review + REVIEW_LEAD, fiscal_start).prev()
