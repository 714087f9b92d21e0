"""A review meeting over Slack's HTTP interface: channel messages (message.channels) reach the real Bolt app as
signed requests, two processes on one SQLite file hear every line, and each line is logged once (by its ts)."""
from __future__ import annotations

import itertools
import time

import pytest

from tests.fixtures_slack import SlackRig, TEAM_ID, event_payload
from tests.test_slack import texts

_ts = itertools.count(1453484700)


def channel_line(text: str, user: str = "U1GREG", channel: str = "C1RELENG", kind: str = "channel") -> dict:
    ts = f"{next(_ts)}.000100"
    return {"type": "message", "channel_type": kind, "user": user, "text": text, "ts": ts,
            "channel": channel, "event_ts": ts}


def _wait(predicate, timeout: float = 10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def _log(rig) -> list:
    meetings = rig.store.export()["meetings"]
    return meetings[0]["log"] if meetings else []


@pytest.fixture
def two(tmp_path, slack_api, store_kind):
    """Two Slack processes on one SQLite file, the team's quarter under review, meeting day."""
    from datetime import datetime

    slack_api.users.update({"U1GREG": {"name": "greg"}, "U2LILA": {"name": "lila"}, "U3WES": {"name": "wes"}})
    slack_api.channels["C1RELENG"] = {"name": "releng"}
    a = SlackRig(str(tmp_path / "gk.db"), slack_api, now="2015-12-01T18:00:00+00:00")
    a.command("/team", "set releng tz:America/Los_Angeles", channel_id="C1RELENG", channel_name="releng")
    a.command("/goal", "add Migrate Gerrit to Differential", channel_id="C1RELENG", channel_name="releng")
    a.now = datetime.fromisoformat("2016-01-04T18:00:00+00:00")
    a.command("/review", "date 2016-01-22", channel_id="C1RELENG", channel_name="releng")
    b = SlackRig(str(tmp_path / "gk.db"), slack_api, now="2016-01-22T17:45:00+00:00")
    a.now = b.now
    slack_api.reset()
    yield a, b
    a.stop()
    b.stop()


def test_a_meeting_over_slack_is_logged_once_by_two_processes(two, slack_api):
    a, b = two
    # outside a meeting a channel line costs nothing: no name looked up, nothing stored
    for rig in (a, b):
        assert rig.event(channel_line("good morning"))[0] == 200
    time.sleep(0.3)
    assert slack_api.calls_to("users.info") == [] and a.store.export()["meetings"] == []
    lines = [("U3WES", "#startmeeting"), ("U2LILA", "I heard this was the best one!"),
             ("U3WES", "#topic Release Engineering"), ("U1GREG", "#info Team size 6; time to merge 11 min -> 6 min"),
             ("U1GREG", "#miss 1 actual migration depends on the RfC"),
             ("U3WES", "#action <@U1GREG> write up the asks"), ("U3WES", "#endmeeting")]
    for n, (user, text) in enumerate(lines, 1):
        event = channel_line(text, user=user)
        payload = event_payload(event, event_id=f"EvM{n}")
        for rig in (a, b):  # both processes get the same delivery
            status, _, took = rig.http.event(payload)
            assert status == 200 and took < 0.5
        _wait(lambda: len(_log(a)) >= n)
        time.sleep(0.05)
    _wait(lambda: any("meeting M1 ended" in t for t in texts(slack_api.posts())))
    time.sleep(0.2)
    doc = a.store.export()
    m = doc["meetings"][0]
    assert [(l["by"], l["text"]) for l in m["log"]] == [(f"slack:{TEAM_ID}:{u}", t) for u, t in lines]
    assert [l["name"] for l in m["log"]][:2] == ["wes", "lila"]
    assert [i["kind"] for i in m["items"]] == ["topic", "info", "status", "action"]
    assert doc["goals"][0]["status"] == "miss" and doc["goals"][0]["history"][-1]["meeting"] == 1
    assert doc["actions"][0]["owner"] == f"slack:{TEAM_ID}:U1GREG"
    assert doc["teams"][0]["closed"] == {"FY2016Q2": "2016-01-22T17:45:00+00:00"}
    said = texts(slack_api.posts())
    # each word answered once, though two processes heard it
    for marker in ("meeting M1 started", "M1 topic: Release Engineering", "M1 info noted", "M1 action A1",
                   "meeting M1 ended"):
        assert sum(marker in t for t in said) == 1, (marker, said)
    assert all(c.body.get("channel") == "C1RELENG" for c in slack_api.posts())
    assert slack_api.calls_to("chat.postEphemeral") == []  # the second hearing of a line is silent, never an error


def test_minutes_on_slack_upload_the_html(two, slack_api):
    a, b = two
    for text in ("#startmeeting", "#info one thing", "#endmeeting"):
        a.event(channel_line(text, user="U3WES"))
        _wait(lambda: _log(a) and _log(a)[-1]["text"] == text)
    _wait(lambda: any("meeting M1 ended" in t for t in texts(slack_api.posts())))
    slack_api.reset()
    status, body, took = b.command("/minutes", "M1", channel_id="C1RELENG", channel_name="releng",
                                   response_url=slack_api.response_url("minutes"))
    assert status == 200 and took < 0.5
    [post] = slack_api.wait_for("response_url", 1)
    assert "(M1)" in texts([post])[0] and "chairs wes" in texts([post])[0]
    slack_api.wait_for("files.completeUploadExternal", 1)
    [url] = slack_api.calls_to("files.getUploadURLExternal")
    assert url.body["filename"] == "minutes-M1-releng-2016-01-22.html"
    raw = slack_api.calls_to("upload")[0].body.get("raw")
    assert b"<!DOCTYPE html>" in raw and b"one thing" in raw


def test_an_error_in_a_slack_meeting_goes_to_the_speaker_alone(two, slack_api):
    a, _ = two
    a.event(channel_line("#startmeeting", user="U3WES"))
    _wait(lambda: any("meeting M1 started" in t for t in texts(slack_api.posts())))
    a.event(channel_line("#endmeeting", user="U2LILA"))
    [eph] = slack_api.wait_for("chat.postEphemeral", 1)
    assert eph.body["user"] == "U2LILA" and "only a chair of M1" in eph.body.get("text", "") + str(eph.body)
    assert a.store.export()["meetings"][0]["ended"] is None


def test_a_meeting_in_a_private_channel_message_groups(two, slack_api):
    a, _ = two
    slack_api.channels["G1PRIV"] = {"name": "releng-private"}
    a.event(channel_line("#startmeeting", user="U3WES", channel="G1PRIV", kind="group"))
    _wait(lambda: any("meeting M1 started" in t for t in texts(slack_api.posts())))
    a.event(channel_line("said in private", user="U2LILA", channel="G1PRIV", kind="group"))
    _wait(lambda: len(_log(a)) == 2)
    m = a.store.export()["meetings"][0]
    assert m["channel"] == f"slack:{TEAM_ID}:G1PRIV" and m["log"][1]["text"] == "said in private"
