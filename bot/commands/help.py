"""help [<command>]"""
from __future__ import annotations

from ..grammar import UsageError
from ..model import Reply
from .manual import manual
from .registry import command

HELP = "help [<command>]"
ORDER = ("goal", "learning", "learnings", "kpi", "review", "digest", "checkin", "team", "meetings", "minutes", "actions", "action",
         "help")
PAIRED = {"minutes": "meetings", "action": "actions"}  # shown on the line of the word before: help stays short


@command("help", HELP, "the commands, or one command's options, forms, defaults and an example")
def help_(ctx, rest: str) -> Reply:
    topic = " ".join(rest.lower().lstrip("/!").split())
    if not topic:
        lines = ["Goalkeeper keeps the team's quarterly goals, learnings and KPIs. Commands:"]
        for top in ORDER:
            group = [c for n, c in ctx.core.commands.commands.items() if n.split()[0] == top]
            # the bare command first (`digest` before `digest schedule`), then its subcommands as registered
            shown = [f"  {c.usage}" for c in sorted(group, key=lambda c: c.name != top)]
            if top in PAIRED and shown:
                lines[-1] += "  |" + shown.pop(0)
            lines += shown
        lines.append("help <command> tells more, e.g. help goal add; help meeting: the review meeting's # words")
        return Reply(ctx.r.text("\n".join(lines)))
    if topic in ("meeting", "#startmeeting", "startmeeting"):
        from ..meeting.hearing import START
        from ..meeting.words import WORDS

        return Reply(ctx.r.text("\n".join([START + "   starts it; the speaker chairs it"]
                                           + [w.usage + ("   (chairs)" if w.chairs_only else "") for w in WORDS.values()])))
    matches = [c for n, c in ctx.core.commands.commands.items() if n == topic or n.startswith(topic + " ")]
    if not matches:
        raise UsageError(f"no command {topic[:40]!r}", HELP + "  (commands: " + ", ".join(ORDER) + ")")
    if len(matches) > 1 and topic in ctx.core.commands.commands:
        matches = [ctx.core.commands.commands[topic]]  # `help kpi` is the kpi command; its group is listed after
        others = [n for n in ctx.core.commands.commands if n.startswith(topic + " ")]
    else:
        others = []
    lines = []
    for c in matches:
        lines += [c.usage, f"    {c.summary}"]
        if len(matches) == 1:
            lines += manual(c, ctx.config)
    if others:
        lines.append("more: " + ", ".join(f"help {n}" for n in others))
    return Reply(ctx.r.text("\n".join(lines)))
