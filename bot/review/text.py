"""The review as text: the shared wording, Markdown, MediaWiki markup and the chat summary."""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from ..format import possessive  # noqa: F401  (part of this module's API)
from ..life import UNDER_REVIEW
from .build import Review, ReviewGoal, ReviewKpi, with_unit

# ---------------------------------------------------------------- shared wording


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{int(rate * 100 + 0.5)}%"


def _rate_text(review: Review, part: int) -> str:
    if not review.decided:
        return "n/a (no goal hit, partial or miss)"
    rate = part / review.decided
    return f"{percent(rate)} ({part} of {review.decided})"


def _as_of_text(review: Review) -> str:
    when = review.as_of.astimezone(ZoneInfo(review.tz))
    if review.complete:
        return f"closed, as it stood at its close ({when.strftime('%Y-%m-%d %H:%M')} {review.tz})"
    if review.state == UNDER_REVIEW:
        state = "under review"
    else:
        state = "quarter not begun yet" if when.date() < review.start else "quarter in progress"
    return f"as of {when.strftime('%Y-%m-%d %H:%M')} {review.tz} ({state})"


def _split_text(review: Review) -> str:
    return ", ".join(f"{n} {kind} ({review.split_percent.get(kind, 0)}%)" for kind, n in review.split.items())


def _time_text(review: Review) -> str:
    """`core 80%, strategic 20%` as the team declared it (team time), or that it did not."""
    if not review.time:
        return "not declared (team time <kind>:<percent> ...)"
    return ", ".join(f"{kind} {pct}%" for kind, pct in review.time.items())


CHANGES_SHOWN = 50  # of what changed after the review; the rest is counted ("goal show <id>" has each)


def _change_line(c) -> str:
    return f"{c.at.strftime('%Y-%m-%d')}: {c.text}"


def changes_shown(review: Review) -> tuple[list, str | None]:
    """The first changes after the review, and the line that counts the others (None when all are shown)."""
    more = review.changed_after_count - min(CHANGES_SHOWN, len(review.changed_after))
    return review.changed_after[:CHANGES_SHOWN], (f"... and {more:,} more (goal show <id> lists each)" if more > 0 else None)


def in_band(rate: float | None, band: tuple) -> str:
    """inside / above / below the hit band (above: goals not ambitious enough; below: not realistic)."""
    if rate is None:
        return "n/a"
    pct = int(rate * 100 + 0.5)
    return "inside" if band[0] <= pct <= band[1] else "above" if pct > band[1] else "below"


def recent_text(review: Review) -> str:
    """`67% (4 of 6): FY2015Q4 50%, FY2016Q1 75%` over the last closed quarters."""
    if not review.recent:
        return "no closed quarter"
    hit, decided = sum(r[1] for r in review.recent), sum(r[2] for r in review.recent)
    each = ", ".join(f"{label} {percent(h / d) if d else 'n/a'}" for label, h, d in review.recent)
    return f"{percent(review.recent_rate)} ({hit} of {decided}): {each}"


def _change_text(k: ReviewKpi) -> str:
    if k.change is None:
        return ""
    sign = "+" if k.change > 0 else ""
    return f"{sign}{with_unit(k.change, k.unit)}"


def _year_text(k: ReviewKpi) -> str:
    if k.year_change is None:
        return ""
    sign = "+" if k.year_change > 0 else ""
    return f"{sign}{with_unit(k.year_change, k.unit)} ({k.year_trend})"


def _better_text(k: ReviewKpi) -> str:
    return "lower is better" if k.better == "down" else "higher is better"


def _target_text(k: ReviewKpi) -> str:
    if k.target is None:
        return "no target"
    mark = {True: "met", False: "not met", None: "no value"}[k.target_met]
    return f"{with_unit(k.target, k.unit)} ({mark})"


def _counts_text(review: Review) -> str:
    c = review.counts
    return (f"{c['hit']} hit, {c['partial']} partial, {c['miss']} miss, {c['dropped']} dropped, "
            f"{c['open']} with no final status")


RATE_NOTE = ("Hit rate = hit / (hit + partial + miss): a partial does not count as a hit. "
             "\"Hit or partial\" counts it with the hits. Dropped goals and goals with "
             "no final status are in neither.")



# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|#~])")
_MD_DOT = {"green": "🟢", "yellow": "🟡", "red": "🔴", "grey": "⚪"}


def _md(s) -> str:
    """User text for a Markdown table cell or line: punctuation escaped, one line."""
    s = " ".join(str(s or "").split())
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_status(g: ReviewGoal) -> str:
    if g.final:
        return f"{_MD_DOT[g.colour]} **{g.status}** ({g.colour})"
    return g.status_label


