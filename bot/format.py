"""Small pieces of reply text shared by handlers, the digest and reminders."""
from __future__ import annotations

from datetime import date



def fmt_number(v) -> str:
    """11.0 -> '11'; 99.979 -> '99.979': the decimals as given, never padded."""
    if v is None:
        return ""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def fmt_value(v, unit: str | None) -> str:
    n = fmt_number(v)
    if not unit:
        return n
    return f"{n}{unit}" if unit == "%" else f"{n} {unit}"


def fmt_date(d: str | date, today: date | None = None) -> str:
    if isinstance(d, str):
        d = date.fromisoformat(d)
    s = d.strftime("%a %d %b").replace(" 0", " ")
    if today is None or d.year != today.year:
        s += f" {d.year}"
    return s


def possessive(name: str) -> str:
    """`releng's`, `operations'`."""
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"


def judge(first: float, last: float, better: str) -> str:
    """The one verdict on a KPI's move, used by every reply, digest and review. It is about the
    direction only: with better:down a smaller number is better, negative ones included (-3 after -1
    is better), and the sign of a value or of the change is never read as good or bad by itself."""
    if last == first:
        return "no change"
    up = last > first
    return "better" if up == (better == "up") else "worse"


def kpi_change(r, kpi: dict, first: dict | None, last: dict | None, baseline: dict | None = None) -> str:
    """`time-to-merge: 11 min -> 6 min (better)` from the baseline (the last value before the quarter,
    else the first in it); names and units are validated, values are numbers."""
    name = r.text(kpi["name"])
    unit = r.text(kpi["unit"]) if kpi["unit"] else None
    if first is None:
        if baseline is not None:
            return f"{name}: {fmt_value(baseline['value'], unit)} before the quarter, no value in it"
        return f"{name}: no value this quarter"
    if baseline is None and (last is None or last["id"] == first["id"]):
        return f"{name}: {fmt_value(first['value'], unit)} (first value this quarter)"
    start = baseline or first
    verdict = judge(start["value"], last["value"], kpi["better"])
    s = f"{name}: {fmt_value(start['value'], unit)} -> {fmt_value(last['value'], unit)} ({verdict})"
    if kpi["target"] is not None:
        hit = last["value"] <= kpi["target"] if kpi["better"] == "down" else last["value"] >= kpi["target"]
        s += f", target {fmt_value(kpi['target'], unit)} {'met' if hit else 'not met'}"
    return s


def goal_line(ctx, g: dict, names: dict, today: date | None = None) -> str:
    """#1 Migrate Gerrit to Differential · releng · FY2016Q3 · due Thu 31 Mar · owner greg · no status yet"""
    r = ctx.r
    parts = [f"#{g['id']} {r.text(g['title'])}", r.text(g["team"]), g["quarter"]]
    if g["due"]:
        parts.append("due " + fmt_date(g["due"], today))
    owners = g.get("owners") or ([g["owner"]] if g["owner"] else [])
    if len(owners) > 1:
        parts.append("owners " + ", ".join(ctx.show(o, names) for o in owners))
    else:
        parts.append("owner " + (ctx.show(g["owner"], names) if g["owner"] else "nobody"))
    if g["kind"] != ctx.config.kinds[0]:  # the default kind goes unsaid
        parts.append(g["kind"])
    if g.get("shared"):
        parts.append("shared with " + ", ".join(r.text(t) for t in g["shared"]))
    if g.get("continues"):
        parts.append(f"continues #{g['continues']}")
    if g.get("continued_as"):
        parts.append(f"continued as #{g['continued_as']}")
    if g.get("deleted"):
        parts.append("deleted")
    status = r.status(g["status"])
    if g["note"]:
        status += f', "{r.text(g["note"])}"'
    parts.append(status)
    return " · ".join(parts)

