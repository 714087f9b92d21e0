"""Slack over HTTP: a real Bolt app behind waitress on loopback, signed requests, the real core on SQLite,
and the stand-in Web API recording what Slack would have received."""
from __future__ import annotations

import json
import re
import time

from tests.fixtures_slack import BOT_ID, BOT_USER_ID, dm_event, mention_event


def texts(calls) -> list[str]:
    """The mrkdwn a list of recorded posts carried, block by block."""
    out = []
    for c in calls:
        blocks = c.body.get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        out.append("\n".join(b["text"]["text"] for b in blocks) or c.body.get("text", ""))
    return out


def ack_text(body: dict) -> str:
    return "\n".join(b["text"]["text"] for b in body.get("blocks", [])) or body.get("text", "")


# -- slash commands -------------------------------------------------------------


def test_every_slash_command_is_answered_in_its_ack(slack):
    steps = [
        # (command, text, response_type, what the ack shows)
        ("/team", "set releng tz:America/Los_Angeles", "in_channel", "team releng"),
        ("/goal", "add Migrate Gerrit to Differential due:end of quarter", "in_channel", "#1"),
        ("/goal", "list", "ephemeral", "Migrate Gerrit to Differential"),
        ("/learning", "1 Still mostly a one-person job", "in_channel", "#1"),
        ("/learning", "pairing beats heroics", "in_channel", ""),
        ("/learnings", "", "ephemeral", "one-person job"),
        ("/kpi", "add time-to-merge unit:min better:down", "in_channel", "time-to-merge"),
        ("/kpi", "time-to-merge 11", "in_channel", "11 min"),
        ("/kpi", "time-to-merge 6", "in_channel", "6 min"),
        ("/kpi", "list", "ephemeral", "time-to-merge"),
        ("/review", "date 2016-03-25", "in_channel", "25 Mar"),
        ("/digest", "schedule monday 09:00", "in_channel", ""),
        ("/team", "show", "ephemeral", "releng"),
        ("/goal", "miss 1 waits on the RfC", "in_channel", "miss"),
        ("/goalkeeper", "", "ephemeral", "goal add"),
        ("/goalkeeper", "help kpi", "ephemeral", "kpi"),
        ("/goalkeeper", "goal list", "ephemeral", "Migrate Gerrit"),
    ]
    for command, text, response_type, shows in steps:
        status, body, took = slack.command(command, text)
        assert status == 200, (command, text, body)
        assert body["response_type"] == response_type, (command, text, body)
        assert shows in ack_text(body), (command, text, body)
        assert not ack_text(body).startswith("error"), (command, text, body)
        assert len(body["blocks"]) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in body["blocks"])
        # no `<` reaches Slack except a mention the bot means (help's `<title>` included)
        assert not re.search(r"<(?![@#][UWC][A-Z0-9]+>)", ack_text(body) + body["text"]), (command, text, body)
    goal = slack.goals()[0]
    assert goal["title"] == "Migrate Gerrit to Differential"
    assert goal["status"] == "miss" and goal["owner"] == "slack:T0TEST:U1GREG" and goal["quarter"] == "FY2016Q3"
    assert not slack.api.posts(), "quick commands answer in the ack, nothing else"


def test_an_error_goes_to_the_asker_alone_and_changes_nothing(slack):
    slack.command("/goal", "add A real goal")
    before = slack.store.export()
    status, body, _ = slack.command("/goal", "hit 7")
    assert status == 200 and body["response_type"] == "ephemeral"
    assert ack_text(body).startswith("error: ") and "usage: goal hit" in ack_text(body)
    assert slack.store.export() == before


def test_slow_commands_are_acknowledged_at_once_and_finished_through_response_url(slack, monkeypatch):
    slack.command("/goal", "add Ship the review due:2016-03-01")
    real = slack.bot.handle

    def slow_review(msg):  # a review that takes longer than Slack waits for an ack
        if msg.text.startswith("review"):
            time.sleep(3.2)
        return real(msg)

    monkeypatch.setattr(slack.bot, "handle", slow_review)
    url = slack.api.response_url("review")
    status, body, took = slack.command("/review", "", response_url=url)
    assert status == 200 and took < 0.5, took  # Slack's deadline is 3 s
    assert body["response_type"] == "ephemeral"
    [post] = slack.api.wait_for("response_url", 1, timeout=10)
    assert post.path.endswith("/review")
    assert "Ship the review" in texts([post])[0] and "review" in texts([post])[0]
    slack.api.wait_for("files.completeUploadExternal", 1)  # the deck follows; don't let it leak into the next test


