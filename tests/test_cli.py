"""The `goalkeeper` program as a user runs it: console over a pipe, export/import, bad environment."""
import json
import os
import sqlite3

import pytest

from tests.fixtures_core import ROOT, env_for_store

SESSION = """/team set releng tz:America/Los_Angeles
/goal add Migrate Gerrit to Differential due:end of quarter
!learning 1 Still mostly a one-person job; the silo effect is strong
/kpi add time-to-merge unit:min better:down
/kpi time-to-merge 11
/kpi time-to-merge 6
/goal miss 1 waits on the RfC
/goal hit 7
<mark> /goal add Nodepool fully up and working kind:core
<mark> goal hit 2 all jobs migrated
learning Releases for 3rd parties are still somewhat subpar
"""


def console(cli, db, text, *extra):
    return cli(["console", "--user", "greg", "--channel", "#releng", "--now", "2016-01-04T10:00", *extra],
               env={"GOALKEEPER_DB": db, "GOALKEEPER_FISCAL_YEAR_START": "7"}, input=text)


def test_console_over_a_pipe_speaks_the_contracts_illustration(cli, tmp_path):
    r = console(cli, str(tmp_path / "g.db"), SESSION)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "#releng is team releng (America/Los_Angeles)"
    assert lines[1].startswith("#1 Migrate Gerrit to Differential · releng · FY2016Q3 · due Thu 31 Mar")
    assert "time-to-merge: 11 min -> 6 min (better)" in lines
    assert lines[7].startswith("error: ") and lines[8] == "usage: goal hit <id> [note]"
    assert lines[9].startswith("#2 Nodepool fully up and working") and "owner mark" in lines[9]
    assert r.stderr == ""


