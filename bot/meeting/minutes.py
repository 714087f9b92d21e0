"""A meeting's minutes, MeetBot-style: one list of items plus the raw log, and a writer per format.

`load_minutes` reads the meeting once; `render(minutes, fmt)` writes Markdown, MediaWiki markup or one
self-contained HTML file; `chat_summary` is the short form for `minutes M<id>` in chat. The wiki page
of a meeting comes from `meeting_wiki` (team, date, text): the one function a wiki publisher calls.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from ..people import display_name
from ..review.text import _wiki
from ..times import parse_iso, zone

FORMATS = ("md", "wiki", "html")
KIND_LABEL = {"info": "INFO", "idea": "IDEA", "link": "LINK", "agreed": "AGREED", "action": "ACTION",
              "status": "STATUS", "learning": "LEARNING"}


# the review's Markdown escape (bot/review/text.py) as one translate: a 2,000-line log escapes in a few ms
_MD_TABLE = str.maketrans({c: "\\" + c for c in "\\`*_[]<|#~"})


def _md(s) -> str:
    """User text for a Markdown line: punctuation escaped, one line (as the review writes it)."""
    return " ".join(str(s or "").split()).translate(_MD_TABLE)


class MinutesError(ValueError):
    """No such meeting; str() is one line."""


@dataclass
class Item:
    kind: str
    text: str
    by: str
    at: datetime
    owner: str | None = None  # an action item's owner

    @property
    def shown(self) -> str:
        return f"{self.owner}: {self.text}" if self.owner else self.text


@dataclass
class Minutes:
    id: int
    title: str
    team: str
    channel: str
    tz: str
    started: datetime
    ended: datetime | None
    end_how: str | None
    quarter: str | None
    chairs: list[str]
    attendees: list[tuple[str, int]]          # (name, lines said), most lines first
    topics: list[tuple[str | None, list[Item]]]  # items under their topic, in order
    decisions: list[Item]
    actions: list[tuple[str, list[dict]]]     # (owner name, [{id, text, done}])
    goals: list[dict]                         # {id, title, old, new, note, by}
    log: list[tuple[datetime, str, str]]      # (when, who, text)
    closed: str | None = None                 # the instant the reviewed quarter closed, if it did
    extra: dict = field(default_factory=dict)

    @property
    def date(self) -> date:
        return self.started.date()


def parse_meeting_id(text: str) -> int | None:
    t = text.strip()
    t = t[1:] if t[:1] in ("M", "m") else t
    return int(t) if t.isdigit() and t.isascii() and len(t) <= 9 else None


def load_minutes(store, config, mid: int) -> Minutes:
    m = store.meeting(mid)
    if m is None:
        raise MinutesError(f"there is no meeting M{mid}")
    row = store.team(m["team"]) or {}
    tzname = row.get("tz") or config.tz
    tz = zone(tzname)
    lines = store.meeting_log(mid)  # (at, by, name, text)
    items = [i for i in store.meeting_items(mid) if not i["undone_at"]]
    actions = store.actions_of_meeting(mid)
    changes = store.meeting_goal_changes(mid)
    chairs = store.meeting_chairs(mid)
    ids = set(chairs) | {i["by"] for i in items} | {a["owner"] for a in actions} | {c["by"] for c in changes}
    names = {by: name for _, by, name, _ in lines}
    names.update({k: v for k, v in store.person_names(ids - set(names)).items()})

    def who(identity):
        return display_name(identity, names)

    seen: dict[str, datetime] = {}

    def local(at: str) -> datetime:  # lines share their instants (seconds): each is read once
        t = seen.get(at)
        if t is None:
            t = seen[at] = parse_iso(at).astimezone(tz)
        return t

    said: dict[str, int] = {}
    for _, _, name, _ in lines:
        said[name] = said.get(name, 0) + 1
    topics: list[tuple[str | None, list[Item]]] = [(None, [])]
    decisions = []
    owners = {a["id"]: who(a["owner"]) for a in actions}
    for i in items:
        if i["kind"] == "topic":
            topics.append((i["text"], []))
            continue
        item = Item(i["kind"], i["text"], who(i["by"]), local(i["at"]), owners.get(i["action_id"]))
        topics[-1][1].append(item)
        if i["kind"] == "agreed":
            decisions.append(item)
    if not topics[0][1] and len(topics) > 1:
        topics = topics[1:]
    by_owner: dict[str, list[dict]] = {}
    for a in actions:
        by_owner.setdefault(who(a["owner"]), []).append({"id": a["id"], "text": a["text"], "done": a["done_at"],
                                                         "note": a["note"]})
    goals = []
    for c in changes:
        old, new = (json.loads(c["changes"]).get("status") or [None, None])[:2]
        goals.append({"id": c["goal_id"], "title": c["title"], "old": old, "new": new, "note": c["note"],
                      "by": who(c["by"])})
    closed = store.closes(m["team"]).get(m["quarter"]) if m["quarter"] else None
    return Minutes(
        id=mid, title=m["title"], team=m["team"], channel=m["channel_name"], tz=tzname, started=local(m["started_at"]),
        ended=local(m["ended_at"]) if m["ended_at"] else None, end_how=m["end_how"], quarter=m["quarter"],
        chairs=[who(c) for c in chairs], attendees=sorted(said.items(), key=lambda kv: (-kv[1], kv[0].lower())),
        topics=topics, decisions=decisions, actions=sorted(by_owner.items(), key=lambda kv: kv[0].lower()),
        goals=goals, log=[(local(at), name, text) for at, _, name, text in lines],
        closed=local(closed).isoformat() if closed else None)


# -- pieces every format shares ----------------------------------------------------------------

def _when(m: Minutes) -> str:
    start = m.started.strftime("%Y-%m-%d %H:%M")
    if m.ended is None:
        return f"{start} {m.tz} (still running)"
    end = m.ended.strftime("%H:%M") if m.ended.date() == m.started.date() else m.ended.strftime("%Y-%m-%d %H:%M")
    how = " (ended after 6 hours of silence)" if m.end_how == "silence" else ""
    return f"{start} - {end} {m.tz}{how}"


def _status(s: str | None) -> str:
    return s or "no status"


def _action_state(a: dict) -> str:
    return "open" if not a["done"] else f"done {a['done'][:10]}"


def _quarter_text(m: Minutes) -> str | None:
    if not m.quarter:
        return None
    return f"{m.quarter}, closed at the end of the meeting" if m.closed else f"{m.quarter}"


def _t(at: datetime) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


# -- Markdown --------------------------------------------------------------------------------------

def render_markdown(m: Minutes) -> str:
    out = [f"# {_md(m.title)} (M{m.id})", "",
           f"- **Team:** {_md(m.team)} in {_md(m.channel)}",
           f"- **Time:** {_when(m)}",
           f"- **Chairs:** {', '.join(_md(c) for c in m.chairs)}",
           f"- **Attendees:** {', '.join(f'{_md(n)} ({k})' for n, k in m.attendees) or 'nobody spoke'}"]
    q = _quarter_text(m)
    if q:
        out.append(f"- **Quarter reviewed:** {q}")
    out += ["", "## Items", ""]
    for topic, items in m.topics:
        out += [f"### {_md(topic) if topic else 'Before the first topic'}", ""]
        out += [f"- **{KIND_LABEL[i.kind]}** {_md(i.shown)} ({_md(i.by)}, {_t(i.at)})" for i in items] or ["- (nothing noted)"]
        out.append("")
    out += ["## Decisions", ""]
    out += [f"- {_md(d.text)} ({_md(d.by)})" for d in m.decisions] or ["- none"]
    out += ["", "## Action items by owner", ""]
    for owner, actions in m.actions:
        out += [f"- **{_md(owner)}**"] + [f"  - A{a['id']} {_md(a['text'])} ({_action_state(a)})" for a in actions]
    if not m.actions:
        out.append("- none")
    out += ["", "## Goals whose status changed", ""]
    out += [f"- #{g['id']} {_md(g['title'])}: {_status(g['old'])} -> **{_status(g['new'])}**"
            + (f" \"{_md(g['note'])}\"" if g["note"] else "") + f" ({_md(g['by'])})" for g in m.goals] or ["- none"]
    out += ["", "## Log", ""]
    who_md = {who: _md(who) for who in {w for _, w, _ in m.log}}
    out += [f"- `{_t(at)}` **{who_md[who]}**: {_md(text)}" for at, who, text in m.log]
    return "\n".join(out) + "\n"


# -- MediaWiki -----------------------------------------------------------------------------------------

def render_wiki(m: Minutes) -> str:
    out = [f"== {_wiki(m.title)} (M{m.id}) ==",
           f"* '''Team:''' {_wiki(m.team)} in {_wiki(m.channel)}",
           f"* '''Time:''' {_wiki(_when(m))}",
           f"* '''Chairs:''' {', '.join(_wiki(c) for c in m.chairs)}",
           f"* '''Attendees:''' {', '.join(f'{_wiki(n)} ({k})' for n, k in m.attendees) or 'nobody spoke'}"]
    q = _quarter_text(m)
    if q:
        out.append(f"* '''Quarter reviewed:''' {_wiki(q)}")
    out.append("=== Items ===")
    for topic, items in m.topics:
        out.append(f"==== {_wiki(topic) if topic else 'Before the first topic'} ====")
        out += [f"* '''{KIND_LABEL[i.kind]}''' {_wiki(i.shown)} ({_wiki(i.by)}, {_t(i.at)})" for i in items] or [
            "* (nothing noted)"]
    out.append("=== Decisions ===")
    out += [f"* {_wiki(d.text)} ({_wiki(d.by)})" for d in m.decisions] or ["* none"]
    out.append("=== Action items by owner ===")
    for owner, actions in m.actions:
        out += [f"* '''{_wiki(owner)}'''"] + [f"** A{a['id']} {_wiki(a['text'])} ({_action_state(a)})" for a in actions]
    if not m.actions:
        out.append("* none")
    out.append("=== Goals whose status changed ===")
    out += [f"* #{g['id']} {_wiki(g['title'])}: {_status(g['old'])} &rarr; '''{_status(g['new'])}'''"
            + (f" \"{_wiki(g['note'])}\"" if g["note"] else "") + f" ({_wiki(g['by'])})" for g in m.goals] or ["* none"]
    out.append("=== Log ===")
    out.append('{| class="wikitable"')
    who_wiki = {who: _wiki(who) for who in {w for _, w, _ in m.log}}
    for at, who, text in m.log:
        out += ["|-", f"| {_t(at)} || {who_wiki[who]} || <nowiki>{_nowiki(text)}</nowiki>"]
    out.append("|}")
    return "\n".join(out) + "\n"


def _nowiki(text: str) -> str:
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- HTML (one file, nothing fetched) -----------------------------------------------------------------

_CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
.kind{display:inline-block;min-width:5.5em;font-size:.8em;font-weight:bold;color:#555}
dl.meta dt{float:left;clear:left;width:9em;font-weight:bold}dl.meta dd{margin-left:9em}
table.log{border-collapse:collapse;font:13px/1.35 ui-monospace,monospace}
table.log td{padding:.05em .6em;vertical-align:top}table.log td.t{color:#888}table.log td.n{font-weight:bold}
.done{color:#2a7a2a}.open{color:#a65e00}"""


