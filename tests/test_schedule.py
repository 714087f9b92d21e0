"""Reminders and weekly digests, exactly once: slot arithmetic, a year pass by pass, restarts,
downtime, two processes at once, a process killed mid-delivery, a clock set back.

Everything goes through the real core (`Goalkeeper.handle`, `tick`) on a real SQLite file,
and console delivery through `adapters.console.deliver`, as `goalkeeper tick` does.
"""
from __future__ import annotations

import bisect
import io
import json
import re
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from adapters.bootstrap import bootstrap
from adapters.console import console_channel, deliver, message_for
from bot.quarters import reviewed_quarter
from bot.slots import local_instant, reminder_slots, weekly_slots
from tests.fixtures_core import store_env

pytestmark = pytest.mark.usefixtures("store_kind")  # every World runs on both stores

UTC = timezone.utc
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class World:
    """A store file, a bot on it, and helpers to speak and to run passes (a restart is a new World)."""

    def __init__(self, path):
        self.path = str(path)
        self.app = bootstrap(store_env(self.path))
        self.store, self.bot = self.app.store, self.app.core

    def say(self, channel: str, text: str, when: datetime, user: str = "greg") -> str:
        replies = self.bot.handle(message_for(text, user, console_channel(channel), when))
        out = "\n".join(r.text for r in replies)
        assert not any(r.error for r in replies), out
        return out

    def tick(self, now: datetime) -> str:
        self.bot.tick(now)
        buf = io.StringIO()
        deliver(self.bot, now, stdout=buf)
        return buf.getvalue()

    def outbox(self, kind: str | None = None) -> list[dict]:
        rows = self.store.outbox()
        return [r for r in rows if kind is None or r["kind"] == kind]

    def restart(self) -> "World":
        self.store.close()
        return World(self.path)


# -- slots, pure ------------------------------------------------------------------------------


@pytest.mark.parametrize("zone_name, day, hhmm, expected", [
    ("Europe/Berlin", "2016-03-28", (9, 0), "2016-03-28T07:00Z"),       # summer time
    ("Europe/Berlin", "2016-03-21", (9, 0), "2016-03-21T08:00Z"),       # winter time
    ("Europe/Berlin", "2016-03-27", (2, 30), "2016-03-27T01:00Z"),      # gap: first instant after (03:00 CEST)
    ("Europe/Berlin", "2016-10-30", (2, 30), "2016-10-30T00:30Z"),      # ambiguous: first occurrence (CEST)
    ("America/Los_Angeles", "2016-03-13", (2, 30), "2016-03-13T10:00Z"),  # gap -> 03:00 PDT
    ("America/Los_Angeles", "2016-11-06", (1, 30), "2016-11-06T08:30Z"),  # ambiguous -> 01:30 PDT
    ("America/Los_Angeles", "2016-11-07", (9, 0), "2016-11-07T17:00Z"),
    ("Australia/Sydney", "2016-10-02", (2, 30), "2016-10-01T16:00Z"),   # southern spring gap -> 03:00 AEDT
    ("Australia/Sydney", "2016-04-03", (2, 30), "2016-04-02T15:30Z"),   # southern autumn: first (AEDT)
    ("Australia/Sydney", "2016-07-04", (9, 0), "2016-07-03T23:00Z"),    # AEST
    ("Australia/Sydney", "2016-01-04", (9, 0), "2016-01-03T22:00Z"),    # AEDT
    ("Asia/Kolkata", "2016-01-04", (9, 0), "2016-01-04T03:30Z"),        # half-hour offset
    ("Australia/Lord_Howe", "2016-10-02", (2, 15), "2016-10-01T15:30Z"),  # a half-hour gap: 02:00 -> 02:30
])
def test_local_instant(zone_name, day, hhmm, expected):
    assert local_instant(date.fromisoformat(day), *hhmm, ZoneInfo(zone_name)) == at(expected)


def test_weekly_slots_latest_and_next():
    tz = ZoneInfo("America/Los_Angeles")
    latest, nxt = weekly_slots(at("2016-01-11T17:00Z"), 0, 9, 0, tz)   # exactly at the slot
    assert (latest, nxt) == (at("2016-01-11T17:00Z"), at("2016-01-18T17:00Z"))
    latest, nxt = weekly_slots(at("2016-01-11T16:59Z"), 0, 9, 0, tz)
    assert (latest, nxt) == (at("2016-01-04T17:00Z"), at("2016-01-11T17:00Z"))
    # across spring forward: 09:00 PST then 09:00 PDT, 167 hours apart
    latest, nxt = weekly_slots(at("2016-03-08T00:00Z"), 0, 9, 0, tz)
    assert nxt - latest == timedelta(hours=167)


