"""Slack's clicks and forms through the real Bolt app over HTTP, signed as Slack signs them, against the local
Web API stand-in: status menus (found in the blocks Slack received, clicked as Slack would), the goal add form,
the note / learning form, check-ins as direct messages, the Home tab and its refresh, and their faults."""
from __future__ import annotations

import json
import time
import urllib.parse
from datetime import timedelta

import pytest

from adapters.slack import SocketModeRunner
from adapters.slack.outbox import ChannelPacer, OutboxWorker
from bot.model import Actor, Channel, Message
from tests.fixtures_slack import (APP_TOKEN, TEAM_ID, SlackRig, block_action, event_payload, find_menu,
                                  signed_headers, view_submission)

pytestmark = pytest.mark.usefixtures("store_kind")  # clicks and forms on both stores

GREG = f"slack:{TEAM_ID}:U1GREG"


def worker(rig) -> OutboxWorker:
    return OutboxWorker(rig.bot, rig.app.client, ChannelPacer(0.01), clock=lambda: rig.now, worker_id="w",
                        after=rig.app_adapter.interactions.refresh_homes)


@pytest.fixture
def rig(tmp_path, slack_api):
    r = SlackRig(str(tmp_path / "gk.db"), slack_api, env={"GOALKEEPER_ADMINS": f"slack:{TEAM_ID}:U9BOSS,console:boss"})
    r.app_adapter = r.app._goalkeeper  # the SlackAdapter behind the Bolt app
    yield r
    r.stop()


def history(rig, gid: int) -> list[dict]:
    return next(g for g in rig.goals() if g["id"] == gid)["history"]


def checkin_dm(rig) -> dict:
    """Two quiet goals of greg's, the week's check-in delivered: the chat.postMessage Slack got."""
    rig.command("/team", "set releng", user_id="U9BOSS", user_name="boss")
    rig.command("/digest", "off", user_id="U9BOSS", user_name="boss")
    rig.command("/goal", "add Migrate Gerrit")
    rig.command("/goal", "add Fix the wiki")
    rig.now += timedelta(days=10)                 # Thursday 2016-01-14, after 10:00 UTC
    assert worker(rig).run_once() == 1
    (post,) = rig.api.calls_to("chat.postMessage")
    return post


def test_a_checkin_is_a_direct_message_with_a_menu_per_goal_and_a_note_button(rig):
    post = checkin_dm(rig)
    (opened,) = rig.api.calls_to("conversations.open")
    assert opened.body["users"] == "U1GREG" and post.body["channel"] == opened.answer["channel"]["id"]
    assert rig.api.calls.index(opened) < rig.api.calls.index(post)
    blocks = post.body["blocks"]
    for gid in (1, 2):
        menu = find_menu(blocks, gid)["accessory"]
        assert [o["text"]["text"] for o in menu["options"]] == ["on-track", "at-risk", "off-track", "hit", "partial",
                                                                "miss", "dropped"]
    assert sum(1 for b in blocks if b["type"] == "actions") == 2
    rig.now += timedelta(minutes=5)
    assert worker(rig).run_once() == 0                              # once per owner and week


def test_choosing_a_status_sets_it_as_goal_status_would_and_updates_the_message_in_place(rig):
    post = checkin_dm(rig)
    blocks, ts, channel = post.body["blocks"], post.answer["ts"], post.body["channel"]
    payload = block_action(blocks, 1, "at-risk", response_url=rig.api.response_url("c1"), channel=channel, ts=ts,
                           text=post.body["text"])
    status, body, took = rig.interact(payload)
    assert status == 200
    (h,) = [e for e in history(rig, 1) if e["action"] == "status"]
    assert h["by"] == GREG and h["changes"]["status"] == [None, "at-risk"]
    (update,) = rig.api.wait_for("chat.update")
    assert update.body["channel"] == channel and update.body["ts"] == ts
    new = update.body["blocks"]
    changed = find_menu(new, 1)
    assert "at-risk" in changed["text"]["text"] and changed["accessory"]["initial_option"]["text"]["text"] == "at-risk"
    assert [b for b in new if b is not changed and b.get("block_id") != changed["block_id"]] == [
        b for b in blocks if b.get("block_id") != changed["block_id"]]    # every other line as it was
    # the same click delivered again (the same trigger_id) changes nothing more
    assert rig.interact(payload)[0] in (200, 401)
    rig.interact(dict(payload))
    assert len([e for e in history(rig, 1) if e["action"] == "status"]) == 1


