"""The quarterly review document (bot/review.py), from a recorded Release Engineering quarter.

Golden files: tests/golden/review_releng.{md,wiki,html} are the review of
tests/data/releng_fy2016q3.json (FY2016Q3, fiscal year from July, reviewed on
2016-04-05). After an intended change of the output, rewrite them with

    GOLDEN_UPDATE=1 python -m pytest tests/test_review.py -q -p no:cacheprovider

and read the diff before committing it.
"""
from __future__ import annotations

import copy
import json
import os
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import review as R
from bot.quarters import Quarter
from bot.render import IrcRenderer, PlainRenderer, SlackRenderer

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
FY2016Q3 = Quarter(2016, 3, 7)
FY2016Q4 = Quarter(2016, 4, 7)
AFTER_Q3 = datetime.fromisoformat("2016-04-05T12:00:00-07:00")  # the quarter is over, review ahead
MID_Q3 = datetime.fromisoformat("2016-02-23T09:00:00-08:00")


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads((HERE / "data" / "releng_fy2016q3.json").read_text(encoding="utf-8"))


CLOSED_AT_END = "2016-04-01T07:00:00+00:00"  # midnight after 31 March in Los Angeles


def closed_at_end(doc: dict) -> dict:
    """The recorded store with FY2016Q3 closed the moment it ended (as `review close` at midnight would)."""
    doc = copy.deepcopy(doc)
    for t in doc["teams"]:
        t["closed"] = {"FY2016Q3": CLOSED_AT_END}
    return doc


@pytest.fixture(scope="module")
def releng(doc) -> R.Review:
    return R.build_review(closed_at_end(doc), "releng", FY2016Q3, AFTER_Q3)


def _goal(review, gid):
    return next(g for g in review.goals if g.id == gid)


def _doc(goals=(), learnings=(), kpis=(), teams=None) -> dict:
    return {"version": 1, "teams": teams if teams is not None else
            [{"name": "t", "tz": "UTC", "channels": [], "review_date": None, "digest": None}],
            "people": [], "goals": list(goals), "learnings": list(learnings), "kpis": list(kpis)}


def _g(gid, status=None, title=None, kind="strategic", team="t", quarter="FY2016Q3", owner=None, note=None):
    at = "2016-01-04T10:00:00+00:00"
    title = title or f"goal {gid}"
    history = [{"at": at, "by": "console:a", "action": "create", "note": None,
                "changes": {"title": [None, title], "quarter": [None, quarter]}}]
    if status:
        history.append({"at": "2016-02-01T10:00:00+00:00", "by": "console:a", "action": "status",
                        "changes": {"status": [None, status]}, "note": note})
    return {"id": gid, "title": title, "team": team, "quarter": quarter, "owner": owner,
            "creator": "console:a", "kind": kind, "due": None, "status": status, "note": note,
            "deleted": False, "created_at": at, "history": history}


def _kpi(values, better="down", unit="min", target=None, name="k"):
    return {"name": name, "team": "t", "unit": unit, "target": target, "better": better,
            "created_at": "2016-01-01T00:00:00+00:00",
            "values": [{"at": f"2016-01-{i + 2:02d}T10:00:00+00:00", "value": v, "by": "console:a"}
                       for i, v in enumerate(values)]}


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("ext, render", [
    ("md", R.render_markdown),
    ("wiki", R.render_wiki),
    ("html", lambda r: R.render_html([r], "Release Engineering: quarterly review FY2016Q3")),
])
def test_golden(releng, ext, render):
    out = render(releng)
    path = GOLDEN / f"review_releng.{ext}"
    if os.environ.get("GOLDEN_UPDATE") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8"), f"{path.name} differs (GOLDEN_UPDATE=1 rewrites it)"


