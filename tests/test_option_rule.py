"""The option rule (the contract's "Commands"): options first, last or between words; one-word keys take
one word unless quoted; `due:` takes the longest leading phrase that reads as a date; the words left over,
wherever they stood, are the title, text or search words. Said on Mon 4 Jan 2016, fiscal year from July."""
from datetime import date, datetime, timezone

import pytest

from bot.commands.catalog import registry
from bot.grammar import split_options
from bot.quarters import Quarter
from bot.when import parse_when

NOW = datetime(2016, 1, 4, 10, tzinfo=timezone.utc)
REGISTRY = registry()


def _is_date(text):
    try:
        parse_when(text, NOW, 7)
        return True
    except ValueError:
        return False


# (command line, the words left over, the options)
PARSED = [
    ("goal add owner:mark due:Friday Ship it", "Ship it", {"owner": "mark", "due": "Friday"}),
    ("goal add Ship it owner:mark due:Friday", "Ship it", {"owner": "mark", "due": "Friday"}),
    ("goal add Ship due:Friday it", "Ship it", {"due": "Friday"}),
    ("goal add Migrate Gerrit to Differential due:end of March owner:greg", "Migrate Gerrit to Differential",
     {"due": "end of March", "owner": "greg"}),
    ("goal add due:end of March Migrate Gerrit", "Migrate Gerrit", {"due": "end of March"}),
    ("goal add due:end of next quarter Plan it", "Plan it", {"due": "end of next quarter"}),
    ("goal add due:next friday Demo day", "Demo day", {"due": "next friday"}),
    ("goal add due:in 2 weeks Something big", "Something big", {"due": "in 2 weeks"}),
    ("goal add due:Jan 22 Release notes", "Release notes", {"due": "Jan 22"}),
    ("goal add due:2016-01-22 Release", "Release", {"due": "2016-01-22"}),
    ("goal add due:Q4 2016 Thing", "Thing", {"due": "Q4 2016"}),
    ("goal add due:next quarter Thing", "Thing", {"due": "next quarter"}),
    ("goal add due:FY2016Q3 Thing", "Thing", {"due": "FY2016Q3"}),
    ("goal add kind:core Review core libraries", "Review core libraries", {"kind": "core"}),
    ("goal add Core rewrite kind:core", "Core rewrite", {"kind": "core"}),
    ("goal add Deploy at 10:30 owner:mark", "Deploy at 10:30", {"owner": "mark"}),
    ("goal add Fix the 10:30 standup due:friday", "Fix the 10:30 standup", {"due": "friday"}),
    ("goal add see http://x/y?a=b owner:mark", "see http://x/y?a=b", {"owner": "mark"}),
    ("goal add Visit wiki.example/owner:x owner:mark", "Visit wiki.example/owner:x", {"owner": "mark"}),
    ("goal add note:this-is-not-a-key Title", "note:this-is-not-a-key Title", {}),
    ("goal add team:ops Ops thing", "Ops thing", {"team": "ops"}),
    ("goal add quarter:next Plan Q4", "Plan Q4", {"quarter": "next"}),
    ("goal add Plan quarter:next things", "Plan things", {"quarter": "next"}),
    ('goal add "Rename owner:field in API" owner:greg', "Rename owner:field in API", {"owner": "greg"}),
    ('goal add owner:"mark" Quoted owner', "Quoted owner", {"owner": "mark"}),
    ('goal add team:"big team" A title', "A title", {"team": "big team"}),
    ("goal add owner:greg,mark Pair work", "Pair work", {"owner": "greg,mark"}),
    ("goal add Joint shared:ops,qa work", "Joint work", {"shared": "ops,qa"}),
    ("goal add kind:core due:tomorrow owner:mark Triple", "Triple", {"kind": "core", "due": "tomorrow", "owner": "mark"}),
    ("goal add team:ops due:Friday owner:mark Everything first", "Everything first",
     {"team": "ops", "due": "Friday", "owner": "mark"}),
    ("goal add Thing DUE:Friday", "Thing", {"due": "Friday"}),
    ("goal add Thing due:blorp flumph", "Thing", {"due": "blorp flumph"}),  # no date at all: refused later
    ("goal add Thing due:end of March", "Thing", {"due": "end of March"}),
    ("goal add Ship core kind:core", "Ship core", {"kind": "core"}),  # a word that is also a key's value
    ("goal add Owner handbook owner:mark", "Owner handbook", {"owner": "mark"}),
    ("goal add Thing owner:two words", "Thing words", {"owner": "two"}),
    ("goal list owner:mark status:none", "", {"owner": "mark", "status": "none"}),
    ("goal list status:none owner:mark", "", {"owner": "mark", "status": "none"}),
    ("goal list quarter:last team:ops", "", {"quarter": "last", "team": "ops"}),
    ("learnings quarter:last silo", "silo", {"quarter": "last"}),
    ("learnings silo quarter:last", "silo", {"quarter": "last"}),
    ("learnings silo effect", "silo effect", {}),
    ("learnings team:ops quarter:Q2 silo effect", "silo effect", {"team": "ops", "quarter": "Q2"}),
    ("learnings silo team:ops effect", "silo effect", {"team": "ops"}),
    ("learning The silo effect quarter:this", "The silo effect", {"quarter": "this"}),
    ("learning quarter:this The silo effect", "The silo effect", {"quarter": "this"}),
    ("kpi add time-to-merge unit:min better:down", "time-to-merge", {"unit": "min", "better": "down"}),
    ("kpi add better:down unit:min time-to-merge", "time-to-merge", {"unit": "min", "better": "down"}),
    ("kpi add unit:% availability target:99.9", "availability", {"unit": "%", "target": "99.9"}),
    ("kpi add team:ops uptime", "uptime", {"team": "ops"}),
    ("kpi list quarter:last", "", {"quarter": "last"}),
    ("kpi undo time-to-merge team:ops", "time-to-merge", {"team": "ops"}),
    ("review date Jan 22 team:releng", "Jan 22", {"team": "releng"}),
    ("review date team:releng Jan 22", "Jan 22", {"team": "releng"}),
    ("review quarter:last", "", {"quarter": "last"}),
    ("digest schedule monday 09:00 tz:Europe/Berlin", "monday 09:00", {"tz": "Europe/Berlin"}),
    ("digest schedule tz:Europe/Berlin monday 09:00", "monday 09:00", {"tz": "Europe/Berlin"}),
    ("team set releng tz:America/Los_Angeles size:5", "releng", {"tz": "America/Los_Angeles", "size": "5"}),
    ("team set tz:America/Los_Angeles releng", "releng", {"tz": "America/Los_Angeles"}),
    ("team set releng title:Release Engineering size:5", "releng", {"title": "Release Engineering", "size": "5"}),
    ("goal carry quarter:next", "", {"quarter": "next"}),
    # the README's own examples
    ('goal add "Rename owner:field"', "Rename owner:field", {}),
    ("goal list status:none", "", {"status": "none"}),
    ("team time core:80 strategic:20 quarter:next", "core:80 strategic:20", {"quarter": "next"}),
    ("team time quarter:next core:80 strategic:20", "core:80 strategic:20", {"quarter": "next"}),
    ("kpi time-to-merge 6 min team:releng", "time-to-merge 6 min", {"team": "releng"}),
]