def test_a_refusal_goes_to_that_person_alone_and_changes_nothing(rig):
    status, reply, _ = rig.command("/goal", "add Greg's own")
    blocks = reply["blocks"]
    payload = block_action(blocks, 1, "miss", response_url=rig.api.response_url("anna"), user="U2ANNA",
                           user_name="anna", text=reply["text"])
    assert rig.interact(payload)[0] == 200
    (answer,) = rig.api.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral" and answer.body["replace_original"] is False
    assert answer.body["text"].startswith("error: only greg") and "may change #1" in answer.body["text"]
    assert [e["action"] for e in history(rig, 1)] == ["create"] and not rig.api.calls_to("chat.update")


def test_a_menu_on_a_goal_deleted_or_moved_since_is_refused_and_says_so(rig):
    post = checkin_dm(rig)
    blocks, channel = post.body["blocks"], post.body["channel"]
    rig.command("/goal", "delete 1")
    rig.command("/goal", "edit 2 team:infra")
    for gid, words in ((1, "was deleted since"), (2, "moved from team releng to infra")):
        url = rig.api.response_url(f"gone{gid}")
        assert rig.interact(block_action(blocks, gid, "hit", response_url=url, channel=channel))[0] == 200
        answer = [c for c in rig.api.wait_for("response_url", gid) if c.path.endswith(f"gone{gid}")][0]
        assert words in answer.body["text"] and answer.body["response_type"] == "ephemeral"
    assert not [e for g in (1, 2) for e in history(rig, g) if e["action"] == "status"]


def test_forged_stale_replayed_and_foreign_clicks_change_nothing(rig):
    _, reply, _ = rig.command("/goal", "add Guarded")
    url = rig.api.response_url("x")
    form = urllib.parse.urlencode({"payload": json.dumps(block_action(reply["blocks"], 1, "hit", response_url=url))})
    assert rig.http.post(form, sign=False, headers=signed_headers(form, secret="wrong"))[0] == 401
    assert rig.http.post(form, timestamp=int(time.time()) - 301)[0] == 401
    headers = signed_headers(form)
    assert rig.http.post(form, sign=False, headers=headers)[0] == 200
    assert rig.http.post(form, sign=False, headers=headers)[0] == 401          # the very request again
    (h,) = [e for e in history(rig, 1) if e["action"] == "status"]
    foreign = block_action(reply["blocks"], 1, "miss", response_url=rig.api.response_url("f"), user_team="T0OTHER")
    assert rig.interact(foreign)[0] == 200
    answer = [c for c in rig.api.wait_for("response_url", 1) if c.path.endswith("/f")][0]
    assert "only people of this workspace" in answer.body["text"]
    assert [e["changes"]["status"][1] for e in history(rig, 1) if e["action"] == "status"] == ["hit"]


def test_slack_failing_chat_update_is_retried_and_the_change_not_repeated(rig):
    post = checkin_dm(rig)
    rig.api.server_error("chat.update")
    rig.api.rate_limit(calls=1, retry_after=1, method="chat.update")
    payload = block_action(post.body["blocks"], 2, "on-track", response_url=rig.api.response_url("r"),
                           channel=post.body["channel"], ts=post.answer["ts"])
    assert rig.interact(payload)[0] == 200
    rig.api.wait_for("chat.update", timeout=15)
    tried = [c.method for c in rig.api.calls if c.method.endswith("chat.update")]
    assert tried == ["429:chat.update", "500:chat.update", "chat.update"]
    assert len([e for e in history(rig, 2) if e["action"] == "status"]) == 1


