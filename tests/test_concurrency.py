"""Several processes on one SQLite file: every write lands once, ids stay unique, nothing is lost."""
import json
import os
import subprocess
import sys

from tests.fixtures_core import ROOT


def test_four_consoles_writing_at_once_lose_nothing(tmp_path):
    db = str(tmp_path / "g.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALKEEPER_")}
    env.update(GOALKEEPER_DB=db, PYTHONPATH=ROOT)
    subprocess.run([sys.executable, "-m", "adapters.cli", "console"], input="help\n", env=env, check=True,
                   capture_output=True, text=True)  # create the schema once, as a first start would
    procs = []
    for p in range(4):
        lines = "".join(f"goal add Goal {p}-{i}\nlearning {i + 1} seen by {p}\n" for i in range(50))
        procs.append(subprocess.Popen([sys.executable, "-m", "adapters.cli", "console", "--user", f"u{p}"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      env=env, text=True))
        procs[-1].stdin.write(lines)
        procs[-1].stdin.close()
    outs = [(p.stdout.read(), p.stderr.read(), p.wait()) for p in procs]
    for out, err, code in outs:
        assert code == 0 and "error" not in out and err == "", (out[-500:], err[-500:])
    doc = json.loads(subprocess.run([sys.executable, "-m", "adapters.cli", "export"], env=env,
                                    capture_output=True, text=True, check=True).stdout)
    ids = [g["id"] for g in doc["goals"]]
    assert len(ids) == 200 and len(set(ids)) == 200
    assert sorted(g["title"] for g in doc["goals"]) == sorted(f"Goal {p}-{i}" for p in range(4) for i in range(50))
    assert len(doc["learnings"]) == 200


def test_schema_version_counts_every_migration(tmp_path):
    import sqlite3

    from storage.migrations import SCHEMA_VERSION, STEPS
    from storage.sqlite import Store

    Store(str(tmp_path / "g.db")).close()
    conn = sqlite3.connect(str(tmp_path / "g.db"))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied == [m.__name__ for m in STEPS]


def test_a_channel_renamed_by_another_process_is_seen_at_once(make_chat):
    """The core keeps channel rows between commands: another process's `team set` must still count."""
    a, b = make_chat(), make_chat()
    assert a.say("goal add First", channel="#ops").startswith("#1 First · ops ·")
    assert a.say("goal add Second", channel="#ops").startswith("#2 Second · ops ·")
    b.say("team set operations tz:Europe/Berlin", channel="#ops")
    assert a.say("goal add Third", channel="#ops").startswith("#3 Third · operations ·")
    assert a.say("team show", channel="#ops").startswith("team operations · time zone Europe/Berlin")
