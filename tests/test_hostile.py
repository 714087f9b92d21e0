"""Issue 11's hostile campaign, the parts at the core's edges: real `goalkeeper` processes on real files.

KPI values that broke the digest, imports that validated nothing, tick under a held lock, database files
from a newer Goalkeeper or from someone else, dates no person means, and console line endings."""
import copy
import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from storage.migrations import SCHEMA_VERSION
from tests.fixtures_core import ROOT, run_cli

ENV = {"GOALKEEPER_FISCAL_YEAR_START": "7"}


def console(db, text, now="2016-01-04T10:00", channel="#releng"):
    return run_cli(["console", "--user", "greg", "--channel", channel, "--now", now],
                   env={"GOALKEEPER_DB": str(db), **ENV}, input=text)


def export(db) -> dict:
    r = run_cli(["export"], env={"GOALKEEPER_DB": str(db)})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def digest_of(db) -> str:
    return console(db, "digest\n").stdout


# -- 7: a KPI value kills the team's digest ------------------------------------------------------


def test_kpi_values_past_any_sane_size_are_refused_and_the_digest_stays(tmp_path):
    db = tmp_path / "g.db"
    console(db, "kpi add k\nkpi k 5\n")
    out = console(db, "kpi k 1e308\nkpi k -1e308\n").stdout.splitlines()
    assert [l for l in out if l.startswith("error: ")] == [
        "error: a KPI value is a finite number of at most 1e+15 in size"] * 2
    assert [v["value"] for v in export(db)["kpis"][0]["values"]] == [5.0]
    assert "k 5" in digest_of(db)


def test_a_store_holding_huge_values_from_before_still_gets_its_digest(tmp_path):
    """A store written before the bound: the digest and the scheduled digest still go out."""
    from adapters.bootstrap import bootstrap

    db = tmp_path / "g.db"
    console(db, "kpi add k\n")
    app = bootstrap({"GOALKEEPER_DB": str(db)})
    kpi = app.store.kpi("releng", "k")
    from datetime import datetime, timezone

    with app.store.write() as conn:  # what an older Goalkeeper let in
        for v in (1e308, -1e308):
            app.store.add_kpi_value(conn, kpi["id"], v, "console:greg", datetime(2016, 1, 4, 11, tzinfo=timezone.utc))
    app.close()
    text = console(db, "digest\n", now="2016-01-05T10:00").stdout
    assert "k -1e+308 █▁ (worse)" in text and "something went wrong" not in text
    tick = run_cli(["tick", "--now", "2016-01-11T10:00Z"], env={"GOALKEEPER_DB": str(db), **ENV})
    assert tick.returncode == 0 and tick.stdout.startswith("[#releng]\n") and "k -1e+308" in tick.stdout


# -- 8: import validates what the commands would ---------------------------------------------------


