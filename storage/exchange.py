"""The whole store as one JSON document, and back. Import into an empty store gives the same export."""
from __future__ import annotations

import json

from bot.when import WEEKDAYS

from .document import check_or_raise
from .meeting_exchange import export_meetings, import_meetings

VERSION = 1


class ImportError_(ValueError):
    """The document cannot be imported; str() says why."""


def export(store, team: str | None = None) -> dict:
    # the store reads the rows (its own SQL); the document is shaped here, once for every store
    rows = store.exchange_rows(team)
    teams, channels, goals, kpis = rows["teams"], rows["channels"], rows["goals"], rows["kpis"]
    by_team: dict[str, list] = {}
    for c in channels:
        by_team.setdefault(c["team"], []).append(
            {"key": c["key"], "name": c["name"], "platform": c["platform"], "private": bool(c["private"]),
             "created_at": c["created_at"]})
    events: dict[int, list] = {}
    for e in rows["goal_events"]:
        entry = {"at": e["at"], "by": e["by"], "action": e["action"], "changes": json.loads(e["changes"]),
                 "note": e["note"]}
        if e.get("meeting"):  # set in a review meeting: the entry names it
            entry["meeting"] = e["meeting"]
        events.setdefault(e["goal_id"], []).append(entry)
    values: dict[int, list] = {}
    for v in rows["kpi_values"]:  # a value taken back (kpi undo) stays, marked deleted
        values.setdefault(v["kpi_id"], []).append({"at": v["at"], "value": v["value"], "by": v["by"],
                                                   "deleted": v["deleted_at"] is not None,
                                                   "deleted_at": v["deleted_at"], "deleted_by": v["deleted_by"]})
    owners: dict[int, list] = {}
    for r in rows["goal_owners"]:
        owners.setdefault(r["goal_id"], []).append(r["who"])
    shares: dict[int, list] = {}
    for r in rows["goal_shares"]:
        shares.setdefault(r["goal_id"], []).append(r["team"])
    continued_as: dict[int, int] = {}
    for g in goals:  # the latest goal that continues each one (goal carry)
        if g["continues"] is not None and not g["deleted"]:
            continued_as[g["continues"]] = max(g["id"], continued_as.get(g["continues"], 0))
    learning_history: dict[int, list] = {}
    for e in rows["learning_events"]:
        learning_history.setdefault(e["learning_id"], []).append(
            {"at": e["at"], "by": e["by"], "action": e["action"], "changes": json.loads(e["changes"])})
    closes: dict[str, dict] = {}
    for c in rows["quarter_closes"]:
        closes.setdefault(c["team"], {})[c["quarter"]] = c["at"]
    doc = {
        "version": VERSION,
        "teams": [
            {
                "name": t["name"],
                "tz": t["tz"],
                "channels": by_team.get(t["name"], []),
                "review_date": t["review_date"],
                "digest": {
                    "weekday": WEEKDAYS[t["digest_weekday"]],
                    "time": t["digest_time"],
                    "tz": t["digest_tz"],
                    "enabled": bool(t["digest_enabled"]),
                    "since": t["digest_since"],
                },
                "checkin": {
                    "weekday": WEEKDAYS[t["checkin_weekday"]],
                    "time": t["checkin_time"],
                    "enabled": bool(t["checkin_enabled"]),
                    "since": t["checkin_since"],
                },
                "created_at": t["created_at"],
                "title": t["title"],
                "size": t["size"],
                "time": json.loads(t["time"]) if t["time"] else {},
                "closed": closes.get(t["name"], {}),
            }
            for t in teams
        ],
        "channels": [
            {"key": c["key"], "name": c["name"], "platform": c["platform"], "team": c["team"],
             "private": bool(c["private"]), "created_at": c["created_at"]}
            for c in channels
        ],
        "people": [{"id": p["id"], "name": p["name"], "seen_at": p["seen_at"]}
                   for p in rows["people"]],
        "goals": [
            {
                "id": g["id"], "title": g["title"], "team": g["team"], "quarter": g["quarter"],
                "owner": g["owner"], "creator": g["creator"], "kind": g["kind"], "due": g["due"],
                "status": g["status"], "note": g["note"], "deleted": bool(g["deleted"]),
                "created_at": g["created_at"], "updated_at": g["updated_at"],
                "owners": owners.get(g["id"]) or ([g["owner"]] if g["owner"] else []),
                "shared": shares.get(g["id"], []), "continues": g["continues"],
                "continued_as": continued_as.get(g["id"]),
                "history": events.get(g["id"], []),
            }
            for g in goals
        ],
        "learnings": [
            {"id": l["id"], "goal": l["goal_id"], "team": l["team"], "quarter": l["quarter"], "text": l["text"],
             "by": l["by"], "at": l["at"], "deleted": l["deleted_at"] is not None, "deleted_at": l["deleted_at"],
             "deleted_by": l["deleted_by"], "history": learning_history.get(l["id"], [])}
            for l in rows["learnings"]
        ],
        "kpis": [
            {"name": k["name"], "team": k["team"], "unit": k["unit"], "target": k["target"], "better": k["better"],
             "created_at": k["created_at"], "created_by": k["created_by"], "values": values.get(k["id"], [])}
            for k in kpis
        ],
    }
    doc["meetings"], doc["actions"] = export_meetings(store, team)
    if not team:
        doc["deliveries"] = [
            {"key": o["key"], "channel": o["channel_key"], "platform": o["platform"], "kind": o["kind"],
             "slot": o["slot"], "text": o["text"], "created_at": o["created_at"], "delivered_at": o["delivered_at"],
             "data": json.loads(o["data"]) if o.get("data") else None}
            for o in rows["outbox"]
        ]
    return doc


