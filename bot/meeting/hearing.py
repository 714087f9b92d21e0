"""What the core does with a line said in a channel: a meeting's `#` word, a line for its log, or nothing.

Every line said in a channel while a meeting runs there is logged with who said it (the identity and
the name shown) and when; a line with the platform's own id (`Message.ref`, Slack's ts) is logged once
whichever process hears it, and the `#` word it carries is applied once with it.
"""
from __future__ import annotations

from contextlib import contextmanager

from ..context import Ctx
from ..grammar import UsageError, clean, first_word
from ..limits import MAX_TITLE, check_text
from ..model import Message, Reply
from ..times import iso, zone
from .words import WORDS

START = "#startmeeting [title]"
MAX_LINE = 8000  # a logged line is kept whole up to this (any chat line is shorter)


class Duplicate(Exception):
    """This line is in the log already: another process heard it first, and did what it says."""


def meeting_word(text: str) -> tuple[str | None, str]:
    """('info', 'rest') for `#info rest`; (None, '') for a line that is no meeting word (chatter)."""
    if not text.startswith("#"):
        return None, ""
    head, rest = first_word(text[1:])
    name = head.lower()
    if name == "startmeeting" or name in WORDS:
        return name, rest
    return None, ""


class MeetingCtx(Ctx):
    """A command's context inside a meeting: its one write also logs the line and records `item`."""

    def __init__(self, core, msg: Message, meeting: dict):
        super().__init__(core, msg)
        self.meeting = meeting
        self.item: tuple | None = None  # (kind, text, goal id[, action id]) recorded with the write
        self.logged = False

    @contextmanager
    def write(self, team: str | None = None, single: bool = False):
        with super().write(team) as conn:
            yield conn
            self.record(conn)

    def record(self, conn) -> None:
        store, mid = self.store, self.meeting["id"]
        if not self.logged:
            if not store.log_line(conn, mid, self.now, self.actor.id, self.actor.name, _line(self.msg.text),
                                  self.msg.ref):
                raise Duplicate()
            self.logged = True
        if self.item:
            kind, text, goal_id, *rest = self.item
            store.add_item(conn, mid, kind, text, self.actor.id, self.now, goal_id, rest[0] if rest else None)
            if kind == "status" and goal_id:
                store.tag_goal_events(conn, mid, goal_id, self.now)
            self.item = None

    # -- people in the meeting ----------------------------------------------------------------

    def names(self, ids) -> dict:
        names = self.store.person_names(ids)
        return names

    def is_chair(self) -> bool:
        return self.actor.id in self.store.meeting_chairs(self.meeting["id"])

    def attendee(self, name: str, usage: str) -> str:
        """Who `name` is: someone who has spoken in this meeting under that name (the chair sees whom
        they mean), else whom `owner:` would name."""
        wanted = name.strip().lstrip("@").lower()
        mentioned = self.r.read_mention(name.strip())
        for line in reversed(self.store.meeting_lines(self.meeting["id"])):
            shown = line["name"].lower()
            if shown == wanted or (mentioned and line["by"].endswith(":" + mentioned)):
                return line["by"]
        return self.resolve_person(name, usage)


def _line(text: str) -> str:
    text = clean(text).strip()
    return text if len(text) <= MAX_LINE else text[:MAX_LINE]


def hear(core, msg: Message, r) -> list[Reply]:
    """A line said in a channel (or a private message) that is not an addressed command."""
    text = clean(msg.text).strip()
    name, rest = meeting_word(text)
    if msg.channel.private:
        if name is None:
            return []
        raise UsageError("meetings are held in team channels: say #startmeeting in the team's channel",
                         START if name == "startmeeting" else WORDS[name].usage)
    meeting = core.store.running_meeting(msg.channel.key)
    if name == "startmeeting":
        if meeting is None:
            return start(core, msg, rest)
        if not log(core, msg, meeting):
            return []  # another process heard this very line and answered it
        when = core.store.meeting(meeting["id"])["started_at"]
        raise UsageError(f"meeting M{meeting['id']} is running here already (since {_local(core, meeting, when)}); "
                         "#endmeeting ends it", START)
    if meeting is None:
        return []  # a # line outside a meeting is chatter
    if name is None:
        log(core, msg, meeting)
        return []
    w = WORDS[name]
    ctx = MeetingCtx(core, msg, meeting)
    try:
        if w.chairs_only and not ctx.is_chair():
            from .words import chair_names

            raise UsageError(f"only a chair of M{meeting['id']} ({chair_names(ctx)}) may #{name}", w.usage)
        out = w.fn(ctx, rest)
    except Duplicate:
        return []
    except UsageError:
        # a refused word is still a line said in the meeting; one another process logged, it answered
        if not ctx.logged and not log(core, msg, meeting):
            return []
        raise
    if not ctx.logged:
        try:
            with ctx.write():
                pass
        except Duplicate:
            return []
    out = out if isinstance(out, list) else [out]
    return out


def log(core, msg: Message, meeting: dict) -> bool:
    """The line in the meeting's log (one statement); False if it was there already."""
    with core.store.write(single=True) as conn:
        return core.store.log_line(conn, meeting["id"], msg.at, msg.actor.id, msg.actor.name, _line(msg.text),
                                   msg.ref)


def overhear(core, msg: Message) -> None:
    """An addressed command said in a channel where a meeting runs is a line of its log too."""
    if msg.channel.private:
        return
    meeting = core.store.running_meeting(msg.channel.key)
    if meeting is not None:
        log(core, msg, meeting)


def start(core, msg: Message, rest: str) -> list[Reply]:
    ctx = Ctx(core, msg)
    team = ctx.team({}, START)
    title = rest.strip()
    if title:
        check_text(title, "title", MAX_TITLE, START)
    tz = ctx.team_tz(team)
    quarter = ctx.under_review(team, tz)
    title = title or f"{team} quarterly review" + (f" {quarter.label}" if quarter else "")
    m = {"team": team, "channel_key": msg.channel.key, "channel_name": msg.channel.name,
         "platform": msg.channel.platform, "title": title, "quarter": quarter.label if quarter else None,
         "started_at": iso(msg.at), "started_by": msg.actor.id}
    with ctx.write(team) as conn:
        mid = core.store.start_meeting(conn, m, msg.ref)
        if mid is not None:
            core.store.log_line(conn, mid, msg.at, msg.actor.id, msg.actor.name, _line(msg.text), msg.ref)
    if mid is None:  # another process started one here meanwhile (perhaps from this very line)
        if msg.ref and core.store.started_by_ref(msg.ref):
            return []
        raise UsageError("a meeting is running here already; #endmeeting ends it", START)
    r = ctx.r
    reviewing = (f" It reviews {quarter.label}: #endmeeting closes that quarter." if quarter else
                 " No quarter is under review for this team: #endmeeting closes none.")
    return [Reply(f"meeting M{mid} started: {r.text(title)}; chair {ctx.show(msg.actor.id, {msg.actor.id: msg.actor.name})}."
                  f"{reviewing} Every line here is logged until #endmeeting. Words: #topic #info #idea #link #agreed "
                  "#action <who> <text> #status <id> <status> #hit #partial #miss #learning #chair #undo #endmeeting",
                  public=True)]


def _local(core, meeting: dict, at: str) -> str:
    from ..times import parse_iso

    row = core.store.team(meeting["team"]) or {}
    tz = row.get("tz") or core.config.tz
    return parse_iso(at).astimezone(zone(tz)).strftime("%H:%M %Z")
