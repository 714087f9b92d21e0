"""bot.when: `<when>` phrases to dates, at fixed instants (the clock is never read)."""
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.when import MAX_WHEN_LENGTH, WHEN_USAGE, WhenError, parse_when

LA = ZoneInfo("America/Los_Angeles")
# Monday 4 Jan 2016, 10:00 in Los Angeles: with a July fiscal year this is FY2016Q3
MON = datetime(2016, 1, 4, 10, 0, tzinfo=LA)
FRI = datetime(2016, 1, 8, 10, 0, tzinfo=LA)   # a Friday
SAT = datetime(2016, 1, 9, 10, 0, tzinfo=LA)
SUN = datetime(2016, 1, 10, 10, 0, tzinfo=LA)


def w(text, now=MON, fs=7):
    return parse_when(text, now, fs)


def err(text, now=MON, fs=7):
    with pytest.raises(WhenError) as e:
        parse_when(text, now, fs)
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


# ---------------------------------------------------------------- ISO

@pytest.mark.parametrize("text", ["2016-01-22", "2016/01/22", "2016.01.22", "20160122", "2016-1-22",
                                  " 2016-01-22. ", "2016-01-22T10:00", "2016-01-22T10:00:00",
                                  "2016-01-22 23:59:59.123456", "on 2016-01-22", "by 2016-01-22"])
def test_iso_forms(text):
    assert w(text) == date(2016, 1, 22)


