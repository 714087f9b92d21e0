"""The whole store as one JSON document, and back. Import into an empty store gives the same export."""
from __future__ import annotations

import json

from bot.when import WEEKDAYS

from .document import check_or_raise

VERSION = 1


class ImportError_(ValueError):
    """The document cannot be imported; str() says why."""


def export(store, team: str | None = None) -> dict:
    where, params = ("WHERE team = ?", (team,)) if team else ("", ())
    teams = store.all(f"SELECT * FROM teams {'WHERE name = ?' if team else ''} ORDER BY name", params)
    channels = store.all(f"SELECT * FROM channels {where} ORDER BY key", params)
    by_team: dict[str, list] = {}
    for c in channels:
        by_team.setdefault(c["team"], []).append(
            {"key": c["key"], "name": c["name"], "platform": c["platform"], "private": bool(c["private"]),
             "created_at": c["created_at"]})
    # a team's document also holds the goals that were the team's once, so a past quarter can be rebuilt
    goal_where, goal_params = where, params
    if team:
        goal_where = ("WHERE team = ? OR id IN (SELECT goal_id FROM goal_events WHERE action = 'edit'"
                      " AND json_extract(changes, '$.team[0]') = ?)")
        goal_params = (team, team)
    goals = store.all(f"SELECT * FROM goals {goal_where} ORDER BY id", goal_params)
    events: dict[int, list] = {}
    ev_sql = "SELECT * FROM goal_events ORDER BY id" if not team else (
        f"SELECT * FROM goal_events WHERE goal_id IN (SELECT id FROM goals {goal_where}) ORDER BY id")
    for e in store.all(ev_sql, goal_params):
        events.setdefault(e["goal_id"], []).append(
            {"at": e["at"], "by": e["by"], "action": e["action"], "changes": json.loads(e["changes"]),
             "note": e["note"]})
    kpis = store.all(f"SELECT * FROM kpis {where} ORDER BY team, name", params)
    values: dict[int, list] = {}
    val_sql = "SELECT * FROM kpi_values ORDER BY kpi_id, at, id" if not team else (
        "SELECT v.* FROM kpi_values v JOIN kpis k ON k.id = v.kpi_id WHERE k.team = ? ORDER BY v.kpi_id, v.at, v.id")
    for v in store.all(val_sql, params):
        values.setdefault(v["kpi_id"], []).append({"at": v["at"], "value": v["value"], "by": v["by"]})
    closes: dict[str, dict] = {}
    for c in store.all(f"SELECT * FROM quarter_closes {where} ORDER BY team, quarter", params):
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
                   for p in store.all("SELECT * FROM people ORDER BY id")],
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
            for l in store.all(
                f"SELECT * FROM learnings {where} ORDER BY id" if not team else
                f"SELECT * FROM learnings WHERE team = ? OR goal_id IN (SELECT id FROM goals {goal_where}) ORDER BY id",
                params if not team else (team, *goal_params))
        ],
        "kpis": [
            {"name": k["name"], "team": k["team"], "unit": k["unit"], "target": k["target"], "better": k["better"],
             "created_at": k["created_at"], "created_by": k["created_by"], "values": values.get(k["id"], [])}
            for k in kpis
        ],
    }
    if not team:
        doc["deliveries"] = [
            {"key": o["key"], "channel": o["channel_key"], "platform": o["platform"], "kind": o["kind"],
             "slot": o["slot"], "text": o["text"], "created_at": o["created_at"], "delivered_at": o["delivered_at"],
             "data": json.loads(o["data"]) if o["data"] else None}
            for o in store.all("SELECT * FROM outbox ORDER BY id")
        ]
    return doc


