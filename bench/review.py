"""Issue 6: the review of a team with 200 goals and 2,000 learnings, in each format, store export included.

Timed as `goalkeeper review --team T --format F` does it: `store.export(team=T)`, `build_review`, then the
renderer (md, wiki, html). The chat summary (`review` in chat, through the core) is reported beside them.
"""
from __future__ import annotations

import time
from datetime import timedelta

from .common import (NOW, TEAM, Figure, Workdir, console_bot, console_message, judged, median, ms, not_available,
                     open_store, profile_top, raw, seed_goals, seed_kpis, seed_team)

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
    return figs


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
