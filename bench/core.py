"""Issue 2: the console's `goal add` rate against a durable raw SQLite insert, `due:` parsing against
bare dateparser, `goalkeeper --help` and the console's start-up."""
from __future__ import annotations

import ast
import os
import select
import sqlite3
import subprocess
import sys
import threading
import time

from .common import (NOW, Figure, Workdir, base_env, console_bot, goalkeeper_argv, judged,
                     median, ms, profile_top, open_store)

AREA = "core"

# What people type after due: (the README's list and its neighbours): the fast paths.
PHRASES = [
    "next friday", "in 2 weeks", "2026-03-22", "Mar 22", "tomorrow", "end of quarter", "end of Q3",
    "end of March", "end of month", "end of year", "next week", "friday", "in 3 days", "March 31",
    "22 April", "end of next month", "in a month", "eoq",
]
# Phrases only dateparser knows (the fallback): reported apart, for the record.
FALLBACK_PHRASES = ["the day after tomorrow", "April 5th at noon", "next tuesday at 10am", "3 weeks from tomorrow",
                    "tuesday 10am", "tomorrow at noon"]

NOW_ARG = "2026-02-16T10:00"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    figs: list[Figure] = []
    floor = sqlite_floor(work.file("floor.db"), 2000 if quick else 10000)
    figs.append(Figure(AREA, "floor: raw sqlite3 insert, 1 row/transaction (WAL, synchronous=NORMAL)", floor, "/s",
                       ))
    log(f"core: sqlite floor {floor:,.0f} rows/s")
    n = 1000 if quick else 5000
    rate, proc_ms = console_rate(work.file("console.db"), n)
    in_rate = inprocess_rate(work.file("inproc.db"), n)
    f = judged(AREA, f"goal add through `goalkeeper console` (pipe, {n} commands)", rate, "/s", 0.25 * floor,
               at_least=True, target=">= 25% of floor", floor=floor, floor_unit="/s",
               floor_name="raw sqlite3 insert per transaction", ratio=rate / floor, ratio_note="of the floor rate")
    f.met = "yes" if rate / floor >= 0.25 else "no"
    f.extra = {"in_process_rate": in_rate, "console_process_ms_per_command": proc_ms}
    f.note = f"in-process (adapters.console.run on StringIO): {in_rate:,.0f}/s"
    figs.append(f)
    log(f"core: console {rate:,.0f}/s ({rate / floor:.0%} of floor), in-process {in_rate:,.0f}/s")
    if rate / floor < 0.25:
        f.extra["profile"] = profile_top(lambda: _inprocess(work.file("profile.db"), 500), 15)

    ours, floor_dp, fallback = when_medians(rounds=5 if quick else 30)
    figs.append(judged(AREA, "due: phrase parsed by bot.when.parse_when (median, warm)", ms(ours), "ms", 0.5,
                       floor=ms(floor_dp), floor_unit="ms", floor_name="dateparser.parse(p, languages=['en'])",
                       ratio=ours / floor_dp, ratio_note="of the floor's time",
                       note=f"{len(PHRASES)} phrases from the README's list"))
    figs.append(Figure(AREA, "due: phrase dateparser knows and we do not (fallback, median)", ms(fallback), "ms",
                       target="(info)", note=", ".join(FALLBACK_PHRASES)))
    log(f"core: when {ms(ours):.3f} ms vs dateparser {ms(floor_dp):.3f} ms; fallback {ms(fallback):.3f} ms")

    k = 3 if quick else 7
    help_s = median([_wall([*goalkeeper_argv(), "--help"], work) for _ in range(k)])
    figs.append(judged(AREA, "`goalkeeper --help` wall time (median)", help_s, "s", 0.5,
                       ))
    prompt = median([console_first_prompt(work) for _ in range(k)])
    figs.append(judged(AREA, "console start to first prompt (pty, median)", prompt, "s", 0.5))
    first = median([console_first_reply(work) for _ in range(k)])
    figs.append(judged(AREA, "console start to first reply of `help` (pipe, median)", first, "s", 0.5))
    heavy = console_imports(work)
    figs.append(Figure(AREA, "Slack/IRC libraries imported by the console", 0 if not heavy else len(heavy), "",
                       target="none", met="yes" if not heavy else "no", note=", ".join(heavy) or "none"))
    log(f"core: --help {help_s:.3f} s, prompt {prompt:.3f} s, first reply {first:.3f} s")
    return figs


# -- the floor ------------------------------------------------------------------------------------