def test_reminder_slots_and_reviewed_quarter():
    slots = reminder_slots(date(2016, 4, 5), ZoneInfo("Europe/Berlin"))
    assert slots == [(14, at("2016-03-22T08:00Z")), (7, at("2016-03-29T07:00Z")), (1, at("2016-04-04T07:00Z"))]
    assert reviewed_quarter(date(2016, 1, 22)).label == "2015Q4"
    assert reviewed_quarter(date(2016, 3, 25)).label == "2016Q1"
    assert reviewed_quarter(date(2016, 1, 22), 7).label == "FY2016Q2"


# -- an independent oracle: slots found on the 5-minute grid by wall-clock comparison ----------


def grid_slot(day: date, hh: int, mm: int, tz: ZoneInfo) -> datetime:
    """The first 5-minute instant whose local wall time is at or after `day hh:mm` (no fold logic)."""
    wall = datetime(day.year, day.month, day.day, hh, mm)
    t = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=16)
    while t.astimezone(tz).replace(tzinfo=None) < wall:
        t += timedelta(minutes=5)
    return t


def oracle_weekly(tz: ZoneInfo, weekday: int, hh: int, mm: int, first: date, last: date) -> list[datetime]:
    d = first + timedelta(days=(weekday - first.weekday()) % 7)
    out = []
    while d <= last:
        out.append(grid_slot(d, hh, mm, tz))
        d += timedelta(days=7)
    return out


# -- a year, pass by pass --------------------------------------------------------------------

YEAR_START = at("2016-01-01T00:00Z")
YEAR_END = at("2017-01-01T00:00Z")
STEP = timedelta(minutes=5)
DOWN = (at("2016-08-01T00:00Z"), at("2016-08-20T00:00Z"))       # no pass: several slots missed
CLOCK_BACK = (at("2016-05-02T09:30Z"), timedelta(hours=1))       # after this pass the clock goes back an hour
RESTART_EVERY = 2000                                             # passes between restarts

# team, channel(s), tz, digest schedule (None: default Monday 09:00), review dates
TEAMS = [
    ("la", ["#la", "#la-ops"], "America/Los_Angeles", None, ["2016-01-22", "2016-04-08", "2016-07-15", "2016-11-11"]),
    ("berlin", ["#berlin"], "Europe/Berlin", None, ["2016-01-25", "2016-04-01", "2016-07-01", "2016-10-31"]),
    ("berlin-night", ["#berlin-night"], "Europe/Berlin", ("sunday", "02:30"), ["2016-03-28"]),
    ("sydney", ["#sydney"], "Australia/Sydney", None, ["2016-01-29", "2016-04-04", "2016-10-03", "2016-12-16"]),
    ("sydney-night", ["#sydney-night"], "Australia/Sydney", ("sunday", "02:30"), ["2016-10-05"]),
    ("kolkata", ["#kolkata"], "Asia/Kolkata", ("wednesday", "09:00"), ["2016-02-05", "2016-08-25", "2016-12-20"]),
    ("utc", ["#utc"], "UTC", None, ["2016-01-20", "2016-06-10", "2016-09-16"]),
]
WEEKDAY = {"monday": 0, "wednesday": 2, "sunday": 6}
DIGEST_OFF = ("utc", at("2016-06-01T12:00Z"), at("2016-06-29T12:00Z"))  # off, then `digest schedule monday 09:00`


def year_passes() -> list[datetime]:
    out = []
    t = YEAR_START + STEP
    clock_back_done = False
    while t < YEAR_END:
        if DOWN[0] <= t < DOWN[1]:
            t = DOWN[1]
            continue
        out.append(t)
        if t == CLOCK_BACK[0] and not clock_back_done:
            clock_back_done = True
            t -= CLOCK_BACK[1]
        t += STEP
    return out