def test_review_uploads_the_html_deck_after_the_ack(slack):
    slack.command("/goal", "add Ship the &lt;review&gt; &amp; more")  # as Slack sends it
    status, body, took = slack.command("/review", "", response_url=slack.api.response_url("review"))
    assert status == 200 and took < 0.5
    [post] = slack.api.wait_for("response_url", 1)
    assert "Ship the &lt;review&gt; &amp; more" in texts([post])[0]
    [done] = slack.api.wait_for("files.completeUploadExternal", 1)
    [url] = slack.api.wait_for("files.getUploadURLExternal", 1)
    assert url.body["filename"].startswith("review-") and url.body["filename"].endswith(".html")
    assert "channel_id" in done.body or "channels" in done.body
    [upload] = slack.api.calls_to("upload")
    raw = upload.body.get("raw") or str(upload.body).encode()
    assert b"<!DOCTYPE html>" in raw and b"Ship the &lt;review&gt;" in raw


def test_digest_on_demand_is_finished_after_the_ack(slack):
    slack.command("/goal", "add Something to digest")
    status, body, took = slack.command("/digest", "", response_url=slack.api.response_url("digest"))
    assert status == 200 and took < 0.5
    [post] = slack.api.wait_for("response_url", 1)
    assert post.path.endswith("/digest") and post.body["response_type"] == "ephemeral"
    assert texts([post])[0].split("\n") == [
        "*Weekly digest* · releng · FY2016Q3 · week to Mon 4 Jan · no review date yet (review date &lt;when>)",
        "Goals (1): 1 no status",
        "  no status (1): #1 Something to digest",
        "This week (1 change):",
        "  #1 Something to digest: added (greg)",
        "New learnings: none this week (learning &lt;goal-id&gt; &lt;text&gt;)",
    ]
    assert not slack.api.calls_to("chat.postEphemeral")  # not an apology sent instead


def test_a_fault_in_the_adapter_is_one_log_line_and_an_ephemeral_apology(slack, monkeypatch, caplog):
    def broken(msg):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(slack.bot, "handle", broken)
    status, body, _ = slack.command("/goal", "list")
    assert status == 200 and body["response_type"] == "ephemeral"
    assert body["text"] == "error: the bot hit a problem, try again"
    status, _, _ = slack.event(mention_event("goal list"))
    assert status == 200
    [apology] = slack.api.wait_for("chat.postEphemeral", 1)
    assert apology.body["text"] == "error: the bot hit a problem, try again" and apology.body["user"] == "U1GREG"
    lines = [r for r in caplog.records if "disk on fire" in r.getMessage()]
    assert len(lines) == 2 and all(r.name == "goalkeeper.slack" and "\n" not in r.getMessage() for r in lines)
    assert not any(r.exc_info for r in caplog.records), "no traceback"


# -- events: mentions and direct messages ------------------------------------------


def test_a_mention_is_answered_in_the_channel(slack):
    slack.api.channels["C1RELENG"] = {"name": "releng", "is_channel": True}
    slack.api.users["U1GREG"] = {"name": "greg", "profile": {"display_name": "Greg"}}
    status, _, took = slack.event(mention_event("goal add Fix the flaky tests owner:greg"))
    assert status == 200 and took < 0.5
    [post] = slack.api.wait_for("chat.postMessage", 1)
    assert post.body["channel"] == "C1RELENG" and "#1" in texts([post])[0]
    [goal] = slack.goals()
    assert goal["title"] == "Fix the flaky tests" and goal["team"] == "releng"
    assert goal["creator"] == "slack:T0TEST:U1GREG"


def test_a_mention_error_is_ephemeral_and_a_thread_is_answered_in_the_thread(slack):
    event = mention_event("goal hit 42")
    event["thread_ts"] = "1700000000.000001"
    slack.event(event)
    [post] = slack.api.wait_for("chat.postEphemeral", 1)
    assert post.body["user"] == "U1GREG" and post.body["thread_ts"] == "1700000000.000001"
    assert texts([post])[0].startswith("error: ")
    assert not slack.api.calls_to("chat.postMessage")


def test_a_direct_message_is_answered_in_the_dm(slack):
    slack.api.users["U1GREG"] = {"name": "greg"}
    slack.event(dm_event("goal add Learn Rust team:releng"))
    [post] = slack.api.wait_for("chat.postMessage", 1)
    assert post.body["channel"] == "D1GREG" and "#1" in texts([post])[0]
    slack.event(dm_event("goal hit 99"))  # in a DM even an error is a plain message: it is already private
    posts = slack.api.wait_for("chat.postMessage", 2)
    assert texts(posts)[1].startswith("error: ")
    assert slack.store.channel("slack:T0TEST:D1GREG")["private"]


