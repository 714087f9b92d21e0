"""Socket Mode: the adapter's websockets client against a local WebSocket stand-in for Slack's endpoint."""
from __future__ import annotations

import threading
import time
import urllib.parse

import pytest
from adapters.slack import SocketModeRunner

from tests.fixtures_slack import APP_TOKEN, SlackRig, event_payload, mention_event, slash_body


@pytest.fixture
def socket_rig(tmp_path, slack_api, slack_socket):
    # Socket Mode needs no signing secret
    rig = SlackRig(str(tmp_path / "goalkeeper.db"), slack_api,
                   env={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""}, http=False)
    runner = SocketModeRunner(rig.app, rig.bot, APP_TOKEN, ping_seconds=0.5, clock=lambda: rig.now).connect()
    slack_socket.wait_connected()
    yield rig, slack_socket
    runner.close()
    rig.stop()


def test_a_slash_command_envelope_is_acked_with_the_answer(socket_rig):
    rig, sock = socket_rig
    body = slash_body("/goal", "add Over the socket", response_url=rig.api.response_url())
    payload = dict(urllib.parse.parse_qsl(body))
    sent = sock.send({"envelope_id": "env-1", "type": "slash_commands", "payload": payload,
                      "accepts_response_payload": True})
    ack = sock.wait_ack("env-1")
    assert ack["_at"] - sent < 1.0
    assert ack["payload"]["response_type"] == "in_channel"
    assert "#1" in ack["payload"]["blocks"][0]["text"]["text"]
    assert [g["title"] for g in rig.goals()] == ["Over the socket"]


def test_an_event_envelope_is_acked_and_a_redelivery_processed_once(socket_rig):
    rig, sock = socket_rig
    envelope = {"envelope_id": "env-2", "type": "events_api", "accepts_response_payload": False,
                "payload": event_payload(mention_event("goal add Mentioned over the socket"), "Ev0SOCK"),
                "retry_attempt": 0, "retry_reason": ""}
    sent = sock.send(envelope)
    ack = sock.wait_ack("env-2")
    assert ack["_at"] - sent < 1.0 and "payload" not in ack
    rig.api.wait_for("chat.postMessage", 1)
    sock.send({**envelope, "envelope_id": "env-3", "retry_attempt": 1, "retry_reason": "timeout"})
    sock.wait_ack("env-3")
    time.sleep(0.3)
    assert [g["title"] for g in rig.goals()] == ["Mentioned over the socket"]
    assert len(rig.api.calls_to("chat.postMessage")) == 1


def test_a_disconnect_frame_makes_the_client_reconnect(socket_rig):
    rig, sock = socket_rig
    opened = len(rig.api.calls_to("apps.connections.open"))
    sock.send({"type": "disconnect", "reason": "refresh_requested"})
    rig.api.wait_for("apps.connections.open", opened + 1, timeout=10)
    deadline = time.monotonic() + 5
    while sock.connections < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sock.connections >= 2
    payload = dict(urllib.parse.parse_qsl(slash_body("/goal", "list", response_url=rig.api.response_url())))
    sock.send({"envelope_id": "env-4", "type": "slash_commands", "payload": payload, "accepts_response_payload": True})
    assert sock.wait_ack("env-4")["payload"]["response_type"] == "ephemeral"


def test_a_slow_command_over_the_socket_is_acked_first_and_answered_through_response_url(socket_rig):
    rig, sock = socket_rig
    payload = dict(urllib.parse.parse_qsl(slash_body("/goal", "add Reviewed over the socket",
                                                     response_url=rig.api.response_url())))
    sock.send({"envelope_id": "env-5", "type": "slash_commands", "payload": payload, "accepts_response_payload": True})
    sock.wait_ack("env-5")
    body = slash_body("/review", "", response_url=rig.api.response_url("socket-review"))
    payload = dict(urllib.parse.parse_qsl(body))
    sent = sock.send({"envelope_id": "env-6", "type": "slash_commands", "payload": payload,
                      "accepts_response_payload": True})
    ack = sock.wait_ack("env-6")
    assert ack["_at"] - sent < 1.0 and ack["payload"]["response_type"] == "ephemeral"
    [post] = rig.api.wait_for("response_url", 1)
    assert post.path.endswith("/socket-review")
    assert "Reviewed over the socket" in "\n".join(b["text"]["text"] for b in post.body["blocks"])
