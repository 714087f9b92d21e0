"""Every command of the contract, through the real core on a real SQLite file."""
import re

from tests.fixtures_core import Chat


def test_the_contracts_illustration(chat):
    assert chat.say("/team set releng tz:America/Los_Angeles") == "#releng is team releng (America/Los_Angeles)"
    out = chat.say("/goal add Migrate Gerrit to Differential due:end of quarter")
    assert out == ("#1 Migrate Gerrit to Differential · releng · FY2016Q3 · due Thu 31 Mar · owner greg"
                   " · no status yet")
    assert chat.say("!learning 1 Still mostly a one-person job; the silo effect is strong").startswith(
        "learning added to #1")
    assert chat.say("/kpi add time-to-merge unit:min better:down") == \
        "KPI time-to-merge (min, lower is better) for releng"
    assert chat.say("/kpi time-to-merge 11") == "time-to-merge: 11 min (first value this quarter)"
    assert chat.say("/kpi time-to-merge 6") == "time-to-merge: 11 min -> 6 min (better)"
    assert chat.say("/goal miss 1 waits on the RfC") == \
        '#1 Migrate Gerrit to Differential: miss (red), "waits on the RfC"'
    err = chat.say("/goal hit 7").splitlines()
    assert err[0].startswith("error: ") and "#7" in err[0]
    assert err[1] == "usage: goal hit <id> [note]"


def test_goal_add_options_run_until_the_next_key(chat):
    out = chat.say("/goal add Migrate Gerrit to Differential due:end of March owner:robla kind:core")
    g = chat.export()["goals"][0]
    assert g["title"] == "Migrate Gerrit to Differential"
    assert g["due"] == "2016-03-31" and g["owner"] == "console:robla" and g["kind"] == "core"
    assert g["creator"] == "console:greg" and g["quarter"] == "FY2016Q3"
    assert "owner robla" in out and out.startswith("#1 ")


def test_titles_keep_urls_times_quotes_and_unknown_keys(chat):
    chat.say("goal add Deploy at 10:30 see http://wiki.example/x?a=b note:this-is-not-a-key")
    chat.say('goal add "Rename owner:field in API" owner:greg')
    titles = [g["title"] for g in chat.export()["goals"]]
    assert titles == ["Deploy at 10:30 see http://wiki.example/x?a=b note:this-is-not-a-key",
                      "Rename owner:field in API"]


def test_both_prefixes_and_none_reach_the_same_handler(chat):
    for i, text in enumerate(["/goal add A", "!goal add B", "goal add C"], start=1):
        assert chat.say(text).startswith(f"#{i} ")


def test_quarter_follows_the_due_date_or_the_option(chat):
    chat.say("goal add Next quarter thing due:2016-04-15")
    chat.say("goal add Explicit quarter:FY2016Q4")
    chat.say("goal add Now")
    assert [g["quarter"] for g in chat.export()["goals"]] == ["FY2016Q4", "FY2016Q4", "FY2016Q3"]
    assert "Explicit" in chat.say("goal list quarter:next")
    assert "Now" not in chat.say("goal list quarter:next")


def test_calendar_fiscal_year_labels(make_chat):
    c = make_chat()
    c.say("goal add Thing")
    assert c.export()["goals"][0]["quarter"] == "2016Q1"


def test_goal_list_filters(chat):
    chat.say("goal add One")
    chat.say("goal add Two owner:mark")
    chat.say("goal add Three")
    chat.say("goal hit 1")
    chat.say("goal status 2 at risk waiting on hardware")
    assert [l.split()[0] for l in chat.say("goal list status:hit").splitlines()[1:]] == ["#1"]
    assert [l.split()[0] for l in chat.say("goal list owner:mark").splitlines()[1:]] == ["#2"]
    assert [l.split()[0] for l in chat.say("goal list status:none").splitlines()[1:]] == ["#3"]
    assert "at-risk (yellow)" in chat.say("goal list")
    assert "no goals" in chat.say("goal list team:ops")


