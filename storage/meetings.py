"""The review meetings' rows: meetings, chairs, items, the log, action items (a mixin of every store).

The SQL is written once for both engines: `?` marks a parameter (a store whose driver takes `%s` sets
PARAM), conflicts are `ON CONFLICT DO NOTHING` and new ids come back through `RETURNING id`
(SQLite 3.35+ and PostgreSQL alike).
"""
from __future__ import annotations

from bot.times import iso

MEETING_COLUMNS = "id, team, channel_key, channel_name, platform, title, quarter, started_at, started_by, ended_at," \
                  " ended_by, end_how"


class MeetingStore:
    PARAM = "?"

    def _q(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    def _x(self, conn, sql: str, params=()):
        return conn.execute(self._q(sql), tuple(params))

    def _returned(self, conn, sql: str, params=()) -> int | None:
        """The id an INSERT ... RETURNING id gave, or None (a conflict); the cursor is read to its end,
        so the statement is finished (a single-statement write commits only then)."""
        rows = self._x(conn, sql, params).fetchall()
        return rows[0]["id"] if rows else None

    # -- reads ---------------------------------------------------------------------------

    def meeting(self, mid: int) -> dict | None:
        return self.one(self._q(f"SELECT {MEETING_COLUMNS} FROM meetings WHERE id = ?"), (mid,))

    def running_meeting(self, channel_key: str) -> dict | None:
        return self.one(self._q(f"SELECT {MEETING_COLUMNS} FROM meetings WHERE running_channel = ?"), (channel_key,))

    def meetings_of(self, team: str, limit: int) -> list[dict]:
        return self.all(self._q(f"SELECT {MEETING_COLUMNS} FROM meetings WHERE team = ? ORDER BY id DESC LIMIT ?"),
                        (team, limit))

    def last_ended_meeting(self, team: str) -> dict | None:
        return self.one(self._q(f"SELECT {MEETING_COLUMNS} FROM meetings WHERE team = ? AND ended_at IS NOT NULL"
                                " ORDER BY ended_at DESC, id DESC LIMIT 1"), (team,))

    def meeting_chairs(self, mid: int) -> list[str]:
        return [r["who"] for r in self.all(self._q("SELECT who FROM meeting_chairs WHERE meeting_id = ? ORDER BY id"),
                                           (mid,))]

    def meeting_items(self, mid: int) -> list[dict]:
        return self.all(self._q("SELECT * FROM meeting_items WHERE meeting_id = ? ORDER BY id"), (mid,))

    def meeting_lines(self, mid: int) -> list[dict]:
        return self.all(self._q("SELECT at, by, name, text, ref FROM meeting_lines WHERE meeting_id = ? ORDER BY id"),
                        (mid,))

    def meeting_log(self, mid: int) -> list[tuple]:
        """The log as (at, by, name, text) tuples, oldest first: the minutes of 2,000 lines read in a few ms."""
        return self.tuples(self._q("SELECT at, by, name, text FROM meeting_lines WHERE meeting_id = ? ORDER BY id"),
                           (mid,))

    def meeting_counts(self, mid: int) -> dict:
        return self.one(self._q(
            "SELECT (SELECT COUNT(*) FROM meeting_lines WHERE meeting_id = ?) AS lines,"
            " (SELECT COUNT(*) FROM meeting_items WHERE meeting_id = ? AND undone_at IS NULL AND kind <> 'topic') AS items,"
            " (SELECT COUNT(*) FROM actions WHERE meeting_id = ? AND deleted = 0) AS actions,"
            " (SELECT COUNT(DISTINCT goal_id) FROM goal_events WHERE meeting = ?) AS goals"), (mid, mid, mid, mid))

    def silent_meetings(self, before: str) -> list[dict]:
        """Running meetings whose last line (or start) is older than `before`."""
        last = "COALESCE((SELECT MAX(l.at) FROM meeting_lines l WHERE l.meeting_id = m.id), m.started_at)"
        return self.all(self._q(f"SELECT {MEETING_COLUMNS}, {last} AS last_at FROM meetings m"
                                f" WHERE running_channel IS NOT NULL AND {last} < ?"), (before,))

    def meeting_goal_changes(self, mid: int) -> list[dict]:
        """The status changes made in the meeting, oldest first, with the goal's title."""
        return self.all(self._q("SELECT e.goal_id, e.at, e.by, e.changes, e.note, g.title FROM goal_events e"
                                " JOIN goals g ON g.id = e.goal_id WHERE e.meeting = ? ORDER BY e.id"), (mid,))

    def action(self, aid: int) -> dict | None:
        return self.one(self._q("SELECT * FROM actions WHERE id = ?"), (aid,))

    def actions_of_meeting(self, mid: int) -> list[dict]:
        return self.all(self._q("SELECT * FROM actions WHERE meeting_id = ? AND deleted = 0 ORDER BY id"), (mid,))

    def list_actions(self, team: str | None, owner: str | None, open_only: bool, limit: int) -> list[dict]:
        sql, params = "SELECT * FROM actions WHERE deleted = 0", []
        if team:
            sql += " AND team = ?"
            params.append(team)
        if owner:
            sql += " AND owner = ?"
            params.append(owner)
        if open_only:
            sql += " AND done_at IS NULL"
        return self.all(self._q(sql + " ORDER BY id LIMIT ?"), (*params, limit))

    def open_actions(self, team: str, limit: int) -> tuple[int, list[dict]]:
        """How many of the team's action items are open, and the first `limit`."""
        where = " FROM actions WHERE team = ? AND done_at IS NULL AND deleted = 0"
        n = self.one(self._q("SELECT COUNT(*) AS n" + where), (team,))["n"]
        return n, self.all(self._q("SELECT *" + where + " ORDER BY id LIMIT ?"), (team, limit)) if n else []

    def started_by_ref(self, ref: str) -> bool:
        return self.one(self._q("SELECT 1 AS x FROM meetings WHERE started_ref = ?"), (ref,)) is not None

    def meeting_rows(self, team: str | None) -> dict[str, list[dict]]:
        """The export's rows: every meeting of the team (or all) with its chairs, items and log, and the actions."""
        where, params = ("WHERE team = ?", (team,)) if team else ("", ())
        inner = "WHERE meeting_id IN (SELECT id FROM meetings WHERE team = ?)" if team else ""
        return {
            "meetings": self.all(self._q(f"SELECT * FROM meetings {where} ORDER BY id"), params),
            "meeting_chairs": self.all(self._q(f"SELECT * FROM meeting_chairs {inner} ORDER BY id"), params),
            "meeting_items": self.all(self._q(f"SELECT * FROM meeting_items {inner} ORDER BY id"), params),
            "meeting_lines": self.all(self._q(f"SELECT * FROM meeting_lines {inner} ORDER BY id"), params),
            "actions": self.all(self._q(f"SELECT * FROM actions {where} ORDER BY id"), params),
        }

    # -- writes (inside the caller's transaction) --------------------------------------------

    def start_meeting(self, conn, m: dict, ref: str | None) -> int | None:
        """The new meeting's id; None when this channel has one running (or this very line started one)."""
        mid = self._returned(conn,
                      "INSERT INTO meetings (team, channel_key, channel_name, platform, title, quarter, started_at,"
                      " started_by, started_ref, running_channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT DO NOTHING RETURNING id",
                      (m["team"], m["channel_key"], m["channel_name"], m["platform"], m["title"], m["quarter"],
                       m["started_at"], m["started_by"], ref, m["channel_key"]))
        if mid is None:
            return None
        self._x(conn, "INSERT INTO meeting_chairs (meeting_id, who, by, at) VALUES (?, ?, ?, ?)",
                (mid, m["started_by"], m["started_by"], m["started_at"]))
        return mid

    def log_line(self, conn, mid: int, at, by: str, name: str, text: str, ref: str | None) -> bool:
        """False when this line (the same ref) is in the log already: another process logged it."""
        return self._returned(conn, "INSERT INTO meeting_lines (meeting_id, at, by, name, text, ref)"
                              " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                              (mid, iso(at), by, name, text, ref)) is not None

    def add_chair(self, conn, mid: int, who: str, by: str, at) -> bool:
        return self._returned(conn, "INSERT INTO meeting_chairs (meeting_id, who, by, at) VALUES (?, ?, ?, ?)"
                              " ON CONFLICT DO NOTHING RETURNING id", (mid, who, by, iso(at))) is not None

    def add_item(self, conn, mid: int, kind: str, text: str, by: str, at, goal_id=None, action_id=None) -> int:
        return self._returned(conn, "INSERT INTO meeting_items (meeting_id, kind, text, by, at, goal_id, action_id)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", (mid, kind, text, by, iso(at), goal_id, action_id))

    def tag_goal_events(self, conn, mid: int, goal_id: int, at) -> None:
        """The goal's history entries just written in this transaction name the meeting."""
        self._x(conn, "UPDATE goal_events SET meeting = ? WHERE goal_id = ? AND at = ? AND meeting IS NULL"
                      " AND action = 'status'", (mid, goal_id, iso(at)))

    def last_item_by(self, mid: int, by: str) -> dict | None:
        return self.one(self._q("SELECT * FROM meeting_items WHERE meeting_id = ? AND by = ? AND undone_at IS NULL"
                                " ORDER BY id DESC LIMIT 1"), (mid, by))

    def undo_item(self, conn, item: dict, at) -> bool:
        cur = self._x(conn, "UPDATE meeting_items SET undone_at = ? WHERE id = ? AND undone_at IS NULL",
                      (iso(at), item["id"]))
        if item.get("action_id"):
            self._x(conn, "UPDATE actions SET deleted = 1 WHERE id = ?", (item["action_id"],))
        return cur.rowcount == 1

    def add_action(self, conn, mid: int, team: str, owner: str, text: str, by: str, at) -> int:
        return self._returned(conn, "INSERT INTO actions (meeting_id, team, owner, text, by, at) VALUES (?, ?, ?, ?, ?, ?)"
                              " RETURNING id", (mid, team, owner, text, by, iso(at)))

    def finish_action(self, conn, aid: int, by: str, at, note: str | None) -> bool:
        cur = self._x(conn, "UPDATE actions SET done_at = ?, done_by = ?, note = ? WHERE id = ? AND done_at IS NULL",
                      (iso(at), by, note, aid))
        return cur.rowcount == 1

    def end_meeting(self, conn, mid: int, at: str, by: str, how: str) -> bool:
        """False when it had ended already (another process, or the silence rule, came first)."""
        cur = self._x(conn, "UPDATE meetings SET ended_at = ?, ended_by = ?, end_how = ?, running_channel = NULL"
                            " WHERE id = ? AND running_channel IS NOT NULL", (at, by, how, mid))
        return cur.rowcount == 1

    def put_meeting_row(self, conn, table: str, row: dict) -> None:
        """One row of an imported document's meetings (import writes ids as they were)."""
        cols = ", ".join(row)
        self._x(conn, f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        self._after_put(conn, table, row)

    def _after_put(self, conn, table: str, row: dict) -> None:
        """What an engine does after an imported row kept its id (PostgreSQL moves the identity on)."""
