"""Publishing to a real MediaWiki (tests/fixtures_wiki.py): the marked section, people's edits kept byte for
byte, no revision when nothing changed, conflicts refused, the page as the wiki renders it, and every fault
one `error:` line with nothing written and the password never shown."""
from __future__ import annotations

import http.server
import re
import threading
import urllib.request

from bot.publish import BEGIN, END
import pytest

from tests.fixtures_core import Chat, run_cli, store_env

QUARTER = """/team set releng tz:America/Los_Angeles
/goal add Migrate Gerrit to Differential due:end of quarter
/goal add Nodepool fully up and working kind:core
/goal add MediaWiki 1.26 release
!learning 1 Actual migration depends on the RfC
/kpi add time-to-merge unit:min better:down
/kpi time-to-merge 11
/kpi time-to-merge 6
/goal miss 1 waits on the RfC
/goal hit 2
"""
NOW = "2016-01-04T12:00"
PEOPLE = "Intro written by Alice: ''keep'' this   exactly, ümlaut and all.\n\n== Our notes ==\n* one\n*  two  "


def team(cli, db, text=QUARTER, now="2016-01-04T10:00"):
    r = cli(["console", "--user", "greg", "--channel", "#releng", "--now", now],
            env={"GOALKEEPER_DB": db, "GOALKEEPER_FISCAL_YEAR_START": "7"}, input=text)
    assert r.returncode == 0 and "error" not in r.stdout, r.stdout + r.stderr


def env_for(mediawiki, db, prefix, **more):
    return mediawiki.env(GOALKEEPER_DB=db, GOALKEEPER_FISCAL_YEAR_START="7",
                         GOALKEEPER_WIKI_PAGE=prefix + "/{team}/{quarter}", **more)


def publish(cli, mediawiki, db, prefix, *args, now=NOW, **env):
    return cli(["publish", *(args or ("--team", "releng")), "--now", now], env=env_for(mediawiki, db, prefix, **env))