@pytest.mark.parametrize("line,left,opts", PARSED, ids=[p[0] for p in PARSED])
def test_the_option_rule(line, left, opts):
    cmd, rest = REGISTRY.resolve(line)
    keys = cmd.keys or (("quarter",) if cmd.name == "goal carry" else ())
    assert keys, f"{cmd.name} declares no keys"
    got = split_options(rest, keys, _is_date if "due" in keys else None)
    assert got == (left, opts)


def test_there_are_at_least_sixty_phrasings():
    assert len(PARSED) >= 60


# the same phrasings through the console: what is stored
STORED = [
    ("goal add owner:mark due:Friday Ship it", {"title": "Ship it", "owner": "console:mark", "due": "2016-01-08"}),
    ("goal add due:end of March Migrate Gerrit", {"title": "Migrate Gerrit", "due": "2016-03-31"}),
    ("goal add due:next friday Demo", {"title": "Demo", "due": "2016-01-15"}),
    ("goal add due:FY2016Q3 Thing", {"title": "Thing", "due": "2016-03-31", "quarter": "FY2016Q3"}),
    ("goal add due:2016Q1 Thing", {"due": "2016-03-31", "quarter": "FY2016Q3"}),
    ("goal add due:Q4 Thing", {"due": "2016-06-30", "quarter": "FY2016Q4"}),
    ("goal add due:Q4 2016 Thing", {"due": "2016-12-31", "quarter": "FY2017Q2"}),
    ("goal add due:next quarter Thing", {"due": "2016-06-30", "quarter": "FY2016Q4"}),
    ("goal add due:end of next quarter Thing", {"due": "2016-06-30"}),
    ("goal add kind:core Review core libraries", {"title": "Review core libraries", "kind": "core"}),
    ("goal add Deploy at 10:30 see http://x owner:mark", {"title": "Deploy at 10:30 see http://x"}),
    ("goal add owner:greg,mark Pair work", {"owners": ["console:greg", "console:mark"], "owner": "console:greg"}),
]


