"""Issue 4: Slack acknowledgement time over HTTP on loopback, with 10,000 goals stored.

The real `goalkeeper slack` process (Bolt behind waitress, as the Procfile runs it) serves HTTP on a free
loopback port; Slack's Web API is the tests' stand-in (tests/fixtures_slack.py), and each request is signed
as Slack signs it. The time is from the request's first byte to the response's last, one request at a time.
"""
from __future__ import annotations

import http.client
import socket
import subprocess
import time
from datetime import datetime, timezone

from .common import (Figure, Workdir, base_env, free_port, goalkeeper_argv, judged, median, ms, not_available,
                     open_store, pct, raw, rss_mb, seed_goals, seed_team, stop)

AREA = "slack"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    from .common import module_missing

    missing = module_missing("adapters.slack", "tests.fixtures_slack")
    if missing:
        return [not_available(AREA, f"`/goal {c}` ack p99 over HTTP (10,000 goals stored)", "<= 50 ms", missing)
                for c in ("add", "list")]
    from tests.fixtures_slack import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, SlackWebStandIn, signed_headers, slash_body

    n = 100 if quick else 1000
    db = work.file("slack.db")
    seed_slack_store(db, TEAM_ID)
    api = SlackWebStandIn()
    port = free_port()
    env = base_env(db, PORT=str(port), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                   GOALKEEPER_SLACK_API_URL=api.base_url)
    proc = subprocess.Popen(goalkeeper_argv() + ["slack"], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(work.file("slack.err"), "wb"))
    figs: list[Figure] = []
    try:
        _wait_port(port, proc)

        def post(text: str) -> float:
            body = slash_body("/goal", text, response_url=api.response_url("bench"))
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       **signed_headers(body, SIGNING_SECRET)}
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            t = time.perf_counter()
            conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            took = time.perf_counter() - t
            conn.close()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {data[:200]!r}")
            answers.append(data)
            return took

        answers: list[bytes] = []
        for i in range(20):  # warm-up: auth.test, channel registration, imports on first use
            post(f"add Warm-up goal {i}")
            post("list")
        answers.clear()
        add = [post(f"add Bench goal {i} for the quarter") for i in range(n)]
        _check(answers, b"Bench goal", "add")
        answers.clear()
        lst = [post("list") for _ in range(n)]
        _check(answers, b"50+ goals", "list")
        rss = rss_mb(proc.pid)
    finally:
        stop(proc)
        api.close()
    for name, xs in (("add", add), ("list", lst)):
        figs.append(Figure(AREA, f"`/goal {name}` ack p50 over HTTP (10,000 goals stored)", ms(median(xs)), "ms",
                           target="(p99 is the target)", note=f"{len(xs)} signed requests, one at a time"))
        figs.append(judged(AREA, f"`/goal {name}` ack p99 over HTTP (10,000 goals stored)", ms(pct(xs, 99)), "ms",
                           50.0))
        log(f"slack: /goal {name} p50 {ms(median(xs)):.2f} ms p99 {ms(pct(xs, 99)):.2f} ms")
    figs.append(Figure(AREA, "`goalkeeper slack` resident memory after the run", rss, "MB", target="(info)"))
    return figs


def _check(answers: list[bytes], want: bytes, what: str) -> None:
    """The acks carried the answer (not an error or an empty ack)."""
    bad = [a for a in answers if want not in a]
    if bad:
        raise RuntimeError(f"/goal {what}: {len(bad)} acks without the answer, e.g. {bad[0][:300]!r}")


def seed_slack_store(db: str, team_id: str) -> None:
    """10,000 goals this quarter (by the real clock: the process reads it) in the team of channel #releng."""
    now = datetime.now(timezone.utc)
    open_store(db).close()
    with raw(db) as conn:
        seed_team(conn, "releng", channel_key=f"slack:{team_id}:C1RELENG", channel_name="#releng", platform="slack",
                  created=now)
        conn.execute("UPDATE teams SET digest_enabled = 0 WHERE name = 'releng'")
        seed_goals(conn, 10_000, "releng", id_prefix=f"slack:{team_id}:", now=now, person="U{:08d}")


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"goalkeeper slack exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"goalkeeper slack not listening on {port} after {timeout}s")
