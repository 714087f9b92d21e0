"""The review as one self-contained HTML file that presents as slides.

One `<section class="slide">` per slide: the title, each team's quarter at a glance, its goals as cards
(grouped by outcome, a few cards a slide), its KPIs each drawn as an inline SVG chart, goals by kind, and
its learnings. Inline styles and one inline script; nothing is loaded from anywhere. Without the script
the slides stack as cards; with it one slide shows at a time (arrow keys, Page Up/Down, Home/End, space,
the buttons, or `#slide-N`); printed, each slide is one page.
"""
from __future__ import annotations

import html
import math
import re
from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ..times import parse_iso
from .build import Review, ReviewGoal, ReviewKpi, with_unit
from .text import (RATE_NOTE, _as_of_text, _better_text, _change_line, _change_text, _split_text, _summary_rows,
                   _target_text, _time_text, _year_text, changes_shown, percent)

# ---------------------------------------------------------------- style

_CSS = """
:root { color-scheme: light; --ink: #1d2327; --muted: #54646f; --line: #c3cad0; --desk: #e8ebee;
  --green: #2e7d32; --yellow: #b58900; --red: #c62828; --grey: #757575; }
* { box-sizing: border-box; }
html { font-size: clamp(13px, calc(0.6vw + 0.55vh + 6px), 20px); }
body { margin: 0; background: var(--desk); color: var(--ink);
  font: 1rem/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.slide { position: relative; max-width: 64rem; margin: 1.5rem auto; padding: 1.8rem 2.6rem 2.4rem;
  background: #fff; border-top: .6rem solid var(--muted); border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, .18); }
.slide.title { border-top-color: var(--ink); }
.folio { position: absolute; right: 1.2rem; bottom: .6rem; margin: 0; color: var(--muted); font-size: .75rem; }
h1, h2, h3 { overflow-wrap: break-word; }
h1 { font-size: 2.6rem; line-height: 1.15; margin: 0 0 .6rem; }
h2 { font-size: 1.75rem; line-height: 1.2; margin: 0 0 .8rem; }
h3 { font-size: 1.1rem; line-height: 1.25; margin: .2rem 0 .4rem; }
h1.t-m { font-size: 2.1rem; } h1.t-l { font-size: 1.7rem; } h1.t-xl { font-size: 1.4rem; }
h2.t-m { font-size: 1.5rem; } h2.t-l { font-size: 1.3rem; } h2.t-xl { font-size: 1.15rem; }
h3.t-l, h3.t-xl { font-size: 1rem; }
.clamp { display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 4; line-clamp: 4; overflow: hidden; }
.kicker { color: var(--muted); text-transform: uppercase; letter-spacing: .06em; font-size: .75rem; margin: 0 0 .4rem; }
.sub { color: #3c474f; font-size: 1.1rem; margin: 0 0 .6rem; }
.by, .meta { color: var(--muted); font-size: .85rem; }
.empty { color: var(--muted); font-style: italic; }
p { margin: .3rem 0 .6rem; }
ul { margin: .3rem 0; padding-left: 1.3rem; }
li { margin: .2rem 0; overflow-wrap: break-word; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .9rem; table-layout: fixed; }
/* columns of set widths, and break-word: only a token longer than its column breaks, never a word */
th, td { border-bottom: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: #f0f2f4; font-weight: 600; }
.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th.r { text-align: right; }
col.c-id { width: 3.5em; } col.c-status { width: 14em; } col.c-owner { width: 8em; }
col.c-3 { width: 3.8em; } col.c-4 { width: 5em; } col.c-5 { width: 6.8em; }  /* room for "dropped" in bold */
.tiles { display: flex; flex-wrap: wrap; gap: .6rem; margin: .6rem 0; }
.tile { border: 1px solid var(--line); border-left: .4rem solid var(--grey); border-radius: 4px;
  padding: .35rem .8rem; min-width: 6.5rem; }
.tile strong { display: block; font-size: 1.6rem; line-height: 1.1; }
.tile.hit { border-left-color: var(--green); } .tile.partial { border-left-color: var(--yellow); }
.tile.miss { border-left-color: var(--red); } .tile.rate { border-left-color: var(--ink); }
.status { display: inline-block; padding: 0 .5rem; border: 2px solid var(--muted); border-radius: 4px;
  font-weight: 700; background: #fff; color: var(--ink); white-space: nowrap; }
.status.green { background: #c8e6c9; border-color: var(--green); color: #1b5e20; }
.status.yellow { background: #fff3b0; border-color: var(--yellow); color: #5c4500; }
.status.red { background: #ffcdd2; border-color: var(--red); color: #8e0000; }
.status.grey { background: #e0e0e0; border-color: var(--grey); color: #333; }
.status.open { border-style: dashed; white-space: normal; }
.colour { color: var(--muted); font-size: .85rem; }
.n-w { white-space: nowrap; }
.cards { columns: 2 21rem; column-gap: .8rem; margin: .4rem 0; }
.card { display: block; margin: 0 0 .8rem; break-inside: avoid; page-break-inside: avoid;
  border: 1px solid var(--line); border-top: .35rem solid var(--grey); border-radius: 5px;
  padding: .55rem .8rem .6rem; }
.card.wide { column-span: all; }
.kpis .cards { columns: auto; display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr));
  gap: .8rem; align-items: start; }
.kpis .card { margin: 0; }
.card.green { border-top-color: var(--green); } .card.yellow { border-top-color: #d4a800; }
.card.red { border-top-color: var(--red); } .card.open { border-top-style: dashed; }
.card-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .2rem .6rem; }
.card-head .kicker { margin: 0; }
.card p { margin: .2rem 0; }
.card ul { font-size: .9rem; }
.slide.learnings > ul { font-size: 1.15rem; }
.kpi .figure { font-size: 1.25rem; font-weight: 700; margin: .1rem 0; }
.kpi .figure .trend { font-size: .9rem; margin-left: .3rem; }
.kpi .figure .trend.none { font-weight: 400; color: var(--muted); }
.chart { display: block; width: 100%; height: auto; margin-top: .3rem; }
.chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--muted); }
.chart .grid { stroke: #e3e7ea; stroke-width: 1; }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.chart .target { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 4 3; }
.chart .series { fill: none; stroke: #5b7ea4; stroke-width: 2.5; stroke-linejoin: round; }
.chart .series.better { stroke: var(--green); } .chart .series.worse { stroke: var(--red); }
.chart circle { fill: #fff; stroke: var(--ink); stroke-width: 1.5; }
.trend.better { color: #1b5e20; font-weight: 700; }
.trend.worse { color: #8e0000; font-weight: 700; }
.bar { display: flex; height: 1.6rem; border: 1px solid var(--line); border-radius: 4px; overflow: hidden; margin: .4rem 0 .8rem; }
.bar span { display: block; height: 100%; }
.bar .strategic, .swatch.strategic { background: #5b7ea4; }
.bar .core, .swatch.core { background: #b9c6d2; }
.swatch { display: inline-block; width: .9em; height: .9em; border-radius: 2px; vertical-align: -.1em; }
.kinds { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 18rem), 1fr)); gap: .4rem 2rem; }
.deck-nav { display: none; }
html.deck, html.deck body { height: 100%; overflow: hidden; }
html.deck .slide { display: none; position: absolute; top: 1.2vh; bottom: 3rem; left: 0; right: 0;
  width: auto; max-width: 80rem; margin: 0 auto; overflow: auto; }
@media (min-width: 700px) { html.deck .slide { left: 1.5vw; right: 1.5vw; } }
html.deck .slide.current { display: flex; flex-direction: column; }
html.deck .slide.title.current { justify-content: center; }
html.deck .folio { display: none; }
html.deck .deck-nav { display: flex; position: fixed; left: 0; right: 0; bottom: .45rem; justify-content: center;
  align-items: center; gap: .8rem; }
.deck-nav button { font: inherit; font-size: 1.1rem; line-height: 1; padding: .3rem .8rem; border: 1px solid var(--line);
  border-radius: 4px; background: #fff; color: var(--ink); cursor: pointer; }
.deck-nav .counter { min-width: 4.5rem; text-align: center; font-variant-numeric: tabular-nums; color: var(--ink); }
@page { size: landscape; margin: 10mm; }
@media print {
  html, body, html.deck, html.deck body { height: auto; overflow: visible; background: #fff; }
  .slide, html.deck .slide, html.deck .slide.current { display: block; position: relative; top: auto; bottom: auto;
    left: auto; right: auto; max-width: none; margin: 0; overflow: visible; box-shadow: none; border-radius: 0;
    page-break-after: always; break-after: page; page-break-inside: avoid; break-inside: avoid; }
  .slide:last-of-type { page-break-after: auto; break-after: auto; }
  html.deck .folio { display: block; }
  .deck-nav, html.deck .deck-nav { display: none; }
  .status, .bar span, .swatch, .slide, .card, .tile { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()

# ---------------------------------------------------------------- script: the deck, keys, and `?measure` for tests

_JS = r"""
(function () {
  'use strict';
  var root = document.documentElement;
  var slides = Array.prototype.slice.call(document.querySelectorAll('section.slide'));
  var counter = document.getElementById('deck-counter');
  var at = 0;
  if (!slides.length) { return; }
  function show(n) {
    n = Math.max(0, Math.min(slides.length - 1, n));
    slides[at].classList.remove('current');
    slides[at].removeAttribute('aria-current');
    at = n;
    slides[at].classList.add('current');
    slides[at].setAttribute('aria-current', 'page');
    slides[at].scrollTop = 0;
    counter.textContent = (at + 1) + ' / ' + slides.length;
    root.setAttribute('data-slide', String(at + 1));
    if (location.hash !== '#slide-' + (at + 1) && history.replaceState) {
      history.replaceState(null, '', '#slide-' + (at + 1));
    }
  }
  var STEP = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ' ': 1, Spacebar: 1,
               ArrowLeft: -1, ArrowUp: -1, PageUp: -1 };
  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === 'Home') { show(0); }
    else if (e.key === 'End') { show(slides.length - 1); }
    else if (STEP[e.key]) { show(at + (e.shiftKey && STEP[e.key] === 1 && e.key !== 'PageDown' ? -1 : STEP[e.key])); }
    else { return; }
    e.preventDefault();
  }
  function fromHash() {
    var m = /^#slide-(\d+)$/.exec(location.hash);
    return m ? parseInt(m[1], 10) - 1 : null;
  }
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', function () { var n = fromHash(); if (n !== null) { show(n); } });
  document.getElementById('deck-prev').addEventListener('click', function () { show(at - 1); });
  document.getElementById('deck-next').addEventListener('click', function () { show(at + 1); });
  root.classList.add('deck');
  show(fromHash() || 0);

  var query = new URLSearchParams(location.search);
  /* test-only: measure every slide's layout into <pre id="deck-measure"> for --dump-dom */
  function lines(rects) {
    var tops = [];
    Array.prototype.forEach.call(rects, function (r) {
      if (r.width < 0.5) { return; }
      if (!tops.some(function (t) { return Math.abs(t - r.top) < r.height / 2; })) { tops.push(r.top); }
    });
    return tops.length;
  }
  function brokenWords(el) {
    var broken = [], walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), node, m, range = document.createRange();
    while ((node = walker.nextNode())) {
      var re = /[^\s\-\/\u2010-\u2014]+/g;
      while ((m = re.exec(node.data))) {
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        if (m[0].length < 30 && lines(range.getClientRects()) > 1) { broken.push(m[0]); }  /* no word is 30 letters */
      }
    }
    return broken;
  }
  function lineCount(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    return lines(range.getClientRects());
  }
  function measure() {
    var start = at, out = { width: innerWidth, height: innerHeight, slides: [] };
    out.visible = slides.filter(function (s) { return getComputedStyle(s).display !== 'none'; }).length;
    slides.forEach(function (slide, i) {
      show(i);
      var seen = { id: slide.id, kind: slide.className, overflowX: slide.scrollWidth > slide.clientWidth + 1,
                   overflowY: slide.scrollHeight > slide.clientHeight + 1, cells: [], headings: [], cards: [] };
      slide.querySelectorAll('th, td').forEach(function (c) {
        seen.cells.push({ text: c.textContent, lines: lineCount(c), broken: brokenWords(c),
                          overflow: c.scrollWidth > c.clientWidth + 1 });
      });
      slide.querySelectorAll('h1, h2, h3').forEach(function (h) {
        seen.headings.push({ tag: h.tagName.toLowerCase(), text: h.textContent, lines: lineCount(h),
                             clipped: h.scrollHeight > h.clientHeight + 1 });
      });
      slide.querySelectorAll('.card').forEach(function (c) {
        var box = c.getBoundingClientRect(), last = box.top;
        Array.prototype.forEach.call(c.children, function (k) { last = Math.max(last, k.getBoundingClientRect().bottom); });
        seen.cards.push({ height: box.height, blank: box.bottom - last });
      });
      out.slides.push(seen);
    });
    show(start);
    var pre = document.createElement('pre');
    pre.id = 'deck-measure';
    pre.hidden = true;
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  }
  if (query.has('measure')) { measure(); }
  /* test-only: replay keys through the real keydown handler, noting the slide after each */
  if (query.has('keys')) {
    var visited = [];
    query.get('keys').split(',').forEach(function (key) {
      document.dispatchEvent(new KeyboardEvent('keydown', { key: key === 'Space' ? ' ' : key, bubbles: true, cancelable: true }));
      visited.push(at + 1);
    });
    root.setAttribute('data-visited', visited.join(','));
  }
})();
""".strip()

_SYMBOL = {"hit": "✔", "partial": "◐", "miss": "✘", "dropped": "–"}
_OUTCOMES = (("hit", "Hit"), ("partial", "Partial"), ("miss", "Miss"), ("dropped", "Dropped"),
             ("open", "No final status"))
_MARKUP = re.compile(r"[&<>\"']")
_CARDS_PER_SLIDE = 6
_CARD_ROOM = 36  # a slide's room, in the rough lines its cards take (see _fit): two columns of 18
_ROWS_PER_SLIDE = 10  # rows of the goals table a slide holds
_KPIS_PER_SLIDE = 4


def _h(s) -> str:
    s = s if type(s) is str else str(s if s is not None else "")
    return html.escape(s, quote=True) if _MARKUP.search(s) else s  # most text has nothing to escape


def _size(text: str) -> str:
    """A heading's size class by length: long titles are set smaller rather than running to many lines."""
    n = len(text)
    return "" if n <= 50 else "t-m" if n <= 90 else "t-l" if n <= 140 else "t-xl"


