"""Issue 7: how cost grows with what is stored. `goal list` and `digest` through the core (the chat path)
with 1,000, 10,000 and 100,000 goals stored (one learning per goal), in two layouts:

- "one team": every goal is the asking team's, this quarter (what is shown stays bounded: 50 goals in a
  list, capped lists in a digest, while the counts cover them all);
- "spread": the asking team always has 1,000 goals this quarter; the rest of the store is half the same
  team's earlier quarters, half 50 other teams.

The bench's reading of "grows with what is shown, not with what is stored": at most 2x the 1,000-goal
time at 100 times the goals.
"""
from __future__ import annotations

import time

from .common import (NOW, TEAM, Figure, Workdir, console_bot, console_message, median, ms, module_missing, open_store,
                     profile_top, raw, seed_goals, seed_kpis, seed_team, seeded_store)

AREA = "growth"
SIZES = (1_000, 10_000, 100_000)


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    k = 10 if quick else 30
    commands = [("goal list", "goal list")]
    if module_missing("bot.digest") is None:
        commands.append(("digest", "digest"))
    base: dict[str, float] = {}
    figs: list[Figure] = []
    for layout, n in [(lay, n) for lay in ("one team", "spread") for n in SIZES]:
        if layout == "one team":
            db = seeded_store(work.file(f"growth{n}.db"), n, learnings_per_goal=1)
        else:
            db = spread_store(work.file(f"spread{n}.db"), n)
        store, bot = console_bot(db)
        try:
            for name, text in commands:
                msg = console_message(text)
                replies = bot.handle(msg)
                if any(r.error for r in replies):
                    raise RuntimeError(f"{text}: {replies[0].text[:200]}")
                xs = []
                for _ in range(k):
                    t = time.perf_counter()
                    bot.handle(msg)
                    xs.append(time.perf_counter() - t)
                v = median(xs)
                key = f"{layout}/{name}"
                base.setdefault(key, v)
                f = Figure(AREA, f"`{name}`, {n:,} goals stored ({layout})", ms(v), "ms",
                           target="<= 2x the 1,000 figure", floor=ms(base[key]), floor_unit="ms",
                           floor_name=f"`{name}` at 1,000 goals", ratio=v / base[key], ratio_note="of the 1,000 figure",
                           )
                f.met = "yes" if v <= 2 * base[key] else "no"
                if f.met == "no":
                    f.extra["profile"] = profile_top(lambda: [bot.handle(msg) for _ in range(3)], 15)
                figs.append(f)
                log(f"growth: {name} at {n:,} ({layout}): {ms(v):.2f} ms ({v / base[key]:.2f}x)")
        finally:
            store.close()
    if len(commands) == 1:
        figs.append(Figure(AREA, "`digest` at 1k/10k/100k goals", None, "", note="not built yet: bot.digest"))
    return figs


def spread_store(path: str, n: int) -> str:
    """The asking team: 1,000 goals this quarter; the rest: its 4 earlier quarters and 50 other teams."""
    from bot.quarters import quarter_of

    open_store(path).close()
    q = quarter_of(NOW.date(), 1)
    past = [q.prev(), q.prev().prev(), q.prev().prev().prev(), q.prev().prev().prev().prev()]
    rest = n - 1_000
    with raw(path) as conn:
        seed_team(conn, TEAM, channel_key=f"console:#{TEAM}")
        seed_goals(conn, 1_000, TEAM, learnings_per_goal=1)
        seed_kpis(conn, TEAM, 3)
        for i, pq in enumerate(past):
            seed_goals(conn, rest // 2 // len(past), TEAM, pq.label, learnings_per_goal=1, recent=0)
        for t in range(50):
            seed_team(conn, f"other{t}")
            seed_goals(conn, (rest - rest // 2) // 50, f"other{t}", learnings_per_goal=1)
    return path
