"""The core's test backend (after errbot's): push a message in, read the replies, on a real store.

Every test that holds a store runs on both stores through one fixture parameter, `store_kind`
(`GOALKEEPER_TEST_STORES=sqlite` narrows it locally): fixtures and helpers pass a SQLite path to
`store_env`, which gives that path, or the URL of the test's own PostgreSQL database."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest

from adapters.bootstrap import bootstrap
from adapters.console import console_channel, dispatch, message_for
from bot.times import zone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORES = [k for k in (os.environ.get("GOALKEEPER_TEST_STORES") or "sqlite,postgres").split(",") if k.strip()]
_current: dict = {"kind": "sqlite", "server": None}


@pytest.fixture(params=STORES)
def store_kind(request):
    """sqlite or postgres: the store every helper of this test opens."""
    kind = request.param
    server = request.getfixturevalue("pg_server") if kind == "postgres" else None
    _current.update(kind=kind, server=server)
    yield kind
    _current.update(kind="sqlite", server=None)
    if server is not None:
        server.drop_all()


def store_env(path) -> dict:
    """The environment naming the store of `path`: the SQLite file, or the test's PostgreSQL database."""
    if _current["kind"] == "postgres":
        return {"DATABASE_URL": _current["server"].database_for(str(path))}
    return {"GOALKEEPER_DB": str(path)}


def env_for_store(env: dict | None) -> dict:
    """An environment with GOALKEEPER_DB turned into DATABASE_URL when the test runs on PostgreSQL."""
    env = dict(env or {})
    if _current["kind"] == "postgres" and "GOALKEEPER_DB" in env and "DATABASE_URL" not in env:
        env.update(store_env(env.pop("GOALKEEPER_DB")))
    return env


# tests of a chat connection's own behaviour (pacing, TLS, keepalive, reconnects, line encoding): the store
# under them does nothing of note, so their PostgreSQL run would only double the suite's time
TRANSPORT_ONLY = {
    "test_default_pacing_bursts_then_one_line_a_second", "test_a_hung_server_is_noticed_by_the_keepalive",
    "test_server_killed_and_restarted_bot_comes_back", "test_tls_refuses_a_certificate_it_cannot_verify",
    "test_tls_is_the_default_and_the_certificate_is_checked", "test_cr_lf_nul_and_ctcp_in_text_never_reach_the_socket",
    "test_a_flood_spread_over_nick_changes_gets_one_share_and_is_not_carried_over",
    "test_server_password_and_rejoin_after_a_kick", "test_nick_in_use_at_connect_then_regained",
    "test_long_multibyte_reply_fits_512_bytes_as_relayed", "test_invalid_utf8_and_latin1_never_stop_the_bot",
    "test_chatter_notices_ctcp_and_errors", "test_alternate_nicks_when_taken_or_too_long",
    "test_a_nick_refused_as_erroneous_is_cut_to_nine", "test_channel_reply_over_8_lines_offers_the_rest_on_more",
    "test_a_server_killed_mid_reply_every_line_arrives_once_in_channel_and_private",
    "test_a_body_over_the_limit_is_refused_before_it_is_read", "test_a_hostile_request_gets_its_status_and_changes_nothing",
    "test_a_flood_of_junk_writes_a_few_log_lines",
}


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL run of a test is left out when it is SQLite's alone (file locks, WAL), holds no store,
    or tests a chat connection rather than the store (TRANSPORT_ONLY)."""
    keep, drop = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        on_pg = spec is not None and spec.params.get("store_kind") == "postgres"
        if on_pg and (item.get_closest_marker("sqlite_only") or "tmp_path" not in item.fixturenames
                      or item.originalname in TRANSPORT_ONLY):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class Chat:
    """A console-like chat in one channel with a pinned clock; `say` returns the replies' text."""

    def __init__(self, db_path: str, env: dict | None = None, now: str = "2016-01-04T10:00:00+00:00",
                 channel: str = "#releng", user: str = "greg"):
        self.incidents: list[str] = []
        self.app = bootstrap({**store_env(db_path), **(env or {})}, log=self.incidents.append)
        self.config, self.store, self.bot = self.app.config, self.app.store, self.app.core
        self.now = datetime.fromisoformat(now)
        self.channel = channel
        self.user = user

    def at(self, iso: str) -> "Chat":
        self.now = datetime.fromisoformat(iso)
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=zone(self.config.tz))
        return self

    def replies(self, text: str, user: str | None = None, channel: str | None = None):
        msg = message_for(text, user or self.user, console_channel(channel or self.channel), self.now)
        return dispatch(self.bot, msg)

    def say(self, text: str, user: str | None = None, channel: str | None = None) -> str:
        return "\n".join(r.text for r in self.replies(text, user, channel))

    def export(self) -> dict:
        return self.store.export()


@pytest.fixture
def chat(tmp_path, store_kind):
    """A chat with the fiscal year starting in July (Jan-Mar 2016 is FY2016Q3), as the contract's illustration."""
    c = Chat(str(tmp_path / "goalkeeper.db"), {"GOALKEEPER_FISCAL_YEAR_START": "7"})
    yield c
    c.store.close()


@pytest.fixture
def make_chat(tmp_path, store_kind):
    made = []

    def make(env=None, **kw):
        c = Chat(str(tmp_path / "goalkeeper.db"), env, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.store.close()


def run_cli(args, env=None, input=None, cwd=None, timeout=60):
    """The real `goalkeeper` program in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "IRC_", "SLACK_", "DATABASE_URL"))}
    full_env.update(env_for_store(env))
    full_env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], input=input, capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=timeout)


@pytest.fixture
def cli(store_kind):
    """The real program; GOALKEEPER_DB in its environment stands for the test's store of either kind."""
    return run_cli