def test_iso_datetime_with_offset_is_converted_to_the_zone_of_now():
    assert w("2016-01-22T02:00Z") == date(2016, 1, 21)              # 18:00 on the 21st in LA
    assert w("2016-01-22T02:00:00+00:00") == date(2016, 1, 21)
    assert w("2016-01-22T10:00:00+01:00") == date(2016, 1, 22)
    assert w("2016-01-22T23:00-08:00") == date(2016, 1, 22)
    tokyo = datetime(2016, 1, 4, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert parse_when("2016-01-22T20:00Z", tokyo) == date(2016, 1, 23)


def test_iso_past_date_is_returned_not_refused():
    assert w("2015-12-01") == date(2015, 12, 1)


@pytest.mark.parametrize("text", ["2016-02-30", "2015-02-29", "2016-13-01", "2016-00-10",
                                  "2016-04-31", "2016-01-00", "2016/02/30", "20160230",
                                  "2016-01-22T25:00"])
def test_impossible_iso_dates(text):
    msg = err(text)
    assert text in msg


def test_leap_day_iso():
    assert w("2016-02-29") == date(2016, 2, 29)
    assert "29" in err("2017-02-29") or "28" in err("2017-02-29")


# ---------------------------------------------------------------- month and day

@pytest.mark.parametrize("text", ["Jan 22", "22 Jan", "January 22", "22 January", "jan 22nd",
                                  "22nd of January", "JAN 22", "Jan. 22", "  january   22  "])
def test_month_day_this_year_when_ahead(text):
    assert w(text) == date(2016, 1, 22)


@pytest.mark.parametrize("text", ["Jan 22 2016", "22 January 2016", "Jan 22, 2016", "January 22nd 2016"])
def test_month_day_with_year(text):
    assert w(text) == date(2016, 1, 22)


def test_month_day_prefers_the_future():
    after = datetime(2016, 1, 25, 9, tzinfo=LA)
    assert w("Jan 22", after) == date(2017, 1, 22)
    assert w("Jan 25", after) == date(2016, 1, 25)          # today counts
    assert w("Dec 31", after) == date(2016, 12, 31)
    assert w("Jan 22 2016", after) == date(2016, 1, 22)     # an explicit year is kept, even past


def test_month_day_across_year_boundary():
    nye = datetime(2015, 12, 31, 22, tzinfo=LA)
    assert w("Jan 1", nye) == date(2016, 1, 1)
    assert w("Dec 31", nye) == date(2015, 12, 31)
    assert w("Dec 30", nye) == date(2016, 12, 30)


def test_feb_29_without_year_is_the_next_leap_day():
    assert w("Feb 29", datetime(2016, 1, 4, tzinfo=LA)) == date(2016, 2, 29)
    assert w("Feb 29", datetime(2016, 3, 1, tzinfo=LA)) == date(2020, 2, 29)
    assert w("29 February", datetime(2017, 6, 1, tzinfo=LA)) == date(2020, 2, 29)


@pytest.mark.parametrize("text", ["Feb 30", "30 Feb", "April 31", "Jan 32", "Jan 0", "Feb 29 2015"])
def test_impossible_month_days(text):
    msg = err(text)
    assert "not a real date" in msg


# ---------------------------------------------------------------- today and friends

def test_today_tomorrow_yesterday():
    assert w("today") == date(2016, 1, 4)
    assert w("Tomorrow") == date(2016, 1, 5)
    assert w("yesterday") == date(2016, 1, 3)
    assert w("eod") == date(2016, 1, 4)
    assert w("end of day") == date(2016, 1, 4)


def test_local_date_differs_from_utc():
    late = datetime(2016, 1, 4, 23, 30, tzinfo=timezone(timedelta(hours=-8)))  # 07:30 UTC on the 5th
    assert parse_when("today", late) == date(2016, 1, 4)
    assert parse_when("tomorrow", late) == date(2016, 1, 5)
    assert parse_when("in 3 days", late) == date(2016, 1, 7)
    assert parse_when("friday", late) == date(2016, 1, 8)
    early = datetime(2016, 1, 5, 0, 30, tzinfo=ZoneInfo("Pacific/Auckland"))  # still Jan 4 in UTC
    assert parse_when("today", early) == date(2016, 1, 5)
    assert parse_when("yesterday", early) == date(2016, 1, 4)


def test_tomorrow_across_year_and_leap_day():
    assert w("tomorrow", datetime(2015, 12, 31, 12, tzinfo=LA)) == date(2016, 1, 1)
    assert w("tomorrow", datetime(2016, 2, 28, 12, tzinfo=LA)) == date(2016, 2, 29)
    assert w("tomorrow", datetime(2015, 2, 28, 12, tzinfo=LA)) == date(2015, 3, 1)


# ---------------------------------------------------------------- weekdays

def test_weekdays_from_a_monday():
    assert w("friday") == date(2016, 1, 8)
    assert w("fri") == date(2016, 1, 8)
    assert w("this friday") == date(2016, 1, 8)
    assert w("next friday") == date(2016, 1, 15)     # the Friday of next week: what most people mean
    assert w("monday") == date(2016, 1, 4)           # today counts for a bare weekday
    assert w("next monday") == date(2016, 1, 11)
    assert w("tuesday") == date(2016, 1, 5)
    assert w("Sunday") == date(2016, 1, 10)
    assert w("last friday") == date(2016, 1, 1)
    assert w("on thursday") == date(2016, 1, 7)
    assert w("by wed") == date(2016, 1, 6)


def test_weekdays_from_a_friday():
    assert w("friday", FRI) == date(2016, 1, 8)          # today: our documented choice
    assert w("this friday", FRI) == date(2016, 1, 8)
    assert w("next friday", FRI) == date(2016, 1, 15)
    assert w("last friday", FRI) == date(2016, 1, 1)
    assert w("thursday", FRI) == date(2016, 1, 14)
    assert w("saturday", FRI) == date(2016, 1, 9)
    assert w("next saturday", FRI) == date(2016, 1, 16)  # next week's, not tomorrow
    assert w("monday", FRI) == date(2016, 1, 11)


def test_weekdays_across_year_end():
    thu = datetime(2015, 12, 31, 9, tzinfo=LA)
    assert w("friday", thu) == date(2016, 1, 1)
    assert w("next thursday", thu) == date(2016, 1, 7)
    assert w("monday", thu) == date(2016, 1, 4)


# ---------------------------------------------------------------- in N units

@pytest.mark.parametrize("text,expected", [
    ("in 3 days", date(2016, 1, 7)),
    ("in 1 day", date(2016, 1, 5)),
    ("in 2 weeks", date(2016, 1, 18)),
    ("in a week", date(2016, 1, 11)),
    ("in one week", date(2016, 1, 11)),
    ("in two weeks", date(2016, 1, 18)),
    ("in a fortnight", date(2016, 1, 18)),
    ("in 1 month", date(2016, 2, 4)),
    ("in 3 months", date(2016, 4, 4)),
    ("in a year", date(2017, 1, 4)),
    ("2 weeks from now", date(2016, 1, 18)),
    ("3 days from today", date(2016, 1, 7)),
    ("in 0 days", date(2016, 1, 4)),
    ("In 2 Weeks.", date(2016, 1, 18)),
])
def test_in_n_units(text, expected):
    assert w(text) == expected


def test_in_months_clamps_to_month_length():
    jan31 = datetime(2016, 1, 31, 12, tzinfo=LA)
    assert w("in 1 month", jan31) == date(2016, 2, 29)
    assert w("in 1 month", datetime(2015, 1, 31, tzinfo=LA)) == date(2015, 2, 28)
    assert w("in 1 year", datetime(2016, 2, 29, tzinfo=LA)) == date(2017, 2, 28)
    assert w("in 11 months", jan31) == date(2016, 12, 31)
    assert w("in 2 months", datetime(2015, 12, 15, tzinfo=LA)) == date(2016, 2, 15)


def test_in_n_days_across_leap_day():
    assert w("in 2 days", datetime(2016, 2, 28, tzinfo=LA)) == date(2016, 3, 1)
    assert w("in 2 days", datetime(2015, 2, 28, tzinfo=LA)) == date(2015, 3, 2)


def test_in_far_future_is_an_error_not_a_crash():
    assert "too far" in err("in 9999999 days")
    assert "too far" in err("in 9999999 years")
    err("in 99999999999999999999 days")


# ---------------------------------------------------------------- end of quarter

@pytest.mark.parametrize("text", ["end of quarter", "end of the quarter", "eoq", "EOQ",
                                  "End of this quarter", "end of quarter.", "by end of quarter"])
def test_end_of_quarter_fiscal_july(text):
    assert w(text) == date(2016, 3, 31)


def test_end_of_quarter_calendar_year():
    assert w("end of quarter", fs=1) == date(2016, 3, 31)
    assert w("end of quarter", datetime(2016, 5, 10, tzinfo=LA), fs=1) == date(2016, 6, 30)
    assert w("end of quarter", datetime(2016, 5, 10, tzinfo=LA), fs=2) == date(2016, 7, 31)
    assert w("end of quarter", datetime(2016, 3, 31, 23, 59, tzinfo=LA), fs=1) == date(2016, 3, 31)
    assert w("end of quarter", datetime(2016, 4, 1, 0, 0, tzinfo=LA), fs=1) == date(2016, 6, 30)


def test_end_of_next_and_last_quarter():
    assert w("end of next quarter") == date(2016, 6, 30)
    assert w("end of next quarter", fs=1) == date(2016, 6, 30)
    assert w("end of next quarter", datetime(2016, 11, 2, tzinfo=LA), fs=1) == date(2017, 3, 31)
    assert w("end of last quarter") == date(2015, 12, 31)


def test_end_of_q_n():
    # fiscal July: Q3 is Jan-Mar, now is in FY2016Q3
    assert w("end of Q3") == date(2016, 3, 31)
    assert w("end of Q4") == date(2016, 6, 30)
    assert w("end of Q1") == date(2016, 9, 30)      # FY2016Q1 is over: FY2017Q1
    assert w("end of Q2") == date(2016, 12, 31)     # FY2016Q2 ended Dec 31 2015: FY2017Q2
    # calendar year
    assert w("end of Q3", fs=1) == date(2016, 9, 30)
    assert w("end of Q1", fs=1) == date(2016, 3, 31)
    assert w("end of q1", datetime(2016, 4, 1, tzinfo=LA), fs=1) == date(2017, 3, 31)


def test_end_of_labelled_quarter():
    assert w("end of FY2016Q3") == date(2016, 3, 31)
    assert w("end of fy2016q4") == date(2016, 6, 30)
    assert w("end of FY2017Q1") == date(2016, 9, 30)
    assert w("end of 2016Q1", fs=1) == date(2016, 3, 31)
    assert w("end of 2016 Q4", fs=1) == date(2016, 12, 31)
    assert w("end of 2015Q4", fs=1) == date(2015, 12, 31)   # past: returned, callers refuse


def test_end_of_fiscal_year():
    assert w("end of fiscal year") == date(2016, 6, 30)
    assert w("eofy") == date(2016, 6, 30)
    assert w("end of the fiscal year", fs=1) == date(2016, 12, 31)
    assert w("end of FY2017") == date(2017, 6, 30)


# ---------------------------------------------------------------- end of month / year / week

@pytest.mark.parametrize("text,now,expected", [
    ("end of March", MON, date(2016, 3, 31)),
    ("end of mar", MON, date(2016, 3, 31)),
    ("end of March", datetime(2016, 3, 31, 9, tzinfo=LA), date(2016, 3, 31)),
    ("end of March", datetime(2016, 4, 1, 9, tzinfo=LA), date(2017, 3, 31)),
    ("end of February", MON, date(2016, 2, 29)),
    ("end of February", datetime(2016, 3, 1, tzinfo=LA), date(2017, 2, 28)),
    ("end of December", datetime(2015, 12, 31, tzinfo=LA), date(2015, 12, 31)),
    ("end of January", datetime(2015, 12, 31, tzinfo=LA), date(2016, 1, 31)),
    ("end of March 2017", MON, date(2017, 3, 31)),
    ("end of June", MON, date(2016, 6, 30)),
])
def test_end_of_named_month(text, now, expected):
    assert w(text, now) == expected


def test_end_of_month():
    assert w("end of month") == date(2016, 1, 31)
    assert w("end of the month") == date(2016, 1, 31)
    assert w("eom", datetime(2016, 2, 3, tzinfo=LA)) == date(2016, 2, 29)
    assert w("end of month", datetime(2015, 2, 3, tzinfo=LA)) == date(2015, 2, 28)
    assert w("end of next month") == date(2016, 2, 29)
    assert w("end of next month", datetime(2015, 12, 31, tzinfo=LA)) == date(2016, 1, 31)


def test_end_of_year():
    assert w("end of year") == date(2016, 12, 31)
    assert w("end of the year") == date(2016, 12, 31)
    assert w("eoy", datetime(2015, 12, 31, 23, tzinfo=LA)) == date(2015, 12, 31)
    assert w("end of next year") == date(2017, 12, 31)


def test_end_of_week_is_the_coming_friday():
    assert w("end of week") == date(2016, 1, 8)
    assert w("end of the week") == date(2016, 1, 8)
    assert w("eow", FRI) == date(2016, 1, 8)
    assert w("end of week", SAT) == date(2016, 1, 15)
    assert w("end of week", SUN) == date(2016, 1, 15)
    assert w("end of next week") == date(2016, 1, 15)
    assert w("end of next week", FRI) == date(2016, 1, 15)
    assert w("end of next week", SUN) == date(2016, 1, 15)


def test_next_week_month_quarter_year():
    assert w("next week") == date(2016, 1, 11)
    assert w("next week", FRI) == date(2016, 1, 11)
    assert w("next week", SUN) == date(2016, 1, 11)
    assert w("next week", datetime(2015, 12, 30, tzinfo=LA)) == date(2016, 1, 4)
    assert w("next month") == date(2016, 2, 1)
    assert w("next month", datetime(2015, 12, 31, tzinfo=LA)) == date(2016, 1, 1)
    assert w("next quarter") == date(2016, 6, 30)  # a quarter alone is its last day (the contract's <when>)
    assert w("next quarter", datetime(2016, 11, 1, tzinfo=LA), fs=1) == date(2017, 3, 31)
    assert w("next year") == date(2017, 1, 1)


# ---------------------------------------------------------------- dateparser fallback

def test_fallback_to_dateparser():
    assert w("day after tomorrow") == date(2016, 1, 6)
    assert w("the 22nd") == date(2016, 1, 22)
    assert w("2 days ago") == date(2016, 1, 2)
    assert w("friday 5pm") == date(2016, 1, 8)


def test_fallback_uses_now_not_the_clock():
    far = datetime(2030, 6, 3, 12, tzinfo=LA)
    assert w("day after tomorrow", far) == date(2030, 6, 5)


# ---------------------------------------------------------------- errors

def test_empty():
    for text in ["", "   ", ".", "\t\n"]:
        msg = err(text)
        assert "missing" in msg


def test_unreadable():
    msg = err("blorp")
    assert msg == ("I can't read 'blorp' as a date (try next friday, in 2 weeks, "
                   "2016-01-22, Jan 22, end of quarter, end of March)")
    err("end of blorp")
    err("next blorp")
    err("5")        # a bare number is not guessed at
    err("42")


def test_unreadable_control_characters_are_not_echoed():
    msg = err("\x01ACTION blorp\x01")
    assert "\x01" not in msg


def test_length_limit():
    assert MAX_WHEN_LENGTH == 100
    ok = "next friday" + " " * 80
    assert w(ok) == date(2016, 1, 15)     # surrounding whitespace does not count
    msg = err("x" * 101)
    assert "100" in msg


def test_huge_input_is_refused_quickly():
    start = time.perf_counter()
    msg = err("a" * 10_000)
    assert "100" in msg and "10000" in msg
    err("1" * 10_000)
    err("next friday " * 1000)
    assert time.perf_counter() - start < 0.5


def test_redos_ish_inputs_are_quick():
    start = time.perf_counter()
    for text in ["1" * 99 + "x", "in " + "9" * 97, " ".join(["jan"] * 25), "0" * 50 + ":" * 49,
                 "-" * 100, "1 " * 49 + "x", "next " * 19 + "x", "end of " * 14,
                 "2016-01-22T" + "1" * 80]:
        with pytest.raises(WhenError):
            parse_when(text, MON)
    assert time.perf_counter() - start < 2.0


def test_non_text_is_an_error():
    with pytest.raises(WhenError):
        parse_when(None, MON)


def test_whenerror_is_a_valueerror():
    assert issubclass(WhenError, ValueError)


def test_usage_is_one_line():
    assert "\n" not in WHEN_USAGE
    for form in ["next friday", "in 2 weeks", "2016-01-22", "Jan 22", "end of quarter", "end of March"]:
        assert form in WHEN_USAGE


# ---------------------------------------------------------------- speed and purity

def test_fast_paths_are_fast():
    phrases = ["next friday", "in 2 weeks", "2016-01-22", "Jan 22", "end of quarter",
               "end of March", "tomorrow", "end of Q3"]
    for p in phrases:
        w(p)
    start = time.perf_counter()
    for _ in range(200):
        for p in phrases:
            w(p)
    per = (time.perf_counter() - start) / (200 * len(phrases))
    assert per < 0.0005


def test_same_phrase_follows_now():
    assert w("tomorrow", MON) == date(2016, 1, 5)
    assert w("tomorrow", FRI) == date(2016, 1, 9)
    assert w("end of quarter", datetime(2016, 4, 2, tzinfo=LA)) == date(2016, 6, 30)


def test_importing_does_not_import_dateparser():
    import subprocess
    import sys
    code = ("import sys; import bot.when as w; from datetime import datetime, timezone;"
            "w.parse_when('next friday', datetime(2016,1,4,tzinfo=timezone.utc));"
            "print('dateparser' in sys.modules)")
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
