"""Scheduled delivery to Slack channels, pacing, and Block Kit within Slack's limits."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from adapters.slack.blocks import MESSAGE_BLOCKS, SECTION_CHARS, guard, split_sections, to_messages
from adapters.slack.outbox import ChannelPacer, OutboxWorker, channel_id, post_messages


def worker_for(slack, interval: float = 0.05) -> OutboxWorker:
    return OutboxWorker(slack.bot, slack.app.client, ChannelPacer(interval), clock=lambda: slack.now,
                        worker_id="test-worker")


def undelivered(slack) -> list[dict]:
    return [r for r in slack.store.outbox() if not r["delivered_at"]]


# -- the outbox -------------------------------------------------------------------------


def test_queued_messages_reach_their_channels_and_are_marked_delivered(slack):
    slack.bot.enqueue("slack:T0TEST:C1RELENG", "slack", "*Weekly digest* for releng &lt;b&gt;", slack.now, key="d1")
    slack.bot.enqueue("slack:T0TEST:C2INFRA", "slack", "Reminder: review in 7 days", slack.now, key="r1")
    slack.bot.enqueue("irc:net:#releng", "irc", "not for Slack", slack.now, key="i1")
    assert worker_for(slack).run_once() == 2
    posts = slack.api.calls_to("chat.postMessage")
    assert [p.body["channel"] for p in posts] == ["C1RELENG", "C2INFRA"]
    assert posts[0].body["blocks"][0]["text"]["text"] == "*Weekly digest* for releng &lt;b&gt;"
    assert [r["platform"] for r in undelivered(slack)] == ["irc"]
    assert worker_for(slack).run_once() == 0  # delivered once, never again
    assert len(slack.api.calls_to("chat.postMessage")) == 2


def test_a_failed_post_stays_in_the_outbox_for_a_later_pass(slack):
    slack.bot.enqueue("slack:T0TEST:C1RELENG", "slack", "digest", slack.now, key="d1")
    slack.api.fail("chat.postMessage", "channel_not_found")
    assert worker_for(slack).run_once() == 0
    assert len(undelivered(slack)) == 1
    slack.now += timedelta(minutes=5)  # the claim's lease has run out
    assert worker_for(slack).run_once() == 1
    assert not undelivered(slack)
    assert len(slack.api.calls_to("chat.postMessage")) == 2


def test_the_scheduler_pass_queues_and_delivers_the_weekly_digest_once(slack):
    slack.command("/team", "set releng")
    slack.command("/goal", "add Something worth a digest")
    slack.command("/digest", "schedule monday 09:00")
    worker = worker_for(slack)
    assert worker.run_once() == 0  # set on Monday 10:00: the first slot is next Monday
    slack.now += timedelta(days=7, minutes=-59)  # Monday 2016-01-11 09:01
    assert worker.run_once() == 1
    [post] = slack.api.calls_to("chat.postMessage")
    assert post.body["channel"] == "C1RELENG"
    assert "Something worth a digest" in "\n".join(b["text"]["text"] for b in post.body["blocks"])
    slack.now += timedelta(minutes=5)
    assert worker.run_once() == 0  # exactly one per channel and slot
    assert len(slack.api.calls_to("chat.postMessage")) == 1


def test_the_background_loop_delivers_and_stops(slack):
    worker = OutboxWorker(slack.bot, slack.app.client, ChannelPacer(0.01), clock=lambda: slack.now, interval=0.05)
    worker.start()
    try:
        slack.bot.enqueue("slack:T0TEST:C1RELENG", "slack", "while running", slack.now, key="x")
        slack.api.wait_for("chat.postMessage", 1, timeout=5)
    finally:
        worker.stop()
    assert not worker._thread.is_alive()


def test_output_of_more_than_50_blocks_is_threaded_over_several_messages(slack):
    text = "\n\n".join(f"*section {i:03d}*\nline one of {i}\nline two" for i in range(120))
    slack.bot.enqueue("slack:T0TEST:C1RELENG", "slack", text, slack.now, key="long")
    assert worker_for(slack).run_once() == 1
    posts = slack.api.calls_to("chat.postMessage")
    assert [len(p.body["blocks"]) for p in posts] == [50, 50, 20]
    first_ts = posts[0].answer["ts"]
    assert "thread_ts" not in posts[0].body
    assert posts[1].body["thread_ts"] == posts[2].body["thread_ts"] == first_ts
    shown = "\n\n".join(b["text"]["text"] for p in posts for b in p.body["blocks"])
    assert shown == text


def test_a_channel_key_names_the_channel():
    assert channel_id("slack:T1:C2") == "C2"
    for bad in ("irc:net:#x", "slack:T1", "slack:T1:"):
        try:
            channel_id(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


# -- pacing -----------------------------------------------------------------------------


def test_posts_to_one_channel_are_paced_and_other_channels_are_not_held_up(slack):
    pacer = ChannelPacer(0.4)
    messages = to_messages("one") * 3
    start = time.monotonic()
    other = threading.Thread(target=post_messages, args=(slack.app.client, pacer, "C2", to_messages("other")))
    other.start()
    post_messages(slack.app.client, pacer, "C1", messages)
    other.join()
    took = time.monotonic() - start
    assert 0.8 <= took < 2.0, took
    calls = slack.api.calls_to("chat.postMessage")
    c1 = [c.at for c in calls if c.body["channel"] == "C1"]
    c2 = [c.at for c in calls if c.body["channel"] == "C2"]
    assert len(c1) == 3 and all(b - a >= 0.35 for a, b in zip(c1, c1[1:], strict=False))
    assert c2[0] - start < 0.35  # not behind C1's queue


def test_the_pacer_spaces_one_channel_only():
    now = [0.0]
    waited = []
    pacer = ChannelPacer(1.0, monotonic=lambda: now[0], sleep=waited.append)
    assert [pacer.wait("C1"), pacer.wait("C1"), pacer.wait("C2"), pacer.wait("C1")] == [0, 1.0, 0, 2.0]
    now[0] = 10.0
    assert pacer.wait("C1") == 0


# -- Block Kit ---------------------------------------------------------------------------


def test_sections_split_at_lines_and_keep_every_character():
    text = "\n".join(f"#{i} goal title number {i} &lt;@U1&gt; · releng · :large_green_circle: hit" for i in range(400))
    sections = split_sections(text)
    assert all(0 < len(s) <= SECTION_CHARS for s in sections)
    assert "\n".join(sections) == text
    assert all(not s.startswith("\n") for s in sections)


def test_an_overlong_line_is_cut_outside_entities_and_tokens():
    line = ("word &amp; <@U123ABC> " * 400).strip()
    sections = split_sections(line)
    assert "".join(sections) == line
    for s in sections:
        assert len(s) <= SECTION_CHARS
        assert s.count("<") == s.count(">")
        assert not s.rstrip().endswith(("&", "&amp", "<@U123ABC"))


def test_a_code_block_cut_in_two_is_closed_and_reopened():
    text = "```\n" + "\n".join("x" * 100 for _ in range(60)) + "\n```"
    sections = split_sections(text)
    assert len(sections) > 1
    assert all(s.count("```") % 2 == 0 for s in sections)


def test_messages_stay_within_50_blocks_and_40000_characters():
    many = "\n\n".join(f"para {i}" for i in range(130))
    assert [len(m["blocks"]) for m in to_messages(many)] == [50, 50, 30]
    big = "\n\n".join("y" * 2900 for _ in range(30))
    msgs = to_messages(big)
    assert all(sum(len(b["text"]["text"]) for b in m["blocks"]) <= 40000 for m in msgs)
    assert sum(len(m["blocks"]) for m in msgs) == 30 and len(msgs) == 3
    assert all(m["text"] and len(m["text"]) <= 301 for m in msgs)
    assert to_messages("") == [] and len(to_messages("x")[0]["blocks"]) <= MESSAGE_BLOCKS


def test_only_mentions_pass_the_edge_unescaped():
    sent = guard("usage: goal add <title> <!channel> <http://x|y> by <@U2ANN> in <#C1|releng> &lt;kept&gt;")
    assert sent == "usage: goal add &lt;title> &lt;!channel> &lt;http://x|y> by <@U2ANN> in <#C1|releng> &lt;kept&gt;"
    [message] = to_messages("<!here> hi")
    assert message["blocks"][0]["text"]["text"] == "&lt;!here> hi" and message["text"] == "&lt;!here> hi"


def test_the_stand_in_answers_the_file_upload_flow_and_limits_response_urls(slack_api):
    """The stand-in itself: slack_sdk's files_upload_v2 runs through it, and a response_url takes 5 posts."""
    import urllib.error
    import urllib.request

    from slack_sdk import WebClient

    from tests.fixtures_slack import BOT_TOKEN

    client = WebClient(base_url=slack_api.base_url, token=BOT_TOKEN)
    done = client.files_upload_v2(channel="C1", content="# review\n", filename="review.md", title="Review")
    assert done["ok"] and done["files"][0]["title"] == "Review"
    flow = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert [c.method for c in slack_api.calls] == flow
    assert slack_api.calls_to("upload")[0].body["raw"] == b"# review\n"
    statuses = []
    for _ in range(6):
        req = urllib.request.Request(slack_api.response_url("five"), data=b'{"text": "x"}',
                                     headers={"Content-Type": "application/json"})
        try:
            statuses.append(urllib.request.urlopen(req).status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)
    assert statuses == [200] * 5 + [404]


def test_goalkeeper_tick_from_cron_delivers_slack_digests_once(slack, cli):
    slack.command("/team", "set releng")
    slack.command("/goal", "add Delivered by cron")
    slack.command("/digest", "schedule monday 09:00")
    env = {k: v for k, v in slack.env.items()}
    first = cli(["tick", "--now", "2016-01-11T09:01:00+00:00"], env=env)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    [post] = slack.api.calls_to("chat.postMessage")
    assert post.body["channel"] == "C1RELENG"
    assert "Delivered by cron" in "\n".join(b["text"]["text"] for b in post.body["blocks"])
    again = cli(["tick", "--now", "2016-01-11T09:06:00+00:00"], env=env)
    assert again.returncode == 0 and len(slack.api.calls_to("chat.postMessage")) == 1
    assert undelivered(slack) == []