def _heading(tag: str, text: str, extra: str = "") -> str:
    size = _size(text)
    cls = " ".join(c for c in (size, "clamp" if size else "", extra) if c)
    attrs = f' class="{cls}"' if cls else ""
    return f"<{tag}{attrs}>{_h(text)}</{tag}>"


def _html_status(g: ReviewGoal) -> str:
    if g.final:
        return (f'<span class="n-w"><span class="status {g.colour}">{_SYMBOL.get(g.status, "")} {_h(g.status)}'
                f'</span> <span class="colour">({g.colour})</span></span>')
    return f'<span class="status open">{_h(g.status_label)}</span>'


def _outcome(g: ReviewGoal) -> str:
    return g.status if g.final else "open"


# ---------------------------------------------------------------- slides


class _Slide(NamedTuple):
    kind: str  # its class: title, team, table, goals, kpis, kinds, learnings
    body: list[str]


def _team_kicker(review: Review) -> str:
    return f'<p class="kicker">{_h(review.team)} · {_h(review.quarter)}</p>'


def _rate_tile(label: str, review: Review, part: int) -> str:
    if not review.decided:
        return f'<div class="tile rate"><strong>n/a</strong>{label} (no goal hit, partial or miss)</div>'
    return (f'<div class="tile rate"><strong>{percent(part / review.decided)}</strong>{label} '
            f"({part} of {review.decided})</div>")


