"""The other-team rule, several owners, shared teams and carry-over, through the console."""
import pytest

from adapters.console import message_for
from bot.model import Channel

CHANGES = ["goal edit {id} title:hijacked", "goal status {id} at-risk", "goal hit {id}", "goal partial {id}",
           "goal miss {id}", "goal delete {id}", "goal carry {id}", "learning {id} a learning on it"]


@pytest.fixture
def two_teams(chat):
    chat.say("team set releng", channel="#releng")
    chat.say("team set operations", channel="#operations")
    chat.say("goal add Releng's goal", channel="#releng")
    return chat


@pytest.mark.parametrize("cmd", CHANGES)
def test_another_teams_goal_is_refused_in_a_team_channel(two_teams, cmd):
    before = two_teams.export()
    out = two_teams.say(cmd.format(id=1), channel="#operations").splitlines()
    assert out[0] == ("error: #1 is team releng's goal, not operations's: change it in #releng"
                      " or in a private message")
    assert out[1].startswith("usage: ")
    assert two_teams.export() == before


def test_restore_of_another_teams_goal_is_refused_too(two_teams):
    two_teams.say("goal delete 1", channel="#releng")
    assert two_teams.say("goal restore 1", channel="#operations").startswith("error: #1 is team releng's goal")


def test_in_a_private_message_any_goal_by_id(two_teams):
    dm = Channel(key="console:greg", name="greg", platform="console", private=True)
    replies = two_teams.bot.handle(message_for("goal status 1 at-risk", "greg", dm, two_teams.now))
    assert replies[0].text == "#1 Releng's goal: at-risk (yellow)"


def test_a_shared_goal_shows_in_the_other_team_and_may_be_changed_there(two_teams):
    c = two_teams
    out = c.say("goal add Joint work shared:operations owner:greg,mark", channel="#releng")
    assert out == "#2 Joint work · releng · FY2016Q3 · owners greg, mark · shared with operations · no status yet"
    listed = c.say("goal list", channel="#operations").splitlines()
    assert listed[1] == "#2 Joint work · releng · FY2016Q3 · owners greg, mark · shared with operations · no status yet"
    assert c.say("goal status 2 at-risk", channel="#operations", user="mark") == "#2 Joint work: at-risk (yellow)"
    assert "Joint work" in c.say("digest", channel="#operations")
    assert "Joint work" in c.say("review", channel="#operations")


def test_every_owner_counts_for_permissions_and_filters(make_chat):
    c = make_chat({"GOALKEEPER_ADMINS": "console:lila"})
    c.say("goal add Shared work owner:greg,mark", user="lila")
    c.say("goal add Greg alone owner:greg", user="lila")
    assert [l.split(" · ")[0] for l in c.say("goal list owner:mark").splitlines()[1:]] == ["#1 Shared work"]
    assert len(c.say("goal list owner:greg").splitlines()) == 3
    assert c.say("goal hit 1", user="mark").startswith("#1 Shared work: hit")
    out = c.say("goal miss 1", user="eve").splitlines()[0]
    assert out == "error: only greg (owner), mark (owner), lila (creator) or an admin may change #1"
    g = c.export()["goals"][0]
    assert g["owner"] == "console:greg" and g["owners"] == ["console:greg", "console:mark"]
    assert c.store.owners_of(1) == ["console:greg", "console:mark"] and c.store.owners_of(2) == ["console:greg"]


def test_owners_and_shared_change_with_edit_and_show_in_the_history(two_teams):
    c = two_teams
    assert "owners greg, mark" in c.say("goal edit 1 owner:greg,mark shared:operations", channel="#releng")
    last = c.say("goal show 1", channel="#releng").splitlines()[-1]
    assert last == "04 Jan 10:00 greg: changed owners greg -> greg, mark; shared none -> operations"
    assert "shared" not in c.say("goal edit 1 shared:none", channel="#releng")
    assert c.export()["goals"][0]["shared"] == []


def test_carry_keeps_the_old_goal_and_links_both_ways(chat):
    chat.say("team set ops", channel="#ops")
    chat.say("goal add Migrate Gerrit owner:greg,mark shared:ops kind:core due:2016-03-01")
    chat.say("goal partial 1 half the repos")
    out = chat.say("goal carry 1").splitlines()
    assert out[0] == "#1 stays in FY2016Q3 (partial (yellow); it still needs a final status) and continues as"
    assert out[1] == ("#2 Migrate Gerrit · releng · FY2016Q4 · owners greg, mark · core · shared with ops"
                      " · continues #1 · no status yet")
    assert "continued as #2" in chat.say("goal list").splitlines()[1]
    assert "continues #1" in chat.say("goal list quarter:next").splitlines()[1]
    assert chat.say("goal show 1").splitlines()[-1] == "04 Jan 10:00 greg: continued as #2"
    g1, g2 = chat.export()["goals"]
    assert (g1["quarter"], g1["status"], g1["continued_as"]) == ("FY2016Q3", "partial", 2)
    assert (g2["quarter"], g2["continues"], g2["owners"], g2["shared"], g2["kind"]) == \
        ("FY2016Q4", 1, ["console:greg", "console:mark"], ["ops"], "core")
    assert chat.say("goal carry 1").startswith("error: #1 already continues in FY2016Q4 as #2")
    assert chat.say("goal carry 1 quarter:FY2017Q1").startswith("#1 stays in FY2016Q3")


def test_carry_refusals(chat):
    chat.say("goal add Old quarter:last")
    chat.say("goal add Gone")
    chat.say("goal delete 2")
    assert chat.say("goal carry 1 quarter:last").startswith("error: FY2016Q2 is over")
    assert chat.say("goal carry 2").startswith("error: there is no goal #2 (it was deleted")
    assert chat.say("goal carry 1").startswith("#1 stays in FY2016Q2")  # into this quarter