def _h(s) -> str:
    return html.escape(str(s), quote=True)


def render_html(m: Minutes) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{_h(m.title)} (M{m.id})</title>", f"<style>{_CSS}</style></head><body>",
           f"<h1>{_h(m.title)} (M{m.id})</h1>", '<dl class="meta">',
           f"<dt>Team</dt><dd>{_h(m.team)} in {_h(m.channel)}</dd>", f"<dt>Time</dt><dd>{_h(_when(m))}</dd>",
           f"<dt>Chairs</dt><dd>{_h(', '.join(m.chairs))}</dd>",
           f"<dt>Attendees</dt><dd>{_h(', '.join(f'{n} ({k})' for n, k in m.attendees) or 'nobody spoke')}</dd>"]
    q = _quarter_text(m)
    if q:
        out.append(f"<dt>Quarter reviewed</dt><dd>{_h(q)}</dd>")
    out += ["</dl>", "<h2>Items</h2>"]
    for topic, items in m.topics:
        out.append(f"<h3>{_h(topic) if topic else 'Before the first topic'}</h3><ul>")
        out += [f'<li><span class="kind">{KIND_LABEL[i.kind]}</span> {_h(i.shown)} ({_h(i.by)}, {_t(i.at)})</li>'
                for i in items] or ["<li>(nothing noted)</li>"]
        out.append("</ul>")
    out.append("<h2>Decisions</h2><ul>")
    out += [f"<li>{_h(d.text)} ({_h(d.by)})</li>" for d in m.decisions] or ["<li>none</li>"]
    out.append("</ul><h2>Action items by owner</h2><ul>")
    for owner, actions in m.actions:
        out.append(f"<li><b>{_h(owner)}</b><ul>")
        out += [f'<li>A{a["id"]} {_h(a["text"])} <span class="{"done" if a["done"] else "open"}">'
                f"({_h(_action_state(a))})</span></li>" for a in actions]
        out.append("</ul></li>")
    if not m.actions:
        out.append("<li>none</li>")
    out.append("</ul><h2>Goals whose status changed</h2><ul>")
    out += [f"<li>#{g['id']} {_h(g['title'])}: {_h(_status(g['old']))} &rarr; <b>{_h(_status(g['new']))}</b>"
            + (f" &ldquo;{_h(g['note'])}&rdquo;" if g["note"] else "") + f" ({_h(g['by'])})</li>" for g in m.goals] or [
        "<li>none</li>"]
    out.append('</ul><h2>Log</h2><table class="log">')
    who_h = {who: _h(who) for who in {w for _, w, _ in m.log}}
    out += [f'<tr><td class="t">{_t(at)}</td><td class="n">{who_h[who]}</td><td>{_h(text)}</td></tr>'
            for at, who, text in m.log]
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