def _glance(review: Review) -> list[_Slide]:
    """The counts and rates, the split and the KPIs in a line each; then every goal in a table."""
    t = _h(review.team)
    body = [_team_kicker(review), f"<h2>{_h(review.display)}: the quarter at a glance</h2>",
            f'<p class="sub">{review.start.isoformat()} to {review.end.isoformat()}, '
            f"{_h(_as_of_text(review))}</p>"]
    if review.review_date:
        body.append(f"<p>Review date: <strong>{_h(review.review_date)}</strong></p>")
    if not review.goals:
        body.append(f'<p class="empty">No goals were recorded for {t} in {_h(review.quarter)}.</p>')
    else:
        c = review.counts
        tiles = [(c["hit"], "hit", "hit"), (c["partial"], "partial", "partial"), (c["miss"], "miss", "miss"),
                 (c["dropped"], "dropped", "dropped"), (c["open"], "no final status", "open")]
        body += ['<div class="tiles">' + "".join(
                     f'<div class="tile {cls}"><strong>{n}</strong>{label}</div>' for n, label, cls in tiles)
                 + _rate_tile("hit rate", review, c["hit"])
                 + _rate_tile("hit or partial", review, c["hit"] + c["partial"]) + "</div>",
                 f'<p class="by">{_h(RATE_NOTE)}</p>',
                 f"<p>Goals by kind: {_h(_split_text(review))}. Time declared: {_h(_time_text(review))}</p>"]
    if review.kpis:
        body += ["<h3>KPIs</h3>", "<ul>", *[f"<li>{_h(k.line())}</li>" for k in review.kpis], "</ul>"]
    slides = [_Slide("team", body)]
    rows = review.goals
    chunks = [rows[i:i + _ROWS_PER_SLIDE] for i in range(0, len(rows), _ROWS_PER_SLIDE)]
    for n, chunk in enumerate(chunks):
        more = f" ({n + 1} of {len(chunks)})" if len(chunks) > 1 else ""
        table = [_team_kicker(review), f"<h2>{t}: every goal{more}</h2>",
                 '<table class="goals"><colgroup><col class="c-id"><col><col class="c-status">'
                 '<col class="c-owner"></colgroup>',
                 '<tr><th class="n">#</th><th>goal</th><th>status</th><th>owner</th></tr>']
        for g in chunk:
            table.append(f'<tr><td class="n">#{g.id}</td><td>{_h(g.title)}</td>'
                         f"<td>{_html_status(g)}</td><td>{_h(g.owner or 'no owner')}</td></tr>")
        table.append("</table>")
        slides.append(_Slide("table", table))
    return slides


