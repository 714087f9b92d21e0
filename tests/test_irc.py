"""`goalkeeper irc` against a real ngircd: commands, identity, long output, pacing, faults.

Every test drives the real core on a real SQLite file; the bot runs in-process (its reactor in a
thread), except the subprocess test at the end, which runs the `goalkeeper irc` program itself.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from adapters.bootstrap import bootstrap
from adapters.irc import BUSY_REPLY
from adapters.irc.lines import split_text
from bot.model import Actor, Channel, Message
from tests.fixtures_irc import IrcClient, bot_reply, bot_says, connect_all

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = datetime.now(timezone.utc)


def _message(text: str, channel: str) -> Message:
    return Message(text, Actor("irc:test:someone", "someone"),
                   Channel(f"irc:irc.test.local:{channel}", channel, "irc"), datetime.now(timezone.utc))


def test_bang_addressed_and_private_commands(ngircd, run_bot):
    bot = run_bot(ngircd, ["#cmds"], wait=False)
    alice = IrcClient(ngircd.port, "alice")
    connect_all(alice, join=("#cmds",))
    bot.wait_joined()
    m = alice.mark()
    alice.say("#cmds", "!goal add Migrate Gerrit to Differential")
    assert "#1" in bot_says(alice, "gkbot", "#cmds", m)[0]
    m = alice.mark()
    alice.say("#cmds", "gkbot: goal list")
    assert "Migrate Gerrit" in " ".join(bot_reply(alice, "gkbot", "#cmds", m))
    m = alice.mark()
    alice.say("#cmds", "GKBOT, goal show 1")
    assert "Migrate Gerrit" in " ".join(bot_reply(alice, "gkbot", "#cmds", m))
    m = alice.mark()
    alice.say("gkbot", "goal add Write the review team:cmds")  # private: no prefix needed, reply in private
    assert "#2" in bot_says(alice, "gkbot", "alice", m)[0]
    m = alice.mark()
    alice.say("gkbot", "!goal show 2")
    assert "Write the review" in " ".join(bot_reply(alice, "gkbot", "alice", m))
    goal = bot.store.export()["goals"][0]
    assert goal["creator"] == "irc:irc.test.local:alice!~alice@127.0.0.1"  # nick!user@host, no account here
    chan = bot.store.channel("irc:irc.test.local:#cmds")
    assert chan and chan["platform"] == "irc"  # registered on JOIN


def test_chatter_notices_ctcp_and_errors(ngircd, run_bot):
    bot = run_bot(ngircd, ["#quiet"], wait=False)
    bob = IrcClient(ngircd.port, "bob")
    connect_all(bob, join=("#quiet",))
    bot.wait_joined()
    m = bob.mark()
    bob.say("#quiet", "good morning, goal add is what I would type")  # chatter
    bob.send("NOTICE #quiet :!goal add from a notice")
    bob.say("#quiet", "\x01ACTION !goal add from an action\x01")
    bob.say("#quiet", "!!!")
    bob.say("#quiet", "!weather berlin")  # another bot's command: not ours, no "unknown command" noise
    bob.say("#quiet", "\x02!goal\x02 add \x0304Coloured\x03 title")  # formatting stripped, still a command
    first = bot_says(bob, "gkbot", "#quiet", m)[0]
    assert "#1" in first and "Coloured title" in first
    m = bob.mark()
    bob.say("gkbot", "weather berlin")  # in private (or addressed) an unknown command gets its error
    assert bot_says(bob, "gkbot", "bob", m)[0].startswith("error: unknown command")
    m = bob.mark()
    bob.say("#quiet", "!goal hit 99")
    err = bot_says(bob, "gkbot", "#quiet", m, count=2)
    assert err[0].startswith("error: ") and err[1].startswith("usage: ")
    assert [g["title"] for g in bot.store.export()["goals"]] == ["Coloured title"]


def test_long_multibyte_reply_fits_512_bytes_as_relayed(ngircd, run_bot):
    bot = run_bot(ngircd, ["#wide"], wait=False)
    carol = IrcClient(ngircd.port, "carol")
    connect_all(carol, join=("#wide",))
    bot.wait_joined()
    title = ("Zürich–東京 😀 " * 20)[:200].strip()
    m = carol.mark()
    carol.say("#wide", f"!goal add {title}")
    carol.collect(r"^:gkbot!\S+ PRIVMSG #wide :", 2, since=m)
    time.sleep(0.3)
    lines = carol.matching(r"^:gkbot!\S+ PRIVMSG #wide :", since=m)
    assert len(lines) >= 2  # one reply, more than one IRC line
    for line in lines:
        assert len(line.raw) + 2 <= 512  # as relayed to carol, prefix and CRLF included
        line.raw.decode("utf-8")  # strict: never a character cut in two
    text = "".join(l.body for l in lines)
    assert title.replace(" ", "") in text.replace(" ", "")


def test_channel_reply_over_8_lines_offers_the_rest_on_more(ngircd, run_bot):
    bot = run_bot(ngircd, ["#manners"], wait=False)
    dave = IrcClient(ngircd.port, "dave", oper=True)
    connect_all(dave, join=("#manners",))
    bot.wait_joined()
    help_text = "\n".join(r.text for r in bot.bot.handle(_message("help", "#manners")))
    full = split_text(help_text, bot.adapter.delivery.budget("#manners"))
    assert len(full) > 16
    m = dave.mark()
    dave.say("#manners", "!help")
    shown = bot_says(dave, "gkbot", "#manners", m, count=8)
    assert shown[:7] == full[:7] and "more lines: say !more" in shown[7]
    got = shown[:7]
    while len(got) < len(full):
        m = dave.mark()
        dave.say("#manners", "!more")
        chunk = bot_says(dave, "gkbot", "#manners", m, count=min(8, len(full) - len(got)))
        got += [c for c in chunk if "say !more" not in c]
    assert got == full
    m = dave.mark()
    dave.say("#manners", "!more")
    assert bot_says(dave, "gkbot", "#manners", m)[0] == "nothing more to show"


def test_default_pacing_bursts_then_one_line_a_second(ngircd, run_bot):
    bot = run_bot(ngircd, ["#pace"], wait=False, IRC_RATE="", IRC_BURST="")  # the defaults: burst 4, 1/s
    erin = IrcClient(ngircd.port, "erin")
    connect_all(erin, join=("#pace",))
    bot.wait_joined()
    time.sleep(3.2)  # let the bucket refill after the bot's CAP and JOIN lines
    m = erin.mark()
    erin.say("gkbot", "help")
    lines = erin.collect(r"^:gkbot!\S+ PRIVMSG erin :", 6, timeout=10, since=m)
    t = [l.at - lines[0].at for l in lines]
    assert t[3] < 0.5  # the burst
    assert 0.6 < t[4] < 1.5 and 1.6 < t[5] < 2.5  # then about one a second


def test_stranger_who_takes_a_departed_nick_is_not_that_user(ngircd, run_bot):
    bot = run_bot(ngircd, ["#nicks"], wait=False, GOALKEEPER_ADMINS="irc:nobody:admin")
    alice, watcher = IrcClient(ngircd.port, "fran", user="fran"), IrcClient(ngircd.port, "watcher")
    connect_all(alice, watcher, join=("#nicks",))
    bot.wait_joined()
    m = alice.mark()
    alice.say("#nicks", "!goal add Ship the release")
    assert "#1" in bot_says(alice, "gkbot", "#nicks", m)[0]
    alice.close()
    watcher.wait_for(r"^:fran!\S+ QUIT")
    mallory = IrcClient(ngircd.port, "fran", user="mallory")
    connect_all(mallory, join=("#nicks",))
    m = mallory.mark()
    mallory.say("#nicks", "!goal hit 1 done by me")
    refusal = bot_says(mallory, "gkbot", "#nicks", m)[0]
    assert refusal.startswith("error: ")
    mallory.close()
    watcher.wait_for(r"^:fran!~mallory\S+ QUIT")
    alice = IrcClient(ngircd.port, "fran", user="fran")
    connect_all(alice, join=("#nicks",))
    m = alice.mark()
    alice.say("#nicks", "!goal hit 1 shipped")
    assert "hit" in bot_says(alice, "gkbot", "#nicks", m)[0]
    assert bot.store.export()["goals"][0]["status"] == "hit"


def test_nick_in_use_at_connect_then_regained(ngircd, run_bot):
    holder, watcher = IrcClient(ngircd.port, "gkcoll"), IrcClient(ngircd.port, "watcher2")
    connect_all(holder, watcher, join=("#coll",))
    bot = run_bot(ngircd, ["#coll"], nick="gkcoll", IRC_NICK_RETRY="30", wait="joined")
    assert bot.adapter.nick == "gkcoll_"
    m = watcher.mark()
    watcher.say("#coll", "gkcoll_: goal add Regain the nick")
    assert "#1" in bot_says(watcher, "gkcoll_", "#coll", m)[0]
    watcher.say("#coll", "gkcoll: goal list")  # the holder's nick: not the bot, no answer
    holder.close()
    watcher.wait_for(r"^:gkcoll_!\S+ NICK :?gkcoll$", timeout=5, since=m)  # at once on the QUIT, not in 30 s
    m = watcher.mark()
    watcher.say("#coll", "gkcoll: goal list")
    assert "Regain the nick" in " ".join(bot_reply(watcher, "gkcoll", "#coll", m))


def test_invalid_utf8_and_latin1_never_stop_the_bot(ngircd, run_bot):
    bot = run_bot(ngircd, ["#bytes"], wait=False)
    gina = IrcClient(ngircd.port, "gina")
    connect_all(gina, join=("#bytes",))
    bot.wait_joined()
    m = gina.mark()
    gina.send(b"PRIVMSG #bytes :\xff\xfe\xc3\x28 garbage \xf0\x9f\x98")
    gina.send(b"PRIVMSG gkbot :\xc0\xaf\xed\xa0\x80")
    gina.send(b"PRIVMSG #bytes :!goal add caf\xe9 cr\xe8me")  # latin-1 from an old client
    assert "#1 café crème" in bot_says(gina, "gkbot", "#bytes", m)[0]
    gina.send(b"PRIVMSG #bytes :!goal add \xf0\x9f\x98 half an emoji")
    gina.wait_for(r"PRIVMSG #bytes :#2 ", since=m)
    m = gina.mark()
    gina.say("#bytes", "!goal list")
    gina.wait_for(r"^:gkbot!\S+ PRIVMSG #bytes :.*#1 café crème", since=m)
    assert bot.adapter.stats["connects"] == 1


def test_cr_lf_nul_and_ctcp_in_text_never_reach_the_socket(ngircd, run_bot, tmp_path):
    bot = run_bot(ngircd, ["#inject"], wait=False)
    hank = IrcClient(ngircd.port, "hank")
    connect_all(hank, join=("#inject",))
    bot.wait_joined()
    m = hank.mark()
    # (a NUL from a client makes ngircd drop the rest of that client's input: tested below via the outbox)
    hank.say("#inject", "!goal add \x01ACTION dances\x01 title")
    assert "#1 ACTION dances title" in bot_says(hank, "gkbot", "#inject", m)[0]
    # text from elsewhere (the outbox) with raw line breaks, NUL and CTCP in it
    other = bootstrap(bot.env).store  # another process on the bot's store
    evil = "digest\r\nQUIT :pwned\rJOIN #evil\nNICK mallory\x00PRIVMSG #inject :\x01VERSION\x01"
    with other.write() as conn:
        other.enqueue(conn, None, "irc:irc.test.local:#inject", "irc", "message", "", evil, NOW)
    said = bot_says(hank, "gkbot", "#inject", m, count=5)
    assert said[1:] == ["digest", "QUIT :pwned", "JOIN #evil", "NICK malloryPRIVMSG #inject :VERSION"]
    raw = [l.raw for l in hank.matching(r"^:gkbot!", since=m) if not l.raw.endswith(b" JOIN :#inject")]
    assert all(b" PRIVMSG #inject :" in r and b"\x00" not in r and b"\x01" not in r for r in raw), raw
    assert set(bot.adapter.joined) == {"#inject"} and bot.adapter.nick == "gkbot"
    assert bot.adapter.stats["connects"] == 1
    time.sleep(0.5)
    assert all(r["delivered_at"] for r in other.outbox())
    other.close()


def test_scheduled_messages_go_to_their_channel_and_are_marked_delivered(ngircd, run_bot):
    bot = run_bot(ngircd, ["#sched", "#sched2"], wait=False)
    ivy = IrcClient(ngircd.port, "ivy")
    connect_all(ivy, join=("#sched", "#sched2"))
    bot.wait_joined()
    m = ivy.mark()
    other = bootstrap(bot.env).store  # another process on the bot's store
    with other.write() as conn:
        for key, text in [("#sched", "one"), ("#sched2", "two"), ("#sched", "three\nfour")]:
            other.enqueue(conn, None, f"irc:irc.test.local:{key}", "irc", "digest", "", text, NOW)
        other.enqueue(conn, None, "irc:othernet:#sched", "irc", "digest", "", "not ours", NOW)
    assert bot_says(ivy, "gkbot", "#sched", m, count=3) == ["one", "three", "four"]
    assert bot_says(ivy, "gkbot", "#sched2", m) == ["two"]
    time.sleep(0.4)
    rows = {r["text"]: r for r in other.outbox()}
    assert all(rows[t]["delivered_at"] for t in ("one", "two", "three\nfour"))
    assert rows["not ours"]["delivered_at"] is None  # another network's message is left for its bot
    assert not ivy.matching("not ours", since=m)
    other.close()


@pytest.mark.sqlite_only  # SQLite's write lock; PostgreSQL's outage is in test_postgres.py
def test_a_locked_database_gets_a_clean_error_and_the_bot_carries_on(ngircd, run_bot):
    bot = run_bot(ngircd, ["#locked"], wait=False, busy_timeout_ms=200)
    jo = IrcClient(ngircd.port, "jo")
    connect_all(jo, join=("#locked",))
    bot.wait_joined()
    blocker = sqlite3.connect(bot.db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        m = jo.mark()
        jo.say("#locked", "!goal add Blocked goal")
        said = bot_says(jo, "gkbot", "#locked", m)
        assert said[0].startswith("error: ") and ("busy" in said[0] or said[0] == BUSY_REPLY)
        if said[0] != BUSY_REPLY:
            bot_says(jo, "gkbot", "#locked", m, count=2)  # the core's error comes with a usage line
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    m = jo.mark()
    jo.say("#locked", "!goal add Unblocked goal")
    assert "Unblocked goal" in bot_says(jo, "gkbot", "#locked", m)[0]
    assert [g["title"] for g in bot.store.export()["goals"]] == ["Unblocked goal"]


def test_server_killed_and_restarted_bot_comes_back(make_ngircd, run_bot):
    server = make_ngircd()
    bot = run_bot(server, ["#phoenix", "#ash"], wait=False, IRC_NETWORK="phoenix")
    kim = IrcClient(server.port, "kim")
    connect_all(kim, join=("#phoenix",))
    bot.wait_joined()
    m = kim.mark()
    kim.say("#phoenix", "!goal add Survive a crash")
    assert "#1" in bot_says(kim, "gkbot", "#phoenix", m)[0]
    server.kill()
    server.start()  # same port
    kim = IrcClient(server.port, "kim")
    connect_all(kim, join=("#phoenix",))
    bot.wait_joined(timeout=10)  # back in every channel
    assert bot.adapter.stats["welcomes"] == 2
    m = kim.mark()
    kim.say("#phoenix", "!goal list")
    assert "Survive a crash" in " ".join(bot_reply(kim, "gkbot", "#phoenix", m))


def test_a_hung_server_is_noticed_by_the_keepalive(make_ngircd, run_bot):
    server = make_ngircd()
    bot = run_bot(server, ["#hang"], IRC_PING_INTERVAL="0.5", IRC_REGISTER_TIMEOUT="1.5")
    server.pause()
    end = time.monotonic() + 5
    while bot.adapter.registered and time.monotonic() < end:
        time.sleep(0.05)
    assert not bot.adapter.registered  # the dead connection was noticed
    server.resume()
    bot.wait_joined(timeout=10)
    assert bot.adapter.stats["welcomes"] >= 2


def test_goalkeeper_irc_program(ngircd, tmp_path):
    """The real `goalkeeper irc` process: starts from the environment, joins, answers, stops on SIGTERM."""
    watcher = IrcClient(ngircd.port, "procwatch")
    connect_all(watcher, join=("#proc",))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "IRC_", "SLACK_"))}
    env.update({"PYTHONPATH": ROOT, "GOALKEEPER_DB": str(tmp_path / "proc.db"), "IRC_SERVER": "127.0.0.1",
                "IRC_PORT": str(ngircd.port), "IRC_TLS": "0", "IRC_NICK": "gkproc", "IRC_CHANNELS": "#proc"})
    m = watcher.mark()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "irc"], env=env, cwd=str(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        watcher.wait_for(r"^:gkproc!\S+ JOIN :?#proc", timeout=10, since=m)
        m = watcher.mark()
        watcher.say("#proc", "!goal add From the real program")
        assert "#1" in bot_says(watcher, "gkproc", "#proc", m)[0]
        print(f"process start to JOIN seen: {watcher.lines[m - 1].at - started:.2f}s")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_goalkeeper_irc_without_configuration_says_which_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOALKEEPER_", "IRC_", "SLACK_"))}
    env.update({"PYTHONPATH": ROOT, "GOALKEEPER_DB": str(tmp_path / "x.db"), "IRC_CHANNELS": "#a"})
    r = subprocess.run([sys.executable, "-m", "adapters.cli", "irc"], env=env, capture_output=True, text=True,
                       timeout=30, check=False)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "IRC_SERVER" in r.stderr and "Traceback" not in r.stderr


def test_tls_is_the_default_and_the_certificate_is_checked(make_ngircd, run_bot):
    server = make_ngircd(penalties=False, tls=True)
    bot = run_bot(server, ["#tls"], wait=False, IRC_TLS="1", IRC_PORT=str(server.tls_port),
                  IRC_TLS_CA_FILE=server.cert)
    lee = IrcClient(server.port, "lee")
    connect_all(lee, join=("#tls",))
    bot.wait_joined()
    assert isinstance(bot.adapter.conn.socket, ssl.SSLSocket)
    m = lee.mark()
    lee.say("#tls", "!goal add Encrypted all the way")
    assert "#1" in bot_says(lee, "gkbot", "#tls", m)[0]


def test_tls_refuses_a_certificate_it_cannot_verify(make_ngircd, run_bot, caplog):
    server = make_ngircd(penalties=False, tls=True)
    bot = run_bot(server, ["#tls"], wait=False, IRC_TLS="1", IRC_PORT=str(server.tls_port))  # no CA given
    time.sleep(1.0)
    assert not bot.adapter.registered and bot.adapter.stats["connects"] >= 2  # keeps trying, never in clear
    assert any("CERTIFICATE_VERIFY_FAILED" in r.getMessage() for r in caplog.records if r.name == "goalkeeper.irc")


def test_a_reply_cut_by_a_dropped_connection_is_finished_after_reconnecting(make_ngircd, run_bot):
    server = make_ngircd(penalties=False)
    bot = run_bot(server, ["#cut"], wait=False, IRC_RATE="3", IRC_BURST="1",
                  IRC_RECONNECT_MIN="1.5", IRC_RECONNECT_MAX="2")
    max_ = IrcClient(server.port, "max")
    connect_all(max_, join=("#cut",))
    bot.wait_joined()
    time.sleep(0.5)
    expected = split_text("\n".join(r.text for r in bot.bot.handle(_message("help", "#cut"))),
                          bot.adapter.delivery.budget("#cut"))[:7]
    m = max_.mark()
    max_.say("#cut", "!help")
    before = bot_says(max_, "gkbot", "#cut", m, count=2)
    server.kill()  # two lines out, six waiting in the bot's queue
    server.start()
    max_ = IrcClient(server.port, "max")
    connect_all(max_, join=("#cut",))  # back before the bot (it waits 1.5 s to reconnect)
    after = bot_says(max_, "gkbot", "#cut", 0, count=5, timeout=15)
    assert before == expected[:2]
    assert after[:5] == expected[2:7]  # the rest of the reply, in order, nothing lost


def test_server_password_and_rejoin_after_a_kick(make_ngircd, run_bot):
    server = make_ngircd(penalties=False, password="letmein")
    op = IrcClient(server.port, "chanop", password="letmein")
    connect_all(op, join=("#kick",))  # first in: channel operator
    bot = run_bot(server, ["#kick"], IRC_PASSWORD="letmein")
    op.wait_for(r"^:gkbot!\S+ JOIN :?#kick")  # the first JOIN, before the mark below
    m = op.mark()
    op.send("KICK #kick gkbot :out")
    op.wait_for(r"^:gkbot!\S+ JOIN :?#kick", timeout=5, since=m)  # back in about a second
    m = op.mark()
    op.say("#kick", "!goal add Still here")
    assert "#1" in bot_says(op, "gkbot", "#kick", m)[0]
    assert bot.adapter.stats["connects"] == 1


def test_one_person_cannot_bury_the_queue_and_bots_do_not_loop(ngircd, run_bot):
    bot = run_bot(ngircd, ["#spam"], wait=False, IRC_RATE="1", IRC_BURST="4")
    spammer = IrcClient(ngircd.port, "spammer", oper=True)
    connect_all(spammer, join=("#spam",))
    bot.wait_joined()
    for _ in range(30):
        spammer.say("gkbot", "help")  # about 25 lines each, one line a second
    spammer.say("gkbot", "error: no command 'x'")  # what another goalkeeper would answer: never answered
    spammer.say("gkbot", "usage: help [<command>]")
    end = time.monotonic() + 5
    while bot.adapter.stats["commands"] < 2 and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(0.5)
    assert bot.adapter.stats["commands"] == 2  # two helps queued (50 lines), the rest ignored
    assert len(bot.adapter.delivery.queue) < 60
    assert bot.adapter.registered and bot.adapter.stats["connects"] == 1


def test_the_weekly_digest_and_a_reminder_arrive_in_the_channel_once(ngircd, run_bot):
    now = [datetime(2026, 3, 2, 8, 58, tzinfo=timezone.utc)]  # a Monday, two minutes before 09:00
    bot = run_bot(ngircd, ["#digest"], wait=False, clock=lambda: now[0])
    nat = IrcClient(ngircd.port, "nat")
    connect_all(nat, join=("#digest",))
    bot.wait_joined()
    m = nat.mark()
    for text in ("!team set digest tz:UTC", "!digest schedule monday 09:00", "!review date 2026-03-16",
                 "!goal add Ship the digest"):
        nat.say("#digest", text)
    bot_says(nat, "gkbot", "#digest", m, count=4)
    m = nat.mark()
    now[0] = datetime(2026, 3, 2, 9, 0, 30, tzinfo=timezone.utc)  # the slot passes: the next pass sends both
    said = bot_reply(nat, "gkbot", "#digest", m, settle=0.6)
    text = "\n".join(said).replace("\x02", "")
    assert "Weekly digest" in text and "#1 Ship the digest" in text  # the digest, with the goal it lists
    assert "Reminder:" in text and "in 14 days" in text  # the 14-day reminder
    assert len(said) <= 8 + 8  # a digest fits in 8 lines, and so does the reminder
    time.sleep(1.0)  # five more passes: nothing is sent twice
    assert len(nat.matching(r"^:gkbot!\S+ PRIVMSG #digest :", since=m)) == len(said)
    assert all(r["delivered_at"] for r in bot.store.outbox())