def _md_body(review: Review, h: str) -> list[str]:
    """One team's review; `h` is the heading prefix of the team's title (`#` or `##`)."""
    out = [f"{h} Quarterly review: {_md(review.display)}, {review.quarter}", ""]
    out.append(f"{review.start.isoformat()} to {review.end.isoformat()}, {_as_of_text(review)}.")
    if review.review_date:
        out.append(f"Review date: {review.review_date}.")
    out.append("")
    if not review.goals:
        out += [f"No goals were recorded for {_md(review.team)} in {review.quarter}.", ""]
    else:
        c = review.counts
        out += [
            f"{h}# Summary", "",
            "| hit | partial | miss | dropped | no final status | hit rate | hit or partial |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {c['hit']} | {c['partial']} | {c['miss']} | {c['dropped']} | {c['open']} "
            f"| {_rate_text(review, c['hit'])} | {_rate_text(review, c['hit'] + c['partial'])} |",
            "", RATE_NOTE, "",
            f"Goals by kind: {_split_text(review)}. Time declared: {_md(_time_text(review))}.", "",
            f"{h}# Goals", "",
            "| # | Goal | Status | Owner | Kind | Due | Note |",
            "| ---: | --- | --- | --- | --- | --- | --- |",
        ]
        for g in review.goals:
            out.append(f"| #{g.id} | {_md(g.title)} | {_md_status(g)} | {_md(g.owner or 'no owner')} "
                       f"| {g.kind} | {g.due or ''} | {_md(g.note or '')} |")
        out.append("")
        with_learnings = [g for g in review.goals if g.learnings]
        if with_learnings:
            out += [f"{h}# Learnings by goal", ""]
            for g in with_learnings:
                out.append(f"- **#{g.id} {_md(g.title)}**: {g.status_label}")
                out += [f"  - {_md(x.text)} ({_md(x.by)})" for x in g.learnings]
            out.append("")
    out += [f"{h}# KPIs", ""]
    if review.kpis:
        out += ["| KPI | baseline | latest | change | | over a year | target |",
                "| --- | ---: | ---: | ---: | --- | --- | --- |"]
        for k in review.kpis:
            verdict = k.trend or ("first value" if k.count == 1 else "no value")
            out.append(f"| {_md(k.name)} | {_md(with_unit(k.baseline, k.unit)) or '-'} "
                       f"| {_md(with_unit(k.latest, k.unit)) or '-'} | {_md(_change_text(k)) or '-'} "
                       f"| {verdict} ({_better_text(k)}) | {_md(_year_text(k)) or '-'} | {_md(_target_text(k))} |")
        out += ["", *[f"- {_md(k.line())}" for k in review.kpis], ""]
    else:
        out += ["No KPIs recorded.", ""]
    out += [f"{h}# Team learnings", ""]
    if review.learnings:
        out += [f"- {_md(x.text)} ({_md(x.by)})" for x in review.learnings]
    else:
        out.append("No team learnings recorded.")
    out.append("")
    out += _md_meeting(review, h)
    if review.changed_after:
        out += [f"{h}# Changed after the review", "",
                "Recorded after the quarter closed; not counted above.", "",
                *[f"- {_md(_change_line(c))}" for c in changes_shown(review)[0]],
                *[f"- {_md(m)}" for m in changes_shown(review)[1:] if m], ""]
    return out


def _md_meeting(review: Review, h: str) -> list[str]:
    m = review.meeting
    if m is None:
        return []
    out = [f"{h}# Review meeting" + (f" (M{m.id})" if m.id else ""), ""]
    if m.last_text():
        out += [f"- {_md(m.last_text())}", ""]
    if m.id:
        out += ["Decisions:", ""] + ([f"- {_md(d)}" for d in m.decisions] or ["- none"]) + ["", "Action items:", ""]
        out += [f"- A{a} {_md(o)}: {_md(t)} ({'done' if done else 'open'})" for a, o, t, done in m.actions] or ["- none"]
        out.append("")
    return out


def _wiki_meeting(review: Review, sub: str) -> list[str]:
    m = review.meeting
    if m is None:
        return []
    out = [f"{sub} Review meeting" + (f" (M{m.id})" if m.id else "") + f" {sub}"]
    if m.last_text():
        out.append(f"* {_wiki(m.last_text())}")
    if m.id:
        out += ["Decisions:"] + ([f"* {_wiki(d)}" for d in m.decisions] or ["* none"]) + ["Action items:"]
        out += [f"* A{a} {_wiki(o)}: {_wiki(t)} ({'done' if done else 'open'})" for a, o, t, done in m.actions] or ["* none"]
    out.append("")
    return out


def render_markdown(review: Review) -> str:
    return "\n".join(_md_body(review, "#")).rstrip("\n") + "\n"


def _summary_rows(reviews: list[Review]):
    for r in reviews:
        c = r.counts
        yield r, c, (len(r.goals), c["hit"], c["partial"], c["miss"], c["dropped"], c["open"])