@pytest.mark.parametrize("line,fields", STORED, ids=[s[0] for s in STORED])
def test_what_each_phrasing_stores(chat, line, fields):
    out = chat.say(line)
    assert out.startswith("#1 "), out
    g = chat.export()["goals"][0]
    assert {k: g[k] for k in fields} == fields


def test_learnings_quarter_last_searches_last_quarter(chat):
    chat.at("2015-12-01T10:00:00+00:00")
    chat.say("learning The silo effect is strong")
    chat.say("learning Something else")
    chat.at("2016-01-04T10:00:00+00:00")
    out = chat.say("learnings quarter:last silo").splitlines()
    assert out == ["releng · FY2016Q2 learnings matching silo:", "L1 team The silo effect is strong (greg)"]


@pytest.mark.parametrize("fs", range(1, 13))
def test_quarter_labels_in_due_mean_the_quarters_last_day_for_every_fiscal_start(fs):
    today = NOW.date()
    current = Quarter(0, 1, fs).__class__  # the class, for building quarters below
    from bot.quarters import quarter_of

    here = quarter_of(today, fs)
    prefix = "FY" if fs != 1 else ""
    nxt = here.next()
    assert parse_when(f"{prefix}{nxt.fy}Q{nxt.q}", NOW, fs) == nxt.end
    assert parse_when(f"FY{nxt.fy}Q{nxt.q}", NOW, fs) == current(nxt.fy, nxt.q, fs).end
    assert parse_when("next quarter", NOW, fs) == nxt.end
    assert parse_when("end of next quarter", NOW, fs) == nxt.end
    assert parse_when("this quarter", NOW, fs) == here.end
    assert parse_when(f"Q{here.q}", NOW, fs) == here.end
    # a label without FY names the calendar quarter: the fiscal quarter holding its first day
    april, october = quarter_of(date(2016, 4, 1), fs).end, quarter_of(date(2015, 10, 1), fs).end
    assert parse_when("2016Q2", NOW, fs) == parse_when("Q2 2016", NOW, fs) == april
    assert parse_when("2015Q4", NOW, fs) == october
    if fs in (1, 4, 7, 10):  # fiscal quarters that are calendar quarters
        assert (april.isoformat(), october.isoformat()) == ("2016-06-30", "2015-12-31")


def test_a_past_quarter_label_is_refused_for_due(chat):
    out = chat.say("goal add Thing due:2015Q4").splitlines()
    assert out[0] == "error: due:2015Q4 is Thu 31 Dec 2015, in the past"
    assert out[1].startswith("usage: goal add")
    assert chat.export()["goals"] == []


def test_said_on_wed_7_oct_2015(make_chat):
    """The issue's own case: quarter labels said on Wed 7 Oct 2015 (calendar year)."""
    c = make_chat(now="2015-10-07T12:00:00+00:00")
    assert "due Thu 31 Mar 2016" in c.say("goal add A due:2016Q1")
    assert "due Thu 31 Dec" in c.say("goal add B due:2015Q4")
    assert "due Thu 31 Dec" in c.say("goal add C due:Q4 2015")
    assert "due Fri 16 Oct" in c.say("goal add D due:next friday")  # the Friday of next week
    assert "due Fri 9 Oct" in c.say("goal add E due:friday")
