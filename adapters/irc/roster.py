"""Who is who on the network: RFC 1459 case mapping, and which services account each nick in sight is
logged in to (for servers without account-tag)."""
from __future__ import annotations


def irc_lower(s: str) -> str:
    """RFC 1459 case mapping: {}|^ are the lower case of []\\~."""
    return s.lower().translate(_LOWER)


_LOWER = str.maketrans("[]\\~", "{}|^")


class Roster:
    """Who shares a channel with the bot and which services account each is logged in to, by nick.

    Only needed when the server does not tag every message with its sender's account (account-tag):
    then accounts come from extended-join, account-notify and WHOX, and are forgotten as soon as the
    person leaves the bot's sight, so whoever takes the nick next starts unknown."""

    def __init__(self):
        self.members: dict[str, set[str]] = {}  # lower-case channel -> lower-case nicks
        self.accounts: dict[str, str] = {}  # lower-case nick -> account

    def clear(self) -> None:
        self.members.clear()
        self.accounts.clear()

    def account_of(self, nick: str) -> str | None:
        return self.accounts.get(irc_lower(nick))

    def set_account(self, nick: str, account: str | None) -> None:
        if not account or account in ("*", "0"):
            self.accounts.pop(irc_lower(nick), None)
        else:
            self.accounts[irc_lower(nick)] = account

    def bot_joined(self, chan: str) -> None:
        self.members[irc_lower(chan)] = set()

    def joined(self, chan: str, nick: str) -> None:
        self.members.setdefault(irc_lower(chan), set()).add(irc_lower(nick))

    def names(self, chan: str, items: list[str]) -> None:
        members = self.members.setdefault(irc_lower(chan), set())
        for item in items:
            members.add(irc_lower(item.lstrip("~&@%+!").split("!")[0]))

    def left(self, chan: str, nick: str) -> None:
        self.members.get(irc_lower(chan), set()).discard(irc_lower(nick))
        self._forget_if_gone(irc_lower(nick))

    def bot_left(self, chan: str) -> None:
        for n in self.members.pop(irc_lower(chan), set()):
            self._forget_if_gone(n)

    def quit(self, nick: str) -> None:
        low = irc_lower(nick)
        for m in self.members.values():
            m.discard(low)
        self.accounts.pop(low, None)

    def renamed(self, old: str, new: str) -> None:
        old, new = irc_lower(old), irc_lower(new)
        for m in self.members.values():
            if old in m:
                m.discard(old)
                m.add(new)
        account = self.accounts.pop(old, None)
        if account:
            self.accounts[new] = account

    def _forget_if_gone(self, low_nick: str) -> None:
        if not any(low_nick in m for m in self.members.values()):
            self.accounts.pop(low_nick, None)


def who_left(event) -> tuple[str, str] | None:
    """(channel, nick) of a PART or a KICK; None for a KICK that names nobody."""
    if event.type == "kick":
        return (event.target, event.arguments[0]) if event.arguments else None
    return event.target, event.source.nick