def test_the_recorded_quarter(releng):
    assert [g.id for g in releng.goals] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert releng.counts == {"hit": 4, "partial": 1, "miss": 1, "dropped": 1, "open": 1}
    gerrit = _goal(releng, 1)
    assert (gerrit.title, gerrit.status, gerrit.colour, gerrit.note, gerrit.owner) == (
        "Migrate Gerrit to Differential", "miss", "red", "waits on the RfC", "greg")
    assert [x.text for x in _goal(releng, 3).learnings] == [
        "Releases for 3rd parties are still somewhat subpar because it is not an internal priority"]
    assert [x.text for x in releng.learnings][0] == \
        "Still a mostly one person job right now; the silo effect is strong"
    ttm = releng.kpis[0]
    # the change runs from the baseline, December's last value, not the quarter's first
    assert (ttm.name, ttm.baseline, ttm.first, ttm.latest, ttm.change, ttm.trend, ttm.target_met) == (
        "time-to-merge", 14.0, 11.0, 6.0, -8.0, "better", False)
    assert ttm.line() == "time-to-merge: 14 min -> 6 min (better)"
    assert releng.split == {"strategic": 6, "core": 2}
    assert releng.split_percent == {"strategic": 75, "core": 25}
    assert releng.review_date == "2016-04-21"
    assert releng.complete and releng.as_of == FY2016Q3.bounds(ZoneInfo("America/Los_Angeles"))[1]


# ---------------------------------------------------------------- HTML loads nothing


class _Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.styles, self.sections, self._in_style = [], [], [], 0, False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        self.sections += tag == "section"
        self._in_style = tag == "style"
        for k, v in attrs:
            if k == "style":
                self.styles.append(v or "")

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _audit(page: str) -> _Audit:
    a = _Audit()
    a.feed(page)
    a.close()
    return a


def _assert_offline(page: str):
    a = _audit(page)
    for tag in ("link", "img", "iframe", "object", "embed", "base", "audio", "video", "source"):
        assert tag not in a.tags, tag
    assert a.tags.count("script") == 1  # the deck's own, inline (no src: see below)
    for tag, k, v in a.attrs:
        assert k not in ("src", "srcset", "href", "action", "formaction", "poster", "data", "background"), (tag, k)
        assert not k.startswith("on"), (tag, k)
        assert not re.search(r"(https?:)?//", v) or k in ("content",), (tag, k, v)
        if tag == "meta":
            assert k != "http-equiv", v
    css = "\n".join(a.styles).lower()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "http" not in css and "//" not in css.replace("/*", "").replace("*/", "")
    return a


def test_html_loads_nothing_and_is_a_deck(releng):
    page = R.render_html([releng], "Release Engineering")
    a = _assert_offline(page)
    # title; at a glance; every goal; the goals as cards, by outcome (two slides); KPIs; by kind; learnings;
    # what changed after the review
    assert a.sections == 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1
    assert "@media print" in page and "break-after: page" in page
    assert a.tags.count("style") == 1


def test_html_status_is_never_colour_alone(releng):
    page = R.render_html([releng])
    for g in releng.goals:
        section = page.split(f"goal #{g.id} ·", 1)[1].split("</section>", 1)[0]
        assert (g.status if g.final else g.status_label) in section


def test_user_text_is_escaped_in_html():
    doc = _doc(goals=[_g(1, "miss", title='<script>alert("x")</script> & <a href="http://evil/">',
                         owner="console:<b>o</b>", note="<img src=//x/y.png> & co")],
               learnings=[{"id": 1, "goal": None, "team": "t", "quarter": "FY2016Q3", "by": "console:a",
                           "at": "2016-02-01T00:00:00+00:00", "text": "</section><style>@import url(//x)</style>"}])
    r = R.build_review(doc, "t", FY2016Q3, AFTER_Q3)
    page = R.render_html([r], "a <title> & more")
    _assert_offline(page)
    assert page.count("<script") == 1 and "<img" not in page and "<a " not in page  # the one is the deck's
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;a href=&quot;http://evil/&quot;&gt;" in page
    assert "&lt;img src=//x/y.png&gt; &amp; co" in page
    assert "&lt;/section&gt;&lt;style&gt;" in page
    assert "<title>a &lt;title&gt; &amp; more</title>" in page


