"""`<when>` phrases -> calendar dates, relative to a "now" that is always passed in.

    parse_when("next friday", now)            # now: aware datetime in the team's zone
    parse_when("end of quarter", now, fiscal_start=7)

The common phrases have their own regex fast paths (a few microseconds each);
anything else falls back to dateparser (English only, future preferred), which is
imported on first use so that importing this module stays cheap.

Accepted phrases (case-insensitive; surrounding whitespace, a trailing period and
a leading "on " or "by " are ignored; runs of whitespace count as one space):

- ISO dates `2016-01-22`, `2016/01/22`, `2016.01.22`, `20160122`; full ISO
  datetimes `2016-01-22T10:00`, `2016-01-22 10:00:00+01:00`: a naive one gives
  its own date, one with an offset (or `Z`) is converted to the zone of `now`
  first, then its date is taken (it names an instant).
- Month and day: `Jan 22`, `22 Jan`, `January 22`, `Jan 22nd`, `22nd of January`,
  `Jan 22 2016`, `Jan 22, 2016`, `22 January 2016`. Without a year: the next
  such day that is today or later (`Feb 29` without a year: the next Feb 29).
- `today`, `now`, `tonight`, `eod`, `end of day`; `tomorrow`; `yesterday`.
- Weekdays (`friday`, `fri`): the next such day that is today or later, so
  `friday` said on a Friday is today. `this friday`, `coming friday`: the same.
  `next friday`: the Friday of next week (weeks run Monday to Sunday), which is
  what most people mean: said on Wed 6 Jan it is Fri 15 Jan, not Fri 8 Jan.
  `last friday`: the latest Friday before today.
- A quarter label alone: `FY2016Q3`, `2016Q1` (`2016 Q1`), `Q3` (this fiscal
  year's), `Q4 2015`, `this quarter`, `next quarter`, `last quarter`: that
  quarter's last day (a past one is refused by `due:`).
- `in 3 days`, `in 2 weeks`, `in a week`, `in 1 month`, `in 2 years`,
  `in a fortnight`, `2 weeks from now`, `3 days from today` (numbers as digits or
  a/an/one..twelve). Months and years keep the day of month, clamped to the
  month's length (`in 1 month` from Jan 31 2016 is Feb 29 2016).
- `end of quarter`, `end of the quarter`, `end of this quarter`, `eoq`: last day
  of the fiscal quarter containing today; `end of next quarter`,
  `end of last quarter`.
- `end of Q3`: Q3 of the current fiscal year, or of the next one if that Q3 has
  already ended. `end of FY2016Q3`, `end of 2016Q1`, `end of 2016 Q1`: that
  quarter, read with the team's fiscal year start.
- `end of March` (`end of Mar`): the next March 31 that is today or later;
  `end of March 2017`: that one.
- `end of month`, `end of the month`, `end of this month`, `eom`;
  `end of next month`.
- `end of year`, `end of the year`, `end of this year`, `eoy`: Dec 31 of this
  calendar year; `end of next year`. `end of fiscal year`, `end of fy`, `eofy`:
  last day of the current fiscal year; `end of FY2016`: of that fiscal year.
- `end of week`, `end of the week`, `end of this week`, `eow`: the coming FRIDAY
  (the end of the working week; today if today is Friday, next week's Friday on
  a Saturday or Sunday); `end of next week`: the Friday of next week.
- `next week`: Monday of next week; `next month`: first day of next month;
  `next year`: Jan 1 of next year.
- Anything else: dateparser with `languages=['en']`, `PREFER_DATES_FROM='future'`,
  `RELATIVE_BASE=now` (naive). A bare number (`5`) is refused, not guessed.

parse_when never refuses a past date (callers decide), but prefers the future for
ambiguous phrases. It never caches by phrase.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

from bot.quarters import Quarter, QuarterError, parse_quarter, quarter_of

MAX_WHEN_LENGTH = 100
MIN_YEAR, MAX_YEAR = 1970, 2200  # the years a `<when>` may name (quarter labels use the same bound)

WHEN_USAGE = (
    "a date is e.g. next friday, in 2 weeks, 2016-01-22, Jan 22, tomorrow, "
    "end of quarter, end of Q3, end of March, end of month, next week"
)

_TRY = "try next friday, in 2 weeks, 2016-01-22, Jan 22, end of quarter, end of March"


class WhenError(ValueError):
    """A `<when>` phrase that is not a date; str() is a one-line message for the user."""


# ---------------------------------------------------------------- vocabulary

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2,
    "weds": 2, "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12,
}

_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WD = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_NUM = r"\d{1,7}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True))
_UNIT = r"days?|weeks?|fortnights?|months?|years?"

_SPACES = re.compile(r"\s+")
_PREFIX = re.compile(r"^(?:on|by)\s+")

_ISO = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$")
_ISO_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ISO_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[t ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)\s?(z|[+-]\d{2}:?\d{2})?$")
# "jan 22", "january 22nd", "jan 22 2016", "jan 22, 2016"
_MONTH_DAY = re.compile(rf"^({_MON})\.? (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?$")
# "22 jan", "22nd of january", "22 january 2016", "22 jan, 2016"
_DAY_MONTH = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({_MON})\.?(?:,? (\d{{4}}))?$")
_WEEKDAY = re.compile(rf"^(?:(this|next|last|coming) )?({_WD})\.?$")
_IN_N = re.compile(rf"^in ({_NUM}) ({_UNIT})$")
_N_FROM = re.compile(rf"^({_NUM}) ({_UNIT}) from (?:now|today)$")
_END_OF = re.compile(r"^end of (?:the )?(.+)$")
_END_MONTH = re.compile(rf"^({_MON})\.?(?:,? (\d{{4}}))?$")
_END_Q = re.compile(r"^q([1-4])$")
_END_FY = re.compile(r"^fy ?(\d{4})$")

_QUARTER_ALONE = re.compile(r"^(?:(?:fy ?)?\d{4} ?-?q[1-4]|q[1-4](?: (?:fy ?)?\d{4})?|(?:this|next|last) quarter)$")

_SIMPLE_END = {
    "eoq": "quarter", "eom": "month", "eoy": "year", "eow": "week", "eofy": "fiscal year",
}


# ---------------------------------------------------------------- helpers

def _shown(text: str) -> str:
    """The user's phrase, safe to echo in a one-line message."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _unreadable(text: str) -> WhenError:
    return WhenError(f"I can't read '{_shown(text)}' as a date ({_TRY})")


