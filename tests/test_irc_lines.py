"""The IRC adapter's pure parts: cleaning text, 512-byte lines, the token bucket, configuration."""
from __future__ import annotations

import random

import pytest

from adapters.irc.config import IrcConfig
from adapters.irc.lines import (
    GENEROUS_USERHOST,
    OutLine,
    SendQueue,
    TokenBucket,
    clean_incoming,
    relay_budget,
    split_text,
    utf8_len,
)
from bot.config import ConfigError


def relayed(nick: str, userhost: str, target: str, text: str) -> bytes:
    return f":{nick}!{userhost} PRIVMSG {target} :{text}\r\n".encode()


def test_incoming_text_loses_ctcp_colours_and_controls():
    assert clean_incoming("\x02!goal\x02 add \x0304,01red\x03 \x1ditalic\x1d\x0f") == "!goal add red italic"
    assert clean_incoming("\x01ACTION waves\x01") == "ACTION waves"
    assert clean_incoming("a\x00b\rc\nd\te") == "abcd e"
    assert clean_incoming("\x04ff0000hex\x04 ok") == "hex ok"


@pytest.mark.parametrize("nick,target", [("goalkeeper", "#releng"), ("gk", "#a"), ("goalkeeper___", "someone_long_nick")])
def test_every_line_fits_512_bytes_as_relayed(nick, target):
    rnd = random.Random(7)
    alphabet = "aé€😀 ü\u0301 \x0303x\x0f \x02b\x02 word "
    userhost = "~" + "u" * 9 + "@" + "h" * 63
    for _ in range(200):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 3000)))
        text += "\n" + "😀" * rnd.randint(0, 400)
        budget = relay_budget(nick, len(userhost), target)
        for line in split_text(text, budget):
            assert len(relayed(nick, userhost, target, line)) <= 512
            line.encode("utf-8").decode("utf-8")  # valid UTF-8, never a cut character
            assert not set(line) & {"\x00", "\r", "\n", "\x01"}


def test_budget_assumes_a_generous_mask_when_the_real_one_is_short():
    assert relay_budget("gk", 5, "#a") == relay_budget("gk", GENEROUS_USERHOST, "#a")
    assert relay_budget("gk", 100, "#a") == relay_budget("gk", GENEROUS_USERHOST, "#a") - (100 - GENEROUS_USERHOST)


def test_split_prefers_word_boundaries_and_keeps_every_word():
    words = [f"word{i}" for i in range(300)]
    lines = split_text(" ".join(words), 100)
    assert all(utf8_len(l) <= 100 for l in lines)
    assert " ".join(lines).split() == words  # no word cut in two, none lost, order kept


def test_split_cuts_a_long_word_at_character_boundaries():
    text = "ü" * 500
    lines = split_text(text, 101)
    assert "".join(lines) == text
    assert all(utf8_len(l) <= 101 for l in lines)


def test_split_keeps_combining_marks_and_emoji_modifiers_with_their_base():
    text = "e\u0301" * 300  # é as e + combining acute
    for line in split_text(text, 51):
        assert not line.startswith("\u0301")
    text = "👍🏽" * 200
    for line in split_text(text, 50):
        assert line.startswith("👍")


def test_split_reopens_formatting_on_the_next_line():
    text = "\x02" + "bold " * 100 + "\x02 plain"
    lines = split_text(text, 60)
    assert len(lines) > 1
    assert all(l.startswith("\x02") for l in lines)  # each line of the bold run opens bold again
    text = "\x0304" + "red " * 50
    assert all(l.startswith("\x0304") for l in split_text(text, 40))


def test_split_drops_empty_lines_and_line_breaks():
    assert split_text("a\r\nb\rc\n\n\nd\x00e", 400) == ["a", "b", "c", "de"]
    assert split_text("x\r\nQUIT :bye", 400) == ["x", "QUIT :bye"]  # text on its own line, never a command


def test_token_bucket_bursts_then_paces():
    t = [0.0]
    b = TokenBucket(rate=1.0, burst=4, monotonic=lambda: t[0])
    assert [b.take() for _ in range(5)] == [True, True, True, True, False]
    assert b.wait() == pytest.approx(1.0)
    t[0] = 0.5
    assert not b.take()
    t[0] = 1.0
    assert b.take() and not b.take()
    t[0] = 100.0
    assert sum(b.take() for _ in range(10)) == 4  # never more than the burst, however long it waited
    b.force()
    b.force()
    assert b.wait() > 0


def test_send_queue_keeps_order_and_gives_back_lines_whose_write_failed():
    t = [0.0]
    q = SendQueue(TokenBucket(rate=2.0, burst=3, monotonic=lambda: t[0]))
    q.extend([OutLine("#a", f"l{i}") for i in range(6)])
    first = q.take()
    assert [line.text for line in first] == ["l0", "l1", "l2"]  # the burst, taken at once
    t[0] = 1.0
    failed = q.take()
    q.give_back(failed)  # the connection broke: first again, in order
    assert [line.text for line in failed] == ["l3", "l4"] and len(q) == 3
    t[0] = 10.0
    assert [line.text for line in q.take()] == ["l3", "l4", "l5"]


def test_send_queue_serves_people_in_turn_and_skips_a_lane_that_is_not_ready():
    t = [0.0]
    q = SendQueue(TokenBucket(rate=1.0, burst=100, monotonic=lambda: t[0]))
    q.extend([OutLine("#a", f"flood{i}", lane="~m@host") for i in range(5)])
    q.extend([OutLine("#a", "answer", lane="~ann@host"), OutLine("#b", "later", lane="~bo@host")])
    taken = q.take(ready=lambda line: line.target != "#b")
    assert [line.text for line in taken] == ["flood0", "answer", "flood1", "flood2", "flood3", "flood4"]
    assert q.waiting_for("~bo@host") == 1 and q.waiting_for("~m@host") == 0
    assert [line.text for line in q.take()] == ["later"]