@pytest.fixture(scope="module")
def good_export(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("good") / "g.db"
    console(db, "team set releng tz:America/Los_Angeles\ngoal add Ship it due:end of quarter\n"
                "learning 1 it shipped\nkpi add k unit:min\nkpi k 6\ndigest schedule friday 16:30\n"
                "review date 2016-01-22\n")
    run_cli(["tick", "--now", "2016-01-11T10:00Z"], env={"GOALKEEPER_DB": str(db), **ENV})
    doc = export(db)
    assert doc["teams"] and doc["goals"] and doc["kpis"] and doc["deliveries"]
    return doc


def _set(doc, path, value):
    *head, last = path
    for key in head:
        doc = doc[key]
    doc[last] = value


HOSTILE_DOCUMENTS = [
    (("teams", 0, "tz"), "../../etc/passwd", "teams[0].tz: unknown time zone"),
    (("teams", 0, "digest", "time"), "25:99", "teams[0].digest.time: is not a time of day HH:MM"),
    (("teams", 0, "digest", "time"), "lunch", "teams[0].digest.time: is not a time of day HH:MM"),
    (("teams", 0, "review_date"), "someday", "teams[0].review_date: is not a date"),
    (("kpis", 0, "target"), "lots", "kpis[0].target: is not a finite number"),
    (("kpis", 0, "values", 0, "value"), float("inf"), "kpis[0].values[0].value: is not a finite number"),
    (("goals", 0, "title"), "x" * 1_000_000, "goals[0].title: is longer than 200 characters"),
    (("goals", 0, "title"), "bell\x07 and \x01ACTION\x01", "goals[0].title: holds control characters"),
    (("goals", 0, "title"), "line\r\nbreak", "goals[0].title: holds control characters"),
    (("goals", 0, "title"), "nul\x00", "goals[0].title: holds control characters"),
    (("channels", 0, "key"), "nocolon", "channels[0].key: is not a channel key"),
    (("deliveries", 0, "text"), "\x01ACTION pwned\x01", "deliveries[0].text: is not a message"),
    (("deliveries", 0, "channel"), "console:#elsewhere", "deliveries[0].channel: names no channel"),
    (("goals", 0, "status"), "done", "goals[0].status: is not a status"),
    (("goals", 0, "due"), "9999-12-31", "goals[0].due: is not a date"),
    (("learnings", 0, "goal"), 99, "learnings[0].goal: names no goal of the document"),
]


@pytest.mark.parametrize("path, value, message", HOSTILE_DOCUMENTS, ids=lambda x: str(x)[:30])
def test_import_refuses_the_whole_document_at_its_first_problem(tmp_path, good_export, path, value, message):
    doc = copy.deepcopy(good_export)
    _set(doc, path, value)
    f = tmp_path / "doc.json"
    f.write_text(json.dumps(doc))
    db = tmp_path / "fresh.db"
    r = run_cli(["import", str(f)], env={"GOALKEEPER_DB": str(db)})
    assert r.returncode == 1, r.stdout
    assert r.stderr.startswith(f"goalkeeper: error: {message}") and "nothing was imported" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    after = export(db)
    assert after["teams"] == [] and after["goals"] == [] and after["deliveries"] == []


def test_the_good_export_itself_imports(tmp_path, good_export):
    f = tmp_path / "doc.json"
    f.write_text(json.dumps(good_export, indent=2, ensure_ascii=False) + "\n")
    db = tmp_path / "fresh.db"
    r = run_cli(["import", str(f)], env={"GOALKEEPER_DB": str(db)})
    assert r.returncode == 0, r.stderr
    assert export(db) == good_export


def test_deeply_nested_json_is_a_clean_error(tmp_path):
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000 + "]" * 100_000)
    r = run_cli(["import", str(f)], env={"GOALKEEPER_DB": str(tmp_path / "g.db")})
    assert r.returncode == 1 and "nested too deeply" in r.stderr and "Traceback" not in r.stderr


# -- 9: tick under faults: one line, non-zero, nothing lost ----------------------------------------