def _fit(g: ReviewGoal) -> tuple[bool, int]:
    """Whether the card takes the slide's width (a long title, or many learnings), and its share of a
    slide's room: roughly the lines it takes (status, title, owner, note, learnings), in both columns if wide."""
    texts = [len(x.text) + len(x.by) + 3 for x in g.learnings]
    note = len(g.note or "")

    def lines(k: int) -> int:  # k: a wide card's lines hold about twice the text
        return (3 + math.ceil(len(g.title) / (45 * k)) + math.ceil(note / (60 * k))
                + sum(math.ceil(n / (55 * k)) for n in texts))

    narrow = lines(1)
    if len(g.title) > 90 or narrow > _CARD_ROOM // 4:
        return True, 2 * lines(2)
    return False, narrow


def _card(g: ReviewGoal, wide: bool) -> str:
    cls = " ".join(c for c in ("card", g.colour if g.final else "open", "wide" if wide else "") if c)
    due = f" · due {_h(g.due)}" if g.due else ""
    out = [f'<article class="{cls}">',
           f'<p class="card-head"><span class="kicker">goal #{g.id} · {_h(g.kind)}</span> {_html_status(g)}</p>',
           _heading("h3", g.title), f'<p class="meta">Owner {_h(g.owner or "none")}{due}</p>']
    if g.note:
        out.append(f'<p class="note">{_h(g.note)}</p>')
    if g.learnings:
        out += ['<ul class="learnings">',
                *[f'<li>{_h(x.text)} <span class="by">({_h(x.by)})</span></li>' for x in g.learnings], "</ul>"]
    out.append("</article>")
    return "".join(out)


