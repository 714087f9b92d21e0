"""The review meeting in the core (console chat on a real SQLite file): #startmeeting ... #endmeeting, the
log, the goals it changes, the quarter it closes, its minutes, its action items.

Golden files: tests/golden/minutes_seed.{md,wiki,html} are the minutes of tests/meeting_seed.py's replay of
part of the seed's minutes. After an intended change of the output, rewrite them with

    GOLDEN_UPDATE=1 python -m pytest tests/test_meeting.py -q -k golden

and read the diff before committing it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.meeting.minutes import load_minutes, meeting_wiki, render
from tests.fixtures_core import Chat
from tests.meeting_seed import ENV, MEETING, minute, replay

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def seed(tmp_path, store_kind):
    c = Chat(str(tmp_path / "gk.db"), ENV)
    c.db = str(tmp_path / "gk.db")
    c.replies_said = replay(c)
    yield c
    c.store.close()


@pytest.fixture
def meeting(tmp_path, store_kind):
    """A team with two goals and its quarter under review; a meeting started by wes, greg attending."""
    c = Chat(str(tmp_path / "gk.db"), ENV)
    c.db = str(tmp_path / "gk.db")
    c.at("2015-12-01T18:00:00+00:00")
    c.say("/team set releng tz:America/Los_Angeles")
    c.say("/goal add Migrate Gerrit to Differential", user="greg")
    c.say("/goal add MediaWiki 1.26 release", user="greg")
    c.at("2016-01-04T18:00:00+00:00").say("/review date 2016-01-22")
    c.at("2016-01-22T17:45:00+00:00")
    assert c.say("#startmeeting", user="wes").startswith("meeting M1 started")
    c.say("hello", user="greg")
    yield c
    c.store.close()


def _meeting(c, mid=1) -> dict:
    return next(m for m in c.export()["meetings"] if m["id"] == mid)


# ---------------------------------------------------------------- the whole meeting


def test_the_seed_meeting_changes_goals_closes_the_quarter_and_leaves_actions(seed):
    doc = seed.export()
    status = {g["id"]: g["status"] for g in doc["goals"]}
    assert status == {1: "partial", 2: "miss", 3: "hit", 4: "miss"}
    # the same history as the command writes, naming the meeting
    entry = [e for e in doc["goals"][1]["history"] if e["action"] == "status"][-1]
    assert entry["changes"] == {"status": [None, "miss"], "note": [None, "actual migration depends on the RfC"]}
    assert entry["by"] == "console:greg" and entry["meeting"] == 1
    # #endmeeting closed the quarter under review at its own instant
    team = doc["teams"][0]
    assert team["closed"] == {"FY2016Q2": minute(len(MEETING) - 1)}
    m = doc["meetings"][0]
    assert m["ended"] == minute(len(MEETING) - 1) and m["chairs"] == ["console:wes", "console:greg"]
    assert len(m["log"]) == len(MEETING)
    assert m["log"][1] == {"at": minute(1), "by": "console:lila", "name": "lila", "text": "Good morning everyone",
                           "ref": None}
    # the undone action is no action; the two others are open
    assert [(a["id"], a["owner"], a["deleted"], a["done"]) for a in doc["actions"]] == [
        (1, "console:chris", False, None), (2, "console:greg", False, None), (3, "console:lila", True, None)]
    end = seed.replies_said[-1]
    assert "meeting M1 ended: 25 lines, 13 items, 2 action items, 4 goals changed" in end
    assert "releng FY2016Q2 is closed" in end and "minutes M1" in end
    # chatter and words outside the meeting get no reply
    assert seed.replies_said[1] == "" and seed.replies_said[7] == ""
    assert seed.say("#info after the end") == ""
    assert len(_meeting(seed)["log"]) == len(MEETING)


@pytest.mark.parametrize("fmt", ["md", "wiki", "html"])
def test_golden_minutes(seed, fmt):
    text = render(load_minutes(seed.store, seed.config, 1), fmt)
    path = GOLDEN / f"minutes_seed.{fmt}"
    if os.environ.get("GOLDEN_UPDATE"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_the_minutes_hold_every_part_the_contract_names(seed):
    md = render(load_minutes(seed.store, seed.config, 1), "md")
    assert "- **Time:** 2016-01-22 09:45 - 10:09 America/Los_Angeles" in md  # the team's zone
    assert "- **Chairs:** wes, greg" in md
    assert "- **Attendees:** wes (9), greg (8), lila (5), chris (2), robla (1)" in md
    items = md.split("## Items")[1].split("## Decisions")[0]
    assert items.index("### Release Engineering") < items.index("**INFO** Team size 6") < items.index(
        "### Security") < items.index("**AGREED** Security is everyone's responsibility")
    assert "- **chris**\n  - A1 write up a summary of the asks (open)" in md
    assert "- #2 Migrate Gerrit to Differential: no status -> **miss**" in md
    assert "loop in" not in md.split("## Log")[0]  # the undone action is gone from the items
    html = render(load_minutes(seed.store, seed.config, 1), "html")
    assert "&lt;b&gt;loop in&lt;/b&gt;" in html and "<b>loop in</b>" not in html
    assert "<link" not in html and "src=" not in html  # nothing fetched


def test_meeting_wiki_gives_team_date_and_markup(seed):
    team, day, text = meeting_wiki(seed.store, seed.config, 1)
    assert (team, day.isoformat()) == ("releng", "2016-01-22")
    assert text == render(load_minutes(seed.store, seed.config, 1), "wiki")


def test_minutes_in_chat_and_on_the_command_line(seed, cli, tmp_path):
    out = seed.say("minutes M1")
    assert out.splitlines()[0] == ("Quarterly review, Technology II (M1) · 2016-01-22 09:45 - 10:09 "
                                   "America/Los_Angeles · chairs wes, greg")
    assert "actions: A1 chris: write up a summary of the asks (open); A2 greg:" in out
    assert "goalkeeper minutes M1 --format html|md|wiki" in out
    env = {"GOALKEEPER_DB": seed.db, **ENV}
    for fmt in ("md", "wiki", "html"):
        target = tmp_path / f"m.{fmt}"
        r = cli(["minutes", "M1", "--format", fmt, "-o", str(target)], env=env)
        assert r.returncode == 0, r.stderr
        assert target.read_text(encoding="utf-8") == (GOLDEN / f"minutes_seed.{fmt}").read_text(encoding="utf-8")
    r = cli(["minutes", "M9"], env=env)
    assert r.returncode == 1 and r.stderr.strip() == "goalkeeper: error: there is no meeting M9"
    r = cli(["minutes", "nine"], env=env)
    assert r.returncode == 2 and "is not a meeting id" in r.stderr


def test_meetings_lists_them(seed):
    assert seed.say("meetings") == ("releng meetings:\nM1 2016-01-22 09:45 Quarterly review, Technology II · #releng"
                                    " · ended")


# ---------------------------------------------------------------- chairs and permissions


def _usage_error(out: str, usage: str) -> None:
    lines = out.splitlines()
    assert lines[0].startswith("error: ") and lines[1] == f"usage: {usage}", out


def test_only_chairs_end_the_meeting_or_set_the_topic(meeting):
    before = _meeting(meeting)
    for text, usage in (("#endmeeting", "#endmeeting"), ("#topic Releng", "#topic <text>"),
                        ("#agreed ship it", "#agreed <text>"), ("#undo", "#undo"), ("#chair greg", "#chair <who> [<who> ...]")):
        out = meeting.say(text, user="greg")
        _usage_error(out, usage)
        assert "only a chair of M1 (wes)" in out
    after = _meeting(meeting)
    assert after["items"] == before["items"] == [] and after["chairs"] == ["console:wes"] and after["ended"] is None
    assert [l["text"] for l in after["log"]][-5:] == ["#endmeeting", "#topic Releng", "#agreed ship it", "#undo",
                                                      "#chair greg"]  # refused words are lines said all the same
    assert meeting.say("#chair greg", user="wes") == "M1 chairs: wes, greg"
    assert meeting.say("#topic Release Engineering", user="greg") == "M1 topic: Release Engineering"


def test_a_chair_named_by_nick_is_whoever_spoke_under_it(meeting):
    # on IRC without services a chair is the identity that spoke under the nick in this meeting
    meeting.say("#chair greg", user="wes")
    assert _meeting(meeting)["chairs"] == ["console:wes", "console:greg"]


def test_status_follows_the_goal_permissions(tmp_path, store_kind):
    c = Chat(str(tmp_path / "gk.db"), {**ENV, "GOALKEEPER_ADMINS": "console:wes"})
    c.at("2015-12-01T18:00:00+00:00").say("/goal add Migrate Gerrit to Differential", user="greg")
    c.at("2016-01-22T17:45:00+00:00").say("#startmeeting", user="wes")
    out = c.say("#miss 1 no", user="mallory")
    _usage_error(out, "#miss <id> [note]")
    assert "only greg (owner) or an admin may change #1" in out
    assert c.export()["goals"][0]["status"] is None
    assert c.say("#miss 1 waits on the RfC", user="greg") == '#1 Migrate Gerrit to Differential: miss (red), "waits on the RfC"'
    assert c.say("#status 1 hit", user="wes").startswith("#1 Migrate Gerrit to Differential: hit")  # the admin
    c.store.close()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("text,usage,says", [
    ("#action", "#action <who> <text>", "#action needs who does it and what"),
    ("#action greg", "#action <who> <text>", "#action needs what greg is to do"),
    ("#status 7 hit", "#status <id> <status> [note]", "there is no goal #7"),
    ("#hit seven", "#hit <id> [note]", "is not a goal id"),
    ("#status 1 purple", "#status <id> <status> [note]", "is not a status"),
    ("#info", "#info <text>", "#info needs a text"),
    ("#learning", "#learning [<goal-id>] <text>", "#learning needs a text"),
    ("#startmeeting again", "#startmeeting [title]", "meeting M1 is running here already"),
    ("#info " + "x" * 2001, "#info <text>", "at most 2,000 characters"),
])
def test_bad_meeting_words_are_refused_and_change_nothing(meeting, text, usage, says):
    before = meeting.export()
    out = meeting.say(text, user="wes")
    _usage_error(out, usage)
    assert says in out
    after = meeting.export()
    assert after["goals"] == before["goals"] and after["actions"] == before["actions"]
    assert _meeting(meeting)["items"] == [] and len(after["meetings"]) == 1


def test_a_hash_word_that_is_no_meeting_word_is_chatter(meeting):
    assert meeting.say("#weather is nice today", user="greg") == ""
    assert meeting.say("#releng is the best channel", user="greg") == ""
    assert _meeting(meeting)["log"][-1]["text"] == "#releng is the best channel"
    assert _meeting(meeting)["items"] == []


def test_outside_a_meeting_hash_lines_are_chatter(tmp_path, store_kind):
    c = Chat(str(tmp_path / "gk.db"), ENV)
    for text in ("#info nothing runs", "#endmeeting", "#topic x", "#weather"):
        assert c.say(text) == ""
    assert c.export()["meetings"] == []
    c.store.close()


def test_a_meeting_in_a_private_message_is_refused(tmp_path, store_kind):
    from adapters.console import dispatch
    from bot.model import Actor, Channel, Message

    c = Chat(str(tmp_path / "gk.db"), ENV)
    pm = Channel(key="console:@greg", name="greg", platform="console", private=True)
    replies = dispatch(c.bot, Message("#startmeeting", Actor("console:greg", "greg"), pm, c.now))
    out = "\n".join(r.text for r in replies)
    _usage_error(out, "#startmeeting [title]")
    assert "meetings are held in team channels" in out
    assert c.export()["meetings"] == []
    c.store.close()


def test_undo_takes_back_the_chairs_last_item_and_a_status_goes_back(meeting):
    meeting.say("#chair greg", user="wes")
    meeting.say("#info first", user="wes")
    meeting.say("#hit 1", user="greg")
    meeting.say("#info by greg", user="greg")
    assert meeting.say("#undo", user="greg") == 'M1 taken back: your info "by greg"'
    assert meeting.say("#undo", user="greg").startswith("M1 taken back: your status change")
    goal = meeting.export()["goals"][0]
    assert goal["status"] is None  # back to what it was, as a new entry
    assert [e["changes"].get("status") for e in goal["history"] if e["action"] == "status"] == [[None, "hit"],
                                                                                            ["hit", None]]
    out = meeting.say("#undo", user="greg")
    _usage_error(out, "#undo")
    items = [(i["kind"], i["text"], bool(i["undone"])) for i in _meeting(meeting)["items"]]
    assert items == [("info", "first", False), ("status", "#1 Migrate Gerrit to Differential: hit", True),
                     ("info", "by greg", True)]


# ---------------------------------------------------------------- action items


def test_action_items_are_followed_until_done(seed):
    seed.at("2016-01-25T18:00:00+00:00")
    assert seed.say("actions") == ("releng: open action items:\nA1 chris: write up a summary of the asks · M1\n"
                                   "A2 greg: link the learnings on MWDS from the slides · M1")
    assert seed.say("actions owner:greg").splitlines()[1:] == ["A2 greg: link the learnings on MWDS from the slides · M1"]
    digest = seed.say("digest")
    assert "Open action items (2; action done A<id>):\n  A1 chris: write up a summary of the asks (M1)" in digest
    out = seed.say("action done A1 sent to Wes", user="mallory")  # no admins configured: everyone is one
    assert out == 'A1 done: write up a summary of the asks, "sent to Wes"'
    _usage_error(seed.say("action done A1"), "action done A<id> [note]")
    _usage_error(seed.say("action done A3"), "action done A<id> [note]")  # the undone one
    _usage_error(seed.say("action done x"), "action done A<id> [note]")
    assert "A1" not in seed.say("digest") and "A2 greg" in seed.say("digest")
    assert seed.say("actions all").splitlines()[1].endswith("· M1 (done 2016-01-25)")
    a = seed.export()["actions"][0]
    assert a["done"] == "2016-01-25T18:00:00+00:00" and a["note"] == "sent to Wes" and a["done_by"] == "console:mallory"


def test_action_done_is_for_the_owner_a_chair_or_an_admin(tmp_path, store_kind):
    c = Chat(str(tmp_path / "gk.db"), {**ENV, "GOALKEEPER_ADMINS": "console:boss"})
    c.at("2016-01-22T17:45:00+00:00").say("#startmeeting", user="wes")
    c.say("#action chris write it up", user="wes")
    c.say("#action greg link it", user="wes")
    c.say("#action lila loop in", user="wes")
    c.say("#endmeeting", user="wes")
    out = c.say("action done A1", user="mallory")
    _usage_error(out, "action done A<id> [note]")
    assert "only chris (owner), wes (chairs of M1) or an admin may close A1" in out
    assert c.export()["actions"][0]["done"] is None
    assert c.say("action done A1", user="chris").startswith("A1 done")
    assert c.say("action done A2", user="wes").startswith("A2 done")
    assert c.say("action done A3", user="boss").startswith("A3 done")
    c.store.close()


def test_the_review_reminder_lists_the_last_meetings_open_actions(seed):
    seed.at("2016-03-01T18:00:00+00:00").say("/review date 2016-04-15")
    from bot.digest import build_reminder
    from bot.render import PlainRenderer

    text = build_reminder(seed.store, seed.config, "releng", seed.now, PlainRenderer(), review="2016-04-15", days=14)
    assert "Open actions from the last review meeting M1 (2); action done A<id>:\n  A1 chris: write up" in text
    seed.say("action done A1")
    seed.say("action done A2")
    text = build_reminder(seed.store, seed.config, "releng", seed.now, PlainRenderer(), review="2016-04-15", days=14)
    assert "Open actions" not in text


def test_the_next_review_counts_the_last_reviews_actions(seed):
    seed.at("2016-02-01T18:00:00+00:00").say("action done A1")
    review = seed.say("review quarter:this")
    assert "actions from the last review (M1): 1 of 2 done" in review
    closed = seed.say("review quarter:FY2016Q2")
    assert "review meeting M1: 1 decisions, 2 action items (1 open; minutes M1)" in closed
    from bot.quarters import Quarter
    from bot.review.service import review_document

    doc = review_document(seed.store, seed.config, "releng", Quarter(2016, 2, 7), seed.now)
    md, wiki, html = doc.text("md"), doc.text("wiki"), doc.text("html")
    assert ("## Review meeting (M1)\n\nDecisions:\n\n- Security is everyone's responsibility\n\nAction items:\n\n"
            "- A1 chris: write up a summary of the asks (done)\n- A2 greg: link the learnings on MWDS from the slides (open)"
            in md)
    assert "== Review meeting (M1) ==" in wiki and "<h2>Review meeting (M1)</h2>" in html
    nxt = review_document(seed.store, seed.config, "releng", Quarter(2016, 3, 7), seed.now).text("md")
    assert "actions from the last review (M1): 1 of 2 done" in nxt


# ---------------------------------------------------------------- faults


def test_a_restart_mid_meeting_keeps_the_meeting_and_continues(meeting, tmp_path):
    meeting.say("#topic Release Engineering", user="wes")
    meeting.say("#action greg write it up", user="wes")
    meeting.store.close()
    again = Chat(meeting.db, ENV)  # a new process on the same file
    again.at("2016-01-22T18:30:00+00:00")
    assert again.say("#info after the restart", user="greg") == "M1 info noted"
    assert again.say("#endmeeting", user="wes").startswith("meeting M1 ended: 6 lines, 2 items, 1 action item")
    m = _meeting(again)
    assert [i["kind"] for i in m["items"]] == ["topic", "action", "info"]
    assert [l["text"] for l in m["log"]] == ["#startmeeting", "hello", "#topic Release Engineering",
                                             "#action greg write it up", "#info after the restart", "#endmeeting"]
    again.store.close()


def test_six_hours_of_silence_end_the_meeting_at_the_next_pass(meeting):
    meeting.at("2016-01-22T18:00:00+00:00").say("last words", user="greg")
    assert meeting.bot.tick(meeting.now.replace(hour=23, minute=59)) >= 0
    assert _meeting(meeting)["ended"] is None  # 5 h 59 min: still running
    meeting.bot.tick(meeting.now.replace(day=23, hour=0, minute=1))
    m = _meeting(meeting)
    assert m["ended"] == "2016-01-22T18:00:00+00:00" and m["end_how"] == "silence"  # as at its last line
    told = [o for o in meeting.store.outbox() if o["kind"] == "meeting"]
    assert len(told) == 1 and told[0]["channel_key"] == "console:#releng"
    assert "ended after 6 hours of silence" in told[0]["text"]
    assert meeting.export()["teams"][0]["closed"] == {}  # nobody ended it: nothing closed
    assert meeting.say("#info too late") == ""


def test_two_thousand_lines_and_a_long_utf8_line(meeting):
    long = "é" * 199 + "x" * 2  # 400 bytes of UTF-8 plus the x: said as one line
    for n in range(2000):
        meeting.say(f"line {n} " + ("ok" if n != 1000 else long), user="greg" if n % 2 else "lila")
    out = meeting.say("#endmeeting", user="wes")
    assert out.startswith("meeting M1 ended: 2003 lines")
    log = _meeting(meeting)["log"]
    assert log[1002]["text"] == "line 1000 " + long and len(log) == 2003
    assert len(load_minutes(meeting.store, meeting.config, 1).log) == 2003


def test_export_import_export_is_identical_with_meetings(seed, tmp_path):
    seed.say("action done A1 done")
    first = seed.export()
    other = Chat(str(tmp_path / "other.db"), ENV)
    other.store.import_(json.loads(json.dumps(first)))
    assert other.export() == first
    assert render(load_minutes(other.store, other.config, 1), "md") == render(
        load_minutes(seed.store, seed.config, 1), "md")
    other.store.close()


def test_an_import_refuses_a_bad_meeting(tmp_path, seed):
    from storage.exchange import ImportError_

    doc = seed.export()
    doc["actions"][0]["meeting"] = 99
    other = Chat(str(tmp_path / "other.db"), ENV)
    with pytest.raises(ImportError_, match=r"actions\[0\].meeting: names no meeting"):
        other.store.import_(doc)
    assert other.export()["meetings"] == []
    other.store.close()


def test_goalkeeper_tick_ends_a_silent_meeting_and_says_so(meeting, cli):
    env = {"GOALKEEPER_DB": meeting.db, **ENV}
    r = cli(["tick", "--now", "2016-01-22T23:46:00Z"], env=env)  # 6 h 1 min after the last line
    assert r.returncode == 0, r.stderr
    assert "[#releng]\nmeeting M1 ended after 6 hours of silence, as at its last line: 2 lines, 0 items" in r.stdout
    assert _meeting(meeting)["ended"] == "2016-01-22T17:45:00+00:00"
    r = cli(["tick", "--now", "2016-01-22T23:50:00Z"], env=env)
    assert "meeting M1" not in r.stdout  # told once