def test_goal_show_has_history_and_learnings(chat):
    chat.say("goal add Nodepool fully up")
    chat.say("goal status 1 on-track")
    chat.say("learning 1 Silo effect is strong", user="mark")
    chat.say("goal hit 1 all jobs migrated")
    out = chat.say("goal show 1")
    assert "learning L1: Silo effect is strong (mark)" in out
    assert "none -> on-track (green)" in out and "on-track -> hit (green)" in out


def test_goal_edit_records_old_and_new(chat):
    chat.say("goal add Old title")
    out = chat.say("goal edit 1 title:New title due:2016-05-02 owner:faidon")
    assert out.startswith("edited: #1 New title") and "FY2016Q4" in out
    g = chat.export()["goals"][0]
    edit = g["history"][-1]
    assert edit["action"] == "edit" and edit["by"] == "console:greg"
    assert edit["changes"]["title"] == ["Old title", "New title"]
    assert edit["changes"]["quarter"] == ["FY2016Q3", "FY2016Q4"]
    assert g["owner"] == "console:faidon"


def test_status_history_is_appended(chat):
    chat.say("goal add Thing")
    for s in ("on-track", "at-risk", "off-track", "partial"):
        chat.say(f"goal status 1 {s}")
    hist = chat.export()["goals"][0]["history"]
    assert [h["action"] for h in hist] == ["create", "status", "status", "status", "status"]
    assert [h["changes"]["status"] for h in hist[1:]] == [
        [None, "on-track"], ["on-track", "at-risk"], ["at-risk", "off-track"], ["off-track", "partial"]]
    assert chat.export()["goals"][0]["status"] == "partial"


def test_delete_hides_and_keeps_history(chat):
    chat.say("goal add Doomed")
    assert "deleted #1" in chat.say("goal delete 1")
    assert "no goals" in chat.say("goal list")
    g = chat.export()["goals"][0]
    assert g["deleted"] is True and g["history"][-1]["action"] == "delete"
    shown = chat.say("goal show 1").splitlines()  # the contract: a deleted goal still shows, marked, with its history
    assert shown[0] == "#1 Doomed · releng · FY2016Q3 · owner greg · deleted · no status yet"
    assert shown[-1] == "04 Jan 10:00 greg: deleted"
    assert chat.say("goal hit 1").startswith("error: there is no goal #1 (it was deleted: goal restore 1 brings it back)")


def test_learnings_team_and_goal_and_search(chat):
    chat.say("goal add MediaWiki 1.26 release")
    chat.say("learning #1 Releases for 3rd parties are still subpar")
    chat.say("learning Still a mostly one person job; silo effect is strong")
    chat.say("learning 2016 was a good year")  # a number that is no goal is... a goal id: refused
    out = chat.say("learnings")
    assert "#1 Releases for 3rd parties" in out and "team Still a mostly" in out
    assert chat.say("learnings silo").count("\n") == 1
    ls = chat.export()["learnings"]
    assert [(l["goal"], l["team"]) for l in ls] == [(1, "releng"), (None, "releng")]


def test_kpi_values_with_units_and_percent(chat):
    chat.say("kpi add availability unit:% target:99.95 better:up")
    assert chat.say("kpi availability 99.979%") == "availability: 99.979% (first value this quarter)"
    assert chat.say("kpi availability 99.9") == "availability: 99.979% -> 99.9% (worse), target 99.95% not met"
    out = chat.say("kpi list")
    assert "availability: 99.979% -> 99.9% (worse)" in out
    k = chat.export()["kpis"][0]
    assert [v["value"] for v in k["values"]] == [99.979, 99.9] and k["better"] == "up"