def band_note(band: tuple) -> str:
    return (f"Hit band {band[0]}-{band[1]}%: above it, goals not ambitious enough; below it, not realistic. "
            "The last column is the hit rate over the team's last four closed quarters.")


def render_all_markdown(reviews: list[Review], title: str | None = None, band: tuple = (60, 80)) -> str:
    quarter = reviews[0].quarter if reviews else ""
    out = [f"# {_md(title or f'Quarterly reviews, {quarter}')}", ""]
    if not reviews:
        return "\n".join(out + ["No teams recorded.", ""])
    out += ["| team | goals | hit | partial | miss | dropped | no final status | hit rate | hit or partial "
            "| hit band | last four closed quarters |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r, c, nums in _summary_rows(reviews):
        cells = " | ".join(str(n) for n in nums)
        out.append(f"| {_md(r.display)} | {cells} | {percent(r.hit_rate)} "
                   f"| {percent(r.hit_or_partial_rate)} | {in_band(r.hit_rate, band)} | {recent_text(r)} |")
    out += ["", RATE_NOTE, band_note(band), ""]
    for r in reviews:
        out += _md_body(r, "##")
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------- MediaWiki

_WIKI_BG = {"green": "#c6efce", "yellow": "#ffeb9c", "red": "#ffc7ce", "grey": "#e0e0e0"}
_WIKI_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "{": "&#123;",
                  "}": "&#125;", "[": "&#91;", "]": "&#93;", "~": "&#126;"}
_WIKI_SPECIAL = re.compile(r"[&<>|{}\[\]~]|'{2,}|_{2,}|!{2,}")


def _wiki(s) -> str:
    """User text made inert in wiki markup: no links, templates, tags, table syntax,
    signatures, bold/italic or behaviour switches; one line."""
    s = " ".join(str(s or "").split())

    def sub(m):
        t = m.group(0)
        return _WIKI_ENTITIES.get(t) or "".join(f"&#{ord(ch)};" for ch in t)
    return _WIKI_SPECIAL.sub(sub, s)


def _wiki_body(review: Review, level: int) -> list[str]:
    eq, sub = "=" * level, "=" * (level + 1)
    out = [f"{eq} Quarterly review: {_wiki(review.display)}, {review.quarter} {eq}",
           f"{review.start.isoformat()} to {review.end.isoformat()}, {_as_of_text(review)}."]
    if review.review_date:
        out += ["", f"'''Review date:''' {review.review_date}"]
    out.append("")
    if not review.goals:
        out += [f"No goals were recorded for {_wiki(review.team)} in {review.quarter}.", ""]
    else:
        c = review.counts
        out += [
            f"{sub} Summary {sub}",
            '{| class="wikitable"',
            "! hit !! partial !! miss !! dropped !! no final status !! hit rate !! hit or partial",
            "|-",
            f"| {c['hit']} || {c['partial']} || {c['miss']} || {c['dropped']} || {c['open']} "
            f"|| {_rate_text(review, c['hit'])} || {_rate_text(review, c['hit'] + c['partial'])}",
            "|}", RATE_NOTE, "",
            f"Goals by kind: {_split_text(review)}. Time declared: {_wiki(_time_text(review))}.", "",
            f"{sub} Goals {sub}",
            '{| class="wikitable sortable"',
            "! # !! Goal !! Status !! Owner !! Kind !! Due !! Note !! Learnings",
        ]
        for g in review.goals:
            style = f'style="background:{_WIKI_BG[g.colour]}" | ' if g.final else ""
            word = f"'''{g.status}''' ({g.colour})" if g.final else g.status_label
            cells = [str(g.id), _wiki(g.title), style + word, _wiki(g.owner or "no owner"),
                     g.kind, g.due or "", _wiki(g.note or "")]
            out += ["|-", *[f"| {c}".rstrip() for c in cells]]
            if g.learnings:
                out += ["|", *[f"* {_wiki(x.text)} ({_wiki(x.by)})" for x in g.learnings]]
            else:
                out.append("|")
        out += ["|}", ""]
    out.append(f"{sub} KPIs {sub}")
    if review.kpis:
        out += ['{| class="wikitable"', "! KPI !! baseline !! latest !! change !! trend !! over a year !! target"]
        for k in review.kpis:
            verdict = k.trend or ("first value" if k.count == 1 else "no value")
            out += ["|-", f"| {_wiki(k.name)} || {_wiki(with_unit(k.baseline, k.unit)) or '-'} "
                    f"|| {_wiki(with_unit(k.latest, k.unit)) or '-'} || {_wiki(_change_text(k)) or '-'} "
                    f"|| {verdict} ({_better_text(k)}) || {_wiki(_year_text(k)) or '-'} || {_wiki(_target_text(k))}"]
        out += ["|}", *[f"* {_wiki(k.line())}" for k in review.kpis], ""]
    else:
        out += ["No KPIs recorded.", ""]
    out.append(f"{sub} Team learnings {sub}")
    if review.learnings:
        out += [f"* {_wiki(x.text)} ({_wiki(x.by)})" for x in review.learnings]
    else:
        out.append("No team learnings recorded.")
    out.append("")
    out += _wiki_meeting(review, sub)
    if review.changed_after:
        out += [f"{sub} Changed after the review {sub}", "Recorded after the quarter closed; not counted above.",
                *[f"* {_wiki(_change_line(c))}" for c in changes_shown(review)[0]],
                *[f"* {_wiki(m)}" for m in changes_shown(review)[1:] if m], ""]
    return out