def sqlite_floor(path: str, n: int) -> float:
    """Rows a second: a bare durable insert, one row per transaction (autocommit), WAL, synchronous=NORMAL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE goals (id INTEGER PRIMARY KEY, title TEXT, team TEXT, owner TEXT, created_at TEXT)")
    sql = "INSERT INTO goals (title, team, owner, created_at) VALUES (?, ?, ?, ?)"
    for i in range(100):  # warm
        conn.execute(sql, (f"warm {i}", "releng", "console:greg", NOW.isoformat()))
    t = time.perf_counter()
    for i in range(n):
        conn.execute(sql, (f"Bench goal {i}", "releng", "console:greg", NOW.isoformat()))
    took = time.perf_counter() - t
    conn.close()
    return n / took


# -- goal add through the console ----------------------------------------------------------------------


def console_rate(db: str, n: int) -> tuple[float, float]:
    """Commands a second through one `goalkeeper console` process fed by a pipe, first reply to last."""
    open_store(db).close()  # migrations are start-up, not per command
    argv = [*goalkeeper_argv(), "console", "--channel", "#releng", "--user", "greg", "--now", NOW_ARG]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=base_env(db), bufsize=0)
    lines = "".join(f"goal add Bench goal number {i} for the quarter\n" for i in range(n)).encode()

    def feed():
        p.stdin.write(lines)
        p.stdin.close()

    threading.Thread(target=feed, daemon=True).start()
    stamps = []
    buf = b""
    while len(stamps) < n:
        chunk = p.stdout.read(65536)
        if not chunk:
            break
        now = time.perf_counter()
        buf += chunk
        count = buf.count(b"\n")
        stamps += [now] * count
        buf = buf[buf.rfind(b"\n") + 1:]
    p.wait(timeout=60)
    if len(stamps) < n:
        raise RuntimeError(f"console answered {len(stamps)} of {n} lines: {p.stderr.read()[-500:]!r}")
    span = stamps[-1] - stamps[0]
    return (n - 1) / span, ms(span / (n - 1))


def _inprocess(db: str, n: int) -> float:
    import io

    from adapters.console import run

    open_store(db).close()
    store, bot = console_bot(db)
    text = "".join(f"goal add Bench goal number {i} for the quarter\n" for i in range(n))
    out = io.StringIO()
    t = time.perf_counter()
    run(bot, "#releng", "greg", lambda: NOW, stdin=io.StringIO(text), stdout=out)
    took = time.perf_counter() - t
    store.close()
    return n / took


def inprocess_rate(db: str, n: int) -> float:
    _inprocess(db + ".warm", 50)
    return _inprocess(db, n)


# -- due: phrases ---------------------------------------------------------------------------------------


def when_medians(rounds: int) -> tuple[float, float, float]:
    """Median seconds per phrase: parse_when on PHRASES, bare dateparser on the same, parse_when on fallbacks."""
    import dateparser

    from bot.when import parse_when

    local_now = NOW

    def each(fn, phrases):
        for p in phrases:  # warm-up: imports, language data, regex caches
            fn(p)
        out = []
        for _ in range(rounds):
            for p in phrases:
                t = time.perf_counter()
                fn(p)
                out.append(time.perf_counter() - t)
        return median(out)

    ours = each(lambda p: parse_when(p, local_now), PHRASES)
    floor = each(lambda p: dateparser.parse(p, languages=["en"]), PHRASES)
    fallback = each(lambda p: parse_when(p, local_now), FALLBACK_PHRASES)
    return ours, floor, fallback


# -- start-up -----------------------------------------------------------------------------------------------


def _wall(argv: list[str], work: Workdir) -> float:
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=base_env(work.file("help.db")),
                   check=True)
    return time.perf_counter() - t


def console_first_prompt(work: Workdir) -> float:
    """Start to the `> ` prompt on a terminal (a pty), with the store already created."""
    db = work.file("prompt.db")
    open_store(db).close()
    master, slave = os.openpty()
    argv = [*goalkeeper_argv(), "console", "--now", NOW_ARG]
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=base_env(db, TERM="dumb"),
                         close_fds=True)
    os.close(slave)
    buf = b""
    took = None
    deadline = t + 20
    while time.perf_counter() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            buf += chunk
            if b"> " in buf:
                took = time.perf_counter() - t
                break
    os.write(master, b"\x04")
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    os.close(master)
    if took is None:
        raise RuntimeError(f"no prompt from the console: {buf[-300:]!r}")
    return took


def console_first_reply(work: Workdir) -> float:
    db = work.file("reply.db")
    open_store(db).close()
    argv = [*goalkeeper_argv(), "console", "--now", NOW_ARG]
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         env=base_env(db))
    p.stdin.write(b"help\n")
    p.stdin.flush()
    p.stdout.readline()
    took = time.perf_counter() - t
    p.stdin.close()
    p.stdout.read()
    p.wait(timeout=10)
    return took


def console_imports(work: Workdir) -> list[str]:
    """Top-level packages of Slack/IRC (and their servers) loaded by a console session that answered `help`."""
    db = work.file("imports.db")
    code = ("import sys; from adapters.cli import main; main(['console', '--now', '%s']); "
            "print('MODULES', sorted({m.split('.')[0] for m in sys.modules}))" % NOW_ARG)
    out = subprocess.run([sys.executable, "-c", code],
                         input=b"help\ngoal add x\ngoal list\n", capture_output=True, env=base_env(db),
                         timeout=30).stdout.decode()
    mods = ast.literal_eval(out.rsplit("MODULES", 1)[1].strip()) if "MODULES" in out else []
    return [m for m in mods if m in ("slack_bolt", "slack_sdk", "irc", "jaraco", "waitress", "websockets")]
