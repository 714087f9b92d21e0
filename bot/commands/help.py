"""help [<command>]"""
from __future__ import annotations

from ..grammar import UsageError
from ..model import Reply
from .registry import command

HELP = "help [<command>]"
ORDER = ("goal", "learning", "learnings", "kpi", "review", "digest", "checkin", "team", "help")


@command("help", HELP, "the commands, or one command's usage")
def help_(ctx, rest: str) -> Reply:
    topic = " ".join(rest.lower().lstrip("/!").split())
    if not topic:
        lines = ["Goalkeeper keeps the team's quarterly goals, learnings and KPIs. Commands:"]
        for top in ORDER:
            group = [c for n, c in ctx.core.commands.commands.items() if n.split()[0] == top]
            # the bare command first (`digest` before `digest schedule`), then its subcommands as registered
            lines += [f"  {c.usage}" for c in sorted(group, key=lambda c: c.name != top)]
        lines.append("help <command> tells more, e.g. help goal add")
        return Reply(ctx.r.text("\n".join(lines)))
    matches = [c for n, c in ctx.core.commands.commands.items() if n == topic or n.startswith(topic + " ")]
    if not matches:
        raise UsageError(f"no command {topic[:40]!r}", HELP + "  (commands: " + ", ".join(ORDER) + ")")
    return Reply(ctx.r.text("\n".join(f"{c.usage}\n    {c.summary}" for c in matches)))