def test_bot_messages_edits_and_channel_chatter_are_ignored(slack):
    slack.event(dm_event("goal add from a bot", bot_id="B999"))
    slack.event(dm_event("goal add edited", subtype="message_changed"))
    slack.event(dm_event("goal add from myself", user=BOT_USER_ID))
    chatter = dm_event("goal add in a channel", channel="C1RELENG")
    chatter["channel_type"] = "channel"
    slack.event(chatter)
    slack.event(dm_event("goal add me too", bot_id=BOT_ID, user=BOT_USER_ID))
    slack.event(dm_event("goal add real one team:releng"))
    slack.api.wait_for("chat.postMessage", 1)
    time.sleep(0.3)
    assert [g["title"] for g in slack.goals()] == ["real one"]
    assert len(slack.api.calls_to("chat.postMessage")) == 1


def test_the_same_event_is_processed_once_also_after_a_restart(slack):
    event = mention_event("goal add Only once")
    assert slack.event(event, event_id="Ev0DUP")[0] == 200
    slack.api.wait_for("chat.postMessage", 1)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert slack.event(event, event_id="Ev0DUP", headers=retry)[0] == 200
    slack.restart()
    retry["X-Slack-Retry-Num"] = "2"
    assert slack.event(event, event_id="Ev0DUP", headers=retry)[0] == 200
    slack.event(mention_event("goal add A different event"), event_id="Ev0NEW")
    slack.api.wait_for("chat.postMessage", 2)
    time.sleep(0.3)
    assert [g["title"] for g in slack.goals()] == ["Only once", "A different event"]
    assert len(slack.api.calls_to("chat.postMessage")) == 2


# -- verification ----------------------------------------------------------------------


def test_unsigned_forged_and_stale_requests_are_refused_and_change_nothing(slack):
    from tests.fixtures_slack import event_payload, slash_body

    empty = slack.store.export()
    body = slash_body("/goal", "add Forged goal", response_url=slack.api.response_url())
    event = json.dumps(event_payload(mention_event("goal add Forged mention")))
    for payload, ctype in ((body, "application/x-www-form-urlencoded"), (event, "application/json")):
        assert slack.http.post(payload, sign=False, content_type=ctype)[:2] == (401, {"error": "invalid request"})
        slack.http.secret = "not-the-signing-secret"
        assert slack.http.post(payload, content_type=ctype)[0] == 401
        slack.http.secret = "test-signing-secret"
        ten_minutes_ago = int(time.time()) - 600
        assert slack.http.post(payload, timestamp=ten_minutes_ago, content_type=ctype)[0] == 401
    # a signature over a different body
    from tests.fixtures_slack import signed_headers

    headers = signed_headers(slash_body("/goal", "list", response_url=slack.api.response_url()))
    assert slack.http.post(body, headers=headers, sign=False)[0] == 401
    time.sleep(0.2)
    assert slack.store.export() == empty
    assert not slack.api.posts() and not slack.api.calls_to("auth.test")


def test_url_verification_is_answered(slack):
    status, body, _ = slack.http.post(
        json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                    "type": "url_verification"}), content_type="application/json")
    assert status == 200 and body == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


# -- what reaches Slack ------------------------------------------------------------------


def test_user_text_reaches_slack_escaped(slack):
    # typed literally, Slack sends `&lt;!channel&gt;`; formatted by Slack, it sends the token `<!channel>`
    typed = "add Stop &lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &amp; more"
    status, body, _ = slack.command("/goal", typed)
    shown = ack_text(body)
    assert "&lt;!channel&gt;" in shown and "&lt;@U123&gt;" in shown and "&lt;http://x|y&gt;" in shown
    assert "<!channel>" not in shown and "<@U123>" not in shown and "<http://x|y>" not in shown
    assert slack.goals()[0]["title"] == "Stop <!channel> <@U123> <http://x|y> & more"  # stored as typed

    slack.event(mention_event("goal add Tokens <!channel> <!here> <http://x|y> <#C9|general>"))
    [post] = slack.api.wait_for("chat.postMessage", 1)
    sent = texts([post])[0] + post.body["text"]
    assert "<!channel>" not in sent and "<!here>" not in sent and "<http://x|y>" not in sent
    slack.command("/goal", "list")
    status, body, _ = slack.command("/goal", "list")
    assert "<!channel>" not in json.dumps(body) and "<http://x" not in json.dumps(body)


