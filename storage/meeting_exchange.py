"""The review meetings and their action items in the export document, and back (storage/exchange.py).
The store reads and writes the rows (storage/meetings.py); the document is shaped here, for every store."""
from __future__ import annotations


def export_meetings(store, team: str | None) -> tuple[list, list]:
    rows = store.meeting_rows(team)
    chairs: dict[int, list] = {}
    for c in rows["meeting_chairs"]:
        chairs.setdefault(c["meeting_id"], []).append(c["who"])
    items: dict[int, list] = {}
    for i in rows["meeting_items"]:
        items.setdefault(i["meeting_id"], []).append(
            {"id": i["id"], "kind": i["kind"], "text": i["text"], "by": i["by"], "at": i["at"], "goal": i["goal_id"],
             "action": i["action_id"], "undone": i["undone_at"]})
    lines: dict[int, list] = {}
    for l in rows["meeting_lines"]:
        lines.setdefault(l["meeting_id"], []).append(
            {"at": l["at"], "by": l["by"], "name": l["name"], "text": l["text"], "ref": l["ref"]})
    meetings = [
        {"id": m["id"], "team": m["team"], "channel": m["channel_key"], "channel_name": m["channel_name"],
         "platform": m["platform"], "title": m["title"], "quarter": m["quarter"], "started": m["started_at"],
         "started_by": m["started_by"], "ended": m["ended_at"], "ended_by": m["ended_by"], "end_how": m["end_how"],
         "chairs": chairs.get(m["id"], []), "items": items.get(m["id"], []), "log": lines.get(m["id"], [])}
        for m in rows["meetings"]]
    actions = [
        {"id": a["id"], "meeting": a["meeting_id"], "team": a["team"], "owner": a["owner"], "text": a["text"],
         "by": a["by"], "at": a["at"], "done": a["done_at"], "done_by": a["done_by"], "note": a["note"],
         "deleted": bool(a["deleted"])}
        for a in rows["actions"]]
    return meetings, actions


def import_meetings(store, conn, doc: dict) -> int:
    put = store.put_meeting_row
    n = 0
    for m in doc.get("meetings", []):
        started_by = m.get("started_by") or (m.get("chairs") or ["import:unknown"])[0]
        put(conn, "meetings", {
            "id": m["id"], "team": m["team"], "channel_key": m["channel"],
            "channel_name": m.get("channel_name") or m["channel"],
            "platform": m.get("platform") or m["channel"].split(":", 1)[0], "title": m["title"],
            "quarter": m.get("quarter"), "started_at": m["started"], "started_by": started_by,
            "ended_at": m.get("ended"), "ended_by": m.get("ended_by"), "end_how": m.get("end_how"),
            "running_channel": m["channel"] if not m.get("ended") else None})
        for who in m.get("chairs", []):
            put(conn, "meeting_chairs", {"meeting_id": m["id"], "who": who, "by": started_by, "at": m["started"]})
        for i in m.get("items", []):
            put(conn, "meeting_items", {"id": i["id"], "meeting_id": m["id"], "kind": i["kind"], "text": i["text"],
                                        "by": i["by"], "at": i["at"], "goal_id": i.get("goal"),
                                        "action_id": i.get("action"), "undone_at": i.get("undone")})
        for l in m.get("log", []):
            put(conn, "meeting_lines", {"meeting_id": m["id"], "at": l["at"], "by": l["by"],
                                        "name": l.get("name") or l["by"], "text": l["text"], "ref": l.get("ref")})
        n += 1
    for a in doc.get("actions", []):
        put(conn, "actions", {"id": a["id"], "meeting_id": a["meeting"], "team": a["team"], "owner": a["owner"],
                              "text": a["text"], "by": a.get("by") or a["owner"], "at": a.get("at") or "",
                              "done_at": a.get("done"), "done_by": a.get("done_by"), "note": a.get("note"),
                              "deleted": int(a.get("deleted", False))})
    return n
