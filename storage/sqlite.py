"""The store on SQLite: one file shared by every process (WAL, busy timeout, BEGIN IMMEDIATE).

Schema changes go through storage/migrations.py (sqlite-utils' Migrations). The path of
every message uses raw statements on the connection: sqlite-utils' `table.insert` costs
about eleven statements a call.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterable

from bot.times import iso

# the number of registered migrations; a store at this PRAGMA user_version needs none, so the
# usual start never imports sqlite_utils (about 14 MB resident with what it pulls in)
SCHEMA_VERSION = 2


class StoreBusy(Exception):
    """The database stayed locked by another process past the busy timeout."""


def _dict_factory(cursor, row):
    return {d[0]: v for d, v in zip(cursor.description, row)}


class Store:
    def __init__(self, path: str, busy_timeout_ms: int = 5000):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._migrate()

    # -- connections ---------------------------------------------------------

    def _connect(self, rows_as_dicts: bool = True) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout_ms / 1000)
        if rows_as_dicts:
            conn.row_factory = _dict_factory
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        # small pages (effective only when the file is new): a command writes about five pages, and
        # with 1 KiB pages its commit costs a sixth less than with the default 4 KiB
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        # sqlite3 connections belong to the thread that made them; Bolt runs listeners on a pool
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _migrate(self) -> None:
        conn = self._connect(rows_as_dicts=False)
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return
        finally:
            conn.close()
        import sqlite_utils

        from .migrations import migrations

        db = sqlite_utils.Database(self._connect(rows_as_dicts=False))
        try:
            # one process migrates at a time; the others wait on the lock, then find nothing pending
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
            for _ in range(3):
                try:
                    migrations.apply(db)
                    break
                except sqlite3.OperationalError as e:
                    if "already exists" not in str(e) and "locked" not in str(e):
                        raise
            if not migrations.pending(db):
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        finally:
            db.conn.close()

    @contextmanager
    def write(self):
        """One write transaction, taken up front so two processes never deadlock upgrading locks."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise StoreBusy(str(e)) from e
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def one(self, sql: str, params: Iterable = ()) -> dict | None:
        return self.conn.execute(sql, tuple(params)).fetchone()

    def all(self, sql: str, params: Iterable = ()) -> list[dict]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    # -- teams and channels --------------------------------------------------

    def team(self, name: str) -> dict | None:
        return self.one("SELECT * FROM teams WHERE name = ?", (name,))

    def teams(self) -> list[dict]:
        return self.all("SELECT * FROM teams ORDER BY name")

    def ensure_team(self, conn, name: str, tz: str, now) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO teams (name, tz, digest_since, created_at) VALUES (?, ?, ?, ?)",
            (name, tz, iso(now), iso(now)),
        )

    def update_team(self, conn, name: str, **fields) -> None:
        cols = ", ".join(f"{k} = ?" for k in fields)
        conn.execute(f"UPDATE teams SET {cols} WHERE name = ?", (*fields.values(), name))

    def channel(self, key: str) -> dict | None:
        return self.one("SELECT * FROM channels WHERE key = ?", (key,))

    def channel_with_tz(self, key: str) -> dict | None:
        return self.one("SELECT c.*, t.tz FROM channels c LEFT JOIN teams t ON t.name = c.team WHERE c.key = ?", (key,))

    def ensure_channel(self, conn, key: str, name: str, platform: str, team: str, private: bool, now) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO channels (key, name, platform, team, private, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (key, name, platform, team, int(private), iso(now)),
        )

    def set_channel_team(self, conn, key: str, team: str) -> None:
        conn.execute("UPDATE channels SET team = ? WHERE key = ?", (team, key))

    def channels_of(self, team: str) -> list[dict]:
        return self.all("SELECT * FROM channels WHERE team = ? AND private = 0 ORDER BY key", (team,))

    # -- people --------------------------------------------------------------

    def touch_person(self, conn, pid: str, name: str, now) -> None:
        conn.execute(
            "INSERT INTO people (id, name, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at",
            (pid, name, iso(now)),
        )

    def people_named(self, name: str, prefix: str) -> list[str]:
        rows = self.all(
            "SELECT id FROM people WHERE name = ? COLLATE NOCASE AND id LIKE ? ESCAPE '\\' ORDER BY seen_at DESC",
            (name, prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"),
        )
        return [r["id"] for r in rows]

    def person_names(self, ids: Iterable[str]) -> dict[str, str]:
        ids = [i for i in set(ids) if i]
        if not ids:
            return {}
        out = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.all(f"SELECT id, name FROM people WHERE id IN ({marks})", chunk):
                out[r["id"]] = r["name"]
        return out

    # -- goals ---------------------------------------------------------------

    def add_goal(self, conn, goal: dict, by: str, now) -> int:
        at = iso(now)
        cur = conn.execute(
            "INSERT INTO goals (title, team, quarter, owner, creator, kind, due, status, note, deleted, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?, ?)",
            (goal["title"], goal["team"], goal["quarter"], goal["owner"], by, goal["kind"], goal["due"], at, at),
        )
        gid = cur.lastrowid
        changes = {k: [None, goal[k]] for k in ("title", "team", "quarter", "owner", "kind", "due")}
        conn.execute(
            "INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, ?, 'create', ?, NULL)",
            (gid, at, by, json.dumps(changes)),
        )
        return gid

    def goal(self, gid: int) -> dict | None:
        return self.one("SELECT * FROM goals WHERE id = ?", (gid,))

    def change_goal(self, conn, goal: dict, changes: dict, action: str, by: str, now, note=None) -> None:
        """Apply {field: new} to a goal and append the event (old and new values) to its history."""
        diff = {k: [goal[k], v] for k, v in changes.items() if goal[k] != v}
        if not diff and action != "status":
            return
        at = iso(now)
        sets = ", ".join(f"{k} = ?" for k in diff)
        conn.execute(
            f"UPDATE goals SET {sets + ', ' if sets else ''}updated_at = ? WHERE id = ?",
            (*[v[1] for v in diff.values()], at, goal["id"]),
        )
        conn.execute(
            "INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, ?, ?, ?, ?)",
            (goal["id"], at, by, action, json.dumps(diff), note),
        )

    def list_goals(self, team: str, quarter: str, status=None, owner=None, limit=None) -> list[dict]:
        sql = "SELECT * FROM goals WHERE team = ? AND quarter = ? AND deleted = 0"
        params: list = [team, quarter]
        if status == "none":
            sql += " AND status IS NULL"
        elif status:
            sql += " AND status = ?"
            params.append(status)
        if owner:
            sql += " AND owner = ?"
            params.append(owner)
        sql += " ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.all(sql, params)

    def count_goals(self, team: str, quarter: str) -> dict:
        rows = self.all(
            "SELECT COALESCE(status, 'none') AS status, COUNT(*) AS n FROM goals"
            " WHERE team = ? AND quarter = ? AND deleted = 0 GROUP BY status",
            (team, quarter),
        )
        return {r["status"]: r["n"] for r in rows}

    def goal_events(self, gid: int) -> list[dict]:
        return self.all("SELECT * FROM goal_events WHERE goal_id = ? ORDER BY id", (gid,))

    # -- learnings -----------------------------------------------------------

    def add_learning(self, conn, goal_id, team, quarter, text, by, now) -> int:
        cur = conn.execute(
            "INSERT INTO learnings (goal_id, team, quarter, text, by, at) VALUES (?, ?, ?, ?, ?, ?)",
            (goal_id, team, quarter, text, by, iso(now)),
        )
        return cur.lastrowid

    def learnings(self, team: str, quarter: str, words: list[str] = (), limit: int | None = None) -> list[dict]:
        sql = "SELECT * FROM learnings WHERE team = ? AND quarter = ?"
        params: list = [team, quarter]
        for w in words:
            sql += " AND text LIKE ? ESCAPE '\\'"
            params.append("%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.all(sql, params)

    def learnings_of_goal(self, gid: int) -> list[dict]:
        return self.all("SELECT * FROM learnings WHERE goal_id = ? ORDER BY id", (gid,))

    # -- KPIs ----------------------------------------------------------------

    def kpi(self, team: str, name: str) -> dict | None:
        return self.one("SELECT * FROM kpis WHERE team = ? AND name = ? COLLATE NOCASE", (team, name))

    def kpis(self, team: str) -> list[dict]:
        return self.all("SELECT * FROM kpis WHERE team = ? ORDER BY name", (team,))

    def add_kpi(self, conn, team, name, unit, target, better, by, now) -> int:
        cur = conn.execute(
            "INSERT INTO kpis (team, name, unit, target, better, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (team, name, unit, target, better, iso(now), by),
        )
        return cur.lastrowid

    def add_kpi_value(self, conn, kpi_id: int, value: float, by: str, now) -> None:
        conn.execute("INSERT INTO kpi_values (kpi_id, at, value, by) VALUES (?, ?, ?, ?)", (kpi_id, iso(now), value, by))

    def kpi_span(self, kpi_id: int, since: str, until: str) -> tuple[dict | None, dict | None, int]:
        """First and latest value in [since, until), and how many there are."""
        first = self.one(
            "SELECT * FROM kpi_values WHERE kpi_id = ? AND at >= ? AND at < ? ORDER BY at, id LIMIT 1",
            (kpi_id, since, until),
        )
        if first is None:
            return None, None, 0
        last = self.one(
            "SELECT * FROM kpi_values WHERE kpi_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1",
            (kpi_id, since, until),
        )
        n = self.one(
            "SELECT COUNT(*) AS n FROM kpi_values WHERE kpi_id = ? AND at >= ? AND at < ?", (kpi_id, since, until)
        )["n"]
        return first, last, n

    # -- outbox: scheduled messages, claimed once ----------------------------

    def enqueue(self, conn, key, channel_key, platform, kind, slot, text, now) -> int | None:
        cur = conn.execute(
            "INSERT OR IGNORE INTO outbox (key, channel_key, platform, kind, slot, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, channel_key, platform, kind, slot, text, iso(now)),
        )
        return cur.lastrowid if cur.rowcount else None

    def outbox_has(self, keys: list[str]) -> set[str]:
        out = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out.update(r["key"] for r in self.all(f"SELECT key FROM outbox WHERE key IN ({marks})", chunk))
        return out

    def claim(self, platform: str, now, worker: str, lease_seconds: int, limit: int) -> list[dict]:
        """Undelivered messages of a platform not claimed by a live worker; a lease that ran out is taken over."""
        at = iso(now)
        expired = iso(now - timedelta(seconds=lease_seconds))
        with self.write() as conn:
            rows = conn.execute(
                "SELECT * FROM outbox WHERE platform = ? AND delivered_at IS NULL"
                " AND (claimed_at IS NULL OR claimed_at < ? OR claimed_at > ?) ORDER BY id LIMIT ?",
                (platform, expired, at, limit),
            ).fetchall()
            for r in rows:
                conn.execute(
                    "UPDATE outbox SET claimed_at = ?, claimed_by = ?, attempts = attempts + 1 WHERE id = ?",
                    (at, worker, r["id"]),
                )
        return rows

    def mark_delivered(self, oid: int, now) -> None:
        with self.write() as conn:
            conn.execute("UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL", (iso(now), oid))

    def release(self, oid: int) -> None:
        """Give a claimed message back at once (delivery failed), so the next pass retries it."""
        with self.write() as conn:
            conn.execute("UPDATE outbox SET claimed_at = NULL, claimed_by = NULL WHERE id = ? AND delivered_at IS NULL", (oid,))

    def outbox(self) -> list[dict]:
        return self.all("SELECT * FROM outbox ORDER BY id")

    # -- Slack event ids, so a retried delivery is processed once -------------

    def seen_event(self, event_id: str, now) -> bool:
        with self.write() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO events_seen (event_id, at) VALUES (?, ?)", (event_id, iso(now)))
        return cur.rowcount == 0

    # -- the whole store as one document ----------------------------------------

    def export(self, team: str | None = None) -> dict:
        from .exchange import export

        return export(self, team)

    def import_(self, doc: dict) -> dict:
        from .exchange import import_

        return import_(self, doc)
