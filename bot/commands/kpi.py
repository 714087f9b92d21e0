"""kpi add <name> ... | kpi <name> <value> | kpi list"""
from __future__ import annotations

from ..limits import check_name, check_value
from ..format import fmt_value, kpi_change
from ..grammar import UsageError, first_word, no_words, parse_number, split_options
from ..model import Reply
from ..ports import StoreConflict
from ..quarters import quarter_of
from ..times import iso, zone
from .registry import command

ADD = "kpi add <name> [unit:<u>] [target:<n>] [better:up|down] [team:<t>]"
RECORD = "kpi <name> <value>   (a number, optionally with its unit: 6, 6 min, 99.979%)"
LIST = "kpi list [team:<t>]"
MAX_UNIT = 16

GROUPS = {"kpi": "kpi add <name> ... | kpi <name> <value> | kpi list"}


@command("kpi add", ADD, "define a KPI the team measures", keys=("unit", "target", "better", "team"))
def kpi_add(ctx, rest: str) -> Reply:
    name, opts = split_options(rest, ("unit", "target", "better", "team"))
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


@command("kpi list", LIST, "each KPI with its first and latest value this quarter", keys=("team",))
def kpi_list(ctx, rest: str) -> Reply:
    extra, opts = split_options(rest, ("team",))
    no_words(extra, "kpi list takes only team:", LIST)
    team = ctx.team(opts, LIST)
    tz = ctx.team_tz(team)
    q = quarter_of(ctx.today(tz), ctx.config.fiscal_start)
    kpis = ctx.store.kpis(team)
    if not kpis:
        return Reply(ctx.r.text(f"{team} has no KPIs yet ({ADD})"))
    since, until = (iso(t) for t in q.bounds(zone(tz)))
    lines = [f"{ctx.r.bold(team)} KPIs · {q.label}"]
    for k in kpis:
        first, last, _ = ctx.store.kpi_span(k["id"], since, until)
        lines.append(kpi_change(ctx.r, k, first, last))
    return Reply("\n".join(lines))


@command("kpi", RECORD, "record a KPI's value now", keys=("team",))
def kpi_record(ctx, rest: str) -> Reply:
    name, value_text = first_word(rest)
    value_text, opts = split_options(value_text, ("team",))
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