def year_commands() -> list[tuple[datetime, str, str, str]]:
    """(instant, channel, command, speaker) in time order: setup at the start, each next review date two days
    after the last one, the digest turned off and on again; the check-ins' goals (GOALS) and their activity.
    `{title}` in a command is the id of the goal of that title."""
    cmds = []
    for team, chans, tz, sched, reviews in TEAMS:
        cmds.append((YEAR_START, chans[0], f"team set {team} tz:{tz}", "greg"))
        for c in chans[1:]:
            cmds.append((YEAR_START, c, f"team set {team}", "greg"))
        if sched:
            cmds.append((YEAR_START, chans[0], f"digest schedule {sched[0]} {sched[1]}", "greg"))
        if team in CHECKIN:
            cmds.append((YEAR_START, chans[0], "checkin schedule {} {}".format(*CHECKIN[team]), "greg"))
        cmds.append((YEAR_START, chans[0], f"review date {reviews[0]}", "greg"))
        for prev, nxt in zip(reviews, reviews[1:]):
            cmds.append((at(prev + "T12:00Z") + timedelta(days=2), chans[0], f"review date {nxt}", "greg"))
    for g in year_goals():
        chan = next(t[1][0] for t in TEAMS if t[0] == g["team"])
        cmds.append((g["added"], chan, f"goal add {g['title']}", g["owner"]))
        for when in g["learnings"]:
            cmds.append((when, chan, f"learning {{{g['title']}}} still going", g["owner"]))
        if g["final"]:
            cmds.append((g["final"], chan, f"goal hit {{{g['title']}}}", g["owner"]))
    team, off, on = DIGEST_OFF
    cmds.append((off + timedelta(seconds=1), "#utc", "digest off", "greg"))
    cmds.append((on + timedelta(seconds=1), "#utc", "digest schedule monday 09:00", "greg"))
    team, off, on = CHECKIN_OFF
    cmds.append((off, "#utc", "checkin off", "greg"))
    cmds.append((on, "#utc", "checkin schedule thursday 10:00", "greg"))
    return sorted(cmds, key=lambda c: c[0])


# check-ins: default Thursday 10:00 in the team's zone; kolkata on Mondays; #utc's off for a month
CHECKIN = {"kolkata": ("monday", "08:00")}
CHECKIN_OFF = ("utc", at("2016-09-01T12:00Z"), at("2016-09-29T12:00Z"))
QUARTER_STARTS = [at("2016-01-01T12:00Z"), at("2016-04-01T12:00Z"), at("2016-07-01T12:00Z"), at("2016-10-01T12:00Z")]


def year_goals() -> list[dict]:
    """Per team and quarter a goal of greg's; in la a second one hit in February; in berlin anna's goal of
    each quarter, with a learning every Wednesday of its quarter (fresh: she is asked only once it is under review)."""
    goals = []
    for team, *_ in TEAMS:
        for n, start in enumerate(QUARTER_STARTS, 1):
            goals.append(dict(team=team, title=f"{team} ships Q{n}", owner="greg", added=start, learnings=[],
                              final=None, quarter=f"2016Q{n}"))
    goals.append(dict(team="la", title="la learns the lesson", owner="greg", added=QUARTER_STARTS[0], learnings=[],
                      final=at("2016-02-10T12:00Z"), quarter="2016Q1"))
    for n, start in enumerate(QUARTER_STARTS, 1):
        end = QUARTER_STARTS[n] if n < 4 else YEAR_END
        weds = []
        d = start + timedelta(days=(2 - start.weekday()) % 7)
        d = d.replace(hour=12, minute=0)
        while d < end:
            if d > start:
                weds.append(d)
            d += timedelta(days=7)
        goals.append(dict(team="berlin", title=f"anna keeps Q{n} fresh", owner="anna", added=start,
                          learnings=weds, final=None, quarter=f"2016Q{n}"))
    return goals