# ---------------------------------------------------------------- a closed quarter, as it stood at its close


def test_a_status_set_after_the_end_does_not_rewrite_the_quarter(doc, releng):
    scap = _goal(releng, 4)
    assert scap.status == "partial" and scap.note == "some services moved, not all"
    current = next(g for g in doc["goals"] if g["id"] == 4)
    assert current["status"] == "hit"  # set on 2016-04-02


def test_a_goal_moved_to_the_next_quarter_after_the_end_still_shows(doc, releng):
    gerrit = _goal(releng, 1)
    assert (gerrit.status, gerrit.note, gerrit.due) == ("miss", "waits on the RfC", "2016-03-31")
    current = next(g for g in doc["goals"] if g["id"] == 1)
    assert current["quarter"] == "FY2016Q4" and current["status"] == "on-track"
    q4 = R.build_review(doc, "releng", FY2016Q3.next(), AFTER_Q3)
    assert not q4.complete
    assert {g.id: g.status for g in q4.goals} == {1: "on-track", 10: None}
    assert _goal(q4, 1).note == "RfC discussed at the dev summit"


def test_what_happened_after_the_end_is_left_out(releng):
    assert _goal(releng, 6).title == "Rotate MediaWiki deploys through the whole team"  # renamed 04-05
    assert 9 not in [g.id for g in releng.goals]  # deleted in January
    assert 10 not in [g.id for g in releng.goals]  # created in April, for Q4
    texts = [x.text for x in releng.learnings] + [x.text for g in releng.goals for x in g.learnings]
    assert "Deploy rotation keeps deploys on everyone's mind" not in texts  # written 04-02
    assert "Moving the last service took one afternoon" not in texts
    assert "Gerrit is our most stable service, maybe for lack of checks" not in texts  # FY2016Q2
    assert [k.name for k in releng.kpis] == ["time-to-merge", "ci-availability", "deploy-blockers"]
    assert releng.kpis[0].count == 3  # not December's 14, not April's 5


@pytest.mark.parametrize("review_date, shown_for", [
    ("2016-01-22", "FY2016Q2"), ("2016-03-25", "FY2016Q3"), ("2016-04-21", "FY2016Q3"), ("2016-07-20", "FY2016Q4")])
def test_the_review_date_belongs_to_one_quarter(review_date, shown_for):
    doc = _doc(teams=[{"name": "t", "tz": "UTC", "review_date": review_date}])
    for q in (FY2016Q3.prev(), FY2016Q3, FY2016Q4):
        r = R.build_review(doc, "t", q, AFTER_Q3)
        assert r.review_date == (review_date if q.label == shown_for else None), q.label


def test_mid_quarter_is_shown_as_of_now(doc):
    r = R.build_review(doc, "releng", FY2016Q3, MID_Q3)
    assert not r.complete and r.as_of == MID_Q3
    gerrit = _goal(r, 1)
    assert (gerrit.status, gerrit.note, gerrit.final) == ("at-risk", "blocked on redirects from Gitblit", False)
    assert _goal(r, 3).status is None
    assert _goal(r, 2).title == "Nodepool fully up and working"
    assert r.counts == {"hit": 0, "partial": 0, "miss": 0, "dropped": 1, "open": 7}
    assert r.hit_rate is None
    assert [x.text for x in gerrit.learnings] == ["Gitblit (just for viewing) is still alive; the blockers are redirects"]
    assert r.learnings == []
    assert r.kpis[0].line() == "time-to-merge: 14 min -> 8.5 min (better)"  # from December's baseline
    assert "quarter in progress" in R.render_markdown(r)


