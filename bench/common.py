"""What every bench area shares: the figure record, statistics, a seeded store, timing helpers.

Large stores are seeded with raw `executemany` inside one transaction on the Store's own
schema (storage/migrations.py), never through the chat path; the chat path is what is timed.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 2, 16, 10, 0, tzinfo=timezone.utc)  # a Monday, mid 2026Q1 (calendar fiscal year)
NOW_ISO = NOW.isoformat()
TEAM = "releng"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- figures ------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One row of the table. `value`/`floor` are numbers in `unit`/`floor_unit` (None when not measured)."""

    area: str
    name: str
    value: float | None
    unit: str
    target: str = ""  # as shown, e.g. "<= 2 ms"
    met: str = "n.a."  # yes | no | n.a.
    floor: float | None = None
    floor_unit: str = ""
    floor_name: str = ""
    ratio: float | None = None  # value / floor (what it means is in ratio_note)
    ratio_note: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def judged(area: str, name: str, value: float, unit: str, limit: float, *, at_least: bool = False,
           **kw) -> Figure:
    """A figure with a numeric target: value <= limit (or >= with at_least)."""
    ok = value >= limit if at_least else value <= limit
    target = kw.pop("target", None) or f"{'>=' if at_least else '<='} {fmt(limit, unit)}"
    return Figure(area, name, value, unit, target=target, met="yes" if ok else "no", **kw)


def not_available(area: str, name: str, target: str, why: str) -> Figure:
    return Figure(area, name, None, "", target=target, met="n.a.", note=why)


def fmt(v, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if unit == "ms":
        s = f"{v:.3f}" if v < 0.1 else f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:,.0f}"
        return f"{s} ms"
    if unit == "s":
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
    if unit == "/s":
        return f"{v:,.0f}/s"
    if unit == "MB":
        return f"{v:.1f} MB"
    if unit == "%":
        return f"{v:.0f}%"
    if unit == "x":
        return f"{v:.2f}x"
    return f"{v:g} {unit}".strip()


# -- statistics -----------------------------------------------------------------------------------


def pct(xs, p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(xs) -> float:
    return statistics.median(xs)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def timed(fn, repeat: int, warmup: int = 1) -> list[float]:
    """Seconds per call of fn(), `repeat` times after `warmup` calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


# -- processes and files -----------------------------------------------------------------------------


class Workdir:
    """A temporary folder for one bench run, removed at the end unless GOALKEEPER_BENCH_KEEP is set."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="goalkeeper-bench-")

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def close(self) -> None:
        if not os.environ.get("GOALKEEPER_BENCH_KEEP"):
            shutil.rmtree(self.path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (VmRSS), in MB (MiB)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def goalkeeper_argv() -> list[str]:
    """How to start the installed `goalkeeper` program: its script beside this interpreter (no shims)."""
    script = os.path.join(os.path.dirname(sys.executable), "goalkeeper")
    if os.path.exists(script):
        return [script]
    found = shutil.which("goalkeeper")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from adapters.cli import main; sys.exit(main())"]


def base_env(db_path: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "IRC_", "SLACK_"))}
    env["GOALKEEPER_DB"] = db_path
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def module_missing(*names: str) -> str | None:
    """'n.a. (not built yet: bot.schedule)' when a module the area needs is not in the tree yet."""
    import importlib.util

    missing = []
    for n in names:
        try:
            if importlib.util.find_spec(n) is None:
                missing.append(n)
        except ModuleNotFoundError:
            missing.append(n)
    return f"not built yet: {', '.join(missing)}" if missing else None


# -- seeding a store -------------------------------------------------------------------------------


def quarter_label(now: datetime = NOW, fiscal_start: int = 1) -> str:
    from bot.quarters import quarter_of

    return quarter_of(now.date(), fiscal_start).label


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def open_store(path: str):
    """A Store on `path` (creates the file and runs the migrations)."""
    from storage.sqlite import Store

    return Store(path)


