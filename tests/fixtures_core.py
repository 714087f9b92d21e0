"""The core's test backend (after errbot's): push a message in, read the replies, on a real SQLite file."""
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


class Chat:
    """A console-like chat in one channel with a pinned clock; `say` returns the replies' text."""

    def __init__(self, db_path: str, env: dict | None = None, now: str = "2016-01-04T10:00:00+00:00",
                 channel: str = "#releng", user: str = "greg"):
        self.incidents: list[str] = []
        self.app = bootstrap({"GOALKEEPER_DB": db_path, **(env or {})}, log=self.incidents.append)
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
def chat(tmp_path):
    """A chat with the fiscal year starting in July (Jan-Mar 2016 is FY2016Q3), as the contract's illustration."""
    c = Chat(str(tmp_path / "goalkeeper.db"), {"GOALKEEPER_FISCAL_YEAR_START": "7"})
    yield c
    c.store.close()


@pytest.fixture
def make_chat(tmp_path):
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
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "IRC_", "SLACK_"))}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], input=input, capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
