"""A person's own goals (as owner) in every team, grouped by quarter: what Slack's Home tab shows."""
from __future__ import annotations

from datetime import datetime

from .format import fmt_date
from .times import zone

HOME_LIMIT = 80  # a Home view holds 100 blocks: a heading per quarter and one per goal


def home_text(store, config, owner: str, now: datetime, r) -> str:
    goals = store.goals_owned(owner, HOME_LIMIT + 1)
    today = now.astimezone(zone(config.tz)).date()
    lines = [r.bold("Your goals") + " (as owner, in every team)"]
    if not goals:
        lines.append(r.text("None yet: /goal add <title> adds one, owned by you."))
        return "\n".join(lines)
    quarter = None
    for g in goals[:HOME_LIMIT]:
        if g["quarter"] != quarter:
            quarter = g["quarter"]
            lines += ["", r.bold(quarter)]
        parts = [f"#{g['id']} {r.text(g['title'])}", r.text(g["team"])]
        if g["due"]:
            parts.append("due " + fmt_date(g["due"], today))
        status = r.status(g["status"])
        if g["note"]:
            status += f', "{r.text(g["note"][:200])}"'
        lines.append(" · ".join(parts + [status]))
    if len(goals) > HOME_LIMIT:
        lines += ["", r.text(f"and more: goal list owner:me in a team channel shows them all")]
    return "\n".join(lines)