def test_tick_while_another_process_holds_the_database(tmp_path):
    db = tmp_path / "g.db"
    console(db, "team set releng tz:UTC\ngoal add Ship it\n")
    holder = sqlite3.connect(str(db), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = run_cli(["tick", "--now", "2016-01-11T10:00Z"],
                    env={"GOALKEEPER_DB": str(db), "GOALKEEPER_BUSY_TIMEOUT_MS": "200", **ENV})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("goalkeeper: error: the database could not be used (StoreBusy")
    assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    again = run_cli(["tick", "--now", "2016-01-11T10:05Z"], env={"GOALKEEPER_DB": str(db), **ENV})
    assert again.returncode == 0 and again.stdout.startswith("[#releng]\nWeekly digest")


# -- 10: a newer or a foreign database file is refused and left as it was --------------------------


def _digest_file(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_database_from_a_newer_goalkeeper_is_refused_untouched(tmp_path):
    db = tmp_path / "g.db"
    console(db, "goal add Ship it\n")
    conn = sqlite3.connect(str(db))
    conn.execute("PRAGMA user_version = 99")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _digest_file(db)
    for args in (["console"], ["export"], ["tick", "--now", "2016-01-11T10:00Z"]):
        r = run_cli(args, env={"GOALKEEPER_DB": str(db)}, input="goal add X\n")
        assert r.returncode == 2 and r.stdout == "", r.stderr
        assert r.stderr.strip().splitlines() == [
            f"goalkeeper: GOALKEEPER_DB: {db} was written by a newer Goalkeeper (schema version 99; this one knows "
            f"{SCHEMA_VERSION}); upgrade Goalkeeper to use it"], r.stderr
    assert _digest_file(db) == before
    assert sqlite3.connect(str(db)).execute("PRAGMA user_version").fetchone()[0] == 99


def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path):
    db = tmp_path / "theirs.db"
    conn = sqlite3.connect(str(db))
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.commit()
    conn.close()
    before = _digest_file(db)
    r = run_cli(["console"], env={"GOALKEEPER_DB": str(db)}, input="goal add X\n")
    assert r.returncode == 2 and "is not a Goalkeeper database" in r.stderr and len(r.stderr.splitlines()) == 1
    assert _digest_file(db) == before
    tables = {t for (t,) in sqlite3.connect(str(db)).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"invoices"}


def test_a_file_that_is_not_sqlite_at_all_is_refused_untouched(tmp_path):
    db = tmp_path / "notes.txt"
    db.write_text("shopping list\n" * 100)
    r = run_cli(["console"], env={"GOALKEEPER_DB": str(db)}, input="goal add X\n")
    assert r.returncode == 2 and "is not a Goalkeeper database" in r.stderr and "Traceback" not in r.stderr
    assert db.read_text() == "shopping list\n" * 100


# -- 15: edge dates -------------------------------------------------------------------------------


def test_the_clock_pinned_past_the_supported_years_is_one_line(tmp_path):
    db = tmp_path / "g.db"
    console(db, "team set releng tz:UTC\ngoal add Ship it\n")
    for args in (["tick", "--now", "9999-12-30"], ["review", "--team", "releng", "--now", "9999-12-30"]):
        r = run_cli(args, env={"GOALKEEPER_DB": str(db)})
        assert r.returncode == 2 and "outside the years 1970-2200" in r.stderr and "Traceback" not in r.stderr


def test_dates_no_person_means_are_refused_with_the_reason(tmp_path):
    out = console(tmp_path / "g.db", "goal add A due:a\ngoal add B due:jan\ngoal add C due:16-12-31\n"
                                     "goal add D due:9999-12-31\n").stdout.splitlines()
    errors = [l for l in out if l.startswith("error: ")]
    assert errors == [
        "error: I can't read 'a' as a date (try next friday, in 2 weeks, 2016-01-22, Jan 22, end of quarter, "
        "end of March)",
        "error: 'jan' is a month, not a day: say end of January or Jan 22",
        "error: '16-12-31' could be read in several orders: write the year in full, like 2016-12-31",
        "error: '9999-12-31' is 9999-12-31: a date is in the years 1970-2200",
    ]


# -- 16: console line endings ---------------------------------------------------------------------


def test_cr_only_line_endings_and_a_byte_order_mark(tmp_path):
    db = tmp_path / "g.db"
    r = subprocess.run([sys.executable, "-m", "adapters.cli", "console", "--user", "greg", "--channel", "#releng",
                        "--now", "2016-01-04T10:00"], input="\ufeffgoal add One\rgoal add Two\rgoal list\r".encode(),
                       capture_output=True, env={"GOALKEEPER_DB": str(db), "PYTHONPATH": ROOT, **ENV}, timeout=60)
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith("#1 One · releng") and lines[1].startswith("#2 Two · releng")
    assert lines[2] == "releng · FY2016Q3: 2 goals"
    assert [g["title"] for g in export(db)["goals"]] == ["One", "Two"]


def test_a_now_without_an_offset_is_utc_whatever_the_zone(tmp_path):
    db = tmp_path / "g.db"
    r = run_cli(["console", "--now", "2016-01-04T10:00"], env={"GOALKEEPER_DB": str(db),
                                                                "GOALKEEPER_TZ": "America/Los_Angeles"},
                input="goal add Ship it\n")
    assert r.returncode == 0, r.stderr
    assert export(db)["goals"][0]["history"][0]["at"] == "2016-01-04T10:00:00+00:00"