def _need(obj: dict, key: str, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise ImportError_(f"{where} has no {key!r}")
    return obj[key]


def import_(store, doc: dict) -> dict:
    """Load a document into an empty store, in one transaction; returns counts."""
    check_or_raise(doc, ImportError_)
    if store.one("SELECT (SELECT COUNT(*) FROM goals) + (SELECT COUNT(*) FROM teams) + (SELECT COUNT(*) FROM kpis)"
                 " + (SELECT COUNT(*) FROM learnings) AS n")["n"]:
        raise ImportError_("the store is not empty: import goes into an empty store (set GOALKEEPER_DB to a new file)")
    counts = {"teams": 0, "goals": 0, "learnings": 0, "kpis": 0}
    with store.write() as conn:
        for t in doc.get("teams", []):
            d = t.get("digest") or {}
            weekday = WEEKDAYS.index(d.get("weekday", "monday"))
            conn.execute(
                "INSERT INTO teams (name, tz, review_date, digest_weekday, digest_time, digest_tz, digest_enabled,"
                " digest_since, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_need(t, "name", "a team"), t.get("tz") or "UTC", t.get("review_date"), weekday,
                 d.get("time", "09:00"), d.get("tz"), int(d.get("enabled", True)),
                 d.get("since") or t.get("created_at"), t.get("created_at") or d.get("since")),
            )
            counts["teams"] += 1
            c = t.get("checkin") or {}
            conn.execute("UPDATE teams SET checkin_weekday = ?, checkin_time = ?, checkin_enabled = ?, checkin_since = ?"
                         " WHERE name = ?", (WEEKDAYS.index(c.get("weekday", "thursday")), c.get("time", "10:00"),
                                             int(c.get("enabled", True)), c.get("since"), t["name"]))
            time = t.get("time") or None
            conn.execute("UPDATE teams SET title = ?, size = ?, time = ? WHERE name = ?",
                         (t.get("title"), t.get("size"), json.dumps(time, sort_keys=True) if time else None, t["name"]))
            for label, at in (t.get("closed") or {}).items():
                conn.execute("INSERT INTO quarter_closes (team, quarter, at, by, how) VALUES (?, ?, ?, 'import', 'import')",
                             (t["name"], label, at))
        chans = doc.get("channels")
        if chans is None:  # an older document: channels only inside teams
            chans = [dict(c, team=t["name"]) for t in doc.get("teams", []) for c in t.get("channels", [])]
        for c in chans:
            conn.execute(
                "INSERT OR IGNORE INTO channels (key, name, platform, team, private, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (c["key"], c["name"], c["platform"], c["team"], int(c.get("private", False)), c.get("created_at", "")),
            )
        for p in doc.get("people", []):
            conn.execute("INSERT INTO people (id, name, seen_at) VALUES (?, ?, ?)", (p["id"], p["name"], p["seen_at"]))
        for g in doc.get("goals", []):
            conn.execute(
                "INSERT INTO goals (id, title, team, quarter, owner, creator, kind, due, status, note, deleted,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_need(g, "id", "a goal"), _need(g, "title", "a goal"), g["team"], g["quarter"], g.get("owner"),
                 g["creator"], g.get("kind", "strategic"), g.get("due"), g.get("status"), g.get("note"),
                 int(g.get("deleted", False)), g.get("created_at", ""), g.get("updated_at") or g.get("created_at", "")),
            )
            conn.execute("DELETE FROM goal_events WHERE goal_id = ?", (g["id"],))  # the history is the document's
            for e in g.get("history", []):
                conn.execute(
                    "INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, ?, ?, ?, ?)",
                    (g["id"], e["at"], e["by"], e["action"], json.dumps(e.get("changes", {})),
                     e.get("note")),
                )
            counts["goals"] += 1
        for l in doc.get("learnings", []):
            conn.execute(
                "INSERT INTO learnings (id, goal_id, team, quarter, text, by, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (l["id"], l.get("goal"), l["team"], l["quarter"], l["text"], l["by"], l["at"]),
            )
            counts["learnings"] += 1
        for k in doc.get("kpis", []):
            cur = conn.execute(
                "INSERT INTO kpis (team, name, unit, target, better, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (k["team"], k["name"], k.get("unit"), k.get("target"), k.get("better", "up"), k.get("created_at", ""),
                 k.get("created_by", "")),
            )
            for v in k.get("values", []):
                conn.execute("INSERT INTO kpi_values (kpi_id, at, value, by) VALUES (?, ?, ?, ?)",
                             (cur.lastrowid, v["at"], float(v["value"]), v["by"]))
            counts["kpis"] += 1
        for o in doc.get("deliveries", []):
            conn.execute(
                "INSERT OR IGNORE INTO outbox (key, channel_key, platform, kind, slot, text, created_at, delivered_at,"
                " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (o.get("key"), o["channel"], o["platform"], o["kind"], o["slot"], o["text"], o["created_at"],
                 o.get("delivered_at"), json.dumps(o["data"], sort_keys=True) if o.get("data") is not None else None),
            )
    return counts