def expected_checkins(passes: list[datetime]) -> dict[tuple, tuple]:
    """{(team, owner, slot): (queued at, goal titles)} by the contract's rules at each pass, with an oracle's slots
    and its own reading of the quarter under review (until the end of the review day of the date that reviews it,
    never before the quarter's end; with no such date, until the next quarter ends)."""
    from datetime import time as dtime

    from bot.quarters import Quarter, quarter_of

    first, last = YEAR_START.date() - timedelta(days=7), YEAR_END.date() + timedelta(days=7)
    goals = year_goals()
    out: dict[tuple, tuple] = {}
    for team, chans, tz, sched, reviews in TEAMS:
        z = ZoneInfo(tz)
        day, hhmm = CHECKIN.get(team, ("thursday", "10:00"))
        wd = {"monday": 0, "thursday": 3}[day]
        slots = oracle_weekly(z, wd, int(hhmm[:2]), int(hhmm[3:]), first, last)

        windows = []  # (review date, set at, replaced at)
        for i, r in enumerate(reviews):
            start = YEAR_START if i == 0 else at(reviews[i - 1] + "T12:00Z") + timedelta(days=2)
            end = at(r + "T12:00Z") + timedelta(days=2) if i + 1 < len(reviews) else YEAR_END + timedelta(days=400)
            windows.append((date.fromisoformat(r), start, end))

        def close(q: Quarter, s: datetime) -> datetime:
            """The close of q as the store knows it at s: settled by a replaced review date, else by the current one."""
            end = datetime.combine(q.next().start, dtime(0), z)
            for r, start, replaced in windows:
                if reviewed_quarter(r) != q:
                    continue
                at_ = max(datetime.combine(r + timedelta(days=1), dtime(0), z), end)
                if (replaced <= s and at_ <= replaced) or start <= s < replaced:
                    return at_
            return datetime.combine(q.next().next().start, dtime(0), z)

        done: set = set()
        mine = [g for g in goals if g["team"] == team]
        for p in passes:
            s = slots[bisect.bisect_right(slots, p) - 1]
            if s <= YEAR_START or s in done:
                continue
            if team == CHECKIN_OFF[0] and p >= CHECKIN_OFF[1] and (p < CHECKIN_OFF[2] or s <= CHECKIN_OFF[2]):
                continue
            done.add(s)
            current = quarter_of(s.astimezone(z).date())
            labels = {current.label}
            if s < close(current.prev(), s):
                labels.add(current.prev().label)
            quiet_since = week_before_oracle(s, z)
            for g in mine:
                if g["quarter"] not in labels or g["added"] > quiet_since or (g["final"] and g["final"] <= p):
                    continue
                if any(quiet_since < t <= p for t in g["learnings"]):
                    continue
                key = (team, g["owner"], s)
                out[key] = (p, out.get(key, (p, ()))[1] + (g["title"],))
    return out


def week_before_oracle(s: datetime, z: ZoneInfo) -> datetime:
    local = s.astimezone(z)
    return grid_slot(local.date() - timedelta(days=7), local.hour, local.minute, z)


def expected_year(passes: list[datetime]):
    """What must be queued, by applying the contract's rules at each pass to the oracle's slots:
    {(channel, "digest", slot) or (channel, "reminder", (review, days)): queued at}."""
    first, last = YEAR_START.date() - timedelta(days=7), YEAR_END.date() + timedelta(days=7)
    teams = {}
    for team, chans, tz, sched, reviews in TEAMS:
        z = ZoneInfo(tz)
        wd, hhmm = (WEEKDAY[sched[0]], sched[1]) if sched else (0, "09:00")
        slots = oracle_weekly(z, wd, int(hhmm[:2]), int(hhmm[3:]), first, last)
        windows = []  # (review date, its reminder slots, set at, replaced at)
        for i, r in enumerate(reviews):
            d = date.fromisoformat(r)
            start = YEAR_START if i == 0 else at(reviews[i - 1] + "T12:00Z") + timedelta(days=2)
            end = at(r + "T12:00Z") + timedelta(days=2) if i + 1 < len(reviews) else YEAR_END
            rs = [(n, grid_slot(d - timedelta(days=n), 9, 0, z)) for n in (14, 7, 1)]
            windows.append((d, rs, start, end))
        teams[team] = (z, chans, slots, windows)
    team_off, off, on = DIGEST_OFF
    expected: dict[tuple, datetime] = {}
    latest_digest: dict[str, datetime] = {}
    for p in passes:
        for team, (z, chans, slots, windows) in teams.items():
            enabled, since = True, YEAR_START
            if team == team_off and p > off:
                enabled, since = (p > on), on
            s = slots[bisect.bisect_right(slots, p) - 1]
            if enabled and s > since:
                for c in chans:
                    if c not in latest_digest or s > latest_digest[c]:
                        expected[(c, "digest", s)] = p
                        latest_digest[c] = s
            for r, rs, start, end in windows:
                if not start <= p < end or r < p.astimezone(z).date():
                    continue
                past = [(n, s) for n, s in rs if s <= p]
                if not past:
                    continue
                n, s = past[-1]
                for c in chans:
                    if not any((c, "reminder", (r, m)) in expected for m, _ in rs if m <= n):
                        expected[(c, "reminder", (r, n))] = p
    return expected