def _make_date(y: int, m: int, d: int, text: str) -> date:
    if not 1 <= m <= 12:
        raise WhenError(f"'{_shown(text)}' is not a real date: there is no month {m}")
    if not 1 <= y <= 9999:
        raise WhenError(f"'{_shown(text)}' is not a date I can use: the year {y} is out of range")
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise WhenError(
            f"'{_shown(text)}' is not a real date: {calendar.month_name[m]} {y} has {last} days"
        )
    return date(y, m, d)


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    y, m = divmod(total, 12)
    if not 1 <= y <= 9999:
        raise OverflowError("year out of range")
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _next_month_day(today: date, m: int, d: int, text: str) -> date:
    """The next day m/d that is today or later (Feb 29: the next leap year's)."""
    if d > (29 if m == 2 else calendar.monthrange(2001, m)[1]):
        raise WhenError(
            f"'{_shown(text)}' is not a real date: {calendar.month_name[m]} never has {d} days"
        )
    if d < 1:
        raise WhenError(f"'{_shown(text)}' is not a real date: there is no day 0")
    y = today.year
    while True:
        if d <= calendar.monthrange(y, m)[1] and date(y, m, d) >= today:
            return date(y, m, d)
        y += 1


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


def _shift(today: date, n: int, unit: str) -> date:
    unit = unit.rstrip("s")
    if unit == "day":
        return today + timedelta(days=n)
    if unit == "week":
        return today + timedelta(weeks=n)
    if unit == "fortnight":
        return today + timedelta(weeks=2 * n)
    if unit == "month":
        return _add_months(today, n)
    return _add_months(today, 12 * n)  # year


def _weekday(today: date, which: str | None, wd: int) -> date:
    ahead = (wd - today.weekday()) % 7
    if which == "next":  # the one in next week (Monday to Sunday), not the coming one
        return today - timedelta(days=today.weekday()) + timedelta(weeks=1, days=wd)
    if which == "last":
        return today - timedelta(days=(today.weekday() - wd) % 7 or 7)
    return today + timedelta(days=ahead)  # bare, "this", "coming": today counts