@contextmanager
def raw(path: str):
    """One transaction on a raw connection, for seeding."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def seed_team(conn, team: str = TEAM, tz: str = "UTC", channel_key: str | None = None,
              channel_name: str | None = None, platform: str = "console", created: datetime | None = None,
              review_date: str | None = None) -> None:
    at = iso(created or NOW - timedelta(days=60))
    conn.execute(
        "INSERT OR IGNORE INTO teams (name, tz, review_date, digest_since, created_at) VALUES (?, ?, ?, ?, ?)",
        (team, tz, review_date, at, at))
    if channel_key:
        conn.execute(
            "INSERT OR IGNORE INTO channels (key, name, platform, team, private, created_at) VALUES (?, ?, ?, ?, 0, ?)",
            (channel_key, channel_name or "#" + team, platform, team, at))


def seed_goals(conn, n: int, team: str = TEAM, quarter: str | None = None, *, people: int = 20,
               id_prefix: str = "console:", recent: int = 10, statuses: bool = True,
               learnings_per_goal: float = 0.0, team_learnings: int = 0, now: datetime = NOW,
               person: str = "user{}") -> None:
    """`n` goals of `team` in `quarter`, each with its create event; final/ongoing statuses on most;
    `recent` of them changed within the last 7 days; learnings spread over the goals and the team."""
    quarter = quarter or quarter_label(now)
    owners = [id_prefix + person.format(i) for i in range(people)]
    conn.executemany("INSERT OR IGNORE INTO people (id, name, seen_at) VALUES (?, ?, ?)",
                     [(o, f"user{i}", iso(now - timedelta(days=1))) for i, o in enumerate(owners)])
    (start,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM goals").fetchone()
    old = iso(now - timedelta(days=30))
    cycle = ["on-track", "at-risk", "off-track", "hit", "partial", "miss", None, None]
    goals, events = [], []
    for i in range(n):
        gid = start + 1 + i
        owner = owners[i % people]
        status = cycle[i % len(cycle)] if statuses else None
        changed = iso(now - timedelta(hours=1 + i)) if i < recent else old
        title = f"Goal {gid}: migrate service {i % 97} to the new platform"
        goals.append((gid, title, team, quarter, owner, owner, "core" if i % 3 == 0 else "strategic", None,
                      status, None, 0, old, changed))
        # the create event: written by the store's goal_created trigger
        if status:
            events.append((gid, changed, owner, "status", json.dumps({"status": [None, status]}), None))
    conn.executemany(
        "INSERT INTO goals (id, title, team, quarter, owner, creator, kind, due, status, note, deleted,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", goals)
    conn.executemany("INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, ?, ?, ?, ?)",
                     events)
    nl = int(n * learnings_per_goal)
    rows = []
    for j in range(nl):
        gid = start + 1 + (j % n)
        at = iso(now - timedelta(minutes=5 + j)) if j < recent else old
        rows.append((gid, team, quarter, f"learning {j}: the silo effect is strong on #{gid}", owners[j % people], at))
    for j in range(team_learnings):
        at = iso(now - timedelta(minutes=7 + j)) if j < recent else old
        rows.append((None, team, quarter, f"team learning {j}: still a one-person job", owners[j % people], at))
    conn.executemany("INSERT INTO learnings (goal_id, team, quarter, text, by, at) VALUES (?, ?, ?, ?, ?, ?)", rows)


def seed_kpis(conn, team: str = TEAM, kpis: int = 5, values: int = 20, now: datetime = NOW) -> None:
    for k in range(kpis):
        cur = conn.execute(
            "INSERT OR IGNORE INTO kpis (team, name, unit, target, better, created_at, created_by)"
            " VALUES (?, ?, 'min', 5, ?, ?, 'console:user0')",
            (team, f"kpi-{k}", "down" if k % 2 else "up", iso(now - timedelta(days=40))))
        kid = cur.lastrowid
        conn.executemany("INSERT INTO kpi_values (kpi_id, at, value, by) VALUES (?, ?, ?, 'console:user0')",
                         [(kid, iso(now - timedelta(days=values - v)), 10.0 + (v % 7)) for v in range(values)])


def seeded_store(path: str, goals: int, *, learnings_per_goal: float = 0.0, team_learnings: int = 0,
                 team: str = TEAM, channel_key: str | None = None, platform: str = "console",
                 id_prefix: str = "console:", kpis: int = 3) -> str:
    """A store file with one team holding `goals` goals this quarter (and learnings, KPIs)."""
    open_store(path).close()
    with raw(path) as conn:
        seed_team(conn, team, channel_key=channel_key, platform=platform)
        if goals:
            seed_goals(conn, goals, team, learnings_per_goal=learnings_per_goal, team_learnings=team_learnings,
                       id_prefix=id_prefix)
        if kpis:
            seed_kpis(conn, team, kpis)
    return path


# -- in-process chat -------------------------------------------------------------------------------


def console_bot(path: str, **env):
    """(store, bot) built by the composition root, as `goalkeeper console` builds them."""
    from adapters.bootstrap import bootstrap

    app = bootstrap({"GOALKEEPER_DB": path, **env})
    return app.store, app.core


def console_message(text: str, user: str = "greg", channel: str = "#" + TEAM, at: datetime = NOW):
    from adapters.console import console_channel, message_for

    return message_for(text, user, console_channel(channel), at)


def profile_top(fn, n: int = 12) -> str:
    """cProfile of fn(): the top `n` entries by cumulative time, as text."""
    import cProfile
    import io
    import pstats

    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    out = io.StringIO()
    pstats.Stats(pr, stream=out).sort_stats("cumulative").print_stats(n)
    return out.getvalue()


def stop(proc: subprocess.Popen) -> None:
    """Terminate a measured process, then kill it if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
