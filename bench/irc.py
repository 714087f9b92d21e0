"""Issue 3: `goalkeeper irc` against a real ngircd on loopback, beside a peer bot (Limnoria) on the same server.

* round trip of `!goal add` (no date) and of `!goal list` with 10,000 goals stored: one command at a time,
  each reply awaited before the next command (time from the command's send to the reply's first line);
* process start to its JOIN sent: seen on the wire by a loopback relay between the bot and ngircd
  (the bot's own bytes, so ngircd's hold on JOIN is not counted);
* resident memory in 50 channels after 1,000 commands;
* the peer: Limnoria from PyPI in its own venv under /tmp (never a project dependency), answering `@echo`
  on the same ngircd, in the same 50 channels, with the same number of commands.

ngircd runs with `MaxPenaltyTime = 0` (its flood penalties off for every client), so its 1-second holds do
not pollute the figures; the bench client is also an IRC operator with +F, and it acknowledges every TCP
segment at once (TCP_QUICKACK): ngircd does not set TCP_NODELAY, so with a client that delays its ACKs
(Linux: 40 ms) ngircd's own Nagle would hold the second write of a multi-line relay and charge the bot
for it. The bots' own pacing is taken
out of the way the same for both (goalkeeper `IRC_RATE`/`IRC_BURST` high, Limnoria `throttleTime` 0), since
what is measured is the command, not the pacing; a `--full` run also samples goalkeeper at its default
pacing with commands a second apart.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

from .common import (Figure, Workdir, base_env, goalkeeper_argv, judged, median, ms, pct, raw, rss_mb,
                     seed_goals, seed_team, open_store, stop)

AREA = "irc"
CHANNELS = [f"#gk{i}" for i in range(1, 51)]
BOT_NICK = "gkbench"
PEER_NICK = "limbench"
PEER_VENV = "/tmp/goalkeeper-bench-limnoria"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    from .common import module_missing

    missing = module_missing("adapters.irc", "tests.fixtures_irc")
    if missing:
        return _na(missing)
    if not (shutil.which("ngircd") or os.path.exists("/usr/sbin/ngircd")):
        return _na("ngircd is not installed (apt-get install ngircd)")
    from tests.fixtures_irc import IrcClient  # the IRC tests' own server and client

    server = BenchNgircd(work.file("ngircd")).start()
    figs: list[Figure] = []
    try:
        network = server.network
        db = work.file("irc.db")
        seed_irc_store(db, network)
        n_add, n_list = (150, 50) if quick else (800, 200)

        # start-up: process start to JOIN on the wire (a few fresh processes)
        starts = [start_to_join(lambda port: (goalkeeper_argv() + ["irc"],
                                              bot_env(db, network, port, IRC_NICK=f"gkstart{port}"), None),
                                server.port) for _ in range(2 if quick else 5)]
        figs.append(judged(AREA, "`goalkeeper irc` process start to JOIN sent (median)", median(starts), "s", 0.5,
                           note=f"{len(starts)} starts, 50 channels, JOIN seen on the wire"))
        log(f"irc: start to JOIN {median(starts):.3f} s")

        client = quick_ack(IrcClient(server.port, "bencher", oper=True).connect())
        client.join(*CHANNELS, timeout=30)
        mark = client.mark()
        proc = subprocess.Popen(goalkeeper_argv() + ["irc"], env=bot_env(db, network, server.port),
                                stdout=subprocess.DEVNULL, stderr=open(work.file("gk-irc.err"), "wb"))
        try:
            wait_in_channels(client, BOT_NICK, CHANNELS, timeout=30, since=mark)
            ready(client, BOT_NICK, CHANNELS[0], "!goal list team:nobody", 30)
            time.sleep(0.5)
            add, lst, lst_last, total = drive(client, BOT_NICK, n_add, n_list, "!goal add Bench goal {i}",
                                              "!goal list", log)
            time.sleep(0.3)
            rss = rss_mb(proc.pid)
        finally:
            stop(proc)
        figs.append(judged(AREA, "`!goal add` round trip, median", ms(median(add)), "ms", 2.0,
                           note=f"{len(add)} commands, one at a time, each reply awaited, over 49 channels"))
        figs.append(judged(AREA, "`!goal add` round trip, p90", ms(pct(add, 90)), "ms", 4.0))
        figs.append(judged(AREA, "`!goal list` (10,000 goals stored) round trip to first line, median",
                           ms(median(lst)), "ms", 2.0, note=f"{len(lst)} commands, one at a time"))
        figs.append(judged(AREA, "`!goal list` (10,000 goals stored) round trip to first line, p90", ms(pct(lst, 90)),
                           "ms", 4.0))
        figs.append(judged(AREA, "`!goal list` (10,000 goals stored) round trip to its 8th (last) line, median",
                           ms(median(lst_last)), "ms", 2.0,
                           note="8 lines (7 goals + '!more'), written 0.1 ms apart on a socket without TCP_NODELAY: "
                                "lines 2-8 wait in the bot's kernel for ngircd's delayed ACK (Nagle)"))
        figs.append(judged(AREA, "`!goal list` (10,000 goals stored) round trip to its 8th (last) line, p90",
                           ms(pct(lst_last, 90)), "ms", 4.0))
        figs.append(import_memory())
        figs.append(judged(AREA, f"`goalkeeper irc` resident memory, 50 channels, after {total} commands",
                           rss, "MB", 40.0))
        log(f"irc: add median {ms(median(add)):.2f} ms p90 {ms(pct(add, 90)):.2f}; list median "
            f"{ms(median(lst)):.2f} p90 {ms(pct(lst, 90)):.2f}; rss {rss:.1f} MB")

        if not quick:
            figs.append(default_pacing(client, db, network, server.port, work, log))

        figs += peer(client, server, work, quick, n_add + n_list, add, rss, median(starts), log)
        client.close()
    finally:
        server.stop()
    return figs


def import_memory() -> Figure:
    """How much of the bot's memory is sqlite_utils' import (which loads numpy when it is installed)."""
    code = ("import sys\n"
            "def rss():\n"
            "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024\n"
            "import sqlite3, adapters.irc, bot.core\n"
            "a = rss()\nimport sqlite_utils\nb = rss()\n"
            "print(b - a, 'numpy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=base_env("x.db"),
                         timeout=60).stdout.split()
    mb, numpy = float(out[0]), out[1] == "True"
    return Figure(AREA, "of which: importing sqlite_utils (only migrations use it)", mb, "MB", target="(info)",
                  note="it imports numpy, which is installed here" if numpy else "numpy is not installed here")


def _na(why: str) -> list[Figure]:
    from .common import not_available

    return [not_available(AREA, name, target, why) for name, target in (
        ("`goalkeeper irc` process start to JOIN sent (median)", "<= 0.5 s"),
        ("`!goal add` round trip, median", "<= 2 ms"), ("`!goal add` round trip, p90", "<= 4 ms"),
        ("`!goal list` (10,000 goals stored) round trip, median", "<= 2 ms"),
        ("`!goal list` (10,000 goals stored) round trip, p90", "<= 4 ms"),
        ("`goalkeeper irc` resident memory, 50 channels, after 1000 commands", "<= 40 MB"))]


class _QuickAckSocket:
    """A client socket that re-arms TCP_QUICKACK after every read (Linux clears it after use)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._arm()

    def _arm(self) -> None:
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except (OSError, AttributeError):
            pass

    def recv(self, n: int) -> bytes:
        data = self._sock.recv(n)
        self._arm()
        return data

    def __getattr__(self, name):
        return getattr(self._sock, name)