@pytest.mark.sqlite_only  # the default is a SQLite file in the working directory
def test_console_needs_no_configuration(cli, tmp_path):
    r = cli(["console"], input="goal add First goal\ngoal list\n", cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("#1 First goal · general ·")
    assert os.path.exists(tmp_path / "goalkeeper.db")


def test_export_import_round_trip_is_identical(cli, tmp_path):
    db = str(tmp_path / "a.db")
    console(cli, db, SESSION + "goal edit 2 title:Nodepool up due:2016-02-01\ngoal delete 2\nreview date 2016-01-22\n")
    first = cli(["export"], env={"GOALKEEPER_DB": db})
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert {"goals", "learnings", "kpis", "teams"} <= set(doc)
    g = doc["goals"][0]
    for key in ("id", "title", "team", "quarter", "owner", "creator", "kind", "due", "status", "deleted", "history"):
        assert key in g
    assert g["status"] == "miss" and g["quarter"] == "FY2016Q3" and g["due"] == "2016-03-31"
    assert all({"at", "by"} <= set(h) for h in g["history"])
    assert doc["kpis"][0]["values"][1]["value"] == 6 and doc["teams"][0]["review_date"] == "2016-01-22"
    path = tmp_path / "export.json"
    assert cli(["export", "-o", str(path)], env={"GOALKEEPER_DB": db}).returncode == 0
    db2 = str(tmp_path / "b.db")
    imp = cli(["import", str(path)], env={"GOALKEEPER_DB": db2})
    assert imp.returncode == 0, imp.stderr
    again = cli(["export"], env={"GOALKEEPER_DB": db2})
    assert again.stdout == first.stdout
    # the imported store goes on numbering where the old one stopped
    r = console(cli, db2, "goal add After import\n")
    assert r.stdout.startswith("#3 ")


def test_import_refuses_a_non_empty_store_and_bad_documents(cli, tmp_path):
    db = str(tmp_path / "a.db")
    console(cli, db, "goal add X\n")
    exp = tmp_path / "e.json"
    cli(["export", "-o", str(exp)], env={"GOALKEEPER_DB": db})
    r = cli(["import", str(exp)], env={"GOALKEEPER_DB": db})
    assert r.returncode == 1 and "not empty" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.json"
    for content in ("not json", "[1,2]", '{"goals": [{"title": "no id"}]}', '{"goals": 5}'):
        bad.write_text(content)
        r = cli(["import", str(bad)], env={"GOALKEEPER_DB": str(tmp_path / "fresh.db")})
        assert r.returncode == 1 and r.stderr.startswith("goalkeeper: error:"), (content, r.stderr)
        assert "Traceback" not in r.stderr
    assert json.loads(cli(["export"], env={"GOALKEEPER_DB": str(tmp_path / "fresh.db")}).stdout)["goals"] == []


@pytest.mark.sqlite_only  # GOALKEEPER_DB's own checks; DATABASE_URL's are in test_postgres.py
def test_a_malformed_variable_stops_with_one_line(cli, tmp_path):
    for env, name in (({"GOALKEEPER_TZ": "Mars/Base"}, "GOALKEEPER_TZ"),
                      ({"GOALKEEPER_FISCAL_YEAR_START": "13"}, "GOALKEEPER_FISCAL_YEAR_START"),
                      ({"GOALKEEPER_DB": str(tmp_path / "no" / "such" / "dir" / "g.db")}, "GOALKEEPER_DB")):
        r = cli(["console"], env={"GOALKEEPER_DB": str(tmp_path / "g.db"), **env}, input="help\n")
        assert r.returncode == 2 and r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1 and name in r.stderr, r.stderr
    r = cli(["console", "--now", "yesterday-ish"], env={"GOALKEEPER_DB": str(tmp_path / "g.db")}, input="")
    assert r.returncode == 2 and "--now" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_help_and_no_slack_or_irc_imports_for_the_console(cli):
    r = cli(["--help"])
    assert r.returncode == 0 and "console" in r.stdout and "review" in r.stdout
    import subprocess
    import sys

    code = ("import sys, adapters.cli as c, adapters.console, bot.core, storage.sqlite;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('slack_bolt','slack_sdk','irc','dateparser')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.sqlite_only  # SQLite's write lock; PostgreSQL's outage is in test_postgres.py
def test_a_locked_database_is_an_error_reply_not_a_crash(cli, tmp_path):
    db = str(tmp_path / "g.db")
    console(cli, db, "goal add First\n")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        r = cli(["console", "--channel", "#releng", "--now", "2016-01-04T10:00"],
                env={"GOALKEEPER_DB": db, "GOALKEEPER_BUSY_TIMEOUT_MS": "300", "GOALKEEPER_FISCAL_YEAR_START": "7"},
                input="goal add Second\ngoal list\n")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.returncode == 0
    out = r.stdout.splitlines()
    assert out[0].startswith("error: the database is busy") and out[1].startswith("usage: goal add")
    assert "#1 First" in r.stdout and "Second" not in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_bytes_that_are_not_utf8_and_control_characters(cli, tmp_path):
    db = str(tmp_path / "g.db")
    import subprocess
    import sys

    env = {**env_for_store({"GOALKEEPER_DB": db}), "PYTHONPATH": ROOT, "PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"}
    p = subprocess.run([sys.executable, "-m", "adapters.cli", "console", "--channel", "#日本"],
                       input=b"goal add \xff\xfe bytes\nlearning 1 l\x00ea\x1brn\x01ing\t\x0312,4col\n",  # a lone CR ends a line
                       capture_output=True, env=env)
    assert p.returncode == 0 and p.stderr == b"", p.stderr
    assert p.stdout.decode().startswith("#1 \ufffd\ufffd bytes · 日本 ·")
    doc = json.loads(cli(["export"], env={"GOALKEEPER_DB": db}).stdout)
    assert doc["goals"][0]["title"] == "\ufffd\ufffd bytes" and doc["goals"][0]["team"] == "日本"
    assert doc["learnings"][0]["text"] == "learningcol"


def test_busy_timeout_variable_is_checked(cli, tmp_path):
    r = cli(["console"], env={"GOALKEEPER_DB": str(tmp_path / "g.db"), "GOALKEEPER_BUSY_TIMEOUT_MS": "abc"})
    assert r.returncode == 2 and r.stderr.startswith("goalkeeper: GOALKEEPER_BUSY_TIMEOUT_MS:")
