"""Fiscal quarters: labels, boundaries and the forms users type."""
from datetime import date

import pytest

from bot.quarters import Quarter, QuarterError, parse_quarter, quarter_from_label, quarter_of

JAN4 = date(2016, 1, 4)


@pytest.mark.parametrize("d,fs,label,start,end", [
    (date(2016, 1, 4), 7, "FY2016Q3", date(2016, 1, 1), date(2016, 3, 31)),
    (date(2015, 7, 1), 7, "FY2016Q1", date(2015, 7, 1), date(2015, 9, 30)),
    (date(2016, 6, 30), 7, "FY2016Q4", date(2016, 4, 1), date(2016, 6, 30)),
    (date(2016, 1, 4), 1, "2016Q1", date(2016, 1, 1), date(2016, 3, 31)),
    (date(2016, 12, 31), 1, "2016Q4", date(2016, 10, 1), date(2016, 12, 31)),
    (date(2016, 2, 29), 2, "FY2017Q1", date(2016, 2, 1), date(2016, 4, 30)),
    (date(2016, 1, 31), 2, "FY2016Q4", date(2015, 11, 1), date(2016, 1, 31)),
])
def test_quarter_of(d, fs, label, start, end):
    q = quarter_of(d, fs)
    assert (q.label, q.start, q.end) == (label, start, end)
    assert quarter_from_label(label, fs) == q


def test_next_and_prev_cross_years():
    q = quarter_of(JAN4, 7)
    assert q.next().label == "FY2016Q4" and q.next().next().label == "FY2017Q1"
    assert quarter_of(JAN4, 1).prev().label == "2015Q4"


@pytest.mark.parametrize("text,fs,label", [
    ("this", 7, "FY2016Q3"), ("next", 7, "FY2016Q4"), ("last", 7, "FY2016Q2"),
    ("Q3", 7, "FY2016Q3"), ("q1", 7, "FY2016Q1"),
    ("FY2016Q3", 7, "FY2016Q3"), ("fy2017q1", 7, "FY2017Q1"),
    ("2016Q1", 7, "FY2016Q3"),  # a calendar quarter: Jan-Mar 2016
    ("2015Q3", 7, "FY2016Q1"),
    ("2016Q1", 1, "2016Q1"), ("FY2016Q1", 1, "2016Q1"), ("2016 Q2", 1, "2016Q2"),
])
def test_parse_quarter(text, fs, label):
    assert parse_quarter(text, JAN4, fs).label == label


@pytest.mark.parametrize("text", ["Q5", "Q0", "2016Q5", "FY99999Q1", "someday", "", "1850Q1"])
def test_bad_quarters(text):
    with pytest.raises(QuarterError):
        parse_quarter(text, JAN4, 7)


def test_bounds_are_local_midnights():
    from zoneinfo import ZoneInfo

    start, end = Quarter(2016, 3, 7).bounds(ZoneInfo("America/Los_Angeles"))
    assert start.isoformat() == "2016-01-01T00:00:00-08:00" and end.isoformat() == "2016-04-01T00:00:00-07:00"
