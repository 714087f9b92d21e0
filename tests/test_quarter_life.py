"""The quarter's life (open, under review, closed) as the January 2016 review minutes tell it.

Release Engineering's Oct-Dec 2015 quarter (FY2016Q2 with the fiscal year from July): goals in
October, statuses moving in November, final statuses and learnings in January, the review on the
22nd, a change in February. The review on review day and in March is the January close-out.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.fixtures_core import ROOT

ENV = {"GOALKEEPER_FISCAL_YEAR_START": "7"}

# (instant, lines said in #releng by greg)
OCTOBER = ("2015-10-05T10:00", """/team set releng tz:America/Los_Angeles title:Release Engineering size:6
/goal add Migrate Gerrit to Differential due:end of quarter
/goal add Nodepool fully up and working kind:core
/goal add MediaWiki 1.26 release
/kpi add time-to-merge unit:min better:down
/kpi time-to-merge 11
""")
NOVEMBER = ("2015-11-16T10:00", """/goal status 1 at-risk blocked on redirects
/goal status 2 on-track
/kpi time-to-merge 9
/review date 2016-01-22
""")
JANUARY = ("2016-01-12T10:00", """/goal miss 1 waits on the RfC
/goal hit 2
/goal partial 3 released, 3rd-party tarball late
!learning 2 Still a mostly one person job; the silo effect is strong
learning Releases for 3rd parties are still somewhat subpar
/kpi time-to-merge 6
/goal add Scap3 for every service
""")
FEBRUARY = ("2016-02-03T10:00", """/goal hit 1 the RfC passed after all
!learning 1 The RfC took a quarter
learning Written in February, after the review
/kpi time-to-merge 4
""")


def say(cli, db, at, lines, user="greg", channel="#releng", env=None):
    r = cli(["console", "--user", user, "--channel", channel, "--now", at], env={"GOALKEEPER_DB": db, **ENV, **(env or {})},
            input=lines)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return r.stdout


def review_md(cli, db, at, *extra):
    r = cli(["review", "--team", "releng", "--now", at, *extra], env={"GOALKEEPER_DB": db, **ENV})
    assert r.returncode == 0, r.stderr
    return r.stdout


def figures(md: str) -> str:
    """The review without its first lines (which say as of when) and without what changed after it."""
    body = md.split("\n", 3)[3]
    return body.split("## Changed after the review")[0].rstrip("\n")


def test_the_minutes_quarter_replayed_through_the_console_and_the_cli(cli, tmp_path):
    db = str(tmp_path / "g.db")
    for at, lines in (OCTOBER, NOVEMBER, JANUARY):
        say(cli, db, at, lines)
    # review day, in the morning: FY2016Q2 is under review, the default of chat and of the program
    chat = say(cli, db, "2016-01-22T09:30", "review\nlearnings\nkpi list\n")
    assert chat.startswith("Release Engineering (6 people) FY2016Q2 review: 1 hit, 1 partial, 1 miss, 0 dropped, "
                           "0 with no final status; hit rate 33% (1 of 3)"), chat
    assert "(under review)" in chat and "time-to-merge: 11 min -> 6 min (better)" in chat
    assert "releng · FY2016Q2 learnings:" in chat and "team Releases for 3rd parties are still somewhat subpar" in chat
    assert "releng KPIs · FY2016Q2\ntime-to-merge: 11 min -> 6 min (better)" in chat
    on_the_day = review_md(cli, db, "2016-01-22T10:00")
    assert on_the_day.startswith("# Quarterly review: Release Engineering (6 people), FY2016Q2\n")
    assert "(under review)" in on_the_day.split("\n")[2]
    assert "| 1 | 1 | 1 | 0 | 0 |" in on_the_day  # hit, partial, miss, dropped, no final status
    assert "Still a mostly one person job; the silo effect is strong (greg)" in on_the_day
    assert "Releases for 3rd parties are still somewhat subpar (greg)" in on_the_day
    assert "Scap3 for every service" not in on_the_day  # a January goal is the new quarter's
    # a change in February, then the review again in March: the January close-out exactly
    say(cli, db, *FEBRUARY)
    march = review_md(cli, db, "2016-03-10T10:00", "--quarter", "FY2016Q2")
    assert "closed, as it stood at its close (2016-01-23 00:00 America/Los_Angeles)" in march.split("\n")[2]
    assert figures(march) == figures(on_the_day)
    after = march.split("## Changed after the review", 1)[1]
    assert "2016-02-03: \\#1 Migrate Gerrit to Differential: status miss -> hit \"the RfC passed after all\" (greg)" in after
    assert "\\#1: learning added: The RfC took a quarter (greg)" in after
    assert "Written in February" not in after  # that learning went to FY2016Q3, the quarter then current
    in_chat = say(cli, db, "2016-03-10T10:00", "review quarter:last\n")
    assert "1 hit, 1 partial, 1 miss" in in_chat and "changed after the review (2, not counted)" in in_chat
    # and the KPI figures stay those of the close: 11 -> 6, not February's 4
    assert "time-to-merge: 11 min -> 6 min (better)" in march and "4 min" not in figures(march)


def test_defaults_follow_the_quarter_under_review(chat):
    c = chat
    c.at("2015-11-02T10:00:00-08:00").say("team set releng tz:America/Los_Angeles")
    c.say("goal add Migrate Gerrit to Differential")
    c.say("goal add Nodepool fully up and working")
    c.say("kpi add time-to-merge unit:min better:down")
    c.say("kpi time-to-merge 11")
    c.say("review date 2016-01-22")
    c.at("2016-01-05T10:00:00-08:00")
    c.say("goal hit 2")
    c.say("goal add Phabricator for everything")  # the new quarter's
    assert c.say("learning The silo effect is strong") == "learning added for team releng (FY2016Q2)"
    assert c.say("learning A first learning of the new quarter quarter:this") == \
        "learning added for team releng (FY2016Q3)"
    assert c.say("learnings").startswith("releng · FY2016Q2 learnings:\nteam The silo effect is strong")
    assert c.say("kpi list").startswith("releng KPIs · FY2016Q2\n")
    assert c.say("review").startswith("releng FY2016Q2 review: 1 hit")
    listed = c.say("goal list").splitlines()
    assert listed[0] == "releng · FY2016Q3: 1 goal" and listed[1].startswith("#3 Phabricator for everything")
    assert listed[2] == "FY2016Q2 (under review) still without a final status: 1"
    assert listed[3].startswith("#1 Migrate Gerrit to Differential · releng · FY2016Q2") and len(listed) == 4
    assert "FY2016Q2" not in c.say("goal list quarter:this")
    # the day after the review day the quarter is closed: every default is the new quarter again
    c.at("2016-01-23T10:00:00-08:00")
    assert c.say("learnings").startswith("releng · FY2016Q3 learnings:")
    assert c.say("review").startswith("releng FY2016Q3 review:")
    assert c.say("goal list").splitlines() == [c.say("goal list quarter:this").splitlines()[0],
                                               c.say("goal list quarter:this").splitlines()[1]]
    assert c.say("learning After the review") == "learning added for team releng (FY2016Q3)"


def _outbox(c):
    return [(o["kind"], o["text"]) for o in c.store.outbox()]


def test_reminders_and_digests_across_the_close_out(chat):
    c = chat
    c.at("2015-11-02T10:00:00-08:00").say("team set releng tz:America/Los_Angeles")
    c.say("goal add Migrate Gerrit to Differential")
    c.say("goal add Nodepool fully up and working")
    c.say("review date 2016-01-22")
    c.at("2016-01-05T10:00:00-08:00").say("goal hit 2")
    c.say("goal add Due in March due:2016-03-25")
    c.bot.tick(c.at("2016-01-08T09:01:00-08:00").now)  # the 14-day reminder
    (kind, text), = [x for x in _outbox(c) if x[0] == "reminder"]
    assert "goals of FY2016Q2" in text and "#1 Migrate Gerrit to Differential" in text
    assert "Due in March" not in text and "#3" not in text  # never the next quarter's
    c.bot.tick(c.at("2016-01-11T09:01:00-08:00").now)  # Monday's digest, while FY2016Q2 is under review
    digest = [t for k, t in _outbox(c) if k == "digest"][-1]
    assert "· FY2016Q3 ·" in digest and "Goals (1)" in digest
    assert "FY2016Q2 under review, no final status yet (1):\n  #1 Migrate Gerrit to Differential (no status)" in digest
    c.bot.tick(c.at("2016-01-25T09:01:00-08:00").now)  # the Monday after the review: closed
    digest = [t for k, t in _outbox(c) if k == "digest"][-1]
    assert "· FY2016Q3 ·" in digest and "FY2016Q2" not in digest


def test_review_close_refusals_change_nothing(make_chat):
    c = make_chat({**ENV, "GOALKEEPER_ADMINS": "console:greg"})
    c.at("2015-11-02T10:00:00+00:00").say("goal add A")
    c.at("2016-01-05T10:00:00+00:00")
    before = json.dumps(c.export())
    out = c.say("review close", user="mark")
    assert out.startswith("error: only an admin (greg) may close a quarter\nusage: review close"), out
    out = c.say("review close quarter:this")
    assert out.startswith("error: FY2016Q3 has not ended yet: it runs until 2016-03-31 (UTC)"), out
    assert out.splitlines()[1].startswith("usage: review close")
    out = c.say("review close quarter:bogus")
    assert out.startswith("error: 'bogus' is not a quarter") and "usage: review close" in out
    assert json.dumps(c.export()) == before
    assert c.say("review close").startswith("releng FY2016Q2 is closed: its review stays as it stands now (0 hit")
    after = json.dumps(c.export())
    assert c.export()["teams"][0]["closed"] == {"FY2016Q2": "2016-01-05T10:00:00+00:00"}
    out = c.say("review close quarter:FY2016Q2")
    assert out.startswith("error: releng FY2016Q2 is already closed (since 2016-01-05 10:00 UTC)"), out
    assert c.say("review close").startswith("error: releng FY2016Q2 is already closed")
    assert json.dumps(c.export()) == after


def test_a_review_date_moved_after_the_close_reopens_nothing(chat):
    c = chat
    c.at("2015-11-02T10:00:00+00:00").say("goal add A")
    c.say("review date 2016-01-22")
    c.at("2016-01-25T10:00:00+00:00").say("review date 2016-04-20")  # the next review, set after Jan 22
    assert c.export()["teams"][0]["closed"] == {"FY2016Q2": "2016-01-23T00:00:00+00:00"}
    c.say("goal hit 1")
    r = c.say("review quarter:FY2016Q2")
    assert r.startswith("releng FY2016Q2 review: 0 hit, 0 partial, 0 miss") and "(closed 2016-01-23 00:00)" in r
    assert "changed after the review (1, not counted): #1 A: status none -> hit" in r


def test_team_time_title_size_and_the_split(make_chat):
    c = make_chat({**ENV, "GOALKEEPER_KINDS": "strategic,core,experimental"})
    c.at("2016-01-05T10:00:00+00:00")
    assert c.say("team set operations title:Technical Operations size:17", channel="#operations") == \
        "#operations is team operations (Technical Operations, 17 people, UTC)"
    for i in range(7):
        c.say(f"goal add Goal {i}", channel="#operations")
    c.say("goal add Experiment kind:experimental", channel="#operations")
    before = json.dumps(c.export())
    for bad, why in (("core:80 strategic:30", "the percentages add up to 110, more than 100"),
                     ("core:80 fun:20", "'fun' is not a kind (kinds: strategic, core, experimental)"),
                     ("core:eighty", "'eighty' is not a whole percent (0-100) for core"),
                     ("core:12.5", "'12.5' is not a whole percent (0-100) for core"),
                     ("", "say how the time splits, e.g. strategic:80 core:20")):
        out = c.say(f"team time {bad}", channel="#operations")
        assert out == f"error: {why}\nusage: team time <kind>:<percent> ... [quarter:<q>]   " \
                      "(e.g. team time core:80 strategic:20)", out
    assert json.dumps(c.export()) == before
    assert c.say("team time core:80 strategic:20", channel="#operations") == \
        "operations' time in FY2016Q3: strategic 20%, core 80%"
    r = c.say("review", channel="#operations")
    # 7 of 8 strategic, 1 of 8 experimental: 87.5% and 12.5% add up to 100, not 101
    assert r.startswith("Technical Operations (17 people) FY2016Q3 review:"), r
    assert "7 strategic (88%), 0 core (0%), 1 experimental (12%); time declared strategic 20%, core 80%" in r
    assert "operations' review is" in c.say("review date 2016-01-22", channel="#operations")
    team = c.export()["teams"][0]
    assert (team["title"], team["size"], team["time"]) == (
        "Technical Operations", 17, {"FY2016Q3": {"core": 80, "strategic": 20}})


def test_export_and_import_carry_the_quarters_life(cli, tmp_path):
    db = str(tmp_path / "a.db")
    for at, lines in (OCTOBER, NOVEMBER, JANUARY):
        say(cli, db, at, lines)
    say(cli, db, "2016-01-13T10:00", "team time core:70 strategic:30 quarter:last\nreview close\n")
    first = cli(["export"], env={"GOALKEEPER_DB": db})
    team = json.loads(first.stdout)["teams"][0]
    assert team["closed"] == {"FY2016Q2": "2016-01-13T10:00:00+00:00"} and team["size"] == 6
    assert team["time"] == {"FY2016Q2": {"core": 70, "strategic": 30}} and team["title"] == "Release Engineering"
    (tmp_path / "doc.json").write_text(first.stdout)
    other = str(tmp_path / "b.db")
    assert cli(["import", str(tmp_path / "doc.json")], env={"GOALKEEPER_DB": other}).returncode == 0
    assert cli(["export"], env={"GOALKEEPER_DB": other}).stdout == first.stdout


def test_a_close_racing_a_status_change_from_two_processes(tmp_path):
    """Real clocks, two processes at once: the hit lands inside the review or after it, exactly once."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GOALKEEPER_")}
    seen = set()
    for n in range(4):
        db = str(tmp_path / f"race{n}.db")
        env.update(GOALKEEPER_DB=db, PYTHONPATH=ROOT)
        run = [sys.executable, "-m", "adapters.cli", "console", "--channel", "#releng", "--user", "greg"]
        subprocess.run(run, input="goal add Raced quarter:last\n", env=env, check=True, capture_output=True, text=True)
        # the two start together; a few harmless lines before the status shift it around the close
        procs = [subprocess.Popen(run, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
                 for _ in range(2)]
        outs = [procs[0].communicate("help\n" * n + "review close\n")[0],
                procs[1].communicate("help\n" * (3 - n) + "goal hit 1 raced\n")[0]]
        assert all(p.returncode == 0 for p in procs)
        assert "releng " in outs[0] and "is closed" in outs[0] and "#1 Raced: hit" in outs[1], outs
        doc = json.loads(subprocess.run([sys.executable, "-m", "adapters.cli", "export"], env=env, check=True,
                                        capture_output=True, text=True).stdout)
        (label,) = doc["teams"][0]["closed"]
        md = subprocess.run([sys.executable, "-m", "adapters.cli", "review", "--team", "releng", "--quarter", label],
                            env=env, check=True, capture_output=True, text=True).stdout
        inside = "| 1 | 0 | 0 | 0 | 0 |" in md
        after = "status none -> hit \"raced\"" in md.split("## Changed after the review")[-1] and \
            "## Changed after the review" in md
        assert inside != after, md  # never lost, never both
        assert inside or "| 0 | 0 | 0 | 0 | 1 |" in md
        seen.add("inside" if inside else "after")
    print("race outcomes:", seen)


def test_kpis_from_their_baseline_and_over_a_year(chat):
    c = chat
    c.at("2014-12-01T10:00:00+00:00").say("kpi add availability unit:% target:99.95")
    c.say("kpi availability 99.91")  # a year before the quarter's latest value
    c.at("2015-09-20T10:00:00+00:00").say("kpi availability 99.942")  # the baseline: the last before Oct
    c.at("2015-10-20T10:00:00+00:00").say("kpi availability 99.95")
    c.at("2015-12-20T10:00:00+00:00").say("kpi availability 99.979")
    c.say("goal add Multi-DC readiness quarter:this")
    c.at("2016-01-05T10:00:00+00:00")
    assert c.say("kpi list") == ("releng KPIs · FY2016Q2\navailability: 99.942% -> 99.979% (better), "
                                 "target 99.95% met · first in FY2016Q2 99.95%")
    assert "availability: 99.942% -> 99.979% (better); a year ago 99.91% (better)" in c.say("review")
    md = c.store.export()  # the same figures in the document
    from bot.review import build_review
    from bot.quarters import Quarter

    k = build_review(md, "releng", Quarter(2016, 2, 7), c.now).kpis[0]
    assert (k.baseline, k.latest, k.change, k.year_ago, k.year_change) == (99.942, 99.979, 0.037, 99.91, 0.069)


def test_the_verdict_on_negative_values_is_about_direction_only():
    from bot.format import judge

    # better:down means a smaller number is better, negative ones included; the sign alone says nothing
    assert judge(-1, -3, "down") == "better" and judge(-3, -1, "down") == "worse"
    assert judge(2, -2, "up") == "worse" and judge(-2, -2, "down") == "no change"


def test_the_organisation_page_in_the_agendas_order(make_chat, cli, tmp_path):
    c = make_chat(ENV)
    # four closed quarters and the one under review, for two teams; releng hits 3 of 4, security 1 of 4
    quarters = [("2015-01-10", "2015-04-02"), ("2015-04-10", "2015-07-02"), ("2015-07-10", "2015-10-02"),
                ("2015-10-10", "2016-01-04")]
    for day, close in quarters:
        for team, hits in (("releng", 3), ("security", 1)):
            c.at(f"{day}T10:00:00+00:00")
            first = None
            for i in range(4):
                gid = int(re.search(r"#(\d+)", c.say(f"goal add G{i} team:{team}")).group(1))
                first = first or gid
            c.at(f"{close}T10:00:00+00:00")
            for i in range(4):
                c.say(f"goal {'hit' if i < hits else 'miss'} {first + i}")
            if close != "2016-01-04":
                c.say(f"review close team:{team}")
    c.store.close()
    env = {"GOALKEEPER_DB": str(tmp_path / "goalkeeper.db"), **ENV}  # the chat's store, either kind
    r = cli(["review", "--all", "--teams", "security,releng", "--now", "2016-01-05T10:00"], env=env)
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if line.startswith("| security") or line.startswith("| releng")]
    assert rows[0].startswith("| security | 4 | 1 | 0 | 3 | 0 | 0 | 25% |") and "| below | " in rows[0]
    assert rows[1].startswith("| releng | 4 | 3 | 0 | 1 | 0 | 0 | 75% |") and "| inside | " in rows[1]
    # FY2016Q2 is under review: the closed quarters are the four before it (FY2015Q2 had no goals)
    assert rows[1].endswith("| 75% (9 of 12): FY2015Q2 n/a, FY2015Q3 75%, FY2015Q4 75%, FY2016Q1 75% |"), rows[1]
    assert rows[0].endswith("| 25% (3 of 12): FY2015Q2 n/a, FY2015Q3 25%, FY2015Q4 25%, FY2016Q1 25% |"), rows[0]
    assert r.stdout.index("## Quarterly review: security") < r.stdout.index("## Quarterly review: releng")
    by_name = cli(["review", "--all", "--now", "2016-01-05T10:00"], env={**env, "GOALKEEPER_HIT_BAND": "20-30"})
    assert by_name.stdout.index("| releng |") < by_name.stdout.index("| security |")
    assert "| releng | 4 | 3 | 0 | 1 | 0 | 0 | 75% | 75% | above |" in by_name.stdout
    bad = cli(["review", "--all", "--now", "2016-01-05T10:00"], env={**env, "GOALKEEPER_HIT_BAND": "80"})
    assert bad.returncode == 2 and bad.stderr.startswith("goalkeeper: GOALKEEPER_HIT_BAND: '80' is not low-high")
    unknown = cli(["review", "--all", "--teams", "releng,nosuch"], env=env)
    assert unknown.returncode == 1 and "there is no team 'nosuch'" in unknown.stderr


def test_import_refuses_a_quarters_life_the_commands_would_not_store(cli, tmp_path):
    db = str(tmp_path / "a.db")
    say(cli, db, *OCTOBER)
    say(cli, db, "2016-01-13T10:00", "team time core:70 strategic:30 quarter:last\nreview close\n")
    doc = json.loads(cli(["export"], env={"GOALKEEPER_DB": db}).stdout)
    for key, bad, why in (("closed", {"FY2016Q2": "yesterday"}, "teams[0].closed.FY2016Q2: is not an ISO 8601 time"),
                          ("time", {"FY2016Q2": {"core": 90, "strategic": 20}},
                           "teams[0].time.FY2016Q2: is not whole percents adding up to at most 100"),
                          ("size", -3, "teams[0].size: is not a number of people")):
        broken = json.loads(json.dumps(doc))
        broken["teams"][0][key] = bad
        path = tmp_path / f"{key}.json"
        path.write_text(json.dumps(broken))
        other = str(tmp_path / f"{key}.db")
        r = cli(["import", str(path)], env={"GOALKEEPER_DB": other})
        assert r.returncode == 1 and why in r.stderr, r.stderr
        assert json.loads(cli(["export"], env={"GOALKEEPER_DB": other}).stdout)["teams"] == []
