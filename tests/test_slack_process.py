"""`goalkeeper slack` as a user starts it: configuration errors, HTTP and Socket Mode, SIGTERM; the manifest."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from adapters.bootstrap import bootstrap
from adapters.slack import build_app
from bot.config import ConfigError
from tests.fixtures_slack import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET, BoltOverHttp, event_payload, mention_event

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NoCore:
    def handle(self, msg):
        raise AssertionError("not reached")


def test_a_missing_token_or_secret_is_one_line_naming_the_variable():
    with pytest.raises(ConfigError, match=r"^SLACK_BOT_TOKEN "):
        build_app({"SLACK_SIGNING_SECRET": "s"}, NoCore())
    with pytest.raises(ConfigError, match=r"^SLACK_SIGNING_SECRET "):
        build_app({"SLACK_BOT_TOKEN": "xoxb-1"}, NoCore())
    with pytest.raises(ConfigError, match=r"^GOALKEEPER_SLACK_PACE_SECONDS "):
        build_app({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "GOALKEEPER_SLACK_PACE_SECONDS": "fast"},
                  NoCore())
    # Socket Mode needs no signing secret
    assert build_app({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, NoCore())


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "IRC_", "SLACK_"))}
    env.update({"PYTHONPATH": ROOT, "GOALKEEPER_DB": str(tmp_path / "gk.db"), "PYTHONUNBUFFERED": "1"}, **extra)
    return env


def _goalkeeper_slack(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "adapters.cli", "slack"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_goalkeeper_slack_without_a_token_stops_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "adapters.cli", "slack"], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "SLACK_BOT_TOKEN" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_goalkeeper_slack_with_a_refused_token_stops_with_one_line(tmp_path, slack_api):
    slack_api.fail("auth.test", "invalid_auth")
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-revoked", SLACK_SIGNING_SECRET="s",
               GOALKEEPER_SLACK_API_URL=slack_api.base_url)
    proc = subprocess.run([sys.executable, "-m", "adapters.cli", "slack"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "SLACK_BOT_TOKEN" in proc.stderr and "invalid_auth" in proc.stderr


def test_goalkeeper_slack_with_slack_out_of_reach_stops_with_one_line(tmp_path):
    port = _free_port()  # nothing listens there
    env = _env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s",
               GOALKEEPER_SLACK_API_URL=f"http://127.0.0.1:{port}/api/")
    proc = subprocess.run([sys.executable, "-m", "adapters.cli", "slack"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0 and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "GOALKEEPER_SLACK_API_URL" in proc.stderr and "Traceback" not in proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_goalkeeper_slack_on_a_port_in_use_stops_with_one_line(tmp_path, slack_api):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(tmp_path, PORT=str(port), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                   GOALKEEPER_SLACK_API_URL=slack_api.base_url)
        proc = subprocess.run([sys.executable, "-m", "adapters.cli", "slack"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert proc.returncode != 0 and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "PORT" in proc.stderr and "Traceback" not in proc.stderr


def test_goalkeeper_slack_serves_http_on_port_and_exits_cleanly_on_sigterm(tmp_path, slack_api):
    port = _free_port()
    env = _env(tmp_path, PORT=str(port), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               GOALKEEPER_SLACK_API_URL=slack_api.base_url, GOALKEEPER_TICK_SECONDS="0.2")
    proc = _goalkeeper_slack(env)
    try:
        line = proc.stdout.readline()
        assert f":{port}/slack/events" in line, (line, proc.stderr.read() if proc.poll() is not None else "")

        class Remote(BoltOverHttp):  # the client half only: the server is the process
            def __init__(self):
                self.secret, self.url = SIGNING_SECRET, f"http://127.0.0.1:{port}/slack/events"

        remote = Remote()
        status, body, took = remote.command("/goal", "add Served by the real process", slack_api.response_url())
        assert status == 200 and "#1" in body["text"] and body["response_type"] == "in_channel"
        remote.event(event_payload(mention_event("goal list")))
        slack_api.wait_for("chat.postMessage", 1)
        assert remote.post("x=1", sign=False)[0] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    # auth.test once at start (the token check), reused by Bolt for every request
    assert len(slack_api.calls_to("auth.test")) == 1


def test_goalkeeper_slack_uses_socket_mode_when_an_app_token_is_set(tmp_path, slack_api, slack_socket):
    env = _env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
               GOALKEEPER_SLACK_API_URL=slack_api.base_url)
    proc = _goalkeeper_slack(env)
    try:
        assert "Socket Mode" in proc.stdout.readline()
        slack_socket.wait_connected(timeout=10)
        slack_socket.send({"envelope_id": "p-1", "type": "events_api", "accepts_response_payload": False,
                           "payload": event_payload(mention_event("goal add From the process"))})
        slack_socket.wait_ack("p-1")
        slack_api.wait_for("chat.postMessage", 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_the_manifest_declares_every_command_scope_and_event(tmp_path):
    text = open(os.path.join(ROOT, "slack-manifest.yml"), encoding="utf-8").read()
    commands = re.findall(r"^\s*- command: /(\S+)", text, re.M)
    core = bootstrap({"GOALKEEPER_DB": str(tmp_path / "gk.db")}).core
    # every command word of the core is a slash command, and /goalkeeper takes any command line
    assert sorted(commands) == sorted((set(core.top_words) - {"help"}) | {"goalkeeper"})
    scopes = set(re.findall(r"^\s*- ([a-z_.]+:[a-z_.]+|commands)\s*(?:#.*)?$", text, re.M))
    need = {"commands", "chat:write", "chat:write.public", "app_mentions:read", "im:history", "im:read", "im:write",
            "files:write", "users:read", "channels:history", "groups:history"}
    assert need <= scopes, need - scopes
    assert re.search(r"^\s*- app_mention$", text, re.M) and re.search(r"^\s*- message\.im$", text, re.M)
    assert re.search(r"^\s*socket_mode_enabled: true$", text, re.M)
    # clicks and the Home tab: interactivity on, the Home tab on, and the event that asks for it
    assert re.search(r"^\s*interactivity:\n(?:\s*#.*\n)*\s*is_enabled: true$", text, re.M)
    assert re.search(r"^\s*home_tab_enabled: true\b", text, re.M) and re.search(r"^\s*- app_home_opened\b", text, re.M)
    assert all("should_escape: true" in block for block in text.split("- command:")[1:])