def _end_of(what: str, today: date, fiscal_start: int, text: str) -> date | None:
    current = quarter_of(today, fiscal_start)
    if what in ("quarter", "this quarter", "current quarter", "fiscal quarter"):
        return current.end
    if what == "next quarter":
        return current.next().end
    if what in ("last quarter", "previous quarter"):
        return current.prev().end
    if what in ("month", "this month", "current month"):
        return _month_end(today.year, today.month)
    if what == "next month":
        nm = _add_months(today.replace(day=1), 1)
        return _month_end(nm.year, nm.month)
    if what in ("year", "this year", "current year", "calendar year"):
        return date(today.year, 12, 31)
    if what == "next year":
        return date(today.year + 1, 12, 31)
    if what in ("week", "this week", "current week", "work week", "working week"):
        return _weekday(today, None, 4)
    if what == "next week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=1)
        return monday + timedelta(days=4)
    if what in ("day", "today", "the day"):
        return today
    if what in ("fiscal year", "this fiscal year", "fy", "the fiscal year", "financial year"):
        return Quarter(current.fy, 4, fiscal_start).end
    if what in ("next fiscal year", "next fy"):
        return Quarter(current.fy + 1, 4, fiscal_start).end
    m = _END_Q.match(what)
    if m:
        q = Quarter(current.fy, int(m.group(1)), fiscal_start)
        if q.end < today:
            q = Quarter(current.fy + 1, q.q, fiscal_start)
        return q.end
    m = _END_FY.match(what)
    if m:
        fy = int(m.group(1))
        if not 1970 <= fy <= 2200:
            raise WhenError(f"'{_shown(text)}' names a fiscal year I can't use ({fy})")
        return Quarter(fy, 4, fiscal_start).end
    m = _END_MONTH.match(what)
    if m:
        mo = _MONTHS[m.group(1)]
        if m.group(2):
            return _month_end(int(m.group(2)), mo)
        end = _month_end(today.year, mo)
        return end if end >= today else _month_end(today.year + 1, mo)
    if "q" in what:
        try:
            return parse_quarter(what, today, fiscal_start).end
        except QuarterError:
            return None
    return None


# ---------------------------------------------------------------- the parser

def parse_when(text: str, now: datetime, fiscal_start: int = 1) -> date:
    """The calendar date (in the zone of `now`) that `text` names; WhenError if none."""
    if not isinstance(text, str):
        raise WhenError("a date must be text")
    raw = text.strip()
    if len(raw) > MAX_WHEN_LENGTH:
        raise WhenError(
            f"a date is at most {MAX_WHEN_LENGTH} characters (this one has {len(raw)})"
        )
    t = _SPACES.sub(" ", raw).lower().rstrip(".").rstrip()
    if not t:
        raise WhenError(f"a date is missing ({_TRY})")
    t = _PREFIX.sub("", t)
    today = now.date()
    try:
        result = _fast(t, today, now, fiscal_start, raw)
        if result is None:
            result = _fallback(t, now, raw)
    except WhenError:
        raise
    except (OverflowError, ValueError):  # date arithmetic past year 9999
        raise WhenError(f"'{_shown(raw)}' is too far away to be a date I can use") from None
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise WhenError(f"'{_shown(raw)}' is {result.isoformat()}: a date is in the years {MIN_YEAR}-{MAX_YEAR}")
    return result


def _quarter_alone(t: str, today: date, fiscal_start: int, raw: str) -> date:
    """`FY2016Q3`, `2016Q1`, `Q3`, `Q4 2015`, `next quarter`: that quarter's last day."""
    words = t.split()
    if words[-1] == "quarter":
        t = words[0]
    elif t.startswith("q") and len(words) == 2:  # Q4 2015 is 2015Q4
        t = words[1] + words[0]
    try:
        return parse_quarter(t, today, fiscal_start).end
    except QuarterError:
        raise WhenError(f"'{_shown(raw)}' is not a quarter I know (like Q3, 2016Q1, FY2016Q3, next quarter)") from None


