"""Issue 16: the review meeting.

* logging a line during a meeting: the IRC round trip of `#info` beside `!goal add`'s, in the same run,
  on the same bot process and channel (ngircd on loopback, penalties off), one line at a time, each
  reply awaited; target: `#info` within 2x of `!goal add`;
* the minutes of a 2,000-line meeting in each format (read from the store and written, as
  `goalkeeper minutes M<id> --format F` does), beside the floor of reading its 2,000 log rows alone.
"""
from __future__ import annotations

import subprocess
import time

from .common import (NOW, Figure, Workdir, console_bot, console_message, goalkeeper_argv, judged, median, ms,
                     not_available, stop, timed)

AREA = "meeting"
CHANNEL = "#gkmeet"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    figs = minutes(quick, work, log)
    figs += irc(quick, work, log)
    return figs


# -- minutes ------------------------------------------------------------------------------------------


def minutes(quick: bool, work: Workdir, log) -> list[Figure]:
    from bot.meeting.minutes import load_minutes, render

    db = work.file("meeting.db")
    store, bot = console_bot(db)
    at = NOW
    bot.handle(console_message("#startmeeting bench", at=at))
    for n in range(2000 - 2):
        word = ("#info", "#idea", "", "", "#action greg", "")[n % 6]
        bot.hear(console_message(f"{word} line {n} of the meeting, with some words in it".strip(),
                                 user=("greg", "lila", "mark")[n % 3], at=at))
    bot.handle(console_message("#endmeeting", at=at))
    k = 5 if quick else 20
    floor = median(timed(lambda: store.meeting_lines(1), k))
    figs = []
    for fmt in ("md", "wiki", "html"):
        xs = timed(lambda: render(load_minutes(store, bot.config, 1), fmt), k)
        size = len(render(load_minutes(store, bot.config, 1), fmt))
        f = judged(AREA, f"minutes of a 2,000-line meeting ({fmt}), read from the store and written",
                   ms(median(xs)), "ms", 100.0, floor=ms(floor), floor_unit="ms", floor_name="reading its 2,000 log rows",
                   ratio=median(xs) / floor, ratio_note="of the floor", note=f"{size:,} characters, median of {k}")
        figs.append(f)
        log(f"meeting: minutes {fmt} {ms(median(xs)):.1f} ms (floor {ms(floor):.1f} ms)")
    store.close()
    return figs


# -- IRC ------------------------------------------------------------------------------------------------


def irc(quick: bool, work: Workdir, log) -> list[Figure]:
    import os
    import shutil

    if not (shutil.which("ngircd") or os.path.exists("/usr/sbin/ngircd")):
        return [not_available(AREA, "`#info` IRC round trip", "<= 2x `!goal add`", "ngircd is not installed")]
    from tests.fixtures_irc import IrcClient

    from .irc import BenchNgircd, bot_env, quick_ack, ready, round_trip, wait_in_channels

    server = BenchNgircd(work.file("ngircd-meeting")).start()
    n = 100 if quick else 400
    try:
        db = work.file("meeting-irc.db")
        client = quick_ack(IrcClient(server.port, "chair", oper=True).connect())
        client.join(CHANNEL, timeout=30)
        mark = client.mark()
        env = bot_env(db, server.network, server.port, IRC_CHANNELS=CHANNEL, IRC_NICK="gkmeet")
        proc = subprocess.Popen(goalkeeper_argv() + ["irc"], env=env, stdout=subprocess.DEVNULL,
                                stderr=open(work.file("gk-meeting-irc.err"), "wb"))
        try:
            wait_in_channels(client, "gkmeet", [CHANNEL], timeout=30, since=mark)
            ready(client, "gkmeet", CHANNEL, "!goal list", 30)
            round_trip(client, "gkmeet", CHANNEL, "#startmeeting bench")
            time.sleep(0.3)
            add, info = [], []
            for i in range(n):  # interleaved, so both see the same machine
                add.append(round_trip(client, "gkmeet", CHANNEL, f"!goal add Bench goal {i}")[0])
                info.append(round_trip(client, "gkmeet", CHANNEL, f"#info line {i} said in the meeting")[0])
        finally:
            stop(proc)
        client.close()
    finally:
        server.stop()
    ratio = median(info) / median(add)
    log(f"meeting: #info {ms(median(info)):.2f} ms, !goal add {ms(median(add)):.2f} ms ({ratio:.2f}x)")
    return [judged(AREA, "`#info` IRC round trip during a meeting, median", ratio, "x", 2.0,
                   target="<= 2x `!goal add`", floor=ms(median(add)), floor_unit="ms",
                   floor_name="`!goal add` round trip, same run", ratio=ratio, ratio_note="of `!goal add`",
                   note=f"#info median {ms(median(info)):.2f} ms; {n} of each, interleaved, each reply awaited "
                        "(both lines are logged: a meeting runs in the channel)")]