@pytest.mark.sqlite_only  # 100,000 passes: the scheduler's arithmetic; PostgreSQL's reads are the tests around it
def test_a_year_pass_by_pass(tmp_path):
    import time

    started = time.perf_counter()
    passes = year_passes()
    commands = year_commands()
    w = World(tmp_path / "year.db")
    printed: list[str] = []
    ids: dict[str, int] = {}
    ci = 0
    for k, p in enumerate(passes):
        while ci < len(commands) and commands[ci][0] <= p:
            when, chan, text, user = commands[ci]
            out = w.say(chan, re.sub(r"\{([^}]+)\}", lambda m: str(ids[m.group(1)]), text), when, user=user)
            if text.startswith("goal add "):
                ids[text[len("goal add "):]] = int(re.search(r"#(\d+)", out).group(1))
            ci += 1
        if k and k % RESTART_EVERY == 0:
            w = w.restart()
        out = w.tick(p)
        if out:
            printed.append(out)
    elapsed = time.perf_counter() - started

    expected = expected_year(passes)
    rows = w.outbox()
    got, asked = {}, {}
    for r in rows:
        chan = r["channel_key"].split(":", 1)[1]
        if r["kind"] == "checkin":
            _, team, owner, slot = r["key"].split("|")
            data = json.loads(r["data"])
            assert data["owner"] == owner and r["text"].count("\n  #") == len(data["goals"])
            asked[(team, owner.split(":", 1)[1], at(slot))] = (at(r["created_at"]), tuple(g["title"] for g in data["goals"]))
        elif r["kind"] == "digest":
            got[(chan, "digest", at(r["slot"]))] = at(r["created_at"])
        else:
            _, kind, review = r["key"].split("|")
            got[(chan, "reminder", (date.fromisoformat(review), int(kind.split("-")[1])))] = at(r["created_at"])
        assert r["delivered_at"] == r["created_at"], r  # delivered by the same pass that queued it
        assert r["attempts"] == 1
    assert len(got) + len(asked) == len(rows)  # one row per key
    missing = {k: v for k, v in expected.items() if k not in got}
    extra = {k: v for k, v in got.items() if k not in expected}
    wrong_time = {k: (v, got[k]) for k, v in expected.items() if k in got and got[k] != v}
    assert not missing and not extra and not wrong_time, (missing, extra, wrong_time)

    # the figures, and the promises spelled out
    digests = [k for k in got if k[1] == "digest"]
    reminders = [k for k in got if k[1] == "reminder"]
    late = [k for k in digests if got[k] != k[2]]
    print(f"\nyear: {len(passes)} passes, {len(digests)} digests ({len(late)} late), "
          f"{len(reminders)} reminders, {elapsed:.1f}s")
    assert len(printed) == len({v for v in got.values()} | {v[0] for v in asked.values()})  # one burst per pass
    # check-ins: each owner once a week per team, at the slot (late once after the downtime), about the quiet goals
    want = expected_checkins(passes)
    assert asked == want, sorted((k, want.get(k), asked.get(k)) for k in set(want) | set(asked)
                                 if asked.get(k) != want.get(k))[:6]
    zones = {next(t[2] for t in TEAMS if t[0] == k[0]) for k in asked}
    assert len(zones) == 5 and len(asked) > 250
    annas = [k for k in asked if k[1] == "anna"]
    assert annas and all(f"Q{quarter_of_slot(k[2])} " not in " ".join(asked[k][1]) + " " for k in annas)
    assert ("la", "greg", at("2016-02-04T18:00Z")) in asked and "la learns the lesson" in asked[("la", "greg", at("2016-02-04T18:00Z"))][1]
    assert "la learns the lesson" not in asked[("la", "greg", at("2016-02-11T18:00Z"))][1]   # hit on Feb 10
    assert not [k for k in asked if k[0] == "utc" and CHECKIN_OFF[1] <= k[2] <= CHECKIN_OFF[2]]
    assert {k[2].astimezone(ZoneInfo("Asia/Kolkata")).strftime("%a %H:%M") for k in asked if k[0] == "kolkata"} == {"Mon 08:00"}
    print(f"check-ins: {len(asked)}")
    for _team, chans, tz, sched, reviews in TEAMS:
        z = ZoneInfo(tz)
        for c in chans:
            mine = sorted(k[2] for k in digests if k[0] == c)
            assert len(mine) == len(set(mine)) >= 40
            for s in mine:
                local = s.astimezone(z)
                if sched is None:
                    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0), (c, local)
                elif sched[1] == "02:30":
                    assert local.weekday() == 6 and (local.hour, local.minute) in ((2, 30), (3, 0)), (c, local)
                    if (local.hour, local.minute) == (3, 0):  # only on the spring-forward Sunday
                        assert local.utcoffset() != (local - timedelta(days=1)).utcoffset()
                else:
                    assert (local.weekday(), local.hour, local.minute) == (2, 9, 0), (c, local)
                if not DOWN[0] <= got[(c, "digest", s)] <= DOWN[1] + STEP:
                    assert got[(c, "digest", s)] == s  # on time, to the pass
            # downtime: one late digest (the latest slot), none for the slots before it
            in_down = [s for s in mine if DOWN[0] <= got[(c, "digest", s)] <= DOWN[1]]
            assert len(in_down) == 1 and got[(c, "digest", in_down[0])] == DOWN[1]
            # every review gets its three reminders, once each (the downtime one: the latest missed only)
            for r in reviews:
                got_days = sorted(k[2][1] for k in reminders if k[0] == c and k[2][0] == date.fromisoformat(r))
                rs = reminder_slots(date.fromisoformat(r), z)
                if any(DOWN[0] <= s < DOWN[1] for _, s in rs):
                    assert got_days == [1, 7], (c, r, got_days)
                else:
                    assert got_days == [1, 7, 14], (c, r, got_days)
    # the digest was off in June for #utc: no digest slot in [off, first Monday after on)
    utc_slots = sorted(k[2] for k in digests if k[0] == "#utc")
    assert not [s for s in utc_slots if DIGEST_OFF[1] <= s < at("2016-07-04T09:00Z")]
    assert at("2016-07-04T09:00Z") in utc_slots
    # Sydney and Berlin night slots went through both of their DST changes
    syd = sorted(k[2] for k in digests if k[0] == "#sydney-night")
    assert at("2016-10-01T16:00Z") in syd and at("2016-04-02T15:30Z") in syd
    ber = sorted(k[2] for k in digests if k[0] == "#berlin-night")
    assert at("2016-03-27T01:00Z") in ber and at("2016-10-30T00:30Z") in ber


