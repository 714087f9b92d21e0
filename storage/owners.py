"""A goal's several owners read the same way by both stores (goals.owner is the first; goal_owners holds
every owner of a goal that has more than one)."""
from __future__ import annotations

import json


def each_owner(rows: list[dict], several: dict[int, list[str]]) -> list[tuple[str, dict]]:
    """(owner, goal) once per owner of each goal row (its `owner` column popped), by owner then goal id."""
    pairs = []
    for r in rows:
        first = r.pop("owner")
        for who in several.get(r["id"]) or [first]:
            pairs.append((who, r))
    return sorted(pairs, key=lambda p: (p[0], p[1]["id"]))


def owners_in_changes(changes: str | None) -> set[str]:
    """The owners an event's recorded change names, before and after (`owner` and `owners`)."""
    try:
        diff = json.loads(changes or "{}")
    except ValueError:
        return set()
    found: set[str] = set()
    for key in ("owner", "owners"):
        for side in (diff.get(key) or [])[:2] if isinstance(diff, dict) else []:
            for who in side if isinstance(side, list) else [side]:
                if isinstance(who, str):
                    found.add(who)
    return found


def owners_touched(rows: list[dict], several: dict[int, list[str]]) -> set[str]:
    """Everyone who owned or owns a goal of these events (rows of id, goal_id, changes, owner)."""
    owners: set[str] = set()
    for r in rows:
        if r["owner"]:
            owners.add(r["owner"])
        owners |= owners_in_changes(r["changes"])
    for each in several.values():
        owners.update(each)
    return owners