def _fast(t: str, today: date, now: datetime, fiscal_start: int, raw: str) -> date | None:
    if "q" in t and _QUARTER_ALONE.match(t):
        return _quarter_alone(t, today, fiscal_start, raw)
    if t in ("today", "now", "tonight", "eod", "end of day", "end of the day", "end of today"):
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    if t == "yesterday":
        return today - timedelta(days=1)

    c = t[0]
    if c.isdigit():
        m = _ISO.match(t)
        if m:
            return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)), raw)
        m = _ISO_COMPACT.match(t)
        if m:
            return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
        m = _ISO_DATETIME.match(t)
        if m:
            return _iso_datetime(m, now, raw)
        m = _DAY_MONTH.match(t)
        if m:
            return _month_day(today, _MONTHS[m.group(2)], int(m.group(1)), m.group(3), raw)
        if t.isdigit():
            raise _unreadable(raw)  # a bare number is not guessed at
        m = _NUMERIC.match(t)
        if m:
            _refuse_ambiguous(m, raw)
        m = _N_FROM.match(t)
        if m:
            return _shift(today, _number(m.group(1)), m.group(2))
        return None

    m = _MONTH_DAY.match(t)
    if m:
        return _month_day(today, _MONTHS[m.group(1)], int(m.group(2)), m.group(3), raw)
    if t in _MONTHS:  # a month alone is no day: say which
        name = calendar.month_name[_MONTHS[t]]
        raise WhenError(f"'{_shown(raw)}' is a month, not a day: say end of {name} or {name[:3]} 22")
    if len(t) <= 2 and t.isalpha():
        raise _unreadable(raw)  # a letter or two is a typo, not a date
    m = _WEEKDAY.match(t)
    if m:
        return _weekday(today, m.group(1), _WEEKDAYS[m.group(2)])
    m = _IN_N.match(t)
    if m:
        return _shift(today, _number(m.group(1)), m.group(2))
    m = _N_FROM.match(t)
    if m:
        return _shift(today, _number(m.group(1)), m.group(2))
    if t in _SIMPLE_END:
        return _end_of(_SIMPLE_END[t], today, fiscal_start, raw)
    m = _END_OF.match(t)
    if m:
        return _end_of(m.group(1), today, fiscal_start, raw)
    if t == "next week":
        return today - timedelta(days=today.weekday()) + timedelta(weeks=1)
    if t == "next month":
        return _add_months(today.replace(day=1), 1)
    if t == "next year":
        return date(today.year + 1, 1, 1)
    return None


def _refuse_ambiguous(m: re.Match, raw: str) -> None:
    """`16-12-31` or `03/04/2016`: which part is the year, the month, the day? Only an unambiguous order passes."""
    a, b, c = int(m.group(1)), int(m.group(3)), m.group(4)
    if len(c) == 2:
        raise WhenError(f"'{_shown(raw)}' could be read in several orders: write the year in full, "
                        "like 2016-12-31")
    if a <= 12 and b <= 12 and a != b:
        raise WhenError(f"'{_shown(raw)}' could be day-month or month-day: write it as "
                        f"{c}-{b:02d}-{a:02d} or {c}-{a:02d}-{b:02d}")


def _month_day(today: date, m: int, d: int, year: str | None, raw: str) -> date:
    if year:
        return _make_date(int(year), m, d, raw)
    return _next_month_day(today, m, d, raw)


def _iso_datetime(m: re.Match, now: datetime, raw: str) -> date:
    day = m.group(1)
    d = _make_date(int(day[:4]), int(day[5:7]), int(day[8:10]), raw)
    zone = m.group(3)
    try:
        hms = datetime.strptime(m.group(2)[:8], "%H:%M:%S" if len(m.group(2)) >= 8 else "%H:%M")
    except ValueError:
        raise WhenError(f"'{_shown(raw)}' has a time of day that does not exist") from None
    if not zone:
        return d
    stamp = datetime.fromisoformat(
        f"{day}T{hms:%H:%M:%S}{'+00:00' if zone == 'z' else _colon(zone)}"
    )
    if now.tzinfo is None:
        return stamp.date()
    return stamp.astimezone(now.tzinfo).date()


def _colon(zone: str) -> str:
    return zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"


_dateparser = None


def _fallback(t: str, now: datetime, raw: str) -> date:
    global _dateparser
    if _dateparser is None:
        import dateparser  # lazy: costs ~0.1 s to import and more on first parse

        _dateparser = dateparser
    base = now.replace(tzinfo=None)
    try:
        result = _dateparser.parse(
            t,
            languages=["en"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": base,
                "RETURN_AS_TIMEZONE_AWARE": False,
            },
        )
    except Exception:  # dateparser raising on odd input is still just "unreadable"
        result = None
    if result is None:
        raise _unreadable(raw)
    return result.date()


# ---------------------------------------------------------------- weekly schedules

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_OF_DAY = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.I)


def weekday_number(text: str) -> int | None:
    """`mon`, `Monday`, `mondays` -> 0; None if it is not a weekday."""
    t = text.strip().lower().rstrip("s")
    return next((i for i, d in enumerate(WEEKDAYS) if len(t) >= 3 and d.startswith(t)), None)


def time_of_day(text: str) -> str | None:
    """`9`, `9am`, `09:00`, `5:30 pm` -> `HH:MM`; None if it is not a time of day."""
    m = _TIME_OF_DAY.match(text.strip())
    if not m:
        return None
    h, mi, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm == "pm" else 0)
    if h > 23 or mi > 59:
        return None
    return f"{h:02d}:{mi:02d}"
