"""Issue 5: a scheduler pass over 10,000 channels with nothing due, and the digest of a big team.

The pass is `Goalkeeper.tick(now)` (bot.schedule.queue_due) on a store just opened, so nothing it
remembers from an earlier pass helps it; the pass it makes again on the same connection (its memo of
"nothing changed, nothing due before T") is reported beside it.
"""
from __future__ import annotations

import time
from datetime import timedelta

from .common import (NOW, TEAM, Figure, Workdir, console_bot, iso, judged, median, ms, not_available, open_store,
                     profile_top, raw, seed_goals, seed_kpis, seed_team)

AREA = "schedule"
ZONES = ("UTC", "America/Los_Angeles", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata")


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    from .common import module_missing

    missing = module_missing("bot.schedule", "bot.digest")
    if missing:
        return [not_available(AREA, "scheduler pass over 10,000 channels, nothing due", "<= 200 ms", missing),
                not_available(AREA, "digest of a team with 1,000 goals and 10,000 learnings", "<= 50 ms", missing)]
    figs: list[Figure] = []
    k = 5 if quick else 15

    for layout, name in (("delivered", "every channel got this week's digest"),
                         ("fresh", "schedules set after the last slot")):
        db = work.file(f"sched-{layout}.db")
        seed_channels(db, 10_000, delivered=layout == "delivered")
        cold, warm, queued = passes(db, k)
        f = judged(AREA, f"scheduler pass over 10,000 channels, nothing due ({name})", ms(median(cold)), "ms", 200.0,
                   note=f"median of {k} passes, each on a store just opened; a repeat pass on the same connection "
                        f"(memo): {ms(median(warm)):.3f} ms")
        if queued:
            f.met, f.note = "no", f"the pass queued {queued} messages: the layout was not 'nothing due'"
        if f.met == "no":
            f.extra["profile"] = profile_top(lambda: _one_pass(db), 15)
        figs.append(f)
        log(f"schedule: pass ({layout}) {ms(median(cold)):.2f} ms, repeat {ms(median(warm)):.3f} ms")

    db = work.file("digest.db")
    seed_digest_team(db, 1_000, 10)
    for platform, short, label in (("console", False, "console/long"), ("irc", True, "IRC/short"),
                                   ("slack", False, "Slack")):
        xs = digest_times(db, platform, short, k * 2)
        f = judged(AREA, f"digest of a team with 1,000 goals and 10,000 learnings ({label})", ms(median(xs)), "ms",
                   50.0, note="")
        if f.met == "no":
            f.extra["profile"] = profile_top(lambda: digest_times(db, platform, short, 1), 15)
        figs.append(f)
        log(f"schedule: digest {label} {ms(median(xs)):.2f} ms")
    return figs


# -- the pass ------------------------------------------------------------------------------------


def seed_channels(db: str, n: int, delivered: bool) -> None:
    """`n` teams with one channel each, digests on (five zones), a review date ahead for every other team
    (more than 14 days out, so no reminder is due); `delivered`: this week's digest is in the outbox,
    delivered; else each schedule was set after its latest slot."""
    from bot.schedule import plan

    open_store(db).close()
    review = (NOW + timedelta(days=40)).date().isoformat()
    since = iso(NOW - timedelta(days=60)) if delivered else iso(NOW - timedelta(minutes=5))
    with raw(db) as conn:
        conn.executemany(
            "INSERT INTO teams (name, tz, review_date, review_set_at, digest_since, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(f"team{i}", ZONES[i % len(ZONES)], review if i % 2 else None, since, since, since) for i in range(n)])
        conn.executemany(
            "INSERT INTO channels (key, name, platform, team, private, created_at) VALUES (?, ?, ?, ?, 0, ?)",
            [(f"irc:bench:#team{i}", f"#team{i}", ("irc", "slack", "console")[i % 3], f"team{i}", since)
             for i in range(n)])
        # this week's check-ins: asked already (delivered), or the schedule set after the latest slot (fresh)
        from bot.checkin import plan_checkins

        conn.row_factory = lambda c, r: {d[0]: v for d, v in zip(c.description, r)}
        if delivered:
            rows = conn.execute("SELECT name AS team, tz, checkin_weekday, checkin_time, checkin_enabled,"
                                " created_at AS checkin_since, NULL AS checkin_done FROM teams").fetchall()
            asks, _ = plan_checkins(rows, NOW)
            conn.executemany("INSERT INTO checkin_passes (team, slot, at) VALUES (?, ?, ?)",
                             [(a.team, iso(a.slot), iso(a.slot)) for a in asks])
        else:
            conn.execute("UPDATE teams SET checkin_since = digest_since")
        if delivered:
            conn.row_factory = lambda c, r: {d[0]: v for d, v in zip(c.description, r)}
            from bot.schedule import _CHANNELS_SQL

            due, _ = plan(conn.execute(_CHANNELS_SQL).fetchall(), NOW)
            conn.executemany(
                "INSERT INTO outbox (key, channel_key, platform, kind, slot, text, created_at, claimed_at, claimed_by,"
                " delivered_at, attempts) VALUES (?, ?, ?, ?, ?, 'digest', ?, ?, 'bench', ?, 1)",
                [(d.key, d.channel_key, d.platform, d.kind, iso(d.slot), iso(d.slot), iso(d.slot), iso(d.slot))
                 for d in due])


def _one_pass(db: str) -> int:
    store, bot = console_bot(db)
    try:
        return bot.tick(NOW)
    finally:
        store.close()


def passes(db: str, k: int) -> tuple[list[float], list[float], int]:
    cold, warm, queued = [], [], 0
    _one_pass(db)  # warm the page cache and the imports
    for _ in range(k):
        store, bot = console_bot(db)
        store.one("SELECT 1")  # the connection is opened outside the timing
        t = time.perf_counter()
        queued += bot.tick(NOW)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        queued += bot.tick(NOW + timedelta(seconds=5))
        warm.append(time.perf_counter() - t)
        store.close()
    return cold, warm, queued


# -- the digest ----------------------------------------------------------------------------------


def seed_digest_team(db: str, goals: int, learnings_per_goal: float) -> None:
    open_store(db).close()
    with raw(db) as conn:
        seed_team(conn, TEAM, channel_key=f"console:#{TEAM}", review_date=(NOW + timedelta(days=40)).date().isoformat())
        seed_goals(conn, goals, TEAM, learnings_per_goal=learnings_per_goal, recent=40)
        seed_kpis(conn, TEAM, kpis=6, values=30)


def digest_times(db: str, platform: str, short: bool, k: int) -> list[float]:
    from bot.digest import build_digest
    from bot.render import renderer_for

    store, bot = console_bot(db)
    r = renderer_for(platform)
    build_digest(store, bot.config, TEAM, NOW, r, short=short)  # warm
    out = []
    for _ in range(k):
        t = time.perf_counter()
        build_digest(store, bot.config, TEAM, NOW, r, short=short)
        out.append(time.perf_counter() - t)
    store.close()
    return out