def test_a_goal_moved_to_another_team_after_the_end_stays_with_the_first():
    g = _g(1, "hit", team="b")
    g["history"].append({"at": "2016-04-02T00:00:00+00:00", "by": "console:a", "action": "edit",
                         "note": None, "changes": {"team": ["a", "b"]}})
    note = {"id": 1, "goal": 1, "team": "a", "quarter": "FY2016Q3", "by": "console:a",
            "at": "2016-03-01T00:00:00+00:00", "text": "written while the goal was a's"}
    closed = {"FY2016Q3": "2016-04-01T00:00:00+00:00"}
    doc = _doc(goals=[g], learnings=[note], teams=[{"name": n, "tz": "UTC", "closed": closed} for n in "ab"])
    (moved,) = R.build_review(doc, "a", FY2016Q3, AFTER_Q3).goals
    assert moved.id == 1 and [x.text for x in moved.learnings] == ["written while the goal was a's"]
    assert [x.text for x in R.build_review(doc, "b", FY2016Q4, AFTER_Q3.replace(month=5)).learnings] == []
    assert R.build_review(doc, "b", FY2016Q3, AFTER_Q3).goals == []


# ---------------------------------------------------------------- no goals; no final status


@pytest.mark.parametrize("doc", [_doc(), {}], ids=["team without goals", "empty store"])
def test_a_team_with_no_goals(doc):
    r = R.build_review(doc, "t", FY2016Q3, AFTER_Q3)
    assert r.goals == [] and r.hit_rate is None and r.hit_or_partial_rate is None
    assert r.counts == dict.fromkeys(R.COUNT_KEYS, 0)
    for out in (R.render_markdown(r), R.render_wiki(r), R.render_html([r])):
        assert "No goals were recorded for t in FY2016Q3." in out
    _assert_offline(R.render_html([r]))
    assert "no goals recorded" in R.render_chat(r, PlainRenderer())[0]


def test_goals_without_a_final_status_are_not_misses():
    doc = _doc(goals=[_g(1, "on-track"), _g(2, "at-risk"), _g(3, "off-track"), _g(4)])
    r = R.build_review(doc, "t", FY2016Q3, AFTER_Q3)
    assert r.counts == {"hit": 0, "partial": 0, "miss": 0, "dropped": 0, "open": 4}
    assert r.hit_rate is None
    assert [g.status_label for g in r.goals] == [
        "no final status: on-track", "no final status: at-risk", "no final status: off-track",
        "no final status: no status yet"]
    md, wiki, page = R.render_markdown(r), R.render_wiki(r), R.render_html([r])
    for out in (md, wiki, page):
        assert "no final status: off-track" in out
        assert not re.search(r"miss\W{0,8}\(red\)|status red", out)
    assert "| 0 | 0 | 0 | 0 | 4 | n/a (no goal hit, partial or miss) |" in md
    assert "#3 goal 3 — no final status: off-track (red) (no owner)" in R.render_chat(r, PlainRenderer())


# ---------------------------------------------------------------- arithmetic


def test_hit_rate_arithmetic():
    statuses = ["hit", "hit", "hit", "partial", "miss", "miss", "dropped", "on-track", None]
    r = R.build_review(_doc(goals=[_g(i + 1, s) for i, s in enumerate(statuses)]), "t", FY2016Q3, AFTER_Q3)
    assert r.counts == {"hit": 3, "partial": 1, "miss": 2, "dropped": 1, "open": 2}
    assert r.decided == 6
    assert r.hit_rate == pytest.approx(0.5)
    assert r.hit_or_partial_rate == pytest.approx(4 / 6)
    md = R.render_markdown(r)
    assert "| 3 | 1 | 2 | 1 | 2 | 50% (3 of 6) | 67% (4 of 6) |" in md
    assert R.percent(2 / 3) == "67%" and R.percent(0.125) == "13%" and R.percent(None) == "n/a"


def test_core_and_strategic_split():
    r = R.build_review(_doc(goals=[_g(1, kind="core"), _g(2), _g(3)]), "t", FY2016Q3, AFTER_Q3)
    assert r.split == {"strategic": 2, "core": 1} and r.split_percent == {"strategic": 67, "core": 33}
    assert "2 strategic (67%), 1 core (33%)" in R.render_markdown(r)