def quick_ack(client):
    """The bench's IRC client (tests/fixtures_irc.py) with prompt ACKs; its reader picks the wrapper up."""
    client.sock = _QuickAckSocket(client.sock)
    return client


# -- the server ------------------------------------------------------------------------------------


def BenchNgircd(workdir: str):
    """The IRC tests' ngircd, with its flood penalties off and room for 50 channels per client."""
    from tests.fixtures_irc import Ngircd

    server = Ngircd(workdir)
    with open(server.conf) as f:
        conf = f.read()
    conf = conf.replace("[Limits]\n", "[Limits]\nMaxPenaltyTime = 0\nMaxJoins = 0\n", 1)
    with open(server.conf, "w") as f:
        f.write(conf)
    return server


# -- the bot -----------------------------------------------------------------------------------------


def bot_env(db: str, network: str, port: int | None, **extra) -> dict:
    env = {"IRC_SERVER": "127.0.0.1", "IRC_PORT": str(port or 1), "IRC_TLS": "0", "IRC_NICK": BOT_NICK,
           "IRC_CHANNELS": ",".join(CHANNELS), "IRC_NETWORK": network, "IRC_RATE": "100000", "IRC_BURST": "1000"}
    env.update(extra)
    return base_env(db, **env)


def seed_irc_store(db: str, network: str) -> None:
    """10,000 goals this quarter (by the real clock: the process reads it) in #gk1's team, its digest off so
    no scheduled message crosses the measurements; the other channels' teams start empty."""
    now = datetime.now(timezone.utc)
    open_store(db).close()
    with raw(db) as conn:
        seed_team(conn, "gk1", channel_key=f"irc:{network}:#gk1", channel_name="#gk1", platform="irc", created=now)
        conn.execute("UPDATE teams SET digest_enabled = 0 WHERE name = 'gk1'")
        seed_goals(conn, 10_000, "gk1", id_prefix=f"irc:{network}:", now=now)