def _goal_slides(review: Review) -> list[_Slide]:
    """Goals by outcome, as cards sized to their content: a slide takes cards while they fit, and a
    small group shares a slide with the next rather than leaving it mostly empty."""
    groups = [(key, label, [g for g in review.goals if _outcome(g) == key]) for key, label in _OUTCOMES]
    pages: list[list[tuple[str, ReviewGoal, bool]]] = [[]]
    used = 0  # the last page's room taken
    for key, label, goals in groups:
        fits = [_fit(g) for g in goals]
        whole = sum(weight for _, weight in fits)
        for n, (g, (wide, weight)) in enumerate(zip(goals, fits)):
            page = pages[-1]
            need = whole if n == 0 else weight
            if page and (len(page) >= _CARDS_PER_SLIDE or need > _CARD_ROOM - used or
                         (n == 0 and len(page) + len(goals) > _CARDS_PER_SLIDE)):
                pages.append([])
                used = 0
            pages[-1].append((key, g, wide))
            used += weight
    slides = []
    totals = {key: len(goals) for key, _, goals in groups}
    labels = dict(_OUTCOMES)
    for page in pages:
        if not page:
            continue
        keys = list(dict.fromkeys(k for k, _, _ in page))
        heading = "Goals: " + ", ".join(f"{labels[k].lower()} ({totals[k]})" for k in keys)
        body = [_team_kicker(review), f"<h2>{_h(heading)}</h2>", '<div class="cards">',
                *[_card(g, wide) for _, g, wide in page], "</div>"]
        slides.append(_Slide("goals", body))
    return slides