@pytest.mark.parametrize("values, better, trend, good, change", [
    ([11.0, 6.0], "down", "better", True, -5.0),
    ([6.0, 11.0], "down", "worse", False, 5.0),
    ([99.942, 99.979], "up", "better", True, 0.037),
    ([99.979, 99.942], "up", "worse", False, -0.037),
    ([7.0, 7.0], "up", "no change", None, 0.0),
    ([5, 3.5, 8], "down", "worse", False, 3.0),
])
def test_kpi_change_is_judged_by_better(values, better, trend, good, change):
    r = R.build_review(_doc(kpis=[_kpi(values, better=better)]), "t", FY2016Q3, AFTER_Q3)
    (k,) = r.kpis
    assert (k.trend, k.good, k.change, k.first, k.latest) == (trend, good, change, values[0], values[-1])
    assert k.line() == (f"k: {R.format_number(values[0])} min -> {R.format_number(values[-1])} min ({trend})")


def test_kpi_target_and_single_value():
    down = R.build_review(_doc(kpis=[_kpi([11.0, 6.0], target=5.0)]), "t", FY2016Q3, AFTER_Q3).kpis[0]
    up = R.build_review(_doc(kpis=[_kpi([99.9], better="up", unit="%", target=99.5)]), "t", FY2016Q3,
                        AFTER_Q3).kpis[0]
    none = R.build_review(_doc(kpis=[_kpi([])]), "t", FY2016Q3, AFTER_Q3).kpis[0]
    assert down.target_met is False and up.target_met is True and none.target_met is None
    assert up.trend is None and up.line() == "k: 99.9% (first value this quarter)"
    assert none.line() == "k: no value this quarter"


def test_numbers_are_shown_as_given():
    assert [R.format_number(v) for v in (11.0, 6, 99.979, 8.5, -5.0, 0.037, 1e20)] == [
        "11", "6", "99.979", "8.5", "-5", "0.037", "1e+20"]
    assert R.with_unit(11.0, "min") == "11 min" and R.with_unit(99.979, "%") == "99.979%"


def test_display_names():
    people = {"slack:T1:U1": "greg"}
    assert R.display_name("slack:T1:U1", people) == "greg"
    assert R.display_name("slack:T1:U2", people) == "U2"
    assert R.display_name("console:greg") == "greg"
    assert R.display_name("irc:freenode:hashar") == "hashar"
    assert R.display_name("irc:irc.libera.chat:nick!~u@host/x") == "nick"
    assert R.display_name(None) is None


# ---------------------------------------------------------------- escaping in Markdown and wiki


NASTY = "a | b {{delete}} [[Category:X]] ~~~~ ''bold'' __NOTOC__ <ref>x</ref> & !! end"


def _wiki_goal_rows(wiki: str) -> list[list[str]]:
    table = wiki.split("=== Goals ===", 1)[1].split("\n|}", 1)[0]
    rows = table.split("\n|-\n")[1:]
    return [row.split("\n") for row in rows]


def test_wiki_table_is_not_broken_by_user_text():
    r = R.build_review(_doc(goals=[_g(1, "hit", title=NASTY, note=NASTY, owner="console:x|y")]), "t",
                       FY2016Q3, AFTER_Q3)
    wiki = R.render_wiki(r)
    (row,) = _wiki_goal_rows(wiki)
    assert len(row) == 8 and all(cell.startswith("|") for cell in row)
    for cell in row:
        content = cell[1:]
        if "style=" not in content:
            assert "|" not in content
    for bad in ("{{", "[[", "~~~", "''bold", "__NOTOC__", "<ref>", "!!"):
        assert bad not in "\n".join(row), bad
    assert "{{" not in wiki and "[[" not in wiki and "~~~" not in wiki
    assert "a &#124; b &#123;&#123;delete&#125;&#125; &#91;&#91;Category:X&#93;&#93;" in wiki