def test_an_owner_given_as_a_slack_mention_is_that_user(slack):
    status, body, _ = slack.command("/goal", "add Pair on the migration owner:<@U2ANN|ann>")
    assert "<@U2ANN>" in ack_text(body)  # a real mention: Slack shows the name and notifies
    assert slack.goals()[0]["owner"] == "slack:T0TEST:U2ANN"


def test_a_post_answered_429_arrives_once(slack):
    slack.api.rate_limit(calls=1, retry_after=1, method="chat.postMessage")
    slack.event(mention_event("goal add Despite the rate limit"))
    [post] = slack.api.wait_for("chat.postMessage", 1, timeout=10)
    assert len(slack.api.calls_to("429:chat.postMessage")) == 1
    time.sleep(0.3)
    assert len(slack.api.calls_to("chat.postMessage")) == 1 and "#1" in texts([post])[0]


def test_output_too_long_for_one_message_continues_after_the_ack(slack):
    # the core shows the latest 20 learnings; at 2,000 characters each they outgrow one message
    for i in range(20):
        slack.command("/learning", f"lesson {i:02d} " + "x" * 1980)
    status, body, _ = slack.command("/learnings", "", response_url=slack.api.response_url("long"))
    assert status == 200 and len(body["blocks"]) <= 50
    first = ack_text(body)
    rest = slack.api.wait_for("response_url", 1)
    time.sleep(0.3)
    rest = slack.api.calls_to("response_url")
    shown = first + "\n" + "\n".join(texts(rest))
    assert rest
    for i in range(20):
        assert shown.count(f"lesson {i:02d} ") == 1, i
    for c in rest:
        assert len(c.body["blocks"]) <= 50 and sum(len(b["text"]["text"]) for b in c.body["blocks"]) <= 40000
        assert all(len(b["text"]["text"]) <= 3000 for b in c.body["blocks"])
        assert c.body["response_type"] == "ephemeral"


def test_concurrent_commands_each_get_their_own_goal(slack):
    from concurrent.futures import ThreadPoolExecutor

    def add(i):
        return slack.command("/goal", f"add Parallel goal {i}", user_id=f"U{i:03d}", user_name=f"user{i}")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(add, range(24)))
    assert all(status == 200 and body["response_type"] == "in_channel" for status, body, _ in results)
    ids = sorted(int(ack_text(body).split()[0].lstrip("#")) for _, body, _ in results)
    assert ids == list(range(1, 25))
    assert sorted(g["title"] for g in slack.goals()) == sorted(f"Parallel goal {i}" for i in range(24))
    assert max(took for _, _, took in results) < 2.0


def test_a_long_answer_to_a_mention_continues_in_a_thread_under_its_first_part(slack):
    for i in range(20):
        slack.command("/learning", f"lesson {i:02d} " + "x" * 1980)
    slack.event(mention_event("learnings"))
    posts = slack.api.wait_for("chat.postMessage", 2)
    time.sleep(0.2)
    posts = slack.api.calls_to("chat.postMessage")
    assert len(posts) >= 2 and "thread_ts" not in posts[0].body
    assert all(p.body["thread_ts"] == posts[0].answer["ts"] for p in posts[1:])
    shown = "\n".join(texts(posts))
    assert all(shown.count(f"lesson {i:02d} ") == 1 for i in range(20))


def test_past_five_response_url_posts_the_rest_goes_through_the_web_api(slack, monkeypatch):
    from bot.model import Reply

    real = slack.bot.handle
    huge = "\n\n".join(f"part {i:03d}" for i in range(50 * 7))  # 7 messages of 50 blocks

    def long_answer(msg):
        return real(msg) + [Reply(huge)]

    monkeypatch.setattr(slack.bot, "handle", long_answer)
    status, body, _ = slack.command("/goal", "list", response_url=slack.api.response_url("seven"))
    assert status == 200
    slack.api.wait_for("chat.postEphemeral", 2)
    via_url = slack.api.calls_to("response_url")
    assert len(via_url) == 5
    rest = slack.api.calls_to("chat.postEphemeral")
    assert all(c.body["user"] == "U1GREG" and c.body["channel"] == "C1RELENG" for c in rest)
    shown = "\n".join(texts(via_url) + texts(rest))
    assert all(shown.count(f"part {i:03d}") == 1 for i in range(350))