def test_kpi_list_counts_this_quarter_only(chat):
    chat.at("2015-12-10T10:00:00+00:00").say("kpi add time-to-merge unit:min better:down")
    chat.say("kpi time-to-merge 15")                               # FY2016Q2
    chat.at("2016-01-05T10:00:00+00:00").say("kpi time-to-merge 11")
    chat.say("kpi time-to-merge 9")
    # from the baseline (December's 15), the quarter's first value beside it
    assert chat.say("kpi list") == "releng KPIs · FY2016Q3\ntime-to-merge: 15 min -> 9 min (better) · first in FY2016Q3 11 min"
    chat.at("2016-04-02T10:00:00+00:00")
    assert chat.say("kpi list") == "releng KPIs · FY2016Q4\ntime-to-merge: 9 min before the quarter, no value in it"
    assert chat.say("kpi time-to-merge 6") == "time-to-merge: 6 min (first value this quarter)"


def test_team_set_and_show_and_channel_default(chat):
    assert chat.say("goal add A", channel="#ops-team").startswith("#1 A · ops-team ·")
    chat.say("team set operations tz:Europe/Berlin", channel="#ops-team")
    assert chat.say("goal add B", channel="#ops-team").startswith("#2 B · operations ·")
    out = chat.say("team show", channel="#ops-team")
    assert "team operations · time zone Europe/Berlin" in out and "#ops-team" in out


def test_review_date_and_digest_schedule(chat):
    chat.say("team set releng tz:America/Los_Angeles")
    assert "in 18 days" in chat.say("review date 2016-01-22")
    assert "Fridays at 16:30 (Europe/Berlin)" in chat.say("digest schedule friday 4:30pm tz:Europe/Berlin")
    t = chat.export()["teams"][0]
    assert t["review_date"] == "2016-01-22"
    assert t["digest"]["weekday"] == "friday" and t["digest"]["time"] == "16:30" and t["digest"]["enabled"]
    assert "off" in chat.say("digest off")
    assert chat.export()["teams"][0]["digest"]["enabled"] is False


def test_help_lists_every_command_and_explains_one(chat):
    out = chat.say("help")
    for cmd in chat.bot.commands.commands.values():
        assert cmd.usage in out
    assert chat.say("help goal add").startswith("goal add <title>")
    assert chat.say("help kpi").count("kpi") >= 3


def test_error_replies_name_the_usage(chat):
    out = chat.say("goal frobnicate 1").splitlines()
    assert out[0].startswith("error: goal has no subcommand") and out[1].startswith("usage: goal add")


def test_ids_are_shown_as_hash_numbers(chat):
    assert re.match(r"^#1 ", chat.say("goal add First"))
    assert re.match(r"^#2 ", chat.say("goal add Second"))


def test_store_survives_a_restart(tmp_path):
    db = str(tmp_path / "g.db")
    a = Chat(db)
    a.say("goal add Persisted")
    a.store.close()
    b = Chat(db)
    assert "#1 Persisted" in b.say("goal list")
    assert b.say("goal add Next").startswith("#2 ")


def test_slack_replies_escape_usage_text_and_user_text(chat):
    from bot.model import Actor, Channel, Message

    ch = Channel(key="slack:T1:C1", name="#releng", platform="slack")
    say = lambda text: "\n".join(r.text for r in chat.bot.handle(
        Message(text=text, actor=Actor("slack:T1:U1", "greg"), channel=ch, at=chat.now)))
    assert "<title>" not in say("help") and "&lt;title&gt;" in say("help")
    assert "<title>" not in say("goal list")
    out = say("goal add Ping <!channel> & <http://evil|trusted>")
    assert "<!channel>" not in out and "&lt;!channel&gt; &amp; &lt;http://evil|trusted&gt;" in out
    assert chat.export()["goals"][0]["title"] == "Ping <!channel> & <http://evil|trusted>"
    assert "owner <@U2>" in say("goal add Theirs owner:<@U2|mark>")
    assert chat.export()["goals"][1]["owner"] == "slack:T1:U2"