def test_markdown_table_is_not_broken_by_user_text():
    r = R.build_review(_doc(goals=[_g(1, "hit", title="a | b <script>x</script>", note="c|d")]), "t",
                       FY2016Q3, AFTER_Q3)
    md = R.render_markdown(r)
    row = next(line for line in md.splitlines() if line.startswith("| #1 "))
    assert len(re.split(r"(?<!\\)\|", row)) == 9  # 7 cells between 8 bars
    assert not re.search(r"(?<!\\)<", md) and "a \\| b \\<script>x\\</script>" in md


# ---------------------------------------------------------------- several teams


def test_build_all_and_one_page_for_every_team(doc):
    reviews = R.build_all(closed_at_end(doc), FY2016Q3, AFTER_Q3)
    assert [r.team for r in reviews] == ["releng", "services"]
    assert [percent for percent in (R.percent(r.hit_rate) for r in reviews)] == ["67%", "50%"]
    services = reviews[1]
    assert services.counts["partial"] == 1 and services.review_date is None
    assert [x.text for x in services.learnings] == ["Agree on responsibilities between teams at the start of the quarter"]

    md = R.render_all_markdown(reviews)
    summary = md.index("| releng | 8 | 4 | 1 | 1 | 1 | 1 | 67% | 83% | inside |")
    assert summary < md.index("| services | 2 | 1 | 1 | 0 | 0 | 0 | 50% | 100% | below |") < md.index(
        "## Quarterly review: releng") < md.index("## Quarterly review: services")

    wiki = R.render_all_wiki(reviews)
    assert wiki.index("| releng || 8 || 4") < wiki.index("=== Quarterly review: releng")
    assert "==== Goals ====" in wiki

    page = R.render_html(reviews, "Technology, FY2016Q3")
    a = _assert_offline(page)
    # title; per team: glance, table, cards, 3 more (releng: and what changed after its review)
    assert a.sections == 1 + (1 + 1 + 2 + 3 + 1) + (1 + 1 + 1 + 3)
    assert page.count('class="slide title"') == 1


# ---------------------------------------------------------------- chat


def test_chat_summary(releng):
    lines = R.render_chat(releng, PlainRenderer())
    assert len(lines) <= 15
    assert lines[0].startswith("releng FY2016Q3 review: 4 hit, 1 partial, 1 miss")
    assert "hit rate 67% (4 of 6)" in lines[0]
    assert "#1 Migrate Gerrit to Differential — miss (red) (greg)" in lines
    assert "time-to-merge: 14 min -> 6 min (better)" in lines
    irc = R.render_chat(releng, IrcRenderer())
    assert "#2 Nodepool fully up and working — \x0303hit\x0f (hashar)" in irc


def test_chat_summary_of_many_goals_stays_short():
    goals = [_g(i, "hit", title=f"<!channel> goal {i}") for i in range(1, 41)]
    r = R.build_review(_doc(goals=goals, kpis=[_kpi([11.0, 6.0])]), "t", FY2016Q3, AFTER_Q3)
    lines = R.render_chat(r, SlackRenderer())
    assert len(lines) <= 15
    assert any(re.fullmatch(r"\.\.\. and \d+ more goals", line) for line in lines)
    shown = sum(1 for line in lines if line.startswith("#"))
    more = int(next(line for line in lines if line.startswith("... and")).split()[2])
    assert shown + more == 40
    assert "k: 11 min -&gt; 6 min (better)" in lines
    assert all("<!channel>" not in line for line in lines)
    assert "&lt;!channel&gt; goal 1 — :large_green_circle: hit (no owner)" in lines[1]


def test_review_does_not_mutate_the_document(doc):
    before = copy.deepcopy(doc)
    R.build_all(doc, FY2016Q3, MID_Q3)
    assert doc == before
