"""What a handler knows about the message it serves: its team, time zone, quarter, renderer and speaker."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime

from .config import valid_tz
from .grammar import UsageError
from .limits import channel_team_name, check_name
from .model import Message
from .people import display_name, resolve_person, who_may_change
from .quarters import Quarter, QuarterError, parse_quarter, quarter_of
from .render import renderer_for
from .times import zone


class Ctx:
    def __init__(self, core, msg: Message):
        self.core = core
        self.store = core.store
        self.config = core.config
        self.wiki = core.wiki
        self.msg = msg
        self.now: datetime = msg.at
        self.actor = msg.actor
        self.r = renderer_for(msg.channel.platform)
        self._channel = None

    # -- writing ----------------------------------------------------------------

    @contextmanager
    def write(self, team: str | None = None, single: bool = False):
        """One write transaction in which the channel, the team written to and the speaker exist.
        `single`: the block runs one statement that changes no team or channel (the fast path, taken
        once the channel, team and speaker are known to exist)."""
        known = self.core.known
        if single and not known.needs_touch(self.msg, team):
            with self.store.write(single=True) as conn:
                yield conn
            return
        with self.store.write() as conn:
            known.touch(conn, self.msg, team)
            yield conn
        known.committed(self.msg, team)  # a first write may have made the channel or team

    # -- where we are ---------------------------------------------------------

    @property
    def channel_row(self) -> dict | None:
        """The channel with its team's time zone (`tz`, None while the team has no row): one query."""
        if self._channel is None:
            self._channel = self.core.known.channel_row(self.msg.channel.key)
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

    def under_review(self, team: str, tz: str) -> Quarter | None:
        """The team's quarter under review now (bot/life.py), if any."""
        from .life import team_under_review

        return team_under_review(self.store, self.config, team, self.now)

    def review_quarter(self, opts: dict, team: str, tz: str, usage: str) -> Quarter:
        """quarter: if given, else the quarter under review, else the current one."""
        if "quarter" in opts:
            return self.quarter(opts, tz, usage)
        return self.under_review(team, tz) or self.quarter({}, tz, usage)

    def due(self, text: str, tz: str, usage: str, what: str = "due:") -> date:
        """A `<when>` read in the team's zone; a date in the past is refused."""
        from .format import fmt_date
        from .when import WhenError, parse_when

        try:
            d = parse_when(text, self.local_now(tz), self.config.fiscal_start)
        except WhenError as e:
            raise UsageError(str(e), usage) from None
        today = self.today(tz)
        if d < today:
            raise UsageError(f"{what}{text} is {fmt_date(d, today)}, in the past", usage)
        return d

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
            raise UsageError(f"only {who_may_change(goal, names)} or an admin may change #{goal['id']}", usage)

    def resolve_person(self, text: str, usage: str) -> str:
        return resolve_person(self.store, self.r, self.actor, text, usage)

    def show(self, identity: str | None, names: dict | None = None) -> str:
        return self.r.mention(identity, names)
