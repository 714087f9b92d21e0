"""Who is who: how an identity is shown, how `owner:<who>` names one, and who may do what."""
from __future__ import annotations

from .grammar import UsageError


def display_name(identity: str | None, names: dict | None = None) -> str:
    """How to show an identity: the name people know, else what the identity itself says."""
    if not identity:
        return "nobody"
    if names and identity in names:
        return names[identity]
    tail = identity.split(":", 2)[-1] if identity.count(":") >= 2 else identity.split(":", 1)[-1]
    return tail.split("!", 1)[0]


def namespace(identity: str) -> str:
    """`slack:T1:U2` -> `slack:T1:`, `irc:net:greg!u@h` -> `irc:net:`, `console:greg` -> `console:`."""
    parts = identity.split(":", 2)
    return ":".join(parts[:2]) + ":" if len(parts) == 3 else parts[0] + ":"


def resolve_person(store, renderer, actor, text: str, usage: str) -> str:
    """owner:<who> -> an identity on the speaker's platform.

    A mention the platform can read names that user. Where names are identities of their own
    (console users, IRC services accounts) a name is that identity: a nick is never taken for
    whoever holds it now. Where they are not (Slack), only a person the bot has seen counts."""
    t = text.strip()
    if t.lower() in ("me", "myself"):
        return actor.id
    prefix = namespace(actor.id)
    mentioned = renderer.read_mention(t)
    if mentioned:
        return prefix + mentioned
    name = t.lstrip("@")
    if not name or len(name) > 64 or any(c.isspace() for c in name) or ":" in name:
        raise UsageError(f"{text!r} is not someone I can name as owner (a nick, @name or me)", usage)
    if renderer.names_are_accounts:
        return prefix + name
    if name.lower() == actor.name.lower():
        return actor.id
    known = store.people_named(name, prefix)
    if known:
        return known[0]
    raise UsageError(f"I don't know {name!r} here yet: mention them (@{name})", usage)


def who_may_change(goal: dict, names: dict) -> str:
    who = []
    owners = goal.get("owners") or ([goal["owner"]] if goal["owner"] else [])
    for o in owners:
        who.append(f"{display_name(o, names)} (owner)")
    if goal["creator"] not in owners:
        who.append(f"{display_name(goal['creator'], names)} (creator)")
    return ", ".join(who)
