"""PostgreSQL itself: DATABASE_URL's start-up checks, the schema steps and their lock, moving a store
over and back, and the server stopped under a busy bot (the behaviour of every command on it is the
rest of the suite, run on both stores)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import psycopg

from adapters.bootstrap import bootstrap
from adapters.console import console_channel, message_for
from storage import migrations, pg_schema
from tests.fixtures_core import ROOT, run_cli
from tests.fixtures_pg import PASSWORD

NOW = datetime.fromisoformat("2016-01-04T10:00:00+00:00")
SESSION = """team set releng tz:America/Los_Angeles
goal add Migrate Gerrit to Differential due:end of quarter
learning 1 Still mostly a one-person job
kpi add time-to-merge unit:min better:down
kpi time-to-merge 11
kpi time-to-merge 6.5
goal miss 1 waits on the RfC
<mark> goal add Nodepool fully up kind:core
goal edit 2 title:Nodepool up due:2016-02-01
goal hit 2 all jobs migrated
goal add Ünïcödé goal owner:mark
goal delete 3
learning Releases for 3rd parties are still subpar
review date 2016-01-22
"""


def console(url: str | None, text: str, db: str | None = None, now: str = "2016-01-04T10:00"):
    env = {"DATABASE_URL": url} if url else {}
    if db:
        env["GOALKEEPER_DB"] = db
    return run_cli(["console", "--user", "greg", "--channel", "#releng", "--now", now],
                   env={**env, "GOALKEEPER_FISCAL_YEAR_START": "7"}, input=text)


def say(core, text: str, when=NOW, user: str = "greg", channel: str = "#releng") -> str:
    return "\n".join(r.text for r in core.handle(message_for(text, user, console_channel(channel), when)))


def test_the_postgresql_steps_are_the_sqlite_steps():
    """Each SQLite schema step has its PostgreSQL twin, under the same name, in the same order."""
    assert [s.__name__ for s in pg_schema.STEPS] == [s.__name__ for s in migrations.STEPS]


def test_the_two_stores_have_the_same_public_methods():
    """Every store method has its twin on the other store (a property such as SQLite's `conn` is no method)."""
    from storage import postgres, sqlite

    def methods(cls):
        return {n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}

    lite, pg = methods(sqlite.Store), methods(postgres.Store)
    assert {"only on SQLite": sorted(lite - pg), "only on PostgreSQL": sorted(pg - lite)} == \
        {"only on SQLite": [], "only on PostgreSQL": []}


def test_a_bad_database_url_stops_the_start_with_one_line_naming_it(pg_server, tmp_path):
    port = pg_server.port
    cases = [
        ("mysql://gk:pw@127.0.0.1/gk", "is not a PostgreSQL URL"),
        (f"postgresql://gk:{PASSWORD}@no-such-host.invalid:{port}/x", "unknown host 'no-such-host.invalid'"),
        (f"postgresql://gk:wrong-horse@127.0.0.1:{port}/postgres", "refused the password of user 'gk'"),
        (f"postgresql://gk:{PASSWORD}@127.0.0.1:{port}/nosuchdb", "there is no database 'nosuchdb'"),
        (f"postgresql://gk:{PASSWORD}@127.0.0.1:1/gk", "cannot reach PostgreSQL at 127.0.0.1:1"),
    ]
    for url, words in cases:
        r = run_cli(["console"], env={"DATABASE_URL": url}, input="goal add X\n", cwd=str(tmp_path))
        assert r.returncode == 2 and r.stdout == "", (url, r)
        assert r.stderr.startswith("goalkeeper: DATABASE_URL: ") and r.stderr.count("\n") == 1, r.stderr
        assert words in r.stderr, r.stderr
        assert "wrong-horse" not in r.stderr and PASSWORD not in r.stderr
    assert os.listdir(tmp_path) == []  # no SQLite file instead


def test_database_url_wins_over_goalkeeper_db(pg_server, tmp_path):
    url = pg_server.fresh("wins")
    r = console(url, "goal add On the server\n", db=str(tmp_path / "g.db"))
    assert r.returncode == 0 and r.stdout.startswith("#1 On the server"), r
    assert not os.path.exists(tmp_path / "g.db")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT title FROM goals").fetchall() == [("On the server",)]


def test_the_schema_is_created_once_by_processes_starting_together(pg_server):
    url = pg_server.fresh("racing")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, PYTHONPATH=ROOT)
    procs = [subprocess.Popen([sys.executable, "-m", "adapters.cli", "console", "--user", f"u{i}"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for i in range(4)]
    outs = [p.communicate(f"goal add From {i}\n", timeout=60) for i, p in enumerate(procs)]
    assert all(p.returncode == 0 for p in procs) and all(err == "" for _, err in outs), outs
    assert sorted(o.split(" ", 1)[0] for o, _ in outs) == ["#1", "#2", "#3", "#4"]
    with psycopg.connect(url) as conn:
        steps = [r[0] for r in conn.execute("SELECT name FROM goalkeeper_migrations ORDER BY seq")]
    assert steps == [s.__name__ for s in pg_schema.STEPS]


def test_a_schema_from_a_newer_goalkeeper_is_refused_and_left_alone(pg_server):
    url = pg_server.fresh("newer")
    assert console(url, "goal add Before\n").returncode == 0
    with psycopg.connect(url) as conn:  # what a newer Goalkeeper's first start would have recorded
        conn.execute("INSERT INTO goalkeeper_migrations (seq, name) VALUES (99, 'm099_from_the_future')")
    r = console(url, "goal add After\n")
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r
    assert r.stderr.startswith("goalkeeper: DATABASE_URL: ") and "newer Goalkeeper" in r.stderr
    assert "m099_from_the_future" in r.stderr
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT title FROM goals").fetchall() == [("Before",)]


def test_sqlite_to_postgresql_and_back_gives_the_same_export(pg_server, tmp_path):
    lite = str(tmp_path / "a.db")
    assert console(None, SESSION, db=lite).returncode == 0
    assert console(None, "goal add Later\n", db=lite, now="2016-01-11T10:00").returncode == 0
    # a queued and delivered digest travels too
    tick = run_cli(["tick", "--now", "2016-01-11T17:00Z"], env={"GOALKEEPER_DB": lite})
    assert tick.returncode == 0 and "Weekly digest" in tick.stdout, tick
    first = run_cli(["export", "-o", str(tmp_path / "one.json")], env={"GOALKEEPER_DB": lite})
    assert first.returncode == 0, first
    url = pg_server.fresh("moved")
    imp = run_cli(["import", str(tmp_path / "one.json")], env={"DATABASE_URL": url})
    assert imp.returncode == 0 and imp.stdout.startswith("imported 1 teams, 4 goals, 2 learnings, 1 kpis"), imp
    on_pg = run_cli(["export"], env={"DATABASE_URL": url})
    assert on_pg.stdout == (tmp_path / "one.json").read_text()
    again = run_cli(["import", str(tmp_path / "one.json")], env={"DATABASE_URL": url})
    assert again.returncode == 1 and "not empty" in again.stderr and "DATABASE_URL" in again.stderr
    (tmp_path / "two.json").write_text(on_pg.stdout)
    back = str(tmp_path / "b.db")
    assert run_cli(["import", str(tmp_path / "two.json")], env={"GOALKEEPER_DB": back}).returncode == 0
    assert run_cli(["export"], env={"GOALKEEPER_DB": back}).stdout == on_pg.stdout
    # both go on numbering where the first store stopped, and the team's export matches too
    assert console(url, "goal add Next\n").stdout.startswith("#5 Next")
    assert console(None, "goal add Next\n", db=back).stdout.startswith("#5 Next")
    team_pg = bootstrap({"DATABASE_URL": url}).store.export("releng")
    team_lite = bootstrap({"GOALKEEPER_DB": back}).store.export("releng")
    assert json.dumps(team_pg) == json.dumps(team_lite) and len(team_pg["goals"]) == 5


def test_a_server_restart_mid_traffic_loses_nothing_committed_and_the_bot_recovers(pg_server):
    url = pg_server.fresh("restart")
    app = bootstrap({"DATABASE_URL": url, "GOALKEEPER_FISCAL_YEAR_START": "7"}, log=lambda line: None)
    core = app.core
    assert say(core, "goal add Before the restart").startswith("#1 ")
    replies: dict[str, str] = {}
    done = threading.Event()

    def traffic():  # one command after another, as the IRC adapter's thread would send them
        i = 0
        while not done.is_set() or i < 40:
            title = f"Goal {i:04d}"
            replies[title] = say(core, f"goal add {title}", NOW + timedelta(seconds=i))
            i += 1
            time.sleep(0.005)

    worker = threading.Thread(target=traffic)
    worker.start()
    time.sleep(0.3)
    pg_server.stop("immediate")  # the server killed mid-write
    time.sleep(0.5)
    pg_server.start()
    time.sleep(0.3)
    done.set()
    worker.join(60)
    ok = {t for t, r in replies.items() if r.startswith("#") and t in r}
    failed = {t: r for t, r in replies.items() if t not in ok}
    assert failed, "the outage answered no command with an error"
    for r in failed.values():
        assert r.startswith("error: the database is unreachable (PostgreSQL at 127.0.0.1:"), failed
        assert "nothing was changed, try again later\nusage: goal add <title>" in r, r
    last = sorted(replies)[-5:]
    assert all(t in ok for t in last), {t: replies[t] for t in last}  # recovered on its own
    doc = app.store.export()
    stored = {g["title"] for g in doc["goals"]} - {"Before the restart"}
    assert ok <= stored                              # every command answered with its goal is committed
    assert len(stored - ok) <= 1                     # at most the one whose COMMIT's answer was cut off
    assert all(len(g["history"]) == 1 and g["history"][0]["action"] == "create" for g in doc["goals"])
    assert [g["id"] for g in doc["goals"]] == list(range(1, len(doc["goals"]) + 1))  # all or nothing: no gaps
    pg_server.stop("fast")  # restarted while the bot is idle: its pooled connections are dead
    pg_server.start()
    assert say(core, "goal show 1").startswith("#1 Before the restart")  # not an error: reconnected first
    assert say(core, "goal add After an idle restart").startswith(f"#{len(doc['goals']) + 1} ")
    app.close()


def test_two_ticks_racing_through_a_restart_send_each_message_once(pg_server):
    url = pg_server.fresh("ticks")
    app = bootstrap({"DATABASE_URL": url}, log=lambda line: None)
    for i in range(30):
        say(app.core, f"team set team{i} tz:Europe/Berlin", datetime.fromisoformat("2016-01-01T09:00+00:00"),
            channel=f"#team{i}")
    app.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "DATABASE_URL", "SLACK_"))}
    env.update(DATABASE_URL=url, PYTHONPATH=ROOT)
    tick = [sys.executable, "-m", "adapters.cli", "tick", "--now", "2016-01-04T08:00Z"]
    printed, errors = "", ""
    procs = [subprocess.Popen(tick, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    time.sleep(0.4)  # the ticks are starting, queueing, claiming
    pg_server.stop("immediate")
    time.sleep(0.3)
    pg_server.start()
    for p in procs:
        out, err = p.communicate(timeout=60)
        printed, errors = printed + out, errors + err
    # once it is back, the next passes (lease of a claim cut off by the outage: 120 s) send the rest
    for now in ("2016-01-04T08:01Z", "2016-01-04T08:05Z"):
        r = subprocess.run(tick[:-1] + [now], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode in (0, 2), r
        printed += r.stdout
    assert "Traceback" not in errors, errors
    for i in range(30):
        assert printed.count(f"[#team{i}]\n") == 1, (i, printed[-2000:])
    rows = bootstrap({"DATABASE_URL": url}).store.outbox()
    assert len(rows) == 30 and all(r["delivered_at"] for r in rows)


def test_workers_on_several_hosts_claim_each_message_once_and_see_each_event_once(pg_server):
    """Four processes' outbox workers and Slack listeners racing on one database (one store each)."""
    url = pg_server.fresh("claims")
    apps = [bootstrap({"DATABASE_URL": url}, log=lambda line: None) for _ in range(4)]
    for i in range(300):
        apps[0].core.enqueue(f"console:#c{i % 7}", "console", f"message {i}", NOW, key=f"k{i}")
    claimed: list[list[int]] = [[] for _ in apps]
    fresh: list[list[str]] = [[] for _ in apps]
    go = threading.Barrier(len(apps))

    def work(n: int) -> None:
        core = apps[n].core
        go.wait()
        for e in range(100):  # the same Slack delivery (and its retries) reaching every process
            if core.record_delivery(f"Ev{e}", "event", "{}", f"w{n}", NOW):
                fresh[n].append(f"Ev{e}")
        while batch := core.claim_outgoing("console", NOW, f"w{n}", limit=3):
            for out in batch:
                claimed[n].append(out.id)
                core.mark_delivered(out.id, NOW)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(apps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [i for c in claimed for i in c]
    assert sorted(every) == list(range(1, 301))                   # each message once, none left
    assert sum(1 for c in claimed if c) >= 2                        # the workers really shared the work
    assert sorted(e for f in fresh for e in f) == sorted(f"Ev{e}" for e in range(100))
    rows = apps[0].store.outbox()
    assert all(r["delivered_at"] and r["attempts"] == 1 for r in rows)
    for a in apps:
        a.close()


def test_an_older_schema_is_brought_up_to_date_at_start(pg_server, monkeypatch):
    import storage.postgres as pg

    url = pg_server.fresh("older")
    monkeypatch.setattr(pg, "STEPS", pg_schema.STEPS[:2])  # what the previous Goalkeeper shipped
    pg.Store(url).close()
    monkeypatch.undo()
    app = bootstrap({"DATABASE_URL": url})
    with psycopg.connect(url) as conn:
        steps = [r[0] for r in conn.execute("SELECT name FROM goalkeeper_migrations ORDER BY seq")]
    assert steps == [s.__name__ for s in pg_schema.STEPS]
    assert say(app.core, "goal add After the upgrade").startswith("#1 ")
    assert [e["action"] for e in app.store.goal_events(1)] == ["create"]  # m005's trigger is in place
    app.close()