def _instant(d, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tz)


def _chart(review: Review, k: ReviewKpi) -> str:
    """The KPI's values over the quarter: one polyline (a point per value), the target dashed."""
    w, h, left, right, top, bottom = 400, 150, 62, 392, 10, 124
    tz = ZoneInfo(review.tz)
    points = [(parse_iso(at), v) for at, v in k.points]
    t0 = min([_instant(review.start, tz)] + [at for at, _ in points])
    t1 = max([_instant(review.end + timedelta(days=1), tz)] + [at for at, _ in points])
    span = (t1 - t0).total_seconds() or 1.0
    values = [v for _, v in points] + ([k.target] if k.target is not None else [])
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (hi - lo) * 0.12 if hi > lo else (abs(hi) * 0.05 or 1.0)
    lo, hi = lo - pad, hi + pad

    def x(at: datetime) -> float:
        return left + (right - left) * (at - t0).total_seconds() / span

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - lo) / (hi - lo)

    name = _h(k.name)
    desc = (", ".join(f"{with_unit(v, k.unit)} on {at.astimezone(tz).date().isoformat()}" for at, v in points)
            or "no value this quarter")
    out = [f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{name}: {_h(desc)}">',
           f"<title>{name}: {_h(desc)}</title>",
           f'<line class="axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>']
    month = t0.astimezone(tz).date().replace(day=1)
    while True:
        tick = _instant(month, tz)
        if tick > t1:
            break
        if tick >= t0:
            tx = x(tick)
            out.append(f'<line class="grid" x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{bottom}"/>')
            if tx < right - 20:
                out.append(f'<text x="{tx + 3:.1f}" y="{bottom + 16}">{month.strftime("%b")}</text>')
        month = (month + timedelta(days=32)).replace(day=1)
    seen = [v for _, v in points]
    for v in sorted({max(seen), min(seen)}) if seen else ():  # the axis names the lowest and highest value
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_h(with_unit(v, k.unit))}</text>')
    if k.target is not None:
        ty = y(k.target)
        below = ty < top + 14  # a target at the top is named under its line
        out.append(f'<line class="target" x1="{left}" y1="{ty:.1f}" x2="{right}" y2="{ty:.1f}"/>')
        out.append(f'<text x="{left + 4}" y="{ty + 13 if below else ty - 4:.1f}">'
                   f"target {_h(with_unit(k.target, k.unit))}</text>")
    coords = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in points)
    out.append(f'<polyline class="series {_h(k.trend or "none")}" data-kpi="{name}" points="{coords}"/>')
    for at, v in points:
        out.append(f'<circle cx="{x(at):.1f}" cy="{y(v):.1f}" r="3.5"><title>'
                   f"{at.astimezone(tz).date().isoformat()}: {_h(with_unit(v, k.unit))}</title></circle>")
    if not points:
        out.append(f'<text x="{(left + right) / 2:.0f}" y="{(top + bottom) / 2:.0f}" text-anchor="middle">'
                   "no value this quarter</text>")
    out.append("</svg>")
    return "".join(out)


