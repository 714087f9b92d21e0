"""The review meetings and their action items in the export document, and back (storage/exchange.py)."""
from __future__ import annotations


def export_meetings(store, team: str | None) -> tuple[list, list]:
    where, params = ("WHERE team = ?", (team,)) if team else ("", ())
    inner = "WHERE meeting_id IN (SELECT id FROM meetings WHERE team = ?)" if team else ""
    chairs: dict[int, list] = {}
    for c in store.all(f"SELECT * FROM meeting_chairs {inner} ORDER BY meeting_id, at, rowid", params):
        chairs.setdefault(c["meeting_id"], []).append(c["who"])
    items: dict[int, list] = {}
    for i in store.all(f"SELECT * FROM meeting_items {inner} ORDER BY id", params):
        items.setdefault(i["meeting_id"], []).append(
            {"id": i["id"], "kind": i["kind"], "text": i["text"], "by": i["by"], "at": i["at"], "goal": i["goal_id"],
             "action": i["action_id"], "undone": i["undone_at"]})
    lines: dict[int, list] = {}
    for l in store.all(f"SELECT * FROM meeting_lines {inner} ORDER BY id", params):
        lines.setdefault(l["meeting_id"], []).append(
            {"at": l["at"], "by": l["by"], "name": l["name"], "text": l["text"], "ref": l["ref"]})
    meetings = [
        {"id": m["id"], "team": m["team"], "channel": m["channel_key"], "channel_name": m["channel_name"],
         "platform": m["platform"], "title": m["title"], "quarter": m["quarter"], "started": m["started_at"],
         "started_by": m["started_by"], "ended": m["ended_at"], "ended_by": m["ended_by"], "end_how": m["end_how"],
         "chairs": chairs.get(m["id"], []), "items": items.get(m["id"], []), "log": lines.get(m["id"], [])}
        for m in store.all(f"SELECT * FROM meetings {where} ORDER BY id", params)]
    actions = [
        {"id": a["id"], "meeting": a["meeting_id"], "team": a["team"], "owner": a["owner"], "text": a["text"],
         "by": a["by"], "at": a["at"], "done": a["done_at"], "done_by": a["done_by"], "note": a["note"],
         "deleted": bool(a["deleted"])}
        for a in store.all(f"SELECT * FROM actions {where} ORDER BY id", params)]
    return meetings, actions


def import_meetings(conn, doc: dict) -> int:
    n = 0
    for m in doc.get("meetings", []):
        running = m["channel"] if not m.get("ended") else None
        conn.execute(
            "INSERT INTO meetings (id, team, channel_key, channel_name, platform, title, quarter, started_at, started_by,"
            " ended_at, ended_by, end_how, running_channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (m["id"], m["team"], m["channel"], m.get("channel_name") or m["channel"], m.get("platform") or
             m["channel"].split(":", 1)[0], m["title"], m.get("quarter"), m["started"], m.get("started_by") or
             (m.get("chairs") or ["import:unknown"])[0], m.get("ended"), m.get("ended_by"), m.get("end_how"), running))
        for k, who in enumerate(m.get("chairs", [])):
            conn.execute("INSERT INTO meeting_chairs (meeting_id, who, by, at) VALUES (?, ?, ?, ?)",
                         (m["id"], who, m.get("started_by") or who, m["started"]))
        for i in m.get("items", []):
            conn.execute("INSERT INTO meeting_items (id, meeting_id, kind, text, by, at, goal_id, action_id, undone_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (i.get("id"), m["id"], i["kind"], i["text"], i["by"], i["at"], i.get("goal"), i.get("action"),
                          i.get("undone")))
        for l in m.get("log", []):
            conn.execute("INSERT INTO meeting_lines (meeting_id, at, by, name, text, ref) VALUES (?, ?, ?, ?, ?, ?)",
                         (m["id"], l["at"], l["by"], l.get("name") or l["by"], l["text"], l.get("ref")))
        n += 1
    for a in doc.get("actions", []):
        conn.execute("INSERT INTO actions (id, meeting_id, team, owner, text, by, at, done_at, done_by, note, deleted)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (a["id"], a["meeting"], a["team"], a["owner"], a["text"], a.get("by") or a["owner"],
                      a.get("at") or "", a.get("done"), a.get("done_by"), a.get("note"), int(a.get("deleted", False))))
    return n
