"""A review meeting on a real ngircd: several clients, two chairs, the bot restarted in the middle."""
from __future__ import annotations

import time
from datetime import datetime

from tests.fixtures_irc import IrcClient, bot_reply, bot_says, connect_all

CHAN = "#releng-review"
NET = "irc.test.local"


class Clock:
    def __init__(self, at: str):
        self.at = datetime.fromisoformat(at)

    def __call__(self):
        return self.at


def _log(store) -> list:
    meetings = store.export()["meetings"]
    return meetings[0]["log"] if meetings else []


def _wait_log(store, n: int, timeout: float = 10.0) -> list:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        log = _log(store)
        if len(log) >= n:
            return log
        time.sleep(0.02)
    raise AssertionError(f"the log has {len(_log(store))} lines, not {n}")


def _say(client, text, bot="gkbot"):
    """Say `text` in the channel and return the bot's answer."""
    m = client.mark()
    client.say(CHAN, text)
    return "\n".join(bot_reply(client, bot, CHAN, m, settle=0.2))


def test_a_review_meeting_on_ngircd_with_a_restart(ngircd, run_bot, tmp_path):
    db = str(tmp_path / "gk.db")
    clock = Clock("2015-12-01T18:00:00+00:00")
    env = {"GOALKEEPER_FISCAL_YEAR_START": "7"}
    bot = run_bot(ngircd, [CHAN], wait=False, db=db, clock=clock, **env)
    wes, greg, lila, chris = (IrcClient(ngircd.port, n) for n in ("wes", "greg", "lila", "chris"))
    connect_all(wes, greg, lila, chris, join=(CHAN,))
    bot.wait_joined()
    assert "#1" in _say(greg, "!goal add Migrate Gerrit to Differential")
    assert "#2" in _say(greg, "!goal add MediaWiki 1.26 release")
    # no review date (no reminders), no weekly digest, no check-in: nothing scheduled crosses the meeting's
    # lines; with no review date the quarter stays under review until closed
    assert "off" in _say(wes, "!digest off")
    assert "off" in _say(wes, "!checkin off")
    clock.at = datetime.fromisoformat("2016-01-22T17:45:00+00:00")

    m = wes.mark()
    wes.say("gkbot", "#startmeeting")  # in a private message: refused
    private = bot_reply(wes, "gkbot", "wes", m, settle=0.2)
    assert private[0].startswith("error: meetings are held in team channels") and private[1] == "usage: #startmeeting [title]"
    assert _say(wes, "#startmeeting Release Engineering review").startswith("meeting M1 started")
    greg.say(CHAN, "good morning")
    _wait_log(bot.store, 2)
    assert _say(wes, "#chair greg") == "M1 chairs: wes, greg"
    assert _say(greg, "#topic Release Engineering") == "M1 topic: Release Engineering"
    assert _say(greg, "#info Team size 6. Time to merge went from 11 min to 6 min") == "M1 info noted"
    assert "miss" in _say(greg, "#miss 1 actual migration depends on the RfC")
    refused = _say(lila, "#endmeeting").splitlines()
    assert refused[0].startswith("error: only a chair of M1 (wes, greg)") and refused[1] == "usage: #endmeeting"
    lila.say(CHAN, "#weather is nice")  # no meeting word: a line of the log, no reply
    lila.say(CHAN, "é" * 200)  # 400 bytes of UTF-8 in one line
    log = _wait_log(bot.store, 9)
    assert log[-1]["text"] == "é" * 200 and log[-2]["text"] == "#weather is nice"

    bot.stop()  # the bot goes away mid-meeting; what is said meanwhile is not in the log
    lila.say(CHAN, "is the bot gone?")
    time.sleep(0.3)
    bot = run_bot(ngircd, [CHAN], db=db, clock=clock, **env)
    clock.at = datetime.fromisoformat("2016-01-22T18:15:00+00:00")
    assert _say(greg, "#hit 2") .startswith("#2 MediaWiki 1.26 release: ")
    assert _say(greg, "#agreed Nodepool migration continues this quarter").startswith("M1 agreed")
    assert _say(wes, "#action chris write up a summary of the asks").startswith("M1 action A1 for chris")
    chris.say(CHAN, "will do")
    _wait_log(bot.store, 13)
    ended = _say(greg, "#endmeeting")  # the second chair ends it
    assert ended.startswith("meeting M1 ended: 14 lines, 5 items, 1 action item, 2 goals changed")
    assert "FY2016Q2 is closed" in ended and "goalkeeper minutes M1" in ended

    doc = bot.store.export()
    m = doc["meetings"][0]
    texts = [l["text"] for l in m["log"]]
    assert "is the bot gone?" not in texts and texts[-1] == "#endmeeting" and len(texts) == 14
    assert m["log"][1]["by"] == f"irc:{NET}:greg!~greg@127.0.0.1" and m["log"][1]["name"] == "greg"
    assert m["chairs"] == [f"irc:{NET}:wes!~wes@127.0.0.1", f"irc:{NET}:greg!~greg@127.0.0.1"]
    assert [g["status"] for g in doc["goals"]] == ["miss", "hit"]
    assert doc["teams"][0]["closed"] == {"FY2016Q2": "2016-01-22T18:15:00+00:00"}
    assert doc["actions"][0]["owner"] == f"irc:{NET}:chris"  # a nick names the services account, as owner: does

    minutes = _say(wes, "!minutes M1")
    assert "\x02Release Engineering review\x02 (M1) · 2016-01-22 17:45 - 18:15 UTC" in minutes and "goalkeeper minutes M1 --format" in minutes
    clock.at = datetime.fromisoformat("2016-01-25T18:00:00+00:00")
    assert "Open actions (1): A1 chris: write up a summary of the asks (M1)" in _say(wes, "!digest")