def assert_one_error(r, mediawiki, *words):
    """A fault: exit 1, one `error:` line on standard error, no traceback, the password nowhere."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = [x for x in r.stderr.splitlines() if "goalkeeper" in x and "error" in x.lower()]
    assert len(lines) == 1 and lines[0].startswith("goalkeeper: error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert mediawiki.bot_password not in r.stderr + r.stdout
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_publish_keeps_peoples_text_byte_for_byte_and_makes_no_revision_when_unchanged(cli, mediawiki, wiki_prefix,
                                                                                       tmp_path):
    db = str(tmp_path / "g.db")
    team(cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    mediawiki.person().edit(title, PEOPLE)
    r = publish(cli, mediawiki, db, wiki_prefix)
    assert r.returncode == 0, r.stderr
    assert f"updated {title} (revision" in r.stdout and mediawiki.base in r.stdout
    text = mediawiki.text(title)
    assert text.startswith(PEOPLE.rstrip() + "\n\n" + BEGIN + "\n== Quarterly review: releng, FY2016Q3 ==\n")
    assert text.endswith("\n" + END)
    # people write above and below the section; the next publish (with a new status) keeps both exactly
    above, below = "Written above, by a person.\n" + text.split(BEGIN)[0], "\n\nBelow it: [[Main Page]] ''x''"
    mediawiki.person().edit(title, above + BEGIN + text.split(BEGIN)[1] + below)
    team(cli, db, "/goal hit 3 released\n", now="2016-01-04T11:00")
    r = publish(cli, mediawiki, db, wiki_prefix)
    assert r.returncode == 0 and "updated" in r.stdout, r.stdout + r.stderr
    text = mediawiki.text(title)
    assert text.startswith(above + BEGIN + "\n") and text.endswith(END + below)
    assert "MediaWiki 1.26 release" in text and "'''hit''' (green)" in text.split(BEGIN)[1]
    revisions = mediawiki.revisions(title)
    assert [r["user"] for r in revisions] == ["Alice", "Admin", "Alice", "Admin"]
    assert revisions[-1]["comment"] == "Goalkeeper: quarterly review of releng, FY2016Q3"
    # the same content again: no revision
    r = publish(cli, mediawiki, db, wiki_prefix)
    assert r.returncode == 0 and "no new revision" in r.stdout, r.stdout + r.stderr
    assert len(mediawiki.revisions(title)) == 4 and mediawiki.text(title) == text


def test_a_page_that_does_not_exist_is_created_and_rendered_by_the_wiki(cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    r = publish(cli, mediawiki, db, wiki_prefix)
    assert r.returncode == 0 and f"created {title}" in r.stdout, r.stdout + r.stderr
    assert mediawiki.text(title).startswith(BEGIN + "\n== Quarterly review")
    html = mediawiki.html(title)
    assert '<table class="wikitable sortable">' in html and '<table class="wikitable">' in html
    assert 'style="background:#ffc7ce"' in html and "<b>miss</b> (red)" in html  # goal 1, in its colour
    assert 'style="background:#c6efce"' in html and "<b>hit</b> (green)" in html
    assert re.search(r'<h2>(<span id="[^"]+"></span>)?<span class="mw-headline" id="[^"]+">Quarterly review: releng, FY2016Q3</span>', html), \
        re.findall(r"<h2>.{0,160}", html)
    assert re.search(r'<h3><span class="mw-headline" id="Goals">Goals</span>', html)
    assert re.search(r"<td>time-to-merge\s*</td>", html)


def test_an_edit_inside_the_section_is_refused_with_its_revision_and_author_unless_forced(cli, mediawiki,
                                                                                         wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    assert publish(cli, mediawiki, db, wiki_prefix).returncode == 0
    for person, name in ((mediawiki.person(), "Alice"), (mediawiki.same_account(), "Admin")):  # also Goalkeeper's own account
        text = mediawiki.text(title)
        edited = text.replace("waits on the RfC", f"waits on the RfC (said {name})")
        rev = person.edit(title, "Above.\n" + edited)
        person.edit(title, "Above, again.\n" + edited)  # a later edit outside the section: the first one is named
        before = mediawiki.revisions(title)
        team(cli, db, "/goal hit 3\n", now="2016-01-04T11:00")
        r = publish(cli, mediawiki, db, wiki_prefix)
        line = assert_one_error(r, mediawiki, f"revision {rev} by {name}", "--force", "nothing was changed")
        assert "edited on the wiki since Goalkeeper wrote revision" in line
        assert mediawiki.revisions(title) == before
        # --force: Goalkeeper's section replaces the edit; the text above it stays
        r = publish(cli, mediawiki, db, wiki_prefix, "--team", "releng", "--force")
        assert r.returncode == 0 and "updated" in r.stdout, r.stdout + r.stderr
        text = mediawiki.text(title)
        assert text.startswith("Above, again.\n") and f"(said {name})" not in text


def test_a_deleted_end_marker_is_refused_even_with_force(cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    assert publish(cli, mediawiki, db, wiki_prefix).returncode == 0
    broken = mediawiki.text(title).replace(END, "") + "\n\nA person's closing words."
    rev = mediawiki.person().edit(title, broken)
    for args in (("--team", "releng"), ("--team", "releng", "--force")):
        r = publish(cli, mediawiki, db, wiki_prefix, *args, now="2016-01-05T12:00")
        assert_one_error(r, mediawiki, f"end marker {END} was deleted", f"revision {rev} by Alice")
    assert mediawiki.text(title) == broken.rstrip()


def test_dry_run_prints_the_change_and_writes_nothing(cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    mediawiki.person().edit(title, "People's page.")
    r = publish(cli, mediawiki, db, wiki_prefix, "--team", "releng", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert f"would update {title}" in r.stdout and "nothing was written (--dry-run)" in r.stdout
    assert f"+{BEGIN}" in r.stdout and "+== Quarterly review: releng, FY2016Q3 ==" in r.stdout
    assert " People's page." in r.stdout  # context line: kept
    assert mediawiki.text(title) == "People's page." and len(mediawiki.revisions(title)) == 1


def test_all_teams_on_one_page_and_people_placed_empty_markers(cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(cli, db, QUARTER + "<mark> goal add Multi-DC readiness team:ops\n")
    title = f"{wiki_prefix}/All teams/FY2016Q3"
    people = f"Top.\n{BEGIN}{END}\nBottom."  # where the section goes, chosen by a person
    mediawiki.person().edit(title, people)
    r = publish(cli, mediawiki, db, wiki_prefix, "--all")
    assert r.returncode == 0 and f"updated {title}" in r.stdout, r.stdout + r.stderr
    text = mediawiki.text(title)
    assert text.startswith(f"Top.\n{BEGIN}\n== Quarterly reviews, FY2016Q3 ==") and text.endswith(f"{END}\nBottom.")
    assert "=== Quarterly review: ops, FY2016Q3 ===" in text and "=== Quarterly review: releng, FY2016Q3 ===" in text
    assert mediawiki.revisions(title)[-1]["comment"] == "Goalkeeper: quarterly reviews of every team, FY2016Q3"


def test_review_publish_in_chat_is_for_admins_and_names_the_page(mediawiki, wiki_prefix, tmp_path, store_kind):
    db = str(tmp_path / "g.db")
    env = {k: v for k, v in env_for(mediawiki, db, wiki_prefix, GOALKEEPER_ADMINS="console:greg").items()
           if k != "GOALKEEPER_DB"}
    chat = Chat(db, env, now="2016-01-04T10:00+00:00")
    try:
        for line in QUARTER.splitlines():
            assert not chat.say(line).startswith("error"), line
        refused = chat.replies("review publish", user="mark")
        assert refused[0].error and refused[0].text.startswith("error: only an admin (greg) may publish")
        assert refused[0].text.splitlines()[1] == "usage: review publish [team:<t>] [quarter:<q>]"
        assert mediawiki.text(f"{wiki_prefix}/releng/FY2016Q3") is None
        ok = chat.replies("review publish")
        assert not ok[0].error and f"created {wiki_prefix}/releng/FY2016Q3 (revision" in ok[0].text, ok[0].text
        mediawiki.person().edit(f"{wiki_prefix}/releng/FY2016Q3", "Replaced by Alice.\n" + BEGIN + "\nmine\n" + END)
        conflict = chat.replies("review publish quarter:FY2016Q3")
        assert conflict[0].error and "by Alice" in conflict[0].text and "usage: review publish" in conflict[0].text
        assert not chat.incidents
    finally:
        chat.store.close()


def test_publishing_off_and_bad_configuration_are_one_line(mediawiki, tmp_path):
    cli = run_cli
    db = str(tmp_path / "g.db")
    r = cli(["publish", "--team", "releng"], env={"GOALKEEPER_DB": db})
    assert r.returncode == 2 and r.stderr.startswith("goalkeeper: error: publishing is off: set GOALKEEPER_WIKI_API")
    r = cli(["publish", "--team", "releng"], env={**mediawiki.env(GOALKEEPER_DB=db), "GOALKEEPER_WIKI_USER": "Admin"})
    assert r.returncode == 2 and r.stderr.startswith("goalkeeper: GOALKEEPER_WIKI_USER: a bot password's user name")
    assert mediawiki.bot_password not in r.stderr and "Traceback" not in r.stderr
    r = cli(["publish", "--team", "releng"], env={**mediawiki.env(GOALKEEPER_DB=db),
                                                  "GOALKEEPER_WIKI_API": "http://127.0.0.1:1/index.php"})
    assert r.returncode == 2 and "GOALKEEPER_WIKI_API: 'http://127.0.0.1:1/index.php' is not the URL" in r.stderr
    r = cli(["publish", "--team", "releng"], env={**mediawiki.env(GOALKEEPER_DB=db), "GOALKEEPER_WIKI_PAGE": "R/{tem}"})
    assert r.returncode == 2 and "GOALKEEPER_WIKI_PAGE: 'R/{tem}' names {tem}" in r.stderr


# -- faults: each one error line, nothing written ------------------------------------------------------------
# (the wiki's edge, not the store's: run on SQLite alone; the tests above run on both stores)


@pytest.fixture
def wiki_cli():
    return run_cli


def test_a_wrong_bot_password_is_refused_and_never_printed(wiki_cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(wiki_cli, db)
    wrong = "wrong-password-zzz-123"
    r = publish(wiki_cli, mediawiki, db, wiki_prefix, GOALKEEPER_WIKI_PASSWORD=wrong)
    assert_one_error(r, mediawiki, "refused the login of Admin@goalkeeper", "GOALKEEPER_WIKI_PASSWORD")
    assert wrong not in r.stderr + r.stdout
    assert mediawiki.text(f"{wiki_prefix}/releng/FY2016Q3") is None


def test_an_unreachable_wiki_and_a_url_that_is_not_a_mediawiki(wiki_cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(wiki_cli, db)
    r = publish(wiki_cli, mediawiki, db, wiki_prefix, GOALKEEPER_WIKI_API="http://127.0.0.1:9/api.php")
    assert_one_error(r, mediawiki, "the wiki at http://127.0.0.1:9/api.php cannot be reached", "connection refused")

    class NotAWiki(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>a blog</body></html>")

        do_POST = do_GET

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotAWiki)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = f"http://127.0.0.1:{server.server_address[1]}/api.php"
        r = publish(wiki_cli, mediawiki, db, wiki_prefix, GOALKEEPER_WIKI_API=api)
        assert_one_error(r, mediawiki, f"{api} does not answer like a MediaWiki API")
        r = publish(wiki_cli, mediawiki, db, wiki_prefix, GOALKEEPER_WIKI_API=mediawiki.base + "/nowhere/api.php")
        assert_one_error(r, mediawiki, "not a MediaWiki API there")
    finally:
        server.shutdown()
        server.server_close()


def test_a_protected_page_is_refused(wiki_cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(wiki_cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    mediawiki.person().edit(title, "Protected words.")
    mediawiki.protect(title)
    before = mediawiki.revisions(title)
    r = publish(wiki_cli, mediawiki, db, wiki_prefix)
    assert_one_error(r, mediawiki, f"{title} is protected on the wiki: Admin@goalkeeper may not edit it")
    assert mediawiki.text(title) == "Protected words." and mediawiki.revisions(title) == before


def test_a_team_name_the_wiki_refuses_in_a_title_is_named(wiki_cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(wiki_cli, db, QUARTER + "/team set releng title:Release [Eng]\n")
    r = publish(wiki_cli, mediawiki, db, wiki_prefix)
    assert_one_error(r, mediawiki, "the wiki refuses '[' ']' in a page title", "Release [Eng]", "team set")
    team(wiki_cli, db, "/team set releng title:Release %41 Eng\n")  # passes the local rules; the wiki itself refuses it
    r = publish(wiki_cli, mediawiki, db, wiki_prefix)
    assert_one_error(r, mediawiki, "the wiki refuses the page title", "Release %41 Eng")


class GoesAway(http.server.BaseHTTPRequestHandler):
    """A proxy to the wiki that vanishes (stops listening, drops the request) when the edit is sent."""

    target = ""
    gone = threading.Event()

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if self.command == "POST" else None
        if body and b"action=edit" in body:
            self.gone.set()
            self.close_connection = True
            threading.Thread(target=self.server.shutdown, daemon=True).start()
            self.server.socket.close()
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("cookie", "content-type", "user-agent")}
        req = urllib.request.Request(self.target + self.path, data=body, headers=headers, method=self.command)
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            self.send_response(r.status)
            for k, v in r.headers.items():
                if k.lower() in ("content-type", "set-cookie"):
                    self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _forward

    def log_message(self, *a):
        pass


def test_the_wiki_going_away_between_login_and_edit(wiki_cli, mediawiki, wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(wiki_cli, db)
    title = f"{wiki_prefix}/releng/FY2016Q3"
    mediawiki.person().edit(title, "Before.")
    GoesAway.target = mediawiki.base
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GoesAway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}/api.php"
    r = publish(wiki_cli, mediawiki, db, wiki_prefix, GOALKEEPER_WIKI_API=api)
    assert GoesAway.gone.is_set()
    assert_one_error(r, mediawiki, f"the wiki at {api} cannot be reached")
    assert mediawiki.text(title) == "Before."
    # back again: the publish goes through, nothing was half-written meanwhile
    r = publish(wiki_cli, mediawiki, db, wiki_prefix)
    assert r.returncode == 0 and "updated" in r.stdout, r.stdout + r.stderr
    assert mediawiki.text(title).startswith("Before.\n\n" + BEGIN)


def test_a_page_of_2_mb_is_published_and_one_the_section_would_push_over_the_limit_refused(wiki_cli, mediawiki,
                                                                                         wiki_prefix, tmp_path):
    db = str(tmp_path / "g.db")
    team(wiki_cli, db)
    line = "A line people wrote, long enough to fill the page quickly. " * 16 + "\n"
    fits = (line * 2200).rstrip()  # 2.08 MB: the section still fits under the wiki's 2 MiB
    title = f"{wiki_prefix}/releng/FY2016Q3"
    mediawiki.person().edit(title, fits)
    r = publish(wiki_cli, mediawiki, db, wiki_prefix)
    assert r.returncode == 0 and "updated" in r.stdout, r.stdout + r.stderr
    assert mediawiki.text(title).startswith(fits + "\n\n" + BEGIN)
    full = (line * 2300)[: 2 * 1024 * 1024 - 500].rstrip()  # the section would push it over
    mediawiki.person().edit(title, full)
    before = mediawiki.revisions(title)
    r = publish(wiki_cli, mediawiki, db, wiki_prefix, now="2016-01-05T12:00")
    assert_one_error(r, mediawiki, f"{title} would be", "bytes", "2048 kibibytes")
    assert mediawiki.revisions(title) == before


def test_review_publish_on_slack_errors_to_the_asker_alone(mediawiki, wiki_prefix, tmp_path, slack_api):
    from tests.fixtures_slack import SlackRig
    from tests.test_slack import texts

    db = str(tmp_path / "g.db")
    title = f"{wiki_prefix}/releng/FY2016Q3"
    rig = SlackRig(db, slack_api, env={**mediawiki.env(), "GOALKEEPER_WIKI_PAGE": wiki_prefix + "/{team}/{quarter}"})
    try:
        rig.command("/goal", "add Migrate Gerrit to Differential")
        mediawiki.person().edit(title, f"Alice's.\n{BEGIN}\nAlice wrote this.\n{END}")
        status, body, took = rig.command("/review", "publish", response_url=slack_api.response_url("p1"))
        assert status == 200 and took < 0.5  # slow: answered after the ack
        [post] = slack_api.wait_for("response_url", 1)
        assert post.body["response_type"] == "ephemeral"
        assert texts([post])[0].startswith("error: ") and "revision" in texts([post])[0]
        assert mediawiki.text(title) == f"Alice's.\n{BEGIN}\nAlice wrote this.\n{END}"
        mediawiki.person().edit(title, f"Alice's.\n{BEGIN}{END}")  # empty markers: Goalkeeper's place
        slack_api.reset()
        rig.command("/review", "publish", response_url=slack_api.response_url("p2"))
        [post] = slack_api.wait_for("response_url", 1)
        assert post.body["response_type"] == "in_channel" and "updated" in texts([post])[0], post.body
        assert mediawiki.text(title).startswith(f"Alice's.\n{BEGIN}\n== Quarterly review: releng, FY2016Q3 ==")
    finally:
        rig.stop()


def test_minutes_are_a_page_and_wikitext_through_the_same_section(mediawiki, wiki_prefix, tmp_path, cli):
    from datetime import date, datetime, timezone

    from adapters.bootstrap import bootstrap
    from bot.publish import Publication, page_title, publish as publish_page

    db = str(tmp_path / "g.db")
    app = bootstrap({**store_env(db), **mediawiki.env(), "GOALKEEPER_WIKI_MINUTES_PAGE": wiki_prefix + " {team}/{date}"})
    try:
        title = page_title(app.config.wiki_minutes_page, "Release Engineering", "FY2016Q3", date(2016, 1, 22))
        assert title == f"{wiki_prefix} Release Engineering/2016-01-22"
        mediawiki.person().edit(title, "Agenda, by Alice.")
        now = datetime(2016, 1, 22, 18, 0, tzinfo=timezone.utc)
        minutes = "== Minutes ==\n* '''Agreed''': ship it\n"
        out = publish_page(app.wiki, app.store, Publication(title, minutes, "Goalkeeper: minutes of M1", "M1"), now,
                           "console:greg")
        assert out.action == "updated" and mediawiki.text(title) == f"Agenda, by Alice.\n\n{BEGIN}\n{minutes}{END}"
        again = publish_page(app.wiki, app.store, Publication(title, minutes, "Goalkeeper: minutes of M1", "M1"), now,
                             "console:greg")
        assert again.action == "unchanged" and len(mediawiki.revisions(title)) == 2
        from bot.publications import minutes_on_wiki

        assert minutes_on_wiki(None, app.store, app.config, 3, now, "console:greg") is None  # publishing off
        assert minutes_on_wiki(app.wiki, app.store, app.config, 3, now, "console:greg").startswith(
            "the minutes were not published to the wiki: there is no meeting M3")
    finally:
        app.close()
    r = cli(["publish", "--meeting", "M3"], env=mediawiki.env(GOALKEEPER_DB=db))
    assert_one_error(r, mediawiki, "M3")
    r = cli(["publish", "--meeting", "three"], env=mediawiki.env(GOALKEEPER_DB=db))
    assert r.returncode == 2 and r.stderr.startswith("goalkeeper: error: --meeting 'three' is not a meeting id")


def test_endmeeting_publishes_the_minutes_and_its_reply_names_the_page(mediawiki, wiki_prefix, tmp_path, store_kind):
    from tests.meeting_seed import ENV, replay

    db = str(tmp_path / "g.db")
    chat = Chat(db, {**ENV, **mediawiki.env(), "GOALKEEPER_WIKI_MINUTES_PAGE": wiki_prefix + "/{team}/{date}"})
    title = f"{wiki_prefix}/Release Engineering/2016-01-22"  # {team}: the display name
    try:
        mediawiki.person().edit(title, "Agenda: releng, then security.")
        replies = replay(chat)
        end = replies[-1]
        assert end.startswith("meeting M1 ended"), end
        url = mediawiki.base + "/index.php/" + title.replace(" ", "_")
        assert f"minutes on the wiki: {url}" in end.splitlines(), end
        text = mediawiki.text(title)
        assert text.startswith("Agenda: releng, then security.\n\n" + BEGIN + "\n") and text.endswith(END)
        assert "Security is everyone" in text and "write up a summary of the asks" in text
        assert mediawiki.revisions(title)[-1]["comment"] == "Goalkeeper: minutes of meeting M1 (releng, 2016-01-22)"
        html = mediawiki.html(title)
        assert "<h2>" in html and "Security is everyone" in html
        # publishing them again makes no revision; a person's edit inside the section is then refused
        r = run_cli(["publish", "--meeting", "M1", "--now", "2016-01-23T10:00"],
                    env={**store_env(db), **ENV, **mediawiki.env(),
                         "GOALKEEPER_WIKI_MINUTES_PAGE": wiki_prefix + "/{team}/{date}"})
        assert r.returncode == 0 and "no new revision" in r.stdout, r.stdout + r.stderr
        rev = mediawiki.person().edit(title, text.replace("Security is everyone", "Security is nobody"))
        r = run_cli(["publish", "--meeting", "M1", "--now", "2016-01-23T10:00"],
                    env={**store_env(db), **ENV, **mediawiki.env(),
                         "GOALKEEPER_WIKI_MINUTES_PAGE": wiki_prefix + "/{team}/{date}"})
        assert_one_error(r, mediawiki, f"revision {rev} by Alice")
        assert not chat.incidents
    finally:
        chat.store.close()
