"""Identity against real services: InspIRCd 3 with Atheme linked, SASL PLAIN, account-tag, extended-join.

A nick alone never proves who someone is: a goal belongs to `irc:TestNet:<account>` whatever nick the
account uses, and someone who takes that nick without that account is someone else.
"""
from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone

import pytest

from adapters.bootstrap import bootstrap
from tests.fixtures_irc import INSP_NETWORK, SERVER_NAME, IrcClient, bot_says, connect_all

ACCOUNTS = {"gkbot": "botpass", "greg": "gregpass", "mallory": "mallpass", "boss": "bosspass"}
ADMINS = f"irc:{INSP_NETWORK}:boss"


@pytest.fixture(scope="module")
def services(inspircd_atheme):
    """The server with its accounts registered (in parallel: each registration takes about a second)."""
    threads = [threading.Thread(target=inspircd_atheme.register, args=(a, p)) for a, p in ACCOUNTS.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return inspircd_atheme


def sasl_client(server, nick: str, account: str, user: str | None = None) -> IrcClient:
    return IrcClient(server.port, nick, user=user, caps=("account-tag", "extended-join"),
                     sasl=(account, ACCOUNTS[account]))


def test_accounts_not_nicks_decide_who_may_change_a_goal(services, run_bot):
    bot = run_bot(services, ["#acct"], wait=False, IRC_SASL_USERNAME="gkbot", IRC_SASL_PASSWORD="botpass",
                  GOALKEEPER_ADMINS=ADMINS)
    greg = sasl_client(services, "greg", "greg")
    stranger = IrcClient(services.port, "stranger", user="greg")  # same user name, no account
    impostor = sasl_client(services, "impostor", "mallory")
    watcher = IrcClient(services.port, "watcher")
    connect_all(greg, stranger, impostor, watcher, join=("#acct",))
    bot.wait_joined()

    # the bot logged in with SASL: services know it by its account
    m = watcher.mark()
    watcher.send("WHOIS gkbot")
    assert watcher.wait_for(r" 330 watcher gkbot (\S+) ", since=m).group(1) == "gkbot"

    m = greg.mark()
    greg.say("#acct", "!goal add Migrate Gerrit to Differential")
    assert "#1" in bot_says(greg, "gkbot", "#acct", m)[0]
    goal = bot.store.export()["goals"][0]
    assert goal["creator"] == f"irc:{INSP_NETWORK}:greg"  # the account, not greg!greg@127.0.0.1

    greg.close()  # greg leaves; two others try on the nick
    watcher.wait_for(r"^(@\S+ )?:greg!\S+ QUIT")
    for who in (stranger, impostor):  # not logged in / logged in as another account
        m = who.mark()
        who.send("NICK greg")
        who.wait_for(r"^(@\S+ )?:\S+ NICK :?greg$", since=m)
        m = who.mark()  # after its own NICK: the other one's lines are all behind this mark
        who.say("#acct", "!goal hit 1 it was me")
        said = bot_says(who, "gkbot", "#acct", m, count=2)
        assert said[0].startswith("error: ") and said[1].startswith("usage: "), said
        who.send(f"NICK {who.nick}")
        who.wait_for(rf"NICK :?{who.nick}$", since=m)
    assert bot.store.export()["goals"][0]["status"] is None

    # the real greg, logged in, under another nick: accepted
    greg = sasl_client(services, "greg_away", "greg")
    connect_all(greg, join=("#acct",))
    m = greg.mark()
    greg.say("#acct", "!goal hit 1 shipped")
    assert "hit" in bot_says(greg, "gkbot", "#acct", m)[0]
    assert bot.store.export()["goals"][0]["status"] == "hit"
    greg.close()
    stranger.close()
    impostor.close()
    watcher.close()


def test_an_admin_named_by_account_is_admin_under_any_nick(services, run_bot):
    bot = run_bot(services, ["#adm"], wait=False, GOALKEEPER_ADMINS=ADMINS)
    boss = sasl_client(services, "whatever", "boss")
    fake = IrcClient(services.port, "boss")  # the admin's nick, without the account
    connect_all(boss, fake, join=("#adm",))
    bot.wait_joined()
    m, mf = boss.mark(), fake.mark()
    boss.say("#adm", "!team set ops")
    assert not bot_says(boss, "gkbot", "#adm", m)[0].startswith("error: ")
    bot_says(fake, "gkbot", "#adm", mf)  # fake has read past the boss's reply: its mark below is clean
    m = fake.mark()
    fake.say("#adm", "!team set takeover")
    assert bot_says(fake, "gkbot", "#adm", m)[0].startswith("error: only an admin")
    assert bot.store.channel(f"irc:{INSP_NETWORK}:#adm")["team"] == "ops"
    boss.close()
    fake.close()


def test_two_hundred_lines_arrive_whole_in_order_and_the_bot_stays(services, run_bot):
    """InspIRCd here runs without fake lag, so the bot's own pacing (IRC_RATE) is what limits it."""
    bot = run_bot(services, ["#flood"], wait=False, IRC_RATE="200", IRC_BURST="5")
    reader = IrcClient(services.port, "reader")
    connect_all(reader, join=("#flood",))
    bot.wait_joined()
    m = reader.mark()
    text = "\n".join(f"line {i:03d} of the digest · ünïcödé 😀" for i in range(200))
    other = bootstrap(bot.env).store  # another process on the bot's store
    with other.write() as conn:
        oid = other.enqueue(conn, None, f"irc:{INSP_NETWORK}:#flood", "irc", "digest", "", text,
                            datetime.now(timezone.utc))
    started = time.monotonic()
    got = bot_says(reader, "gkbot", "#flood", m, count=200, timeout=20)
    took = time.monotonic() - started
    assert got == text.split("\n")
    assert took > 195 / 200 * 0.9  # paced by the bucket (5 at once, then 200 a second), not dumped at once
    time.sleep(0.3)
    assert next(r for r in other.outbox() if r["id"] == oid)["delivered_at"]
    assert bot.adapter.stats["connects"] == 1 and bot.adapter.registered
    other.close()


# -- identity bookkeeping without account-tag (extended-join, account-notify), line by line ---------------

def _creators(bot, count: int) -> list[str]:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        goals = bot.store.export()["goals"]
        if len(goals) >= count:
            return [g["creator"] for g in sorted(goals, key=lambda g: g["id"])]
        time.sleep(0.02)
    raise AssertionError(f"{len(bot.store.export()['goals'])} of {count} goals stored")


def test_extended_join_and_account_notify_follow_the_person_not_the_nick(scripted_server, run_bot):
    server = scripted_server
    bot = run_bot(server, ["#c"], wait=False)
    server.welcome("extended-join account-notify")
    said = [
        ":greg!g@host JOIN #c greg :Greg G", ":greg!g@host PRIVMSG #c :!goal add One",
        ":greg!g@host NICK gregory", ":gregory!g@host PRIVMSG #c :!goal add Two",  # the account moves along
        ":greg!x@elsewhere PRIVMSG #c :!goal add Three",  # greg's old nick, someone else
        ":gregory!g@host QUIT :bye", ":gregory!m@evil PRIVMSG #c :!goal add Four",  # the next gregory: a stranger
        ":ann!a@host JOIN #c * :Ann", ":ann!a@host PRIVMSG #c :!goal add Five",  # joined logged out
        ":ann!a@host ACCOUNT ann", ":ann!a@host PRIVMSG #c :!goal add Six",  # then logged in
        ":ann!a@host ACCOUNT *", ":ann!a@host PRIVMSG #c :!goal add Seven",  # and out
        ":bo!b@host JOIN #c bo :Bo", ":bo!b@host PART #c", ":bo!b@host PRIVMSG #c :!goal add Eight",  # out of sight
    ]
    for line in said:
        server.send(line)
    assert _creators(bot, 8) == ["irc:net:greg", "irc:net:greg", "irc:net:greg!x@elsewhere",
                                 "irc:net:gregory!m@evil", "irc:net:ann!a@host", "irc:net:ann",
                                 "irc:net:ann!a@host", "irc:net:bo!b@host"]


def test_with_account_tag_only_the_tag_counts(scripted_server, run_bot):
    server = scripted_server
    bot = run_bot(server, ["#c"], wait=False)
    server.welcome("account-tag extended-join")
    server.send(":greg!g@host JOIN #c greg :Greg")
    server.send("@account=greg :greg!g@host PRIVMSG #c :!goal add Tagged")
    server.send(":greg!g@host PRIVMSG #c :!goal add Untagged")  # no tag: not logged in now
    assert _creators(bot, 2) == ["irc:net:greg", "irc:net:greg!g@host"]


def test_alternate_nicks_when_taken_or_too_long(scripted_server, run_bot):
    server = scripted_server
    run_bot(server, ["#c"], nick="goalkeeper", wait=False)
    for i in range(1, 5):
        nick = server.wait_for(r"^NICK ", count=i)[-1].split()[1]
        server.send(f":{SERVER_NAME} 433 * {nick} :Nickname is already in use")
    nicks = [line.split()[1] for line in server.wait_for(r"^NICK ", count=5)]
    assert nicks[:4] == ["goalkeeper", "goalkeeper_", "goalkeeper__", "goalkeeper___"]
    assert re.fullmatch(r"goalkeeper\d{3}", nicks[4])


def test_a_nick_refused_as_erroneous_is_cut_to_nine(scripted_server, run_bot):
    server = scripted_server
    run_bot(server, ["#c"], nick="goalkeeper", wait=False)
    server.wait_for(r"^NICK goalkeeper$")
    server.send(f":{SERVER_NAME} 432 * goalkeeper :Erroneous nickname")
    server.wait_for(r"^NICK ", count=2)
    server.send(f":{SERVER_NAME} 433 * goalkeep_ :Nickname is already in use")
    nicks = [line.split()[1] for line in server.wait_for(r"^NICK ", count=3)]
    assert nicks == ["goalkeeper", "goalkeep_", "goalkee__"]  # within RFC 1459's 9 characters
