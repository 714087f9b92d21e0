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
    for v in rows["kpi_values"]:
        values.setdefault(v["kpi_id"], []).append({"at": v["at"], "value": v["value"], "by": v["by"]})
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
                "history": events.get(g["id"], []),
            }
            for g in goals
        ],
        "learnings": [
            {"id": l["id"], "goal": l["goal_id"], "team": l["team"], "quarter": l["quarter"], "text": l["text"],
             "by": l["by"], "at": l["at"]}
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
                "updated_at": g.get("updated_at") or g.get("created_at", "")})
            store.forget_history(conn, g["id"])  # the history is the document's (a trigger may have begun one)
            for e in g.get("history", []):
                put(conn, "goal_events", {"goal_id": g["id"], "at": e["at"], "by": e["by"], "action": e["action"],
                                          "changes": json.dumps(e.get("changes", {})), "note": e.get("note"),
                                          "meeting": e.get("meeting")})
            counts["goals"] += 1
        for l in doc.get("learnings", []):
            put(conn, "learnings", {"id": l["id"], "goal_id": l.get("goal"), "team": l["team"],
                                    "quarter": l["quarter"], "text": l["text"], "by": l["by"], "at": l["at"]})
            counts["learnings"] += 1
        for k in doc.get("kpis", []):
            kid = put(conn, "kpis", {"team": k["team"], "name": k["name"], "unit": k.get("unit"),
                                     "target": k.get("target"), "better": k.get("better", "up"),
                                     "created_at": k.get("created_at", ""), "created_by": k.get("created_by", "")})
            for v in k.get("values", []):
                put(conn, "kpi_values", {"kpi_id": kid, "at": v["at"], "value": float(v["value"]), "by": v["by"]})
            counts["kpis"] += 1
        counts["meetings"] = import_meetings(store, conn, doc)
        for o in doc.get("deliveries", []):
            put(conn, "outbox", {"key": o.get("key"), "channel_key": o["channel"], "platform": o["platform"],
                                 "kind": o["kind"], "slot": o["slot"], "text": o["text"],
                                 "created_at": o["created_at"], "delivered_at": o.get("delivered_at"),
                                 "data": json.dumps(o["data"], sort_keys=True) if o.get("data") is not None else None},
                ignore_conflict=True)
    return counts