def _kpi_card(review: Review, k: ReviewKpi) -> str:
    if k.first is None:
        figure, verdict = "no value yet", ""
    elif k.trend is None:
        figure, verdict = with_unit(k.first, k.unit), "first value this quarter"
    else:  # from the baseline: the last value before the quarter, else its first
        figure = f"{with_unit(k.baseline, k.unit)} → {with_unit(k.latest, k.unit)}"
        verdict = f"{_change_text(k)}, {k.trend}" + (f"; over a year {_year_text(k)}" if k.year_trend else "")
    target = "no target" if k.target is None else f"target {_target_text(k)}"
    return (f'<article class="card kpi"><h3>{_h(k.name)}</h3>'
            f'<p class="figure">{_h(figure)} <span class="trend {_h(k.trend or "none")}">{_h(verdict)}</span></p>'
            f'<p class="by">{_better_text(k)}; {_h(target)}</p>'
            f"{_chart(review, k)}</article>")


def _kpi_slides(review: Review) -> list[_Slide]:
    if not review.kpis:
        return [_Slide("kpis", [_team_kicker(review), "<h2>KPIs</h2>", '<p class="empty">No KPIs recorded.</p>'])]
    chunks = [review.kpis[i:i + _KPIS_PER_SLIDE] for i in range(0, len(review.kpis), _KPIS_PER_SLIDE)]
    slides = []
    for n, chunk in enumerate(chunks):
        more = f" ({n + 1} of {len(chunks)})" if len(chunks) > 1 else ""
        slides.append(_Slide("kpis", [
            _team_kicker(review), f"<h2>KPIs{more}</h2>",
            '<div class="cards">', *[_kpi_card(review, k) for k in chunk], "</div>"]))
    return slides


def _kinds_slide(review: Review) -> _Slide:
    body = [_team_kicker(review), "<h2>Goals by kind</h2>"]
    if not review.goals:
        body.append('<p class="empty">No goals, so no split.</p>')
        return _Slide("kinds", body)
    body += [f"<p>{_h(_split_text(review))}</p>",
             f'<div class="bar" role="img" aria-label="{_h(_split_text(review))}">'
             f'<span class="strategic" style="width:{review.split_percent.get("strategic", 0)}%"></span>'
             f'<span class="core" style="width:{review.split_percent.get("core", 0)}%"></span></div>',
             f"<p>Time declared: {_h(_time_text(review))}</p>",
             '<div class="kinds">']
    for kind in review.split:
        goals = [g for g in review.goals if g.kind == kind]
        body.append(f'<div><h3><span class="swatch {kind}"></span> {kind} ({review.split[kind]}, '
                    f"{review.split_percent[kind]}%)</h3><ul>")
        body += [f"<li>#{g.id} {_h(g.title)} · {_h(g.status if g.final else 'no final status')}</li>"
                 for g in goals] or ['<li class="empty">none</li>']
        body.append("</ul></div>")
    body.append("</div>")
    return _Slide("kinds", body)


def _learnings_slide(review: Review) -> _Slide:
    body = [_team_kicker(review), "<h2>Team learnings</h2>"]
    if review.learnings:
        body += ["<ul>", *[f'<li>{_h(x.text)} <span class="by">({_h(x.by)})</span></li>'
                           for x in review.learnings], "</ul>"]
    else:
        body.append('<p class="empty">No team learnings recorded.</p>')
    return _Slide("learnings", body)


def _after_slide(review: Review) -> list[_Slide]:
    """What was recorded after the quarter closed: listed, counted nowhere."""
    if not review.changed_after_count:
        return []
    shown, more = changes_shown(review)
    return [_Slide("learnings", [_team_kicker(review), "<h2>Changed after the review</h2>",
                                 '<p class="by">Recorded after the quarter closed; not counted in this review.</p>',
                                 "<ul>", *[f"<li>{_h(_change_line(c))}</li>" for c in shown],
                                 *([f"<li>{_h(more)}</li>"] if more else []), "</ul>"])]


