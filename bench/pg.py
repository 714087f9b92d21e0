"""Issue 14: PostgreSQL. A durable server of its own (Debian's, fsync on), started for the run:
`goal add` through the console against a raw psycopg one-row insert; the latency of a command with
10,000 goals stored; and at scale (1,000 teams, 100,000 goals, 1,000,000 history events, loaded
with COPY) a scheduler pass with nothing due, a digest, a team's goal list and review against the
same team in a store of 1,000 goals."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from datetime import timedelta

from .common import NOW, Figure, Workdir, goalkeeper_argv, judged, median, ms, pct

AREA = "pg"
NOW_ARG = "2026-02-16T10:00"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    import psycopg

    from tests.fixtures_pg import PgServer

    server = PgServer(durable=True)
    figs: list[Figure] = []
    try:
        floor = raw_floor(psycopg, server.fresh("floor"), 1000 if quick else 5000)
        figs.append(Figure(AREA, "floor: raw psycopg insert, 1 row/transaction (autocommit, fsync on)", floor, "/s"))
        n = 500 if quick else 3000
        rate = console_rate(server.fresh("console"), n, work)
        f = judged(AREA, f"goal add through `goalkeeper console` on PostgreSQL (pipe, {n} commands)", rate, "/s",
                   0.25 * floor, at_least=True, target=">= 25% of floor", floor=floor, floor_unit="/s",
                   floor_name="raw psycopg insert per transaction", ratio=rate / floor, ratio_note="of the floor rate")
        figs.append(f)
        log(f"pg: console {rate:,.0f}/s, floor {floor:,.0f}/s ({rate / floor:.0%})")

        url = server.fresh("tenk")
        load(psycopg, url, teams=1, goals_per_team=10_000, events_per_goal=2)
        lat = command_latency(url, ["goal add Another goal team:t0000", "goal list team:t0000 status:hit"],
                              100 if quick else 500)
        figs.append(judged(AREA, "command answered (core.handle, Slack renderer) p99, 10,000 goals stored",
                           ms(pct(lat, 99)), "ms", 50,
                           note=f"median {ms(median(lat)):.2f} ms; goal add and goal list alternately, one "
                                "process; the HTTP ack adds Bolt's own time (bench slack)"))
        log(f"pg: p99 {ms(pct(lat, 99)):.2f} ms at 10,000 goals")

        small = server.fresh("small")
        load(psycopg, small, teams=10, goals_per_team=100, events_per_goal=10)
        big = server.fresh("big")
        t = time.perf_counter()
        load(psycopg, big, teams=1000, goals_per_team=100, events_per_goal=10)
        log(f"pg: 1,000 teams, 100,000 goals, 1,000,000 events loaded in {time.perf_counter() - t:.1f} s")
        rounds = 5 if quick else 20
        sched = scheduler_pass(big, rounds)
        figs.append(judged(AREA, "scheduler pass with nothing due, in full (1,000 teams, 100,000 goals, 1M events)",
                           ms(median(sched)), "ms", 200, note=f"max {ms(max(sched)):.1f} ms"))
        dig = digest_times(big, rounds)
        figs.append(judged(AREA, "digest of one team at scale (median)", ms(median(dig)), "ms", 50,
                           note=f"max {ms(max(dig)):.1f} ms"))
        for what, text in (("goal list", "goal list team:t0007"), ("review", "review team:t0007")):
            at_small = median(command_latency(small, [text], rounds))
            at_big = median(command_latency(big, [text], rounds))
            figs.append(judged(AREA, f"`{text.split(' team')[0]}` of one team at scale vs at 1,000 goals",
                               ms(at_big), "ms", ms(2 * at_small), floor=ms(at_small), floor_unit="ms",
                               floor_name="the same team in a store of 1,000 goals", ratio=at_big / at_small,
                               ratio_note="of the small store's time", target="<= 2x"))
            log(f"pg: {what} {ms(at_big):.1f} ms at scale vs {ms(at_small):.1f} ms small")
    finally:
        server.close()
    return figs


def raw_floor(psycopg, url: str, n: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE goals (id BIGSERIAL PRIMARY KEY, title TEXT, team TEXT, owner TEXT, created_at TEXT)")
        sql = "INSERT INTO goals (title, team, owner, created_at) VALUES (%s, %s, %s, %s)"
        for i in range(100):
            conn.execute(sql, (f"warm {i}", "releng", "console:greg", NOW.isoformat()))
        t = time.perf_counter()
        for i in range(n):
            conn.execute(sql, (f"Bench goal {i}", "releng", "console:greg", NOW.isoformat()))
        return n / (time.perf_counter() - t)


def _env(url: str) -> dict:
    from .common import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, PYTHONPATH=ROOT)
    return env


def console_rate(url: str, n: int, work: Workdir) -> float:
    """Commands a second through one `goalkeeper console` process fed by a pipe, first reply to last."""
    argv = [*goalkeeper_argv(), "console", "--channel", "#releng", "--user", "greg", "--now", NOW_ARG]
    subprocess.run(argv, input=b"help\n", env=_env(url), capture_output=True, check=True)  # the schema, first
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=_env(url), bufsize=0)
    lines = "".join(f"goal add Bench goal number {i} for the quarter\n" for i in range(n)).encode()
    threading.Thread(target=lambda: (p.stdin.write(lines), p.stdin.close()), daemon=True).start()
    stamps: list[float] = []
    buf = b""
    while len(stamps) < n:
        chunk = p.stdout.read(65536)
        if not chunk:
            break
        now = time.perf_counter()
        buf += chunk
        stamps += [now] * buf.count(b"\n")
        buf = buf[buf.rfind(b"\n") + 1:]
    p.wait(timeout=120)
    if len(stamps) < n:
        raise RuntimeError(f"console answered {len(stamps)} of {n} lines: {p.stderr.read()[-500:]!r}")
    return (n - 1) / (stamps[-1] - stamps[0])


def load(psycopg, url: str, teams: int, goals_per_team: int, events_per_goal: int) -> None:
    """The schema (through the store), then teams, channels, people, goals and their history by COPY."""
    from storage.postgres import Store

    Store(url).close()
    at = NOW - timedelta(days=30)
    from .common import quarter_label

    quarter = quarter_label(NOW)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY teams (name, tz, digest_since, created_at) FROM STDIN") as cp:
            for t in range(teams):
                # first digest after Feb 16: a pass at NOW has nothing due, but works out every team's slots
                cp.write_row((f"t{t:04d}", "Europe/Berlin", (NOW + timedelta(days=3)).isoformat(), at.isoformat()))
        with cur.copy("COPY channels (key, name, platform, team, private, created_at) FROM STDIN") as cp:
            for t in range(teams):
                cp.write_row((f"console:#t{t:04d}", f"#t{t:04d}", "console", f"t{t:04d}", 0, at.isoformat()))
        with cur.copy("COPY people (id, name, seen_at) FROM STDIN") as cp:
            for u in range(50):
                cp.write_row((f"console:user{u}", f"user{u}", at.isoformat()))
        statuses = [None, "on-track", "at-risk", "hit", "partial", "miss"]
        # the history is loaded below and the counts filled once after, as m006 fills them: no per-row triggers
        cur.execute("ALTER TABLE goals DISABLE TRIGGER USER")
        with cur.copy("COPY goals (id, title, team, quarter, owner, creator, kind, due, status, note, deleted,"
                      " created_at, updated_at) FROM STDIN") as cp:
            gid = 0
            for t in range(teams):
                for g in range(goals_per_team):
                    gid += 1
                    cp.write_row((gid, f"Goal {g} of team {t}", f"t{t:04d}", quarter, f"console:user{g % 50}",
                                  "console:greg", "strategic", "2026-03-31", statuses[g % 6], None, 0,
                                  at.isoformat(), at.isoformat()))
        with cur.copy("COPY goal_events (goal_id, at, by, action, changes, note) FROM STDIN") as cp:
            for g in range(1, gid + 1):
                for e in range(events_per_goal):
                    when = (at + timedelta(minutes=(g * 7 + e * 331) % 43000)).isoformat()
                    cp.write_row((g, when, "console:greg", "status" if e else "create",
                                  json.dumps({"status": [None, "on-track"]}), None))
        cur.execute("ALTER TABLE goals ENABLE TRIGGER USER")
        cur.execute("INSERT INTO goal_counts SELECT team, quarter, COALESCE(status, 'none'), COUNT(*) FROM goals"
                    " WHERE deleted = 0 GROUP BY team, quarter, COALESCE(status, 'none')")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _core(url: str):
    from adapters.bootstrap import bootstrap

    import logging

    return bootstrap({"DATABASE_URL": url}, log=logging.getLogger("goalkeeper.bench").error)


def command_latency(url: str, texts: list[str], n: int) -> list[float]:
    from bot.model import Actor, Channel, Message

    app = _core(url)
    chan = Channel("slack:T0:C0", "#t0000", "slack")
    out = []
    try:
        for i in range(n + 5):
            msg = Message(text=texts[i % len(texts)], actor=Actor("slack:T0:U1", "greg"), channel=chan, at=NOW)
            t = time.perf_counter()
            replies = app.core.handle(msg)
            took = time.perf_counter() - t
            if any(r.error for r in replies):
                raise RuntimeError(replies[0].text)
            if i >= 5:
                out.append(took)
    finally:
        app.close()
    return out


def scheduler_pass(url: str, rounds: int) -> list[float]:
    from bot.schedule import Scheduler

    app = _core(url)
    out = []
    try:
        for _ in range(rounds + 1):
            s = Scheduler(app.store, app.config, app.core.log)  # no memo of the last pass: every pass in full
            t = time.perf_counter()
            if s.queue_due(NOW):
                raise RuntimeError("something was due")
            out.append(time.perf_counter() - t)
    finally:
        app.close()
    return out[1:]


def digest_times(url: str, rounds: int) -> list[float]:
    from bot.digest import build_digest
    from bot.render import renderer_for

    app = _core(url)
    out = []
    try:
        for i in range(rounds + 1):
            t = time.perf_counter()
            build_digest(app.store, app.config, f"t{(i * 37) % 1000:04d}", NOW, renderer_for("slack"))
            out.append(time.perf_counter() - t)
    finally:
        app.close()
    return out[1:]
