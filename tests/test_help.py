"""`help <command>` teaches: its options, the date and quarter forms it takes, its defaults, and an example
that itself runs without error."""
import pytest

from bot.commands.catalog import registry

COMMANDS = sorted(registry().commands)
NEEDS_A_SERVICE = {"review publish": "error: publishing is off: the wiki is not configured"}


@pytest.fixture
def seeded(chat):
    chat.say("goal add Nodepool fully up")
    chat.say("goal add Scratch")
    chat.say("goal delete 2")
    chat.say("kpi add time-to-merge unit:min better:down")
    chat.say("kpi time-to-merge 11")
    chat.say("learning 1 silo")
    chat.say("review date 2016-01-22")
    chat.say("#startmeeting planning")
    chat.say("#action mark send the minutes")
    chat.say("#endmeeting")
    return chat


@pytest.mark.parametrize("name", COMMANDS)
def test_every_commands_help_explains_and_its_example_runs(seeded, name):
    cmd = registry().commands[name]
    lines = seeded.say(f"help {name}").splitlines()
    assert lines[0] == cmd.usage and lines[1] == f"    {cmd.summary}"
    for key in cmd.keys:
        assert any(l.startswith(f"  {key}:") for l in lines), (name, key)
    if "due" in cmd.keys or "<when>" in cmd.usage:
        assert any(l.startswith("dates: ") and "FY2016Q3" in l and "next friday" in l for l in lines), name
    if "quarter" in cmd.keys:
        assert any(l.startswith("quarters: ") and "2016Q1" in l for l in lines), name
    defaults = [l for l in lines if l.startswith("defaults: ")]
    examples = [l[len("example: "):] for l in lines if l.startswith("example: ")]
    assert len(defaults) == 1 and len(examples) == 1, lines
    assert examples[0].split()[: len(name.split())] == name.split()  # the example is of this command
    out = seeded.say(examples[0])
    if name in NEEDS_A_SERVICE:  # runs, and says what it needs (the publishing tests run it against a real wiki)
        assert out.startswith(NEEDS_A_SERVICE[name]), out
        return
    assert not out.startswith("error:") and "Traceback" not in out, (examples[0], out)


def test_goal_add_help_names_the_default_kind(make_chat):
    c = make_chat({"GOALKEEPER_KINDS": "core,strategic"})
    defaults = next(l for l in c.say("help goal add").splitlines() if l.startswith("defaults: "))
    assert defaults.endswith("(kinds: core, strategic; default kind core)")
