"""The review as one self-contained HTML file laid out as a deck: inline styles, nothing from the network."""
from __future__ import annotations

import html

from .build import Review, ReviewGoal, with_unit
from .text import (RATE_NOTE, _as_of_text, _better_text, _change_line, _change_text, _rate_text, _split_text,
                   _summary_rows, _target_text, _time_text, changes_shown, percent)

# ---------------------------------------------------------------- HTML deck

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #e8ebee; color: #1d2327;
  font: 18px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
section { max-width: 1000px; min-height: 560px; margin: 28px auto; padding: 40px 56px;
  background: #fff; border-top: 14px solid #54646f; border-radius: 6px;
  box-shadow: 0 1px 4px rgba(0, 0, 0, .18); }
section.title { border-top-color: #1d2327; display: flex; flex-direction: column; justify-content: center; }
h1 { font-size: 44px; margin: 0 0 8px; }
h2 { font-size: 32px; margin: 0 0 16px; overflow-wrap: anywhere; }
h3 { font-size: 20px; margin: 24px 0 8px; }
.kicker { color: #54646f; text-transform: uppercase; letter-spacing: .06em; font-size: 14px; margin: 0 0 8px; }
.sub { color: #3c474f; font-size: 20px; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; margin: 12px 0; font-size: 16px; }
th, td { border: 1px solid #c3cad0; padding: 6px 10px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f0f2f4; }
td.n { text-align: right; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 20px; margin: 16px 0; }
dt { font-weight: 600; color: #54646f; }
dd { margin: 0; overflow-wrap: anywhere; }
ul { margin: 8px 0; padding-left: 24px; }
li { margin: 4px 0; overflow-wrap: anywhere; }
.by { color: #54646f; font-size: 15px; }
.status { display: inline-block; padding: 2px 10px; border: 2px solid #54646f; border-radius: 4px;
  font-weight: 700; background: #fff; color: #1d2327; white-space: nowrap; }
.status.green { background: #c8e6c9; border-color: #2e7d32; color: #1b5e20; }
.status.yellow { background: #fff3b0; border-color: #b58900; color: #5c4500; }
.status.red { background: #ffcdd2; border-color: #c62828; color: #8e0000; }
.status.grey { background: #e0e0e0; border-color: #757575; color: #333; }
.status.open { border-style: dashed; }
section.goal.green { border-top-color: #2e7d32; }
section.goal.yellow { border-top-color: #d4a800; }
section.goal.red { border-top-color: #c62828; }
section.goal.grey { border-top-color: #9e9e9e; }
section.goal .status { font-size: 26px; padding: 4px 16px; }
.bar { display: flex; height: 28px; border: 1px solid #c3cad0; border-radius: 4px; overflow: hidden; margin: 8px 0; }
.bar span { display: block; height: 100%; }
.bar .strategic { background: #5b7ea4; }
.bar .core { background: #b9c6d2; }
.trend.better { color: #1b5e20; font-weight: 700; }
.trend.worse { color: #8e0000; font-weight: 700; }
.empty { color: #54646f; font-style: italic; }
@media print {
  body { background: #fff; font-size: 14pt; }
  section { margin: 0; max-width: none; min-height: 0; box-shadow: none; border-radius: 0;
    page-break-after: always; break-after: page; page-break-inside: avoid; break-inside: avoid; }
  section:last-of-type { page-break-after: auto; break-after: auto; }
  .status, .bar span, section { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".strip()

_SYMBOL = {"hit": "✔", "partial": "◐", "miss": "✘", "dropped": "–"}


def _h(s) -> str:
    return html.escape(str(s if s is not None else ""), quote=True)


def _html_status(g: ReviewGoal) -> str:
    if g.final:
        return (f'<span class="status {g.colour}">{_SYMBOL.get(g.status, "")} {_h(g.status)}</span> '
                f'<span class="colour">({g.colour})</span>')
    return f'<span class="status open">{_h(g.status_label)}</span>'


def _html_rate(review: Review, part: int) -> str:
    return _h(_rate_text(review, part))


def _html_team(review: Review) -> list[str]:
    t = _h(review.team)
    kicker = f'<p class="kicker">{t} · {_h(review.quarter)}</p>'
    out = ['<section class="team">', kicker, f"<h2>{_h(review.display)}: the quarter at a glance</h2>",
           f'<p class="sub">{review.start.isoformat()} to {review.end.isoformat()}, '
           f"{_h(_as_of_text(review))}</p>"]
    if review.review_date:
        out.append(f"<p>Review date: <strong>{_h(review.review_date)}</strong></p>")
    if not review.goals:
        out.append(f'<p class="empty">No goals were recorded for {t} in {_h(review.quarter)}.</p>')
    else:
        c = review.counts
        out += ["<table><tr><th>hit</th><th>partial</th><th>miss</th><th>dropped</th>"
                "<th>no final status</th><th>hit rate</th><th>hit or partial</th></tr>",
                f'<tr><td class="n">{c["hit"]}</td><td class="n">{c["partial"]}</td>'
                f'<td class="n">{c["miss"]}</td><td class="n">{c["dropped"]}</td>'
                f'<td class="n">{c["open"]}</td><td>{_html_rate(review, c["hit"])}</td>'
                f'<td>{_html_rate(review, c["hit"] + c["partial"])}</td></tr></table>',
                f'<p class="by">{_h(RATE_NOTE)}</p>',
                f"<h3>Goals by kind: {_h(_split_text(review))}</h3>",
                f"<p>Time declared: {_h(_time_text(review))}</p>",
                f'<div class="bar" role="img" aria-label="{_h(_split_text(review))}">'
                f'<span class="strategic" style="width:{review.split_percent.get("strategic", 0)}%"></span>'
                f'<span class="core" style="width:{review.split_percent.get("core", 0)}%"></span></div>',
                "<table><tr><th>#</th><th>goal</th><th>status</th><th>owner</th></tr>"]
        for g in review.goals:
            out.append(f'<tr><td class="n">#{g.id}</td><td>{_h(g.title)}</td>'
                       f"<td>{_html_status(g)}</td><td>{_h(g.owner or 'no owner')}</td></tr>")
        out.append("</table>")
    out.append("</section>")
    for g in review.goals:
        out += [f'<section class="goal {g.colour if g.final else "open"}">',
                f'<p class="kicker">{t} · {_h(review.quarter)} · goal #{g.id} · {g.kind}</p>',
                f"<h2>{_h(g.title)}</h2>", f"<p>{_html_status(g)}</p>",
                f"<dl><dt>Owner</dt><dd>{_h(g.owner or 'no owner')}</dd>"
                f"<dt>Due</dt><dd>{_h(g.due or 'no due date')}</dd>"
                f"<dt>Note</dt><dd>{_h(g.note or '-')}</dd></dl>"]
        if g.learnings:
            out += ["<h3>Learnings</h3>", "<ul>",
                    *[f'<li>{_h(x.text)} <span class="by">({_h(x.by)})</span></li>' for x in g.learnings],
                    "</ul>"]
        out.append("</section>")
    out += ['<section class="kpis">', kicker, "<h2>KPIs</h2>"]
    if review.kpis:
        out.append("<table><tr><th>KPI</th><th>baseline</th><th>latest</th><th>change</th>"
                   "<th>trend</th><th>target</th></tr>")
        for k in review.kpis:
            verdict = k.trend or ("first value" if k.count == 1 else "no value")
            out.append(f"<tr><td>{_h(k.name)}</td><td class=\"n\">{_h(with_unit(k.baseline, k.unit)) or '-'}</td>"
                       f"<td class=\"n\">{_h(with_unit(k.latest, k.unit)) or '-'}</td>"
                       f"<td class=\"n\">{_h(_change_text(k)) or '-'}</td>"
                       f'<td><span class="trend {k.trend or "none"}">{verdict}</span> ({_better_text(k)})</td>'
                       f"<td>{_h(_target_text(k))}</td></tr>")
        out += ["</table>", "<ul>", *[f"<li>{_h(k.line())}</li>" for k in review.kpis], "</ul>"]
    else:
        out.append('<p class="empty">No KPIs recorded.</p>')
    out += ["</section>", '<section class="learnings">', kicker, "<h2>Team learnings</h2>"]
    if review.learnings:
        out += ["<ul>", *[f'<li>{_h(x.text)} <span class="by">({_h(x.by)})</span></li>'
                          for x in review.learnings], "</ul>"]
    else:
        out.append('<p class="empty">No team learnings recorded.</p>')
    out.append("</section>")
    if review.changed_after:
        out += ['<section class="after">', kicker, "<h2>Changed after the review</h2>",
                '<p class="by">Recorded after the quarter closed; not counted in this review.</p>', "<ul>",
                *[f"<li>{_h(_change_line(c))}</li>" for c in changes_shown(review)[0]],
                *[f"<li>{_h(m)}</li>" for m in changes_shown(review)[1:] if m], "</ul>", "</section>"]
    return out


def render_html(reviews: list[Review] | Review, title: str | None = None) -> str:
    """One self-contained HTML deck: inline styles, no script, nothing loaded from anywhere."""
    if isinstance(reviews, Review):
        reviews = [reviews]
    quarter = reviews[0].quarter if reviews else ""
    if title is None:
        title = (f"{reviews[0].team}: quarterly review {quarter}" if len(reviews) == 1
                 else f"Quarterly reviews {quarter}")
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_h(title)}</title>", f"<style>\n{_CSS}\n</style>", "</head>", "<body>",
           '<section class="title">', f"<h1>{_h(title)}</h1>"]
    if reviews:
        r0 = reviews[0]
        out.append(f'<p class="sub">{_h(quarter)}: {r0.start.isoformat()} to {r0.end.isoformat()}</p>')
        out.append("<table><tr><th>team</th><th>goals</th><th>hit</th><th>partial</th><th>miss</th>"
                   "<th>dropped</th><th>no final status</th><th>hit rate</th><th>hit or partial</th></tr>")
        for r, c, nums in _summary_rows(reviews):
            cells = "".join(f'<td class="n">{n}</td>' for n in nums)
            out.append(f"<tr><td>{_h(r.display)}</td>{cells}<td class=\"n\">{percent(r.hit_rate)}</td>"
                       f'<td class="n">{percent(r.hit_or_partial_rate)}</td></tr>')
        out.append("</table>")
    else:
        out.append('<p class="empty">No teams recorded.</p>')
    out.append("</section>")
    for r in reviews:
        out += _html_team(r)
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