def render_wiki(review: Review) -> str:
    return "\n".join(_wiki_body(review, 2)).rstrip("\n") + "\n"


def render_all_wiki(reviews: list[Review], title: str | None = None, band: tuple = (60, 80)) -> str:
    quarter = reviews[0].quarter if reviews else ""
    out = [f"== {_wiki(title or f'Quarterly reviews, {quarter}')} =="]
    if not reviews:
        return "\n".join(out + ["No teams recorded.", ""])
    out += ['{| class="wikitable sortable"',
            "! team !! goals !! hit !! partial !! miss !! dropped !! no final status "
            "!! hit rate !! hit or partial !! hit band !! last four closed quarters"]
    for r, c, nums in _summary_rows(reviews):
        cells = " || ".join(str(n) for n in nums)
        out += ["|-", f"| {_wiki(r.display)} || {cells} || {percent(r.hit_rate)} "
                f"|| {percent(r.hit_or_partial_rate)} || {in_band(r.hit_rate, band)} || {_wiki(recent_text(r))}"]
    out += ["|}", RATE_NOTE, band_note(band), ""]
    for r in reviews:
        out += _wiki_body(r, 3)
    return "\n".join(out).rstrip("\n") + "\n"



# ---------------------------------------------------------------- chat

CHAT_MAX_LINES = 15
_CHAT_MAX_KPIS = 4


def render_chat(review: Review, renderer, max_lines: int = CHAT_MAX_LINES) -> list[str]:
    """A short summary for chat, one string per line, at most `max_lines` lines.
    `renderer` is a bot.render renderer (plain, IRC, Slack)."""
    t = renderer.text
    head = f"{renderer.bold(t(review.display) + ' ' + review.quarter + ' review')}: "
    if not review.goals:
        head += "no goals recorded"
    else:
        head += _counts_text(review)
        if review.decided:
            head += (f"; hit rate {percent(review.hit_rate)} ({review.counts['hit']} of {review.decided}), "
                     f"hit or partial {percent(review.hit_or_partial_rate)}")
        head += f"; {_split_text(review)}"
    if review.time:
        head += f"; time declared {_time_text(review)}"
    if review.complete:
        head += f" (closed {review.as_of.astimezone(ZoneInfo(review.tz)).strftime('%Y-%m-%d %H:%M')})"
    else:
        head += " (under review)" if review.state == UNDER_REVIEW else " (quarter in progress)"
    lines = [head]

    kpis = [t(k.line()) for k in review.kpis[:_CHAT_MAX_KPIS]]
    if len(review.kpis) > _CHAT_MAX_KPIS:
        kpis.append(f"... and {len(review.kpis) - _CHAT_MAX_KPIS} more KPIs")
    tail = list(kpis)
    if review.learnings:
        n = len(review.learnings)
        tail.append(f"{n} team learning{'s' if n != 1 else ''}: {t(review.learnings[0].text)}"
                    + (" ..." if n > 1 else ""))

    if review.meeting is not None:
        m = review.meeting
        if m.id:
            open_n = sum(1 for a in m.actions if not a[3])
            tail.append(f"review meeting M{m.id}: {len(m.decisions)} decisions, {len(m.actions)} action items"
                        f" ({open_n} open; minutes M{m.id})")
        if m.last_text():
            tail.append(t(m.last_text()))
    if review.changed_after:
        n = review.changed_after_count
        tail.append(f"changed after the review ({n}, not counted): {t(review.changed_after[0].text)}"
                    + (" ..." if n > 1 else ""))
    room = max(1, max_lines - 1 - len(tail))
    goals = review.goals
    shown = goals if len(goals) <= room else goals[: room - 1]
    for g in shown:
        status = renderer.status(g.status)
        if g.status and not g.final:
            status = f"no final status: {status}"
        lines.append(f"#{g.id} {t(g.title)} — {status} ({t(g.owner or 'no owner')})")
    if len(shown) < len(goals):
        lines.append(f"... and {len(goals) - len(shown)} more goals")
    return (lines + tail)[:max_lines]