BASE = {"IRC_SERVER": "irc.example.org", "IRC_CHANNELS": "#releng"}


def test_config_defaults():
    c = IrcConfig.from_env(BASE)
    assert (c.port, c.tls, c.nick, c.network, c.channels) == (6697, True, "goalkeeper", "irc.example.org", ("#releng",))
    assert IrcConfig.from_env({**BASE, "IRC_TLS": "0"}).port == 6667
    c = IrcConfig.from_env({**BASE, "IRC_CHANNELS": "#a, #B,#a", "IRC_NETWORK": "libera", "IRC_PORT": "7000"})
    assert (c.channels, c.network, c.port) == (("#a", "#B"), "libera", 7000)


@pytest.mark.parametrize("env,variable", [
    ({"IRC_CHANNELS": "#a"}, "IRC_SERVER"),
    ({"IRC_SERVER": "x"}, "IRC_CHANNELS"),
    ({**BASE, "IRC_CHANNELS": "releng"}, "IRC_CHANNELS"),
    ({**BASE, "IRC_PORT": "http"}, "IRC_PORT"),
    ({**BASE, "IRC_PORT": "70000"}, "IRC_PORT"),
    ({**BASE, "IRC_TLS": "maybe"}, "IRC_TLS"),
    ({**BASE, "IRC_NICK": "goal keeper"}, "IRC_NICK"),
    ({**BASE, "IRC_SASL_USERNAME": "gk"}, "IRC_SASL_PASSWORD"),
    ({**BASE, "IRC_SASL_PASSWORD": "pw"}, "IRC_SASL_USERNAME"),
    ({**BASE, "IRC_PASSWORD": "a\r\nQUIT"}, "IRC_PASSWORD"),
    ({**BASE, "IRC_RATE": "fast"}, "IRC_RATE"),
    ({**BASE, "IRC_RECONNECT_MIN": "10", "IRC_RECONNECT_MAX": "5"}, "IRC_RECONNECT_MAX"),
])
def test_config_errors_are_one_line_naming_the_variable(env, variable):
    with pytest.raises(ConfigError) as e:
        IrcConfig.from_env(env)
    assert variable in str(e.value) and "\n" not in str(e.value)


def test_pager_shows_seven_lines_and_an_offer_then_pages_the_rest():
    from adapters.irc.lines import Pager

    p = Pager(8)
    lines = [f"l{i}" for i in range(20)]
    assert p.first_page("k", lines[:8]) == lines[:8]  # 8 lines fit: no cut
    first = p.first_page("k", lines)
    assert first[:7] == lines[:7] and first[7] == "(13 more lines: say !more)"
    second = p.next_page("k")
    assert second[:7] == lines[7:14] and second[7] == "(6 more lines: say !more)"
    assert p.next_page("k") == lines[14:]
    assert p.next_page("k") == ["nothing more to show"]
    assert p.next_page("other") == ["nothing more to show"]


def test_cap_negotiation_requests_what_is_offered_then_sasl_then_ends():
    from adapters.irc.caps import CapNegotiation

    c = CapNegotiation("gk", "pw")
    assert c.on_cap(["LS", "*", "multi-prefix account-tag"], False) == []  # more LS lines follow
    sent = c.on_cap(["LS", "extended-join sasl=PLAIN,EXTERNAL away-notify"], False)
    assert sent == ["CAP REQ :account-tag", "CAP REQ :extended-join", "CAP REQ :multi-prefix", "CAP REQ :sasl"]
    assert c.on_cap(["ACK", "account-tag"], False) == []
    assert c.on_cap(["NAK", "extended-join"], False) == []
    assert c.on_cap(["ACK", "multi-prefix"], False) == []
    assert c.on_cap(["ACK", "sasl"], False) == ["AUTHENTICATE PLAIN"]
    assert c.on_authenticate("+") == ["AUTHENTICATE Z2sAZ2sAcHc="]  # base64("gk\0gk\0pw")
    assert c.end() == ["CAP END"] and c.end() == []
    assert c.caps == {"account-tag", "multi-prefix", "sasl"}


def test_cap_negotiation_without_sasl_offered_or_wanted(caplog):
    from adapters.irc.caps import CapNegotiation

    c = CapNegotiation("gk", "pw")
    assert c.on_cap(["LS", "multi-prefix"], False) == ["CAP REQ :multi-prefix"]
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("goalkeeper.irc", "the server does not offer SASL; continuing without logging in")]
    assert c.on_cap(["ACK", "multi-prefix"], False) == ["CAP END"]
    c = CapNegotiation()
    assert c.on_cap(["LS", "away-notify"], False) == ["CAP END"]  # nothing we want: end at once
    long = CapNegotiation("u" * 200, "p" * 200)
    chunks = long.on_authenticate("+")
    assert all(len(x) <= len("AUTHENTICATE ") + 400 for x in chunks) and len(chunks) >= 2


def test_backoff_starts_within_seconds_doubles_and_is_capped():
    from adapters.irc.session import Backoff

    b = Backoff(2, 120)
    waits = [b.next() for _ in range(2000)]
    assert 1.6 <= waits[0] <= 2 and 3.2 <= waits[1] <= 4 and 6.4 <= waits[2] <= 8
    assert max(waits) <= 120 and min(waits[10:]) >= 96
    b.reset()
    assert b.next() <= 2
    z = Backoff(0, 1)
    assert z.next() == 0 and 0 < z.next() <= 1  # a zero minimum never becomes a busy loop