def test_goal_add_with_no_text_opens_the_form_and_submitting_it_adds_and_posts(rig):
    rig.command("/team", "set releng", user_id="U9BOSS", user_name="boss")
    rig.api.users["U2ANNA"] = {"name": "anna"}
    rig.api.channels["C1RELENG"] = {"name": "releng", "is_member": True}
    rig.event({"type": "message", "channel_type": "im", "user": "U2ANNA", "text": "help", "ts": "1.1",
               "channel": "D2ANNA", "event_ts": "1.1"})           # the bot has seen anna
    status, ack, _ = rig.command("/goal", "add", channel_name="releng")
    assert status == 200 and ack is None
    (opened,) = rig.api.calls_to("views.open")
    view = json.loads(opened.body["view"]) if isinstance(opened.body["view"], str) else opened.body["view"]
    assert opened.body["trigger_id"].endswith(".trigger") and view["callback_id"] == "goal_add"
    owner = next(b for b in view["blocks"] if b["block_id"] == "owner")["element"]
    assert owner["type"] == "users_select" and owner["initial_user"] == "U1GREG"
    assert next(b for b in view["blocks"] if b["block_id"] == "due")["element"]["type"] == "datepicker"
    # bad fields come back on their field, nothing added
    for values, field in (({"title": "Late", "due": "2015-12-01"}, "due"),
                          ({"title": "Odd", "quarter": "Q7"}, "quarter"),
                          ({"title": "x" * 201}, "title")):
        status, answer, _ = rig.interact(view_submission(view, {"owner": "U1GREG", "kind": "strategic", **values}))
        assert status == 200 and answer["response_action"] == "errors" and list(answer["errors"]) == [field], answer
    assert rig.goals() == []
    status, answer, _ = rig.interact(view_submission(view, {"title": "Ship the form", "owner": "U2ANNA",
                                                            "due": "2016-02-26", "kind": "core"}))
    assert status == 200 and answer is None
    assert [g["title"] for g in rig.goals()] == ["Ship the form"]
    (g,) = rig.goals()
    assert (g["title"], g["owner"], g["due"], g["kind"], g["creator"]) == (
        "Ship the form", f"slack:{TEAM_ID}:U2ANNA", "2016-02-26", "core", GREG)
    rig.api.wait_for("chat.postMessage", 2)                      # anna's help, then the goal
    (post,) = [c for c in rig.api.calls_to("chat.postMessage") if c.body["channel"] == "C1RELENG"]
    assert find_menu(post.body["blocks"], 1)


def test_a_form_for_a_channel_the_bot_left_or_from_another_workspace_is_refused(rig):
    rig.api.channels["C1RELENG"] = {"name": "releng", "is_member": False}
    rig.command("/goal", "add")
    view = rig.api.calls_to("views.open")[0].body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    _, answer, _ = rig.interact(view_submission(view, {"title": "Nowhere", "owner": "U1GREG", "kind": "strategic"}))
    assert answer["response_action"] == "errors" and "no longer in that channel" in answer["errors"]["title"]
    rig.api.channels["C1RELENG"]["is_member"] = True
    _, answer, _ = rig.interact(view_submission(view, {"title": "Foreign", "owner": "U1GREG", "kind": "strategic"},
                                                user_team="T0OTHER"))
    assert answer["response_action"] == "errors" and rig.goals() == []


def test_the_note_button_opens_a_form_that_records_a_learning(rig):
    post = checkin_dm(rig)
    click = block_action(post.body["blocks"], 2, "note", response_url=rig.api.response_url("n"),
                         channel=post.body["channel"])
    assert rig.interact(click)[0] == 200
    (opened,) = rig.api.wait_for("views.open")
    view = json.loads(opened.body["view"]) if isinstance(opened.body["view"], str) else opened.body["view"]
    assert view["callback_id"] == "goal_note" and opened.body["trigger_id"] == click["trigger_id"]
    _, answer, _ = rig.interact(view_submission(view, {"kind": "note", "text": "needs a status first"}))
    assert answer["response_action"] == "errors" and "no status yet" in answer["errors"]["text"]
    _, answer, _ = rig.interact(view_submission(view, {"kind": "learning", "text": "wikis rot without owners"}))
    assert answer is None
    (learning,) = rig.store.export()["learnings"]
    assert (learning["goal"], learning["text"], learning["by"]) == (2, "wikis rot without owners", GREG)