def wait_in_channels(client, nick: str, channels: list[str], timeout: float, since: int = 0) -> None:
    """Until `nick` has joined every channel (the client, in all of them, sees each JOIN) after line `since`."""
    want = {c.lower() for c in channels}
    rx = re.compile(rf"^:{re.escape(nick)}!\S+ JOIN :?(\S+)", re.I)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = {m.group(1).lower() for l in client.matching(rf"^:{re.escape(nick)}!", since)
               if (m := rx.search(l.text))}
        if want <= got:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{nick} joined only {len(got)} of {len(want)} channels within {timeout}s")


def round_trip(client, nick: str, channel: str, text: str, lines: int = 1, timeout: float = 10.0):
    """(seconds to the first reply line, seconds to the `lines`-th) for one command."""
    pattern = rf"^:{re.escape(nick)}!\S+ PRIVMSG {re.escape(channel)} :"
    mark = client.mark()
    t = time.monotonic()
    client.say(channel, text)
    got = client.collect(pattern, lines, timeout, since=mark)
    return got[0].at - t, got[-1].at - t


def drive(client, nick: str, n_add: int, n_list: int, add_text: str, list_text: str | None, log):
    """`n_add` adds over channels 2..50 and `n_list` lists in channel 1, interleaved, one at a time.
    The first command in each channel is warm-up (channel registration) and not counted."""
    add, lst, lst_last = [], [], []
    list_lines = 8 if list_text else 1
    for c in CHANNELS:  # warm-up: one command per channel
        round_trip(client, nick, c, add_text.format(i=0))
    every = max(1, n_add // max(1, n_list))
    i = 0
    for k in range(n_add):
        c = CHANNELS[1 + k % (len(CHANNELS) - 1)]
        add.append(round_trip(client, nick, c, add_text.format(i=k))[0])
        if list_text and k % every == every - 1 and i < n_list:
            first, last = round_trip(client, nick, CHANNELS[0], list_text, lines=list_lines)
            lst.append(first)
            lst_last.append(last)
            i += 1
    total = len(CHANNELS) + len(add) + len(lst)
    return add, lst, lst_last, total


def default_pacing(client, db: str, network: str, port: int, work: Workdir, log) -> Figure:
    """`!goal add` with the adapter's default pacing (a burst of 4, then 1 line a second), commands 1.05 s apart."""
    env = bot_env(db, network, port)
    del env["IRC_RATE"], env["IRC_BURST"]
    mark = client.mark()
    proc = subprocess.Popen(goalkeeper_argv() + ["irc"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    samples = []
    try:
        wait_in_channels(client, BOT_NICK, CHANNELS, 30, since=mark)
        time.sleep(5)  # let the join burst's tokens come back
        for k in range(12):
            time.sleep(1.05)
            samples.append(round_trip(client, BOT_NICK, CHANNELS[1 + k], f"!goal add Paced goal {k}")[0])
    finally:
        stop(proc)
    log(f"irc: default pacing, 1 command/s: median {ms(median(samples)):.2f} ms")
    return judged(AREA, "`!goal add` round trip at default pacing, commands 1 s apart, median", ms(median(samples)),
                  "ms", 2.0, note="IRC_RATE/IRC_BURST left at their defaults; 12 commands")


# -- start to JOIN, seen on the wire ----------------------------------------------------------------------


class Relay:
    """A loopback TCP relay in front of ngircd that notes when the first JOIN line leaves the client."""

    def __init__(self, upstream_port: int):
        self.upstream = upstream_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.join_at: float | None = None
        self.first_byte_at: float | None = None
        self.joined = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            down, _ = self.sock.accept()
        except OSError:
            return
        up = socket.create_connection(("127.0.0.1", self.upstream))
        self._conns += [down, up]
        threading.Thread(target=self._pump, args=(up, down, False), daemon=True).start()
        self._pump(down, up, True)

    def _pump(self, src: socket.socket, dst: socket.socket, watch: bool) -> None:
        buf = b""
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if watch:
                now = time.perf_counter()
                if self.first_byte_at is None:
                    self.first_byte_at = now
                if self.join_at is None:
                    buf = (buf + data)[-4096:]
                    if re.search(rb"(^|\n)JOIN ", buf):
                        self.join_at = now
                        self.joined.set()
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for s in [self.sock, *self._conns]:
            try:
                s.close()
            except OSError:
                pass


def start_to_join(prepare, server_port: int, timeout: float = 20.0) -> float:
    """Seconds from process start to its first JOIN on the wire; prepare(relay_port) -> (argv, env, cwd)."""
    relay = Relay(server_port)
    argv, env, cwd = prepare(relay.port)
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    try:
        if not relay.joined.wait(timeout):
            raise RuntimeError(f"{argv[0]} sent no JOIN within {timeout}s")
        return relay.join_at - t
    finally:
        stop(proc)
        relay.close()


# -- the peer: Limnoria ------------------------------------------------------------------------------------


def limnoria_ready(log) -> tuple[str | None, str]:
    """(path of the `limnoria` program, what happened): a venv under /tmp, made on first use."""
    exe = os.path.join(PEER_VENV, "bin", "limnoria")
    if os.path.exists(exe):
        return exe, "Limnoria from PyPI in " + PEER_VENV
    log(f"irc: installing limnoria into {PEER_VENV} (bench only, not a project dependency)")
    try:
        subprocess.run([sys.executable, "-m", "venv", PEER_VENV], check=True, capture_output=True, timeout=120)
        subprocess.run([os.path.join(PEER_VENV, "bin", "pip"), "install", "-q", "limnoria"], check=True,
                       capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError) as e:
        out = getattr(e, "stderr", b"") or b""
        return None, f"pip install limnoria failed: {e} {out[-300:]!r}"
    return (exe if os.path.exists(exe) else None), "Limnoria installed from PyPI into " + PEER_VENV


def limnoria_version() -> str:
    try:
        out = subprocess.run([os.path.join(PEER_VENV, "bin", "pip"), "show", "limnoria"], capture_output=True,
                             text=True, timeout=60).stdout
        return next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Version:")), "?")
    except (subprocess.SubprocessError, OSError):
        return "?"


def limnoria_conf(workdir: str, port: int, channels: list[str], nick: str = PEER_NICK) -> str:
    """A minimal Limnoria config: plain TCP, `@` prefix, Utilities' echo, no throttling, no flood punishment."""
    d = os.path.join(workdir, "limnoria")
    for sub in ("conf", "data", "data/tmp", "data/web", "backup", "logs", "plugins"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    conf = os.path.join(d, "bench.conf")
    lines = {
        "supybot.nick": nick,
        "supybot.ident": "limbench",
        "supybot.user": "Limnoria bench",
        "supybot.networks": "bench",
        "supybot.networks.bench.servers": f"127.0.0.1:{port}",
        "supybot.networks.bench.channels": " ".join(channels),
        "supybot.networks.bench.ssl": "False",
        "supybot.reply.whenAddressedBy.chars": "@",
        "supybot.protocols.irc.throttleTime": "0.0",
        "supybot.abuse.flood.command": "False",
        "supybot.abuse.flood.command.invalid": "False",
        "supybot.abuse.flood.interval": "60",
        "supybot.directories.conf": os.path.join(d, "conf"),
        "supybot.directories.data": os.path.join(d, "data"),
        "supybot.directories.data.tmp": os.path.join(d, "data/tmp"),
        "supybot.directories.data.web": os.path.join(d, "data/web"),
        "supybot.directories.backup": os.path.join(d, "backup"),
        "supybot.directories.log": os.path.join(d, "logs"),
        "supybot.directories.plugins": os.path.join(d, "plugins"),
        "supybot.plugins": "Admin Channel Config Misc Owner User Utilities",
        "supybot.plugins.Admin": "True",
        "supybot.plugins.Channel": "True",
        "supybot.plugins.Config": "True",
        "supybot.plugins.Misc": "True",
        "supybot.plugins.Owner": "True",
        "supybot.plugins.User": "True",
        "supybot.plugins.Utilities": "True",
        "supybot.log.stdout": "False",
        "supybot.log.level": "WARNING",
    }
    with open(conf, "w") as f:
        f.write("".join(f"{k}: {v}\n" for k, v in lines.items()))
    return conf


def peer(client, server, work: Workdir, quick: bool, n_commands: int, gk_add: list[float], gk_rss: float,
         gk_start: float, log) -> list[Figure]:
    exe, how = limnoria_ready(log)
    if exe is None:
        return [Figure(AREA, "peer: Limnoria `@echo` round trip, median", None, "", note=how)]
    version = limnoria_version()
    figs: list[Figure] = []
    peer_channels = CHANNELS
    try:
        conf = limnoria_conf(work.path, server.port, peer_channels)
        argv = [exe, "--allow-root", conf]
        # start-up to JOIN on the wire, like goalkeeper's
        env = base_env(work.file("x.db"))

        def prepare(port: int):
            path = limnoria_conf(os.path.join(work.path, f"relay{port}"), port, peer_channels, f"limstart{port}")
            return [exe, "--allow-root", path], env, os.path.dirname(path)

        starts = [start_to_join(prepare, server.port, timeout=30) for _ in range(2 if quick else 3)]
        mark = client.mark()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(work.file("limnoria.err"), "wb"),
                                env=env, cwd=os.path.dirname(conf))
        try:
            wait_in_channels(client, PEER_NICK, peer_channels, 60, since=mark)
            ready(client, PEER_NICK, peer_channels[0], "@echo ready", 30)
            time.sleep(0.5)
            echo = []
            for c in peer_channels:  # warm-up, as for goalkeeper
                round_trip(client, PEER_NICK, c, "@echo warm")
            for k in range(n_commands):
                c = peer_channels[1 + k % (len(peer_channels) - 1)]
                echo.append(round_trip(client, PEER_NICK, c, f"@echo Bench goal {k}")[0])
            time.sleep(0.3)
            rss = rss_mb(proc.pid)
        finally:
            stop(proc)
    except Exception as e:  # the peer is a comparison: report what happened, never fail the run for it
        return [Figure(AREA, "peer: Limnoria `@echo` round trip, median", None, "",
                       note=f"Limnoria {version} could not be run: {type(e).__name__}: {e}")]
    total = len(peer_channels) + len(echo)
    m_gk, m_peer = median(gk_add), median(echo)
    figs.append(Figure(AREA, f"peer: Limnoria {version} `@echo` round trip, median", ms(m_peer), "ms",
                       target="(peer)", note=f"{len(echo)} commands, same ngircd, same 50 channels; {how}"))
    figs.append(Figure(AREA, f"peer: Limnoria {version} `@echo` round trip, p90", ms(pct(echo, 90)), "ms",
                       target="(peer)"))
    figs.append(Figure(AREA, "`!goal add` median beside the peer's `@echo` median", ms(m_gk), "ms",
                       target="below the peer", met="yes" if m_gk < m_peer else "no", floor=ms(m_peer),
                       floor_unit="ms", floor_name="Limnoria @echo", ratio=m_gk / m_peer,
                       ratio_note="of the peer's time"))
    figs.append(Figure(AREA, f"peer: Limnoria resident memory, 50 channels, after {total} commands", rss, "MB",
                       target="(peer)"))
    figs.append(Figure(AREA, "`goalkeeper irc` memory beside the peer's", gk_rss, "MB", target="below the peer",
                       met="yes" if gk_rss < rss else "no", floor=rss, floor_unit="MB", floor_name="Limnoria RSS",
                       ratio=gk_rss / rss, ratio_note="of the peer's memory"))
    figs.append(Figure(AREA, "peer: Limnoria process start to JOIN sent (median)", median(starts), "s",
                       target="(peer)", note=f"{len(starts)} starts"))
    figs.append(Figure(AREA, "`goalkeeper irc` start to JOIN beside the peer's", gk_start, "s",
                       target="below the peer", met="yes" if gk_start < median(starts) else "no",
                       floor=median(starts), floor_unit="s", floor_name="Limnoria start to JOIN",
                       ratio=gk_start / median(starts), ratio_note="of the peer's time"))
    log(f"irc: peer limnoria echo median {ms(m_peer):.2f} ms p90 {ms(pct(echo, 90)):.2f} ms, rss {rss:.1f} MB, "
        f"start to JOIN {median(starts):.3f} s")
    return figs


def ready(client, nick: str, channel: str, text: str, timeout: float) -> None:
    """Until the bot answers in `channel` (a bot may have joined before it listens)."""
    end = time.monotonic() + timeout
    while True:
        try:
            round_trip(client, nick, channel, text, timeout=1.0)
            return
        except AssertionError:
            if time.monotonic() > end:
                raise
