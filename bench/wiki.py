"""Issue 17: publishing to a real local MediaWiki (the tests' wiki, tests/mediawiki.py).

Timed as `goalkeeper publish` does it, in process: a fresh adapter (so each run logs in, as one CLI run
does), the review built, the page read, the section placed, the edit saved, the saved text read back and
recorded. Each run publishes a changed review (the clock moves a minute), so every run is a real edit.
The floor is the wiki itself, in the same run: mwclient alone logging in, reading a page and saving the
very text Goalkeeper wrote with one line changed (what no publisher can go below).
"""
from __future__ import annotations

import time
from datetime import timedelta

from .common import NOW, TEAM, Figure, Workdir, judged, median, not_available, open_store, raw, seed_goals, \
    seed_kpis, seed_team

AREA = "wiki"


def run(quick: bool, work: Workdir, log) -> list[Figure]:
    from .common import module_missing

    missing = module_missing("bot.publish", "mwclient")
    if missing:
        return [not_available(AREA, "publish one review to MediaWiki", "<= 3 s", missing)]
    try:
        from tests.mediawiki import MediaWikiMissing, start
    except ImportError as e:
        return [not_available(AREA, "publish one review to MediaWiki", "<= 3 s", f"tests/mediawiki.py: {e}")]
    try:
        wiki, stop = start()
    except MediaWikiMissing as e:
        return [not_available(AREA, "publish one review to MediaWiki", "<= 3 s", str(e)[:300])]
    k = 3 if quick else 7
    try:
        one_db = work.file("wiki-one.db")
        open_store(one_db).close()
        with raw(one_db) as conn:
            seed_team(conn, TEAM, channel_key=f"console:#{TEAM}")
            seed_goals(conn, 30, TEAM, learnings_per_goal=2, team_learnings=10)
            seed_kpis(conn, TEAM, kpis=4, values=20)
        all_db = work.file("wiki-all.db")
        open_store(all_db).close()
        teams = [f"team{i:02d}" for i in range(10)]
        with raw(all_db) as conn:
            for t in teams:
                seed_team(conn, t, channel_key=f"console:#{t}")
                seed_goals(conn, 20, t, learnings_per_goal=1, team_learnings=5)
                seed_kpis(conn, t, kpis=3, values=10)
        one, size1, title1 = publishes(wiki, one_db, "--team", k)
        base1 = floor(wiki, k, title1)
        log(f"wiki: one review {median(one):.2f} s (floor {median(base1):.2f} s)")
        every, size10, title10 = publishes(wiki, all_db, "--all", k)
        base10 = floor(wiki, k, title10)
        log(f"wiki: --all, 10 teams {median(every):.2f} s (floor {median(base10):.2f} s)")
    finally:
        stop()
    return [
        judged(AREA, "publish one review (30 goals) to MediaWiki: login, read, edit, read back", median(one), "s",
               3.0, floor=median(base1), floor_unit="s", floor_name="mwclient login + read + edit of that page",
               ratio=median(one) / median(base1), ratio_note="of the floor's time", note=f"{size1:,} bytes of wikitext"),
        judged(AREA, "publish --all, 10 teams (200 goals) on one page", median(every), "s", 5.0,
               floor=median(base10), floor_unit="s", floor_name="mwclient login + read + edit of that page",
               ratio=median(every) / median(base10), ratio_note="of the floor's time", note=f"{size10:,} bytes of wikitext"),
    ]


def publishes(wiki, db: str, what: str, k: int) -> tuple[list[float], int]:
    from adapters.bootstrap import bootstrap
    from bot.publications import organisation_publication, review_publication
    from bot.publish import publish
    from bot.quarters import quarter_of

    env = {"GOALKEEPER_DB": db, **wiki.env(GOALKEEPER_WIKI_PAGE="Bench/{team}/{quarter}")}
    xs, size = [], 0
    for i in range(k + 1):  # the first run creates the page: not counted
        now = NOW + timedelta(minutes=i)
        t = time.perf_counter()
        app = bootstrap(env, now=now)  # a fresh adapter: this run logs in, as one `goalkeeper publish` does
        try:
            quarter = quarter_of(now.date(), app.config.fiscal_start)
            pub = review_publication(app.store, app.config, TEAM, quarter, now) if what == "--team" else \
                organisation_publication(app.store, app.config, quarter, now)
            out = publish(app.wiki, app.store, pub, now, "bench")
        finally:
            app.close()
        if i:
            xs.append(time.perf_counter() - t)
        assert out.action in ("created", "updated"), out
        size = len(pub.text.encode())
    return xs, size, out.title


def floor(wiki, k: int, title: str) -> list[float]:
    """mwclient alone saving the page Goalkeeper wrote, with one line changed, on a page of its own."""
    import mwclient

    xs = []
    host = wiki.base.split("://", 1)[1]
    text = wiki.text(title)
    for i in range(k + 1):
        t = time.perf_counter()
        site = mwclient.Site(host, path="/", scheme="http")
        site.login(wiki.bot_user, wiki.bot_password)
        page = site.pages["Bench floor/" + title]
        page.text()
        page.edit(text + f"\nline {i}", "bench floor")
        if i:
            xs.append(time.perf_counter() - t)
    return xs