def test_the_home_tab_shows_my_goals_by_quarter_and_is_refreshed_when_one_changes_anywhere(rig):
    rig.command("/goal", "add Releng goal")
    rig.command("/goal", "add Next quarter's goal quarter:next")
    rig.command("/goal", "add Infra goal", channel_id="C2INFRA", channel_name="infra")
    rig.command("/goal", "add Not mine owner:me", user_id="U2ANNA", user_name="anna")
    status, _, _ = rig.event({"type": "app_home_opened", "user": "U1GREG", "tab": "home", "channel": "D1GREG"})
    assert status == 200
    rig.api.wait_for("views.publish")
    view = rig.api.views["U1GREG"]
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert texts.index("*FY2016Q4*") < texts.index("*FY2016Q3*")
    assert {1, 2, 3} == {int(t.split()[0][1:]) for t in texts if t.startswith("#")}
    assert find_menu(view["blocks"], 3) and "Not mine" not in " ".join(texts)
    # a change from the console (another chat on the same store) reaches the Home tab at the next pass
    console = Channel(key="console:#infra", name="#infra", platform="console")  # #3 is infra's: changed from its channel
    worker(rig).run_once()                                       # the goals added above: published once
    rig.api.views.clear()
    worker(rig).run_once()
    assert rig.api.views == {}                                   # nothing changed since: nothing published
    (reply,) = rig.bot.handle(Message("goal status 3 off-track", Actor("console:boss", "boss"), console, rig.now))
    assert not reply.error, reply.text
    worker(rig).run_once()
    assert "off-track" in find_menu(rig.api.views["U1GREG"]["blocks"], 3)["text"]["text"]
    # and a click on the Home tab itself publishes it again at once
    published = len(rig.api.calls_to("views.publish"))
    click = block_action(view["blocks"], 1, "on-track", response_url="", container="view")
    assert rig.interact(click)[0] == 200
    rig.api.wait_for("views.publish", published + 1)
    assert "on-track" in find_menu(rig.api.views["U1GREG"]["blocks"], 1)["text"]["text"]


def test_views_publish_failing_is_retried_then_logged(rig, caplog):
    rig.command("/goal", "add Home goal")
    rig.api.server_error("views.publish", calls=10)
    rig.event({"type": "app_home_opened", "user": "U1GREG", "tab": "home", "channel": "D1GREG"})
    deadline = time.monotonic() + 20
    while len([c for c in rig.api.calls if c.method == "500:views.publish"]) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len([c for c in rig.api.calls if c.method == "500:views.publish"]) == 4   # the first try and 3 retries
    time.sleep(0.3)
    assert "publishing the Home tab" in caplog.text


def test_a_status_menu_over_socket_mode(tmp_path, slack_api, slack_socket):
    rig = SlackRig(str(tmp_path / "gk.db"), slack_api, env={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""},
                   http=False)
    runner = SocketModeRunner(rig.app, rig.bot, APP_TOKEN, ping_seconds=0.5, clock=lambda: rig.now).connect()
    try:
        slack_socket.wait_connected()
        rig.bot.handle(Message("goal add Over the socket", Actor(GREG, "greg"),
                               Channel(f"slack:{TEAM_ID}:C1RELENG", "#releng", "slack"), rig.now))
        from adapters.slack.blocks import to_messages

        blocks = to_messages("#1 Over the socket · releng · :white_circle: no status yet", menus=True)[0]["blocks"]
        payload = block_action(blocks, 1, "partial", response_url=slack_api.response_url("s"))
        slack_socket.send({"envelope_id": "env-click", "type": "interactive", "payload": payload,
                           "accepts_response_payload": False})
        slack_socket.wait_ack("env-click")
        slack_api.wait_for("chat.update")
        assert [e["changes"]["status"] for e in history(rig, 1) if e["action"] == "status"] == [[None, "partial"]]
    finally:
        runner.close()
        rig.stop()