def quarter_of_slot(slot: datetime) -> int:
    return (slot.astimezone(ZoneInfo("Europe/Berlin")).month - 1) // 3 + 1


# -- exactly once, case by case ------------------------------------------------------------------


def setup_team(w: World, now: datetime, channel="#releng", tz="America/Los_Angeles", review="2016-01-22"):
    w.say(channel, f"team set releng tz:{tz}", now)
    w.say(channel, "goal add Migrate Gerrit to Differential", now)
    if review:
        w.say(channel, f"review date {review}", now)
    w.say(channel, "checkin off", now)  # these tests are about reminders and digests (check-ins: test_checkin.py)


def test_restart_between_passes_sends_nothing_twice(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"))                       # after Monday's 09:00 PST slot
    assert w.tick(at("2016-01-08T17:00Z")).count("[#releng]") == 1  # the 14-day reminder, on time
    for k in range(5):
        w = w.restart()
        assert w.tick(at("2016-01-08T17:00Z") + timedelta(minutes=k)) == ""
    out = w.restart().tick(at("2016-01-11T17:00Z"))
    assert "Weekly digest" in out and out.count("[#releng]") == 1
    assert w.restart().tick(at("2016-01-11T17:05Z")) == ""


def test_downtime_over_several_slots_sends_one_late_digest(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    assert "Weekly digest" in w.tick(at("2016-01-11T17:00Z"))
    # down from Jan 12 to Feb 3 (a Wednesday): slots Jan 18, 25 and Feb 1 are missed
    out = w.tick(at("2016-02-03T06:00Z"))
    assert out.count("[#releng]") == 1 and "week to Mon 1 Feb" in out
    rows = w.outbox("digest")
    assert [r["slot"] for r in rows] == ["2016-01-11T17:00:00+00:00", "2016-02-01T17:00:00+00:00"]
    assert w.tick(at("2016-02-03T06:05Z")) == "" and w.tick(at("2016-02-08T16:55Z")) == ""
    assert "Weekly digest" in w.tick(at("2016-02-08T17:00Z"))


def test_missed_reminders_only_the_latest_and_only_while_the_review_is_ahead(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review="2016-01-22")
    w.say("#releng", "digest off", at("2016-01-04T18:00Z"))
    out = w.tick(at("2016-01-16T03:00Z"))                        # 14- and 7-day slots both passed
    assert out.count("[#releng]") == 1 and "in 7 days" in out    # Jan 15 PST: the 7-day one, late
    assert [r["key"].split("|")[1] for r in w.outbox()] == ["reminder-7"]
    assert w.tick(at("2016-01-21T16:55Z")) == ""
    assert "tomorrow" in w.tick(at("2016-01-21T17:00Z"))
    # a review that is already over gets no late reminder
    w.say("#releng", "review date 2016-02-05", at("2016-01-23T00:00Z"))
    assert w.tick(at("2016-02-06T08:00Z")) == ""                 # Feb 6 in LA: the review is past
    assert len(w.outbox()) == 2


def test_review_set_after_a_reminder_time_does_not_send_it_late(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    w.say("#releng", "digest off", at("2016-01-04T18:00Z"))
    w.say("#releng", "review date 2016-01-22", at("2016-01-12T20:00Z"))  # 14-day slot (Jan 8) already passed
    assert w.tick(at("2016-01-12T20:05Z")) == ""
    assert "in 7 days" in w.tick(at("2016-01-15T17:00Z"))


def test_clock_set_back_resends_nothing(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    assert "Weekly digest" in w.tick(at("2016-01-11T17:00Z"))
    t = at("2016-01-11T16:00Z")                                   # an hour back, then on again
    while t <= at("2016-01-11T18:00Z"):
        assert w.tick(t) == ""
        t += timedelta(minutes=5)
    # down over two slots, the latest sent late; then the clock goes back between the two skipped slots
    assert "week to Mon 25 Jan" in w.restart().tick(at("2016-01-26T12:00Z"))
    assert w.restart().tick(at("2016-01-19T12:00Z")) == ""      # Jan 18's slot was skipped: it stays skipped
    assert [r["slot"][:10] for r in w.outbox("digest")] == ["2016-01-11", "2016-01-25"]


def test_killed_between_claim_and_delivery_is_delivered_by_a_later_pass(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    now = at("2016-01-11T17:00Z")
    w.bot.tick(now)
    claimed = w.bot.claim_outgoing("console", now, "doomed")       # then the process dies
    assert len(claimed) == 1
    w = w.restart()
    assert w.tick(now + timedelta(seconds=60)) == ""               # still leased to the dead worker
    out = w.tick(now + timedelta(minutes=5))                       # the lease ran out: delivered once
    assert out.count("[#releng]") == 1 and "Weekly digest" in out
    assert w.tick(now + timedelta(minutes=10)) == ""
    (row,) = w.outbox()
    assert row["attempts"] == 2 and row["delivered_at"] == "2016-01-11T17:05:00+00:00"


def test_two_tick_processes_at_the_same_instant(tmp_path):
    db = tmp_path / "gk.db"
    w = World(db)
    for i in range(12):                                             # a few channels, so both have work
        # set up after the 14-day reminder's time (Jan 1 09:00 CET), so it is not sent late
        w.say(f"#team{i}", f"team set team{i} tz:Europe/Berlin", at("2016-01-01T09:00Z"))
        w.say(f"#team{i}", "review date 2016-01-15", at("2016-01-01T09:00Z"))
    w.store.close()
    env = dict(os.environ, **store_env(db), PYTHONPATH=ROOT)
    for now in ("2016-01-04T08:00Z", "2016-01-08T08:00Z", "2016-01-11T08:00Z", "2016-01-14T08:00Z"):
        cmd = [sys.executable, "-m", "adapters.cli", "tick", "--now", now]
        procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        printed = "".join(o for o, _ in outs)
        assert printed.count("[#team") == 12, outs               # each channel once, from one or the other
        for i in range(12):
            assert printed.count(f"[#team{i}]\n") == 1
    rows = World(db).outbox()
    assert len(rows) == 12 * 4 and len({r["key"] for r in rows}) == len(rows)
    assert all(r["delivered_at"] and r["attempts"] == 1 for r in rows)


def test_digest_schedule_then_first_digest_at_the_first_slot_after_it(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    assert "Weekly digest" in w.tick(at("2016-01-11T17:00Z"))
    # Wednesday: digest on Tuesdays 08:00 in Berlin from now on
    w.say("#releng", "digest schedule tue 8am tz:Europe/Berlin", at("2016-01-13T10:00Z"))
    t = at("2016-01-13T10:05Z")
    sent = []
    while t < at("2016-01-27T00:00Z"):
        if w.tick(t):
            sent.append(t)
        t += timedelta(minutes=5)
    assert sent == [at("2016-01-19T07:00Z"), at("2016-01-26T07:00Z")]
    # set just after a slot: that slot is not sent (it was not after the schedule)
    w.say("#releng", "digest schedule tue 08:00 tz:Europe/Berlin", at("2016-02-02T07:00:01Z"))
    assert w.tick(at("2016-02-02T07:05Z")) == ""
    assert w.tick(at("2016-02-09T07:00Z")) != ""


def test_digest_off_stops_them(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    w.say("#releng", "digest off", at("2016-01-05T00:00Z"))
    t = at("2016-01-05T00:00Z")
    while t < at("2016-02-01T00:00Z"):
        assert w.tick(t) == ""
        t += timedelta(hours=1)
    assert w.outbox() == []


def test_every_channel_of_the_team_gets_it(tmp_path):
    from bot.model import Actor, Channel, Message

    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    w.say("#releng-ops", "team set releng", at("2016-01-04T18:00Z"))
    irc = Channel(key="irc:net:#releng", name="#releng", platform="irc")
    w.bot.handle(Message("team set releng", Actor("irc:net:greg", "greg"), irc, at("2016-01-04T18:00Z")))
    out = w.tick(at("2016-01-11T17:00Z"))
    assert out.count("[#releng]") == 1 and out.count("[#releng-ops]") == 1
    (irc_row,) = [r for r in w.outbox() if r["platform"] == "irc"]
    assert irc_row["delivered_at"] is None and len(irc_row["text"].splitlines()) <= 8   # waits for the IRC adapter
    assert len(w.outbox()) == 3


def test_a_channel_that_joins_later_gets_no_digest_for_a_slot_before_it(tmp_path):
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T00:00Z"), review=None)
    w.say("#releng-new", "team set releng", at("2016-01-06T00:00Z"))   # after Monday's slot
    out = w.tick(at("2016-01-06T00:05Z"))
    assert out.count("[#releng]") == 1 and "[#releng-new]" not in out
    assert "[#releng-new]" in w.tick(at("2016-01-11T17:00Z"))


def test_the_cli_tick_prints_under_the_channel(tmp_path):
    db = tmp_path / "gk.db"
    env = dict(os.environ, **store_env(db), PYTHONPATH=ROOT)
    console = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "console", "--channel", "#releng", "--now", "2016-01-04T18:00Z"],
        input="/team set releng tz:America/Los_Angeles\n/goal add X quarter:last\n/goal add Y\n/review date 2016-01-22\n",
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert console.returncode == 0, console.stderr
    tick = [sys.executable, "-m", "adapters.cli", "tick", "--now"]
    first = subprocess.run(tick + ["2016-01-08T17:00Z"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and first.stdout.startswith("[#releng]\nReminder"), first
    assert "#1 X" in first.stdout and "#2 Y" not in first.stdout  # the reviewed quarter's goals, never the next one's
    again = subprocess.run(tick + ["2016-01-08T17:00Z"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout == ""


@pytest.mark.sqlite_only
def test_a_year_without_the_fast_path(tmp_path, monkeypatch):
    """The same year with every pass computed in full (no memo of 'nothing due until ...')."""
    from storage import postgres, sqlite

    for store in (sqlite.Store, postgres.Store):  # the store cannot tell: every pass in full
        monkeypatch.setattr(store, "change_token", lambda self: None)
    test_a_year_pass_by_pass(tmp_path)


def test_a_change_by_another_process_is_seen_by_the_next_pass(tmp_path):
    """The fast path ('nothing due before Monday') must not hide a schedule another process just changed."""
    w = World(tmp_path / "gk.db")
    setup_team(w, at("2016-01-04T18:00Z"), review=None)
    assert w.tick(at("2016-01-09T15:55Z")) == ""                   # nothing due until Monday 17:00Z
    other = World(tmp_path / "gk.db")                               # another process on the same file
    other.say("#releng", "digest schedule saturday 09:00", at("2016-01-09T16:00Z"))
    assert w.tick(at("2016-01-09T16:55Z")) == ""
    assert "Weekly digest" in w.tick(at("2016-01-09T17:00Z"))       # Saturday 09:00 PST
    w.say("#releng", "digest off", at("2016-01-09T18:00Z"))         # and a change on the same connection
    assert w.tick(at("2016-01-16T17:00Z")) == ""
