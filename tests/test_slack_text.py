"""What Slack sends, turned into the core's command line."""
import pytest

from adapters.bootstrap import bootstrap
from adapters.slack.text import command_text, from_slack, strip_mention


@pytest.fixture
def core(tmp_path):
    app = bootstrap({"GOALKEEPER_DB": str(tmp_path / "gk.db")})
    yield app.core
    app.close()


def test_the_slash_command_is_the_top_word(core):
    words = core.top_words
    assert command_text("/goal", "add Migrate Gerrit due:end of March", words) == "goal add Migrate Gerrit due:end of March"
    assert command_text("/learnings", "", words) == "learnings"
    assert command_text("/goalkeeper", "", words) == "help"
    assert command_text("/goalkeeper", "help kpi", words) == "help kpi"
    assert command_text("/goalkeeper", "goal list", words) == "goal list"
    assert command_text("/gk", "goal list", words) == "goal list"  # a renamed command works like /goalkeeper


def test_only_a_leading_mention_of_the_bot_is_addressing():
    assert strip_mention("<@UBOT> goal list", "UBOT") == "goal list"
    assert strip_mention("<@UBOT|goalkeeper>: goal list", "UBOT") == "goal list"
    assert strip_mention("<@UOTHER> goal list", "UBOT") == "<@UOTHER> goal list"
    assert strip_mention("goal add ask <@UBOT> later", "UBOT") == "goal add ask <@UBOT> later"


def test_slack_wire_format_becomes_what_the_user_typed():
    assert from_slack("&lt;!channel&gt; &amp;amp; a &gt; b") == "<!channel> &amp; a > b"
    assert from_slack("<!channel> <!here> <#C1|releng> <!subteam^S1|@leads>") == "@channel @here #releng @leads"
    assert from_slack("see <http://x|y> and <https://example.com|example.com>") == "see y (http://x) and example.com"
    assert from_slack("owner:<@U2ANN|ann> <mailto:a@b.c|a@b.c>") == "owner:<@U2ANN|ann> a@b.c"


def test_review_and_digest_are_slow_but_their_settings_are_not(core):
    is_slow = core.is_slow
    assert is_slow("review") and is_slow("review team:releng quarter:last") and is_slow("digest")
    assert not is_slow("review date 2016-03-25") and not is_slow("digest schedule monday 09:00")
    assert not is_slow("digest off") and not is_slow("goal list") and not is_slow("")