def _need(obj: dict, key: str, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise ImportError_(f"{where} has no {key!r}")
    return obj[key]


def import_(store, doc: dict) -> dict:
    """Load a document into an empty store, in one transaction; returns counts."""
    check_or_raise(doc, ImportError_)
    if store.holds_data():
        raise ImportError_(f"the store is not empty: import goes into an empty store ({store.new_store_hint})")
    counts = {"teams": 0, "goals": 0, "learnings": 0, "kpis": 0}
    put = store.insert_row
    with store.write() as conn:
        for t in doc.get("teams", []):
            d = t.get("digest") or {}
            put(conn, "teams", {
                "name": _need(t, "name", "a team"), "tz": t.get("tz") or "UTC", "review_date": t.get("review_date"),
                "digest_weekday": WEEKDAYS.index(d.get("weekday", "monday")), "digest_time": d.get("time", "09:00"),
                "digest_tz": d.get("tz"), "digest_enabled": int(d.get("enabled", True)),
                "digest_since": d.get("since") or t.get("created_at"),
                "created_at": t.get("created_at") or d.get("since")})
            counts["teams"] += 1
            time = t.get("time") or None
            c = t.get("checkin") or {}
            store.update_team(conn, t["name"], title=t.get("title"), size=t.get("size"),
                              time=json.dumps(time, sort_keys=True) if time else None,
                              checkin_weekday=WEEKDAYS.index(c.get("weekday", "thursday")),
                              checkin_time=c.get("time", "10:00"), checkin_enabled=int(c.get("enabled", True)),
                              checkin_since=c.get("since"))
            for label, at in (t.get("closed") or {}).items():
                put(conn, "quarter_closes", {"team": t["name"], "quarter": label, "at": at, "by": "import",
                                             "how": "import"})
        chans = doc.get("channels")
        if chans is None:  # an older document: channels only inside teams
            chans = [dict(c, team=t["name"]) for t in doc.get("teams", []) for c in t.get("channels", [])]
        for c in chans:
            put(conn, "channels", {"key": c["key"], "name": c["name"], "platform": c["platform"], "team": c["team"],
                                   "private": int(c.get("private", False)), "created_at": c.get("created_at", "")},
                ignore_conflict=True)
        for p in doc.get("people", []):
            put(conn, "people", {"id": p["id"], "name": p["name"], "seen_at": p["seen_at"]})
        for g in doc.get("goals", []):
            put(conn, "goals", {
                "id": _need(g, "id", "a goal"), "title": _need(g, "title", "a goal"), "team": g["team"],
                "quarter": g["quarter"], "owner": g.get("owner"), "creator": g["creator"],
                "kind": g.get("kind", "strategic"), "due": g.get("due"), "status": g.get("status"),
                "note": g.get("note"), "deleted": int(g.get("deleted", False)), "created_at": g.get("created_at", ""),
                "updated_at": g.get("updated_at") or g.get("created_at", ""), "continues": g.get("continues")})
            store.forget_history(conn, g["id"])  # the history is the document's (a trigger may have begun one)
            several = g.get("owners") or []
            for pos, who in enumerate(several if len(several) > 1 else []):  # one owner: goals.owner alone
                put(conn, "goal_owners", {"goal_id": g["id"], "pos": pos, "who": who})
            for t in g.get("shared") or []:
                put(conn, "goal_shares", {"goal_id": g["id"], "team": t}, ignore_conflict=True)
            for e in g.get("history", []):
                put(conn, "goal_events", {"goal_id": g["id"], "at": e["at"], "by": e["by"], "action": e["action"],
                                          "changes": json.dumps(e.get("changes", {})), "note": e.get("note"),
                                          "meeting": e.get("meeting")})
            counts["goals"] += 1
        for l in doc.get("learnings", []):
            put(conn, "learnings", {"id": l["id"], "goal_id": l.get("goal"), "team": l["team"],
                                    "quarter": l["quarter"], "text": l["text"], "by": l["by"], "at": l["at"],
                                    "deleted_at": l.get("deleted_at") or (l["at"] if l.get("deleted") else None),
                                    "deleted_by": l.get("deleted_by")})
            for e in l.get("history") or []:
                put(conn, "learning_events", {"learning_id": l["id"], "at": e["at"], "by": e["by"],
                                              "action": e["action"], "changes": json.dumps(e.get("changes", {}))})
            counts["learnings"] += 1
        for k in doc.get("kpis", []):
            kid = put(conn, "kpis", {"team": k["team"], "name": k["name"], "unit": k.get("unit"),
                                     "target": k.get("target"), "better": k.get("better", "up"),
                                     "created_at": k.get("created_at", ""), "created_by": k.get("created_by", "")})
            for v in k.get("values", []):
                put(conn, "kpi_values", {"kpi_id": kid, "at": v["at"], "value": float(v["value"]), "by": v["by"],
                                         "deleted_at": v.get("deleted_at") or (v["at"] if v.get("deleted") else None),
                                         "deleted_by": v.get("deleted_by")})
            counts["kpis"] += 1
        counts["meetings"] = import_meetings(store, conn, doc)
        for o in doc.get("deliveries", []):
            put(conn, "outbox", {"key": o.get("key"), "channel_key": o["channel"], "platform": o["platform"],
                                 "kind": o["kind"], "slot": o["slot"], "text": o["text"],
                                 "created_at": o["created_at"], "delivered_at": o.get("delivered_at"),
                                 "data": json.dumps(o["data"], sort_keys=True) if o.get("data") is not None else None},
                ignore_conflict=True)
    return counts
