"""Weekly check-ins: who is asked, once per owner and week, on the console and IRC; the schedule commands.

Through the real core on a real SQLite file (World, as the year test), console delivery as `goalkeeper tick`
does; two real `goalkeeper tick` processes at once; the IRC line as the IRC adapter gets it from the outbox.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from adapters.bootstrap import bootstrap
from bot.model import Actor, Channel, Message
from tests.fixtures_core import store_env
from tests.test_schedule import ROOT, World, at

pytestmark = pytest.mark.usefixtures("store_kind")  # every World runs on both stores

MONDAY = at("2016-01-04T18:00Z")          # 10:00 in Los Angeles
SLOT = at("2016-01-14T18:00Z")            # the first Thursday 10:00 PST at least 7 days after MONDAY
NEXT_SLOT = SLOT + timedelta(days=7)


def setup(w: World, channel: str = "#releng") -> None:
    w.say(channel, "team set releng tz:America/Los_Angeles", MONDAY)
    w.say(channel, "digest off", MONDAY)  # only check-ins in these passes
    w.say(channel, "goal add Migrate Gerrit", MONDAY)                       # #1 greg's
    w.say(channel, "goal add Fix the wiki owner:anna", MONDAY)              # #2 anna's


def blocks(out: str) -> dict[str, str]:
    """`[@owner]` heading -> what was printed under it."""
    found, name = {}, None
    for line in out.splitlines():
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            found[name] = ""
        elif name:
            found[name] += line + "\n"
    return found


def test_quiet_owners_are_asked_once_per_week_fresh_ones_are_not(tmp_path):
    w = World(tmp_path / "gk.db")
    setup(w)
    w.say("#releng", "goal status 2 on-track good so far", at("2016-01-12T20:00Z"), user="anna")
    assert w.tick(SLOT - timedelta(minutes=5)) == ""
    out = blocks(w.tick(SLOT))
    assert list(out) == ["@greg"]                         # anna changed #2's status two days ago
    assert "#1 Migrate Gerrit" in out["@greg"] and "no status yet" in out["@greg"] and "#2" not in out["@greg"]
    for k in range(3):                                    # restarts and later passes of the week: nothing again
        w = w.restart()
        assert w.tick(SLOT + timedelta(minutes=5 * k, seconds=1)) == ""
    assert w.tick(NEXT_SLOT - timedelta(seconds=1)) == ""
    out = blocks(w.tick(NEXT_SLOT))                      # a week on, anna's note is 9 days old
    assert sorted(out) == ["@anna", "@greg"] and "#2 Fix the wiki" in out["@anna"] and "on-track" in out["@anna"]
    rows = [r for r in w.outbox() if r["kind"] == "checkin"]
    assert len(rows) == 3 and all(r["delivered_at"] and r["attempts"] == 1 for r in rows)


def test_a_learning_is_news_and_a_new_goal_is_counted_from_when_it_was_added(tmp_path):
    w = World(tmp_path / "gk.db")
    setup(w)
    w.say("#releng", "learning 1 the silo effect is strong", at("2016-01-13T00:00Z"))
    w.say("#releng", "goal add Late goal", at("2016-01-08T18:00:01Z"))   # 6 days before the slot: not yet quiet
    out = blocks(w.tick(SLOT))
    assert list(out) == ["@anna"]
    out = blocks(w.tick(NEXT_SLOT))
    assert "#1 Migrate Gerrit" in out["@greg"] and "#3 Late goal" in out["@greg"]


def test_final_deleted_and_next_quarter_goals_are_not_asked_about(tmp_path):
    w = World(tmp_path / "gk.db")
    setup(w)
    w.say("#releng", "goal add Next quarter's thing quarter:next", MONDAY)  # #3
    w.say("#releng", "goal add Dropped later", MONDAY)                      # #4
    w.say("#releng", "goal delete 4", MONDAY)
    w.say("#releng", "goal hit 1", MONDAY)
    out = blocks(w.tick(SLOT))
    assert list(out) == ["@anna"]
    # the goal hit on Monday has no more news to give; #3 and #4 are never asked about
    out = blocks(w.tick(NEXT_SLOT))
    assert list(out) == ["@anna"] and "#3" not in out["@anna"]


def test_the_quarter_under_review_is_asked_about_until_it_closes(tmp_path):
    w = World(tmp_path / "gk.db")
    w.say("#releng", "team set releng tz:America/Los_Angeles", at("2015-12-01T18:00Z"))
    w.say("#releng", "digest off", at("2015-12-01T18:00Z"))
    w.say("#releng", "goal add Last quarter's goal", at("2015-12-01T18:00Z"))   # 2015Q4
    w.say("#releng", "review date 2016-01-22", at("2015-12-01T18:00Z"))
    w.tick(at("2016-01-07T18:00Z"))
    assert "Last quarter's goal" in blocks(w.tick(SLOT))["@greg"]          # 2015Q4 is under review
    assert blocks(w.tick(at("2016-01-21T18:00Z")))["@greg"]                  # the day before the review
    assert w.tick(at("2016-01-28T18:00Z")) == ""                             # closed at the end of Jan 22


def test_checkin_schedule_and_off(tmp_path):
    w = World(tmp_path / "gk.db")
    setup(w)
    assert "Mondays at 08:30" in w.say("#releng", "checkin schedule monday 8:30", MONDAY)
    assert w.tick(SLOT) == ""                                                # Thursdays no more
    assert "Mondays at 08:30" in w.say("#releng", "team show", MONDAY)
    out = blocks(w.tick(at("2016-01-18T16:30Z")))                            # Monday 08:30 PST
    assert sorted(out) == ["@anna", "@greg"]
    assert "off" in w.say("#releng", "checkin off", at("2016-01-19T00:00Z"))
    t = at("2016-01-19T00:05Z")
    while t < at("2016-02-16T00:00Z"):
        assert w.tick(t) == ""
        t += timedelta(hours=6)
    w.say("#releng", "checkin schedule thursday 10:00", at("2016-02-18T18:00:01Z"))  # just after a slot
    assert w.tick(at("2016-02-18T18:05Z")) == ""                                       # not sent late
    assert sorted(blocks(w.tick(at("2016-02-25T18:00Z")))) == ["@anna", "@greg"]


def test_only_admins_change_the_checkin_and_bad_input_changes_nothing(tmp_path):
    app = bootstrap({**store_env(tmp_path / "gk.db"), "GOALKEEPER_ADMINS": "console:boss"})
    ch = Channel(key="console:#releng", name="#releng", platform="console")

    def say(who, text):
        return app.core.handle(Message(text, Actor(f"console:{who}", who), ch, MONDAY))[0]

    say("boss", "team set releng")
    before = app.store.team("releng")
    for who, text, words in [("greg", "checkin off", "only an admin"),
                             ("greg", "checkin schedule monday 9:00", "only an admin"),
                             ("boss", "checkin schedule", "weekday and the time"),
                             ("boss", "checkin schedule funday 9:00", "not a weekday"),
                             ("boss", "checkin schedule monday 25:99", "not a time"),
                             ("boss", "checkin off now", "takes no words"),
                             ("boss", "checkin", "needs a subcommand")]:
        r = say(who, text)
        assert r.error and r.text.startswith("error: ") and words in r.text and "\nusage: checkin" in r.text, r.text
    assert app.store.team("releng") == before
    assert not say("boss", "checkin schedule friday 9am").error
    assert app.store.team("releng")["checkin_weekday"] == 4


def test_killed_between_claim_and_delivery_is_asked_by_a_later_pass(tmp_path):
    w = World(tmp_path / "gk.db")
    setup(w)
    w.bot.tick(SLOT)
    assert len(w.bot.claim_outgoing("console", SLOT, "doomed")) == 2     # then the process dies
    w = w.restart()
    assert w.tick(SLOT + timedelta(seconds=60)) == ""                     # still leased to the dead worker
    assert sorted(blocks(w.tick(SLOT + timedelta(minutes=5)))) == ["@anna", "@greg"]
    assert w.tick(SLOT + timedelta(minutes=10)) == ""


def test_two_tick_processes_at_once_ask_each_owner_once(tmp_path):
    db = tmp_path / "gk.db"
    w = World(db)
    for i in range(6):
        w.say(f"#team{i}", f"team set team{i} tz:America/Los_Angeles", MONDAY)
        w.say(f"#team{i}", "digest off", MONDAY)
        for who in ("greg", "anna", "mark"):
            w.say(f"#team{i}", f"goal add {who}'s goal in team{i}", MONDAY, user=who)
    w.store.close()
    env = dict(os.environ, **store_env(db), PYTHONPATH=ROOT)
    for now in ("2016-01-14T18:00Z", "2016-01-21T18:00Z"):
        cmd = [sys.executable, "-m", "adapters.cli", "tick", "--now", now]
        procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=60) for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        printed = "".join(o for o, _ in outs)
        for who in ("greg", "anna", "mark"):
            assert printed.count(f"[@{who}]\n") == 6, outs                # once per team, from one or the other
    rows = World(db).outbox()
    assert len(rows) == 2 * 6 * 3 and len({r["key"] for r in rows}) == len(rows)


def test_irc_gets_one_line_naming_the_owners_by_their_last_seen_name(tmp_path):
    w = World(tmp_path / "gk.db")
    irc = Channel(key="irc:net:#releng", name="#releng", platform="irc")

    def say(account, nick, text):
        replies = w.bot.handle(Message(text, Actor(f"irc:net:{account}", nick), irc, MONDAY))
        assert not any(r.error for r in replies), replies[0].text

    say("greg", "greg", "team set releng tz:America/Los_Angeles")
    say("greg", "greg", "digest off")
    owners = [f"person{i:02d}" for i in range(12)]
    for o in owners:
        say(o, o, "goal add Ship")                   # short: twelve would fit one line, ten are named at most
    say("person03", "p3_away", "learning a team learning, on no goal")   # seen since under another nick
    w.tick(SLOT)
    (row,) = [r for r in w.outbox() if r["kind"] == "checkin"]
    assert row["platform"] == "irc" and row["channel_key"] == "irc:net:#releng" and row["delivered_at"] is None
    lines = row["text"].splitlines()
    named = [[o for o in owners + ["p3_away"] if f"{o}: #" in line] for line in lines]
    assert [len(n) for n in named] == [10, 2], lines
    assert sorted(sum(named, [])) == sorted(["p3_away"] + [o for o in owners if o != "person03"])
    assert all(len(line.encode()) < 400 for line in lines)
    assert "goal status <id> <status>" in lines[-1]
    assert w.tick(SLOT + timedelta(minutes=5)) == "" and len(w.outbox()) == 1


def test_every_owner_of_a_shared_goal_is_asked(tmp_path):
    w = World(tmp_path / "gk.db")
    setup(w)
    w.say("#releng", "goal add Shared work owner:mark,anna", MONDAY)      # #3: mark first, anna second
    out = blocks(w.tick(SLOT))
    assert sorted(out) == ["@anna", "@greg", "@mark"]
    assert "#3 Shared work" in out["@anna"] and "#2 Fix the wiki" in out["@anna"]
    assert "#3 Shared work" in out["@mark"] and "#2" not in out["@mark"]
    assert "#3" not in out["@greg"]
