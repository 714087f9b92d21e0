"""kpi add <name> ... | kpi <name> <value> | kpi list"""
from __future__ import annotations

from datetime import timedelta

from ..limits import check_name, check_value
from ..format import fmt_value, kpi_change
from ..grammar import UsageError, first_word, no_words, parse_number
from ..model import Reply
from ..ports import StoreConflict
from ..quarters import quarter_of
from ..life import close_instant
from ..times import iso, zone
from .registry import command

ADD = "kpi add <name> [unit:<u>] [target:<n>] [better:up|down] [team:<t>]"
RECORD = "kpi <name> <value>   (a number, optionally with its unit: 6, 6 min, 99.979%)"
LIST = "kpi list [team:<t>] [quarter:<q>]"
UNDO = "kpi undo <name> [team:<t>]   (takes back the KPI's latest value: who recorded it, or an admin)"
MAX_UNIT = 16

GROUPS = {"kpi": "kpi add <name> ... | kpi <name> <value> | kpi undo <name> | kpi list"}


@command("kpi add", ADD, "define a KPI the team measures", keys=("unit", "target", "better", "team"))
def kpi_add(ctx, rest: str) -> Reply:
    name, opts = ctx.options(rest, ("unit", "target", "better", "team"))
    check_name(name, "KPI", ADD)
    team = ctx.team(opts, ADD)
    unit = opts.get("unit", "").strip() or None
    if unit and (len(unit) > MAX_UNIT or any(c in unit for c in "<>&*_`~|")):
        raise UsageError(f"a unit is at most {MAX_UNIT} characters, without markup: {unit[:40]!r}", ADD)
    target = None
    if "target" in opts:
        try:
            target, tunit = parse_number(opts["target"])
        except ValueError:
            raise UsageError(f"target:{opts['target'][:40]} is not a number", ADD) from None
        check_value(target, "target", ADD)
        if tunit and unit and tunit.lower() != unit.lower():
            raise UsageError(f"target:{opts['target'][:40]} is not in {unit}", ADD)
    better = opts.get("better", "up").strip().lower()
    better = {"higher": "up", "lower": "down"}.get(better, better)
    if better not in ("up", "down"):
        raise UsageError(f"better is up or down, not {opts['better'][:40]!r}", ADD)
    if ctx.store.kpi(team, name):
        raise UsageError(f"team {team} already has a KPI {name}", ADD)
    try:
        with ctx.write(team) as conn:
            ctx.store.add_kpi(conn, team, name, unit, target, better, ctx.actor.id, ctx.now)
    except StoreConflict:
        raise UsageError(f"team {team} already has a KPI {name}", ADD) from None
    desc = ", ".join(filter(None, [unit, "higher is better" if better == "up" else "lower is better",
                                   f"target {fmt_value(target, unit)}" if target is not None else None]))
    return Reply(f"KPI {name} ({ctx.r.text(desc)}) for {team}", public=True)


@command("kpi list", LIST, "each KPI with its baseline, first and latest value in the quarter",
         keys=("team", "quarter"))
def kpi_list(ctx, rest: str) -> Reply:
    extra, opts = ctx.options(rest, ("team", "quarter"))
    no_words(extra, "kpi list takes only team: and quarter:", LIST)
    team = ctx.team(opts, LIST)
    tz = ctx.team_tz(team)
    q = ctx.review_quarter(opts, team, tz, LIST)
    kpis = ctx.store.kpis(team)
    if not kpis:
        return Reply(ctx.r.text(f"{team} has no KPIs yet ({ADD})"))
    row = ctx.store.team(team) or {}
    # values count up to the quarter's close (so a closed quarter shows its review's figures), else up to now
    cutoff = min(ctx.now, close_instant(q, tz, row.get("review_date"), ctx.store.closes(team)))
    since = iso(q.bounds(zone(tz))[0])
    until = iso(cutoff + timedelta(seconds=1))
    lines = [f"{ctx.r.bold(team)} KPIs · {q.label}"]
    for k in kpis:
        first, last, _ = ctx.store.kpi_span(k["id"], since, until)
        baseline = ctx.store.kpi_before(k["id"], since)
        line = kpi_change(ctx.r, k, first, last, baseline)
        if baseline is not None and first is not None:
            line += f" · first in {q.label} {fmt_value(first['value'], ctx.r.text(k['unit']) if k['unit'] else None)}"
        lines.append(line)
    return Reply("\n".join(lines))


@command("kpi", RECORD, "record a KPI's value now", keys=("team",))
def kpi_record(ctx, rest: str) -> Reply:
    name, value_text = first_word(rest)
    value_text, opts = ctx.options(value_text, ("team",))
    if not name:
        raise UsageError("which KPI?", RECORD)
    team = ctx.team(opts, RECORD)
    kpi = ctx.store.kpi(team, name)
    if kpi is None:
        raise UsageError(f"{team} has no KPI {name[:64]!r}: create it first with kpi add {name[:64]}", RECORD)
    if not value_text:
        raise UsageError(f"a value for {kpi['name']} is needed", RECORD)
    try:
        value, unit = parse_number(value_text)
    except ValueError:
        raise UsageError(f"{value_text[:40]!r} is not a number", RECORD) from None
    check_value(value, "KPI value", RECORD)
    if unit and (not kpi["unit"] or unit.lower() != kpi["unit"].lower()):
        raise UsageError(f"{kpi['name']} is measured in {kpi['unit'] or 'plain numbers'}, not {unit[:20]!r}", RECORD)
    tz = ctx.team_tz(team)
    q = quarter_of(ctx.today(tz), ctx.config.fiscal_start)
    since, until = (iso(t) for t in q.bounds(zone(tz)))
    with ctx.write() as conn:
        ctx.store.add_kpi_value(conn, kpi["id"], value, ctx.actor.id, ctx.now)
    first, last, _ = ctx.store.kpi_span(kpi["id"], since, until)
    return Reply(kpi_change(ctx.r, kpi, first, last), public=True)


@command("kpi undo", UNDO, "take back a KPI's latest value (it stays in the history, marked deleted)", keys=("team",))
def kpi_undo(ctx, rest: str) -> Reply:
    name, opts = ctx.options(rest, ("team",))
    if not name:
        raise UsageError("which KPI?", UNDO)
    team = ctx.team(opts, UNDO)
    kpi = ctx.store.kpi(team, name)
    if kpi is None:
        raise UsageError(f"{team} has no KPI {name[:64]!r}", UNDO)
    latest = ctx.store.kpi_latest(kpi["id"])
    if latest is None:
        raise UsageError(f"{kpi['name']} has no value left to take back", UNDO)
    if latest["by"] != ctx.actor.id and not ctx.is_admin():
        who = ctx.show(latest["by"], ctx.store.person_names([latest["by"]]))
        raise UsageError(f"only {who} (who recorded {fmt_value(latest['value'], None)}) or an admin may take it back",
                         UNDO)
    with ctx.write() as conn:
        ctx.store.undo_kpi_value(conn, latest["id"], ctx.actor.id, ctx.now)
    tz = ctx.team_tz(team)
    q = quarter_of(ctx.today(tz), ctx.config.fiscal_start)
    since, until = (iso(t) for t in q.bounds(zone(tz)))
    first, last, _ = ctx.store.kpi_span(kpi["id"], since, until)
    unit = ctx.r.text(kpi["unit"]) if kpi["unit"] else None
    return Reply(f"took back {ctx.r.text(kpi['name'])} {fmt_value(latest['value'], unit)}"
                 f" (it stays in the history); now {kpi_change(ctx.r, kpi, first, last)}", public=True)
