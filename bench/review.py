"""Issue 6: the review of a team with 200 goals and 2,000 learnings, in each format, store export included.
Issue 12: the same team's closed quarter with 5,000 history events after its close; `--all` for 30 teams
with four closed quarters each.

Timed as `goalkeeper review --team T --format F` does it: `store.export(team=T)`, `build_review`, then the
renderer (md, wiki, html). The chat summary (`review` in chat, through the core) is reported beside them.
"""
from __future__ import annotations

import time
from datetime import timedelta

from .common import (NOW, TEAM, Figure, Workdir, console_bot, console_message, judged, median, ms, not_available,
                     open_store, profile_top, raw, seed_goals, seed_kpis, seed_team, timed)

AREA = "review"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    from .common import module_missing

    missing = module_missing("bot.review")
    if missing:
        return [not_available(AREA, f"review, 200 goals and 2,000 learnings ({f})", "<= 100 ms", missing)
                for f in ("md", "html", "wiki")]
    db = work.file("review.db")
    open_store(db).close()
    with raw(db) as conn:
        seed_team(conn, TEAM, channel_key=f"console:#{TEAM}", review_date=(NOW + timedelta(days=40)).date().isoformat())
        seed_goals(conn, 200, TEAM, learnings_per_goal=9, team_learnings=200, recent=20)
        seed_kpis(conn, TEAM, kpis=6, values=30)
    k = 5 if quick else 20
    store, bot = console_bot(db)
    figs: list[Figure] = []
    try:
        for fmt in ("md", "html", "wiki"):
            xs, size = times(store, fmt, k)
            f = judged(AREA, f"review, 200 goals and 2,000 learnings ({fmt}), export included", ms(median(xs)), "ms",
                       100.0, note=f"{size:,} characters")
            if f.met == "no":
                f.extra["profile"] = profile_top(lambda: times(store, fmt, 1), 15)
            figs.append(f)
            log(f"review: {fmt} {ms(median(xs)):.2f} ms")
        msg = console_message("review")
        bot.handle(msg)
        xs = []
        for _ in range(k):
            t = time.perf_counter()
            bot.handle(msg)
            xs.append(time.perf_counter() - t)
        figs.append(judged(AREA, "review in chat (`review`, through the core)", ms(median(xs)), "ms", 100.0,
                           ))
        log(f"review: chat {ms(median(xs)):.2f} ms")
    finally:
        store.close()
    figs.append(closed_quarter(work, k, log))
    figs.append(organisation(work, k, log))
    return figs


CLOSED_Q = "2025Q4"  # the quarter before NOW's, closed on 10 January


def closed_quarter(work: Workdir, k: int, log) -> Figure:
    """200 goals and 2,000 learnings of a closed quarter, with 5,000 status events after its close."""
    import json
    from datetime import datetime, timezone

    db = work.file("review-closed.db")
    open_store(db).close()
    quarter_end = datetime(2025, 12, 20, 10, 0, tzinfo=timezone.utc)
    with raw(db) as conn:
        seed_team(conn, TEAM, channel_key=f"console:#{TEAM}")
        seed_goals(conn, 200, TEAM, CLOSED_Q, learnings_per_goal=9, team_learnings=200, recent=20, now=quarter_end)
        seed_kpis(conn, TEAM, kpis=6, values=30)
        conn.execute("INSERT INTO quarter_closes (team, quarter, at, by, how) VALUES (?, ?, ?, 'console:greg',"
                     " 'review close')", (TEAM, CLOSED_Q, "2026-01-10T18:00:00+00:00"))
        after = datetime(2026, 1, 11, tzinfo=timezone.utc)
        cycle = ("on-track", "hit", "partial", "miss")
        conn.executemany(
            "INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, 'console:greg', 'status', ?, ?)",
            [(1 + i % 200, (after + timedelta(minutes=7 * i)).isoformat(timespec="seconds"),
              json.dumps({"status": [cycle[i % 4], cycle[(i + 1) % 4]]}), "moved after the review")
             for i in range(5000)])
    store = open_store(db)
    try:
        from bot.quarters import quarter_from_label
        from bot.review import build_review, render_markdown

        quarter = quarter_from_label(CLOSED_Q)

        def one():
            review = build_review(store.export(team=TEAM), TEAM, quarter, NOW)
            assert review.complete and review.changed_after_count == 5000
            return render_markdown(review)

        xs = timed(one, k)
    finally:
        store.close()
    log(f"review: closed quarter {ms(median(xs)):.2f} ms")
    return judged(AREA, "closed quarter's review, 200 goals, 2,000 learnings, 5,000 events after the close (md)",
                  ms(median(xs)), "ms", 34.0, note="within 2x of the 12-17 ms of an open quarter's")


def organisation(work: Workdir, k: int, log) -> Figure:
    """`goalkeeper review --all`: 30 teams, each with 20 goals in each of four closed quarters and the current."""
    from datetime import datetime, timezone

    from bot.config import Config
    from bot.review.service import organisation_document

    db = work.file("review-all.db")
    open_store(db).close()
    quarters = [("2025Q1", datetime(2025, 2, 10, tzinfo=timezone.utc)), ("2025Q2", datetime(2025, 5, 10, tzinfo=timezone.utc)),
                ("2025Q3", datetime(2025, 8, 10, tzinfo=timezone.utc)), ("2025Q4", datetime(2025, 11, 10, tzinfo=timezone.utc)),
                ("2026Q1", NOW)]
    teams = [f"team{i:02d}" for i in range(30)]
    with raw(db) as conn:
        for team in teams:
            seed_team(conn, team, channel_key=f"console:#{team}")
            for label, at in quarters:
                seed_goals(conn, 20, team, label, learnings_per_goal=2, team_learnings=5, recent=2, now=at,
                           person=team + "-user{}")
                if label != "2026Q1":
                    conn.execute("INSERT INTO quarter_closes (team, quarter, at, by, how) VALUES (?, ?, ?, 'x', 'x')",
                                 (team, label, (at + timedelta(days=70)).isoformat(timespec="seconds")))
    store = open_store(db)
    config = Config()
    try:
        from bot.quarters import quarter_from_label

        quarter = quarter_from_label("2026Q1")

        def one():
            doc = organisation_document(store, config, quarter, NOW)
            assert len(doc.reviews) == 30 and all(len(r.recent) == 4 for r in doc.reviews)
            return doc.text("md")

        xs = timed(one, k)
    finally:
        store.close()
    log(f"review: --all {ms(median(xs)):.2f} ms")
    return judged(AREA, "review --all, 30 teams with four closed quarters each (md), export included",
                  ms(median(xs)), "ms", 200.0, note="3,000 goals, 3,750 learnings")


def one(store, fmt: str) -> str:
    from bot import review as rv
    from bot.quarters import quarter_of

    doc = store.export(team=TEAM)
    review = rv.build_review(doc, TEAM, quarter_of(NOW.date(), 1), NOW)
    if fmt == "html":
        return rv.render_html([review])
    return (rv.render_markdown if fmt == "md" else rv.render_wiki)(review)


def times(store, fmt: str, k: int) -> tuple[list[float], int]:
    size = len(one(store, fmt))  # warm
    out = []
    for _ in range(k):
        t = time.perf_counter()
        one(store, fmt)
        out.append(time.perf_counter() - t)
    return out, size