def _meeting_slide(review: Review) -> list[_Slide]:
    """The review meeting's decisions and action items, and how the last review's actions went."""
    m = review.meeting
    if m is None:
        return []
    body = [_team_kicker(review), "<h2>Review meeting" + (f" (M{m.id})" if m.id else "") + "</h2>"]
    if m.last_text():
        body.append(f'<p class="by">{_h(m.last_text())}</p>')
    if m.id:
        body += ["<h3>Decisions</h3><ul>", *([f"<li>{_h(d)}</li>" for d in m.decisions] or ["<li>none</li>"]),
                 "</ul><h3>Action items</h3><ul>",
                 *([f"<li>A{a} {_h(o)}: {_h(t)} ({'done' if done else 'open'})</li>" for a, o, t, done in m.actions]
                   or ["<li>none</li>"]), "</ul>"]
    return [_Slide("learnings", body)]


def _title_slide(reviews: list[Review], title: str) -> _Slide:
    body = [_heading("h1", title)]
    if not reviews:
        return _Slide("title", body + ['<p class="empty">No teams recorded.</p>'])
    r0 = reviews[0]
    body.append(f'<p class="sub">{_h(r0.quarter)}: {r0.start.isoformat()} to {r0.end.isoformat()}</p>')
    if len(reviews) == 1:
        body.append(f'<p class="by">{_h(_as_of_text(r0))}</p>')
        if r0.review_date:
            body.append(f"<p>Review date: <strong>{_h(r0.review_date)}</strong></p>")
    body.append('<table class="summary"><colgroup><col><col class="c-4"><col class="c-3"><col class="c-5">'
                '<col class="c-4"><col class="c-5"><col class="c-5"><col class="c-5"><col class="c-5"></colgroup>'
                '<tr><th>team</th><th class="r">goals</th><th class="r">hit</th><th class="r">partial</th>'
                '<th class="r">miss</th><th class="r">dropped</th><th class="r">no final status</th>'
                '<th class="r">hit rate</th><th class="r">hit or partial</th></tr>')
    for r, c, nums in _summary_rows(reviews):
        cells = "".join(f'<td class="n">{n}</td>' for n in nums)
        body.append(f"<tr><td>{_h(r.display)}</td>{cells}<td class=\"n\">{percent(r.hit_rate)}</td>"
                    f'<td class="n">{percent(r.hit_or_partial_rate)}</td></tr>')
    body.append("</table>")
    return _Slide("title", body)


def _team_slides(review: Review) -> list[_Slide]:
    return [*_glance(review), *_goal_slides(review), *_kpi_slides(review), _kinds_slide(review),
            _learnings_slide(review), *_meeting_slide(review), *_after_slide(review)]


def render_html(reviews: list[Review] | Review, title: str | None = None) -> str:
    """One self-contained HTML deck: inline style and script, nothing loaded from anywhere."""
    if isinstance(reviews, Review):
        reviews = [reviews]
    quarter = reviews[0].quarter if reviews else ""
    if title is None:
        title = (f"{reviews[0].team}: quarterly review {quarter}" if len(reviews) == 1
                 else f"Quarterly reviews {quarter}")
    slides = [_title_slide(reviews, title)]
    for r in reviews:
        slides += _team_slides(r)
    total = len(slides)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_h(title)}</title>", f"<style>\n{_CSS}\n</style>", "</head>", "<body>"]
    for n, s in enumerate(slides, 1):
        out.append(f'<section class="slide {s.kind}" id="slide-{n}" aria-label="slide {n} of {total}">')
        out += s.body
        out += [f'<p class="folio">{_h(quarter)} · {n} / {total}</p>', "</section>"]
    out += ['<nav class="deck-nav" aria-label="slides">',
            '<button type="button" id="deck-prev" aria-label="previous slide">‹</button>',
            f'<span class="counter" id="deck-counter" aria-live="polite">1 / {total}</span>',
            '<button type="button" id="deck-next" aria-label="next slide">›</button>', "</nav>",
            f"<script>\n{_JS}\n</script>", "</body>", "</html>", ""]
    return "\n".join(out)