def render(m: Minutes, fmt: str) -> str:
    return {"md": render_markdown, "wiki": render_wiki, "html": render_html}[fmt](m)


# -- chat ---------------------------------------------------------------------------------------------

def chat_summary(m: Minutes, r) -> list[str]:
    """A few lines for `minutes M<id>`: what the meeting decided and left to do, and where the rest is."""
    n_items = sum(len(items) for _, items in m.topics)
    lines = [f"{r.bold(r.text(m.title))} (M{m.id}) · {_when(m)} · chairs {r.text(', '.join(m.chairs))}",
             f"{len(m.attendees)} attendees, {len(m.log)} lines, {n_items} items"
             + (f", quarter {m.quarter}" + (" closed" if m.closed else "") if m.quarter else "")]
    if m.decisions:
        lines.append("decisions: " + "; ".join(r.text(_clip(d.text, 80)) for d in m.decisions[:5])
                     + (f" and {len(m.decisions) - 5} more" if len(m.decisions) > 5 else ""))
    acts = [(o, a) for o, items in m.actions for a in items]
    if acts:
        lines.append("actions: " + "; ".join(f"A{a['id']} {r.text(o)}: {r.text(_clip(a['text'], 50))} ({_action_state(a)})"
                                             for o, a in acts[:6]) + (f" and {len(acts) - 6} more" if len(acts) > 6 else ""))
    if m.goals:
        lines.append("goals: " + ", ".join(f"#{g['id']} {_status(g['old'])} -> {r.status(g['new'])}" for g in m.goals[:8])
                     + (f" and {len(m.goals) - 8} more" if len(m.goals) > 8 else ""))
    return lines


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- for the wiki publisher ------------------------------------------------------------------------------

def meeting_wiki(store, config, mid: int) -> tuple[str, date, str]:
    """(team, the meeting's date in the team's zone, its minutes in MediaWiki markup): what a wiki page of
    `GOALKEEPER_WIKI_MINUTES_PAGE` (`Meetings/{team}/{date}`) holds."""
    m = load_minutes(store, config, mid)
    return m.team, m.date, render_wiki(m)
