"""What a handler knows about the message it serves: team, time zone, quarter, who is who, who may do what."""
from __future__ import annotations

import re
from datetime import date, datetime

from .config import valid_tz
from .grammar import UsageError
from .model import Message
from .quarters import Quarter, QuarterError, parse_quarter, quarter_of
from .render import renderer_for
from .times import zone

NAME_RE = re.compile(r"^[\w.-]{1,64}$")  # letters and digits of any script, '_', '.', '-'
MAX_TITLE = 200
MAX_TEXT = 2000
_SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def check_name(value: str, what: str, usage: str) -> str:
    if not value:
        raise UsageError(f"a {what} name is needed", usage)
    if len(value) > 64:
        raise UsageError(f"a {what} name is at most 64 characters (this one has {len(value)})", usage)
    if not NAME_RE.match(value):
        raise UsageError(f"a {what} name is letters, digits, '-', '_' and '.' only: {value!r}", usage)
    return value


def check_text(value: str, what: str, limit: int, usage: str) -> str:
    if not value.strip():
        raise UsageError(f"the {what} is empty", usage)
    if len(value) > limit:
        raise UsageError(f"a {what} is at most {limit:,} characters (this one has {len(value):,})", usage)
    return value


def channel_team_name(channel_name: str) -> str:
    """The team of a channel nobody named: the channel's own name, made a valid team name."""
    name = re.sub(r"[^\w.-]+", "-", channel_name.lstrip("#&!+")).strip("-")[:64]
    return name.lower() or "general"


def display_name(identity: str | None, names: dict | None = None) -> str:
    """How to show an identity: the name people know, else what the identity itself says."""
    if not identity:
        return "nobody"
    if names and identity in names:
        return names[identity]
    tail = identity.split(":", 2)[-1] if identity.count(":") >= 2 else identity.split(":", 1)[-1]
    return tail.split("!", 1)[0]


class Ctx:
    def __init__(self, core, msg: Message):
        self.core = core
        self.store = core.store
        self.config = core.config
        self.msg = msg
        self.now: datetime = msg.at
        self.actor = msg.actor
        self.r = renderer_for(msg.channel.platform)
        self._channel = None

    # -- where we are ---------------------------------------------------------

    @property
    def channel_row(self) -> dict | None:
        """The channel with its team's time zone (`tz`, None while the team has no row): one query."""
        if self._channel is None:
            self._channel = self.store.channel_with_tz(self.msg.channel.key) or {}
        return self._channel or None

    def team(self, opts: dict, usage: str) -> str:
        """team: if given, else the channel's team; a private message must say which team."""
        if "team" in opts:
            return check_name(opts["team"].lstrip("#"), "team", usage).lower()
        if self.msg.channel.private:
            raise UsageError("in a private message, say which team with team:<name>", usage)
        row = self.channel_row
        if row:
            return row["team"]
        return channel_team_name(self.msg.channel.name)

    def team_tz(self, team: str) -> str:
        ch = self.channel_row
        if ch and ch["team"] == team and ch["tz"]:
            return ch["tz"]
        row = self.store.team(team)
        return row["tz"] if row else self.config.tz

    def local_now(self, tz: str) -> datetime:
        return self.now.astimezone(zone(tz))

    def today(self, tz: str) -> date:
        return self.local_now(tz).date()

    def quarter(self, opts: dict, tz: str, usage: str, due: date | None = None) -> Quarter:
        fs = self.config.fiscal_start
        if "quarter" in opts:
            try:
                return parse_quarter(opts["quarter"], self.today(tz), fs)
            except QuarterError as e:
                raise UsageError(str(e), usage) from None
        return quarter_of(due or self.today(tz), fs)

    def check_tz(self, name: str, usage: str) -> str:
        if not valid_tz(name):
            raise UsageError(f"{name!r} is not a time zone I know (use an IANA name like Europe/Berlin)", usage)
        return name

    # -- who is who -------------------------------------------------------------

    def is_admin(self) -> bool:
        admins = self.config.admins
        return not admins or self.actor.id in admins

    def require_admin(self, what: str, usage: str) -> None:
        if not self.is_admin():
            who = ", ".join(display_name(a) for a in sorted(self.config.admins))
            raise UsageError(f"only an admin ({who}) may {what}", usage)

    def may_change(self, goal: dict) -> bool:
        return self.actor.id in (goal["owner"], goal["creator"]) or self.is_admin()

    def require_change(self, goal: dict, usage: str) -> None:
        if not self.may_change(goal):
            names = self.store.person_names([goal["owner"], goal["creator"]])
            who = []
            if goal["owner"]:
                who.append(f"{display_name(goal['owner'], names)} (owner)")
            if goal["creator"] != goal["owner"]:
                who.append(f"{display_name(goal['creator'], names)} (creator)")
            raise UsageError(f"only {', '.join(who)} or an admin may change #{goal['id']}", usage)

    def resolve_person(self, text: str, usage: str) -> str:
        """owner:<who> -> an identity on this platform; a nick alone is never taken for someone logged in elsewhere."""
        t = text.strip()
        if t.lower() in ("me", "myself"):
            return self.actor.id
        platform = self.msg.channel.platform
        prefix = self.actor.id.rsplit(":", 1)[0] + ":" if platform != "irc" else _irc_prefix(self.actor.id)
        m = _SLACK_MENTION.match(t)
        if m and platform == "slack":
            return prefix + m.group(1)
        name = t.lstrip("@")
        if not name or len(name) > 64 or any(c.isspace() for c in name) or ":" in name:
            raise UsageError(f"{text!r} is not someone I can name as owner (a nick, @name or me)", usage)
        if name.lower() == self.actor.name.lower():
            return self.actor.id
        known = self.store.people_named(name, prefix)
        if known:
            return known[0]
        if platform == "slack":
            raise UsageError(f"I don't know {name!r} on Slack yet: mention them (@{name})", usage)
        # console user, or the services account of that name on IRC: a bare nick never matches it
        return prefix + name

    def show(self, identity: str | None, names: dict | None = None) -> str:
        if identity and identity.startswith("slack:") and self.r.platform == "slack":
            return f"<@{identity.rsplit(':', 1)[-1]}>"
        return self.r.text(display_name(identity, names))


def _irc_prefix(identity: str) -> str:
    # irc:<network>:... -> irc:<network>:
    parts = identity.split(":", 2)
    return f"{parts[0]}:{parts[1]}:" if len(parts) == 3 else "irc::"
