"""The store on SQLite: one file shared by every process (WAL, busy timeout, BEGIN IMMEDIATE).

Schema changes go through storage/migrations.py (sqlite-utils' Migrations). The path of
every message uses raw statements on the connection: sqlite-utils' `table.insert` costs
about eleven statements a call.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import urllib.parse
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterable

from bot.ports import StoreBusy, StoreConflict, StoreRefused, StoreUnavailable
from bot.times import iso

from .owners import each_owner, owners_touched
from .meetings import MeetingStore
from .migrations import MIGRATION_SET, SCHEMA_VERSION, STEPS

OUR_TABLES = {"teams", "channels", "people", "goals", "goal_events", "learnings", "kpis", "kpi_values", "outbox",
              "events_seen", "goal_counts", "quarter_closes", "meetings", "learning_events", "goal_owners", "goal_shares"}


def store_error(e: sqlite3.Error) -> Exception:
    """The core's word for an SQLite fault: busy, unreachable, or a broken uniqueness rule."""
    text = str(e)
    if isinstance(e, sqlite3.IntegrityError):
        return StoreConflict(text)
    if "locked" in text or "busy" in text:
        return StoreBusy(text)
    return StoreUnavailable(text)


class _OneStatement:
    """A connection that runs one statement, in autocommit; a second is a bug in the caller."""

    __slots__ = ("_conn", "_used")

    def __init__(self, conn):
        self._conn, self._used = conn, False

    def execute(self, sql: str, params=()):
        if self._used:
            raise RuntimeError("a single-statement write ran a second statement")
        self._used = True
        return self._conn.execute(sql, params)


def _dict_factory(cursor, row):
    return {d[0]: v for d, v in zip(cursor.description, row)}


class Store(MeetingStore):
    dialect = "sqlite"
    new_store_hint = "set GOALKEEPER_DB to a new file"

    def __init__(self, path: str, busy_timeout_ms: int = 5000):
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        try:
            self._migrate()
        except sqlite3.DatabaseError as e:  # not a database at all, or unreadable
            raise StoreRefused(f"{path} is not a Goalkeeper database ({e})") from None

    # -- connections ---------------------------------------------------------

    def _connect(self, rows_as_dicts: bool = True) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout_ms / 1000,
                               check_same_thread=True)
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
            try:
                conn = self._local.conn = self._connect()
            except sqlite3.Error as e:
                raise store_error(e) from e
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _migrate(self) -> None:
        if os.path.exists(self.path) and os.path.getsize(self.path):
            # looked at read-only first: a file that is not ours must not get even a WAL header from us
            conn = sqlite3.connect(f"file:{urllib.parse.quote(os.path.abspath(self.path))}?mode=ro", uri=True,
                                   timeout=self.busy_timeout_ms / 1000)
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version == SCHEMA_VERSION:
                    return
                self._refuse_unknown(conn, version)
            finally:
                conn.close()
        import sqlite_utils

        from .migrations import migrations

        steps = migrations()
        db = sqlite_utils.Database(self._connect(rows_as_dicts=False))
        try:
            # one process migrates at a time; the others wait on the lock, then find nothing pending
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
            for _ in range(3):
                try:
                    steps.apply(db)
                    break
                except sqlite3.OperationalError as e:
                    if "already exists" not in str(e) and "locked" not in str(e):
                        raise
            if not steps.pending(db):
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        finally:
            db.conn.close()

    def _refuse_unknown(self, conn, version: int) -> None:
        """A file from a newer Goalkeeper, or one that is not Goalkeeper's, is left exactly as it was."""
        if version > SCHEMA_VERSION:
            raise StoreRefused(f"{self.path} was written by a newer Goalkeeper (schema version {version}; "
                               f"this one knows {SCHEMA_VERSION}); upgrade Goalkeeper to use it")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return  # a new, empty file
        if "_sqlite_migrations" not in tables or not tables & OUR_TABLES:
            raise StoreRefused(f"{self.path} is not a Goalkeeper database (it holds other tables); "
                               "point GOALKEEPER_DB at a new file")
        known = {s.__name__ for s in STEPS}
        applied = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                                              (MIGRATION_SET,))}
        if applied - known:
            raise StoreRefused(f"{self.path} was written by a newer Goalkeeper (it has schema steps this one "
                               f"does not know: {', '.join(sorted(applied - known))})")

    @contextmanager
    def write(self, single: bool = False):
        """One write transaction, taken up front so two processes never deadlock upgrading locks.
        `single`: the block runs exactly one statement, which SQLite makes a transaction of its own
        (a write statement takes the write lock before it reads, as BEGIN IMMEDIATE does)."""
        conn = self.conn
        if single and getattr(self._local, "rider", None) is None:  # a Slack delivery's mark needs a transaction
            one = _OneStatement(conn)
            try:
                yield one
            except sqlite3.Error as e:
                raise store_error(e) from e
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise store_error(e) from e
        try:
            yield conn
            self._ride(conn)  # a Slack delivery marked applied in this same commit (see the end of the class)
        except BaseException as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise store_error(e) from e
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise store_error(e) from e

    def one(self, sql: str, params: Iterable = ()) -> dict | None:
        try:
            return self.conn.execute(sql, tuple(params)).fetchone()
        except sqlite3.Error as e:
            raise store_error(e) from e

    def tuples(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """Rows as plain tuples: a long read (a meeting's log) without a dict per row."""
        try:
            cur = self.conn.cursor()
            cur.row_factory = None
            return cur.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as e:
            raise store_error(e) from e

    def all(self, sql: str, params: Iterable = ()) -> list[dict]:
        try:
            return self.conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as e:
            raise store_error(e) from e

    # -- wiki pages Goalkeeper publishes to ------------------------------------

    def wiki_record(self, api: str, title: str) -> dict | None:
        """revision, section (as the wiki stored it) and pending (a save never confirmed) of one page."""
        return self.one("SELECT revision, section, pending, written_at, by FROM wiki_pages WHERE api = ? AND title = ?",
                        (api, title))

    def wiki_pending(self, conn, api: str, title: str, section: str) -> None:
        """Before a save: the text about to be written, so a save whose answer is lost is still known."""
        conn.execute("INSERT INTO wiki_pages (api, title, pending) VALUES (?, ?, ?)"
                     " ON CONFLICT (api, title) DO UPDATE SET pending = excluded.pending", (api, title, section))

    def wiki_written(self, conn, api: str, title: str, revision: int, section: str, now, by: str) -> None:
        conn.execute("INSERT INTO wiki_pages (api, title, revision, section, pending, written_at, by)"
                     " VALUES (?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (api, title) DO UPDATE SET"
                     " revision = excluded.revision, section = excluded.section, pending = NULL,"
                     " written_at = excluded.written_at, by = excluded.by",
                     (api, title, revision, section, iso(now), by))

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

    def closes(self, team: str) -> dict[str, str]:
        """The team's closed quarters: {label: ISO instant}."""
        return {r["quarter"]: r["at"] for r in self.all("SELECT quarter, at FROM quarter_closes WHERE team = ?", (team,))}

    def all_closes(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for r in self.all("SELECT team, quarter, at FROM quarter_closes ORDER BY team, quarter"):
            out.setdefault(r["team"], {})[r["quarter"]] = r["at"]
        return out

    def close_quarter(self, conn, team: str, quarter: str, at: str, by: str, how: str) -> str | None:
        """Stores the close; None if it was new, else the instant the quarter had already closed at."""
        cur = conn.execute("INSERT OR IGNORE INTO quarter_closes (team, quarter, at, by, how) VALUES (?, ?, ?, ?, ?)",
                           (team, quarter, at, by, how))
        if cur.rowcount:
            return None
        return conn.execute("SELECT at FROM quarter_closes WHERE team = ? AND quarter = ?", (team, quarter)).fetchone()["at"]

    def set_team_time(self, conn, team: str, quarter: str, split: dict[str, int]) -> None:
        """The declared time split of one quarter, read and written in the caller's transaction."""
        row = conn.execute("SELECT time FROM teams WHERE name = ?", (team,)).fetchone()
        time = json.loads(row["time"]) if row and row["time"] else {}
        time[quarter] = split
        conn.execute("UPDATE teams SET time = ? WHERE name = ?", (json.dumps(time, sort_keys=True), team))

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
        """One statement: the goal, and (by the goal_created trigger) its 'create' event."""
        at = iso(now)
        cur = conn.execute(
            "INSERT INTO goals (title, team, quarter, owner, creator, kind, due, status, note, deleted, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?, ?)",
            (goal["title"], goal["team"], goal["quarter"], goal["owner"], by, goal["kind"], goal["due"], at, at),
        )
        return cur.lastrowid

    def goal(self, gid: int) -> dict | None:
        return self.one("SELECT * FROM goals WHERE id = ?", (gid,))

    def change_goal(self, conn, goal: dict, changes: dict, action: str, by: str, now, note=None) -> None:
        """Apply {field: new} to a goal and append the event (old and new values) to its history.
        `owners` and `shared` (lists) are kept in their own rows; `owner` follows the first owner."""
        if "owners" in changes:
            changes = dict(changes, owner=changes["owners"][0])
            goal.setdefault("owners", self.owners_of(goal["id"]))
        if "shared" in changes:
            goal.setdefault("shared", self.shared_of(goal["id"]))
        diff = {k: [goal[k], v] for k, v in changes.items() if goal[k] != v}
        if not diff and action != "status":
            return
        at = iso(now)
        if "owners" in diff:
            conn.execute("DELETE FROM goal_owners WHERE goal_id = ?", (goal["id"],))
            self._add_owners(conn, goal["id"], diff["owners"][1])
        if "shared" in diff:
            conn.execute("DELETE FROM goal_shares WHERE goal_id = ?", (goal["id"],))
            self._add_shares(conn, goal["id"], diff["shared"][1])
        columns = {k: v for k, v in diff.items() if k not in ("owners", "shared")}
        sets = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(
            f"UPDATE goals SET {sets + ', ' if sets else ''}updated_at = ? WHERE id = ?",
            (*[v[1] for v in columns.values()], at, goal["id"]),
        )
        conn.execute(
            "INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, ?, ?, ?, ?)",
            (goal["id"], at, by, action, json.dumps(diff), note),
        )

    def _add_owners(self, conn, gid: int, owners: list[str]) -> None:
        if len(owners) > 1:  # one owner lives in goals.owner alone
            for pos, who in enumerate(owners):
                conn.execute("INSERT INTO goal_owners (goal_id, pos, who) VALUES (?, ?, ?)", (gid, pos, who))

    def _add_shares(self, conn, gid: int, teams: list[str]) -> None:
        for t in teams:
            conn.execute("INSERT OR IGNORE INTO goal_shares (goal_id, team) VALUES (?, ?)", (gid, t))

    def add_goal_links(self, conn, gid: int, owners: list[str], shared: list[str], continues: int | None = None) -> None:
        """A new goal's several owners, shared teams and the goal it continues (same transaction as add_goal)."""
        self._add_owners(conn, gid, owners)
        self._add_shares(conn, gid, shared)
        if continues is not None:
            conn.execute("UPDATE goals SET continues = ? WHERE id = ?", (continues, gid))

    def owners_of(self, gid: int) -> list[str]:
        """Every owner of a goal, the first (goals.owner) first; [] if it has none."""
        rows = self.all("SELECT who FROM goal_owners WHERE goal_id = ? ORDER BY pos", (gid,))
        if rows:
            return [r["who"] for r in rows]
        g = self.one("SELECT owner FROM goals WHERE id = ?", (gid,))
        return [g["owner"]] if g and g["owner"] else []

    def owners_of_goals(self, gids: list[int]) -> dict[int, list[str]]:
        """{goal id: its owners} for goals with several owners (the others have goals.owner alone)."""
        out: dict[int, list[str]] = {}
        for i in range(0, len(gids), 500):
            chunk = list(gids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for r in self.all(f"SELECT goal_id, who FROM goal_owners WHERE goal_id IN ({marks}) ORDER BY goal_id, pos", chunk):
                out.setdefault(r["goal_id"], []).append(r["who"])
        return out

    def shared_of(self, gid: int) -> list[str]:
        return [r["team"] for r in self.all("SELECT team FROM goal_shares WHERE goal_id = ? ORDER BY team", (gid,))]

    def shared_of_goals(self, gids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for i in range(0, len(gids), 500):
            chunk = list(gids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for r in self.all(f"SELECT goal_id, team FROM goal_shares WHERE goal_id IN ({marks}) ORDER BY goal_id, team", chunk):
                out.setdefault(r["goal_id"], []).append(r["team"])
        return out

    def goals_shared_with(self, team: str, quarter: str, limit: int) -> list[dict]:
        """The first goals (by id) of a quarter that other teams share with this one."""
        return self.all("SELECT g.id, g.title, g.team, g.status FROM goal_shares s JOIN goals g ON g.id = s.goal_id"
                        " WHERE s.team = ? AND g.quarter = ? AND g.deleted = 0 ORDER BY g.id LIMIT ?",
                        (team, quarter, limit))

    def continued_as_of(self, gids: list[int]) -> dict[int, int]:
        """{goal id: the latest goal that continues it} for those carried on."""
        out: dict[int, int] = {}
        for i in range(0, len(gids), 500):
            chunk = list(gids[i : i + 500])
            marks = ",".join("?" * len(chunk))
            for r in self.all(f"SELECT continues, MAX(id) AS id FROM goals WHERE continues IN ({marks}) AND deleted = 0"
                              " GROUP BY continues", chunk):
                out[r["continues"]] = r["id"]
        return out

    def add_goal_event(self, conn, gid: int, action: str, changes: dict, by: str, now) -> None:
        """A history entry that changes no column (a carry names the goal it continues as)."""
        conn.execute("INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (?, ?, ?, ?, ?, NULL)",
                     (gid, iso(now), by, action, json.dumps(changes)))

    def continuations(self, gid: int) -> list[dict]:
        """The goals that continue this one (goal carry), oldest first."""
        return self.all("SELECT * FROM goals WHERE continues = ? ORDER BY id", (gid,))

    def list_goals(self, team: str, quarter: str, status=None, owner=None, limit=None, not_final=(),
                   shared: bool = False) -> list[dict]:
        """A quarter's goals by id; `not_final`: the final statuses to leave out; `shared`: also the goals
        other teams share with this one."""
        if shared:
            sql = ("SELECT * FROM goals WHERE (team = ? OR id IN (SELECT goal_id FROM goal_shares WHERE team = ?))"
                   " AND quarter = ? AND deleted = 0")
            params: list = [team, team, quarter]
        else:
            sql = "SELECT * FROM goals WHERE team = ? AND quarter = ? AND deleted = 0"
            params = [team, quarter]
        if not_final:
            sql += f" AND (status IS NULL OR status NOT IN ({','.join('?' * len(not_final))}))"
            params += list(not_final)
        if status == "none":
            sql += " AND status IS NULL"
        elif status:
            sql += " AND status = ?"
            params.append(status)
        if owner:
            sql += " AND (owner = ? OR id IN (SELECT goal_id FROM goal_owners WHERE who = ?))"
            params += [owner, owner]
        sql += " ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.all(sql, params)

    def count_goals(self, team: str, quarter: str) -> dict:
        """{status or 'none': how many} of a quarter's goals, from the counts the triggers keep."""
        rows = self.all("SELECT status, n FROM goal_counts WHERE team = ? AND quarter = ? AND n > 0", (team, quarter))
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

    def learning(self, lid: int) -> dict | None:
        return self.one("SELECT * FROM learnings WHERE id = ?", (lid,))

    def learning_events(self, lid: int) -> list[dict]:
        return self.all("SELECT * FROM learning_events WHERE learning_id = ? ORDER BY id", (lid,))

    def edit_learning(self, conn, lid: int, old: str, text: str, by: str, now) -> None:
        conn.execute("UPDATE learnings SET text = ? WHERE id = ?", (text, lid))
        conn.execute("INSERT INTO learning_events (learning_id, at, by, action, changes) VALUES (?, ?, ?, 'edit', ?)",
                     (lid, iso(now), by, json.dumps({"text": [old, text]})))

    def delete_learning(self, conn, lid: int, by: str, now) -> None:
        """Hidden from every list and figure; the text and its history stay."""
        conn.execute("UPDATE learnings SET deleted_at = ?, deleted_by = ? WHERE id = ?", (iso(now), by, lid))
        conn.execute("INSERT INTO learning_events (learning_id, at, by, action, changes) VALUES (?, ?, ?, 'delete', ?)",
                     (lid, iso(now), by, json.dumps({"deleted": [False, True]})))

    def learnings(self, team: str, quarter: str, words: list[str] = (), limit: int | None = None) -> list[dict]:
        sql = "SELECT * FROM learnings WHERE team = ? AND quarter = ? AND deleted_at IS NULL"
        params: list = [team, quarter]
        for w in words:
            sql += " AND text LIKE ? ESCAPE '\\'"
            params.append("%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.all(sql, params)

    def learnings_of_goal(self, gid: int) -> list[dict]:
        return self.all("SELECT * FROM learnings WHERE goal_id = ? AND deleted_at IS NULL ORDER BY id", (gid,))

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

    def kpi_before(self, kpi_id: int, before: str) -> dict | None:
        """The KPI's last value before an instant: its baseline for a quarter that begins then."""
        return self.one("SELECT * FROM kpi_values WHERE kpi_id = ? AND at < ? AND deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT 1",
                        (kpi_id, before))

    def add_kpi_value(self, conn, kpi_id: int, value: float, by: str, now) -> None:
        conn.execute("INSERT INTO kpi_values (kpi_id, at, value, by) VALUES (?, ?, ?, ?)", (kpi_id, iso(now), value, by))

    def kpi_latest(self, kpi_id: int) -> dict | None:
        """The KPI's latest value not taken back (the one `kpi undo` takes back)."""
        return self.one("SELECT * FROM kpi_values WHERE kpi_id = ? AND deleted_at IS NULL ORDER BY at DESC, id DESC"
                        " LIMIT 1", (kpi_id,))

    def undo_kpi_value(self, conn, value_id: int, by: str, now) -> bool:
        """Marks a value deleted (it stays in the history); False if it was already."""
        cur = conn.execute("UPDATE kpi_values SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL",
                           (iso(now), by, value_id))
        return cur.rowcount == 1

    def kpi_span(self, kpi_id: int, since: str, until: str) -> tuple[dict | None, dict | None, int]:
        """First and latest value in [since, until), and how many there are."""
        first = self.one(
            "SELECT * FROM kpi_values WHERE kpi_id = ? AND at >= ? AND at < ? AND deleted_at IS NULL ORDER BY at, id LIMIT 1",
            (kpi_id, since, until),
        )
        if first is None:
            return None, None, 0
        last = self.one(
            "SELECT * FROM kpi_values WHERE kpi_id = ? AND at >= ? AND at < ? AND deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT 1",
            (kpi_id, since, until),
        )
        n = self.one(
            "SELECT COUNT(*) AS n FROM kpi_values WHERE kpi_id = ? AND at >= ? AND at < ? AND deleted_at IS NULL", (kpi_id, since, until)
        )["n"]
        return first, last, n

    # -- outbox: scheduled messages, claimed once ----------------------------

    def enqueue(self, conn, key, channel_key, platform, kind, slot, text, now, data: dict | None = None) -> int | None:
        """`data`: what an adapter builds more than text from (a check-in's owner and goals), kept as JSON."""
        cur = conn.execute(
            "INSERT OR IGNORE INTO outbox (key, channel_key, platform, kind, slot, text, created_at, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, channel_key, platform, kind, slot, text, iso(now),
             json.dumps(data, sort_keys=True) if data is not None else None),
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

    def latest_digest_slots(self, channel_keys: list[str]) -> dict[str, str]:
        """Per channel, the slot of the latest digest ever queued."""
        out: dict[str, str] = {}
        for i in range(0, len(channel_keys), 500):
            chunk = channel_keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.all(
                f"SELECT channel_key, MAX(slot) AS slot FROM outbox WHERE kind = 'digest' AND channel_key IN ({marks})"
                " GROUP BY channel_key", chunk):
                out[r["channel_key"]] = r["slot"]
        return out

    # -- check-ins: each team's pass claimed once per slot ------------------------

    def claim_checkin_pass(self, conn, team: str, slot: str, now) -> bool:
        """False if this team's pass for this slot was claimed already (by any process)."""
        cur = conn.execute("INSERT OR IGNORE INTO checkin_passes (team, slot, at) VALUES (?, ?, ?)", (team, slot, iso(now)))
        return cur.rowcount == 1

    def checkin_pairs(self, team: str, quarters: list[str], finals: tuple, quiet_since: str) -> list[tuple[str, dict]]:
        """(owner, goal) for every goal of these quarters, not deleted, without a final status, added at or
        before `quiet_since` and with no status change, note or learning after it; by owner, then goal id."""
        marks = ",".join("?" * len(quarters))
        fmarks = ",".join("?" * len(finals))
        rows = self.all(
            f"SELECT g.owner, g.id, g.title, g.status, g.team, g.quarter FROM goals g"
            f" WHERE g.team = ? AND g.quarter IN ({marks}) AND g.deleted = 0 AND g.owner IS NOT NULL"
            f" AND (g.status IS NULL OR g.status NOT IN ({fmarks})) AND g.created_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM goal_events e WHERE e.goal_id = g.id AND e.action = 'status' AND e.at > ?)"
            " AND NOT EXISTS (SELECT 1 FROM learnings l WHERE l.goal_id = g.id AND l.at > ?)"
            " ORDER BY g.owner, g.id", (team, *quarters, *finals, quiet_since, quiet_since, quiet_since))
        return each_owner(rows, self.owners_of_goals([r["id"] for r in rows]))

    # -- the Home tab: a person's goals, and who is touched by changes ---------------

    def goals_owned(self, owner: str, limit: int) -> list[dict]:
        """The owner's goals in every team, newest quarter first, then by team and id."""
        return self.all("SELECT id, title, team, quarter, due, status, note FROM goals WHERE (owner = ? OR id IN (SELECT goal_id FROM goal_owners WHERE who = ?))"
                        " AND deleted = 0"
                        " ORDER BY quarter DESC, team, id LIMIT ?", (owner, owner, limit))

    def goal_owners_changed_since(self, after: int | None) -> tuple[int, set[str]]:
        """(the latest goal event id, the owners, old and new, of goals changed after event `after`);
        with `after` None only the latest id (where a follower of the changes starts)."""
        if after is None:
            return self.one("SELECT COALESCE(MAX(id), 0) AS n FROM goal_events")["n"], set()
        rows = self.all("SELECT e.id, e.goal_id, e.changes, g.owner FROM goal_events e JOIN goals g ON g.id = e.goal_id"
                        " WHERE e.id > ? ORDER BY e.id LIMIT 5000", (after,))
        owners = owners_touched(rows, self.owners_of_goals(sorted({r["goal_id"] for r in rows})))
        return (rows[-1]["id"] if rows else after), owners

    # -- the scheduler's and the digest's reads -------------------------------

    def schedule_rows(self) -> list[dict]:
        """Every public team channel with its team's zone, review date, digest and check-in schedule (and the
        slot of the team's latest check-in pass): what one scheduler pass reads, in one query."""
        return self.all(
            "SELECT c.key, c.platform, c.created_at AS channel_since, t.name AS team, t.tz, t.review_date,"
            " t.review_set_at, t.digest_weekday, t.digest_time, t.digest_tz, t.digest_enabled, t.digest_since,"
            " t.checkin_weekday, t.checkin_time, t.checkin_enabled, COALESCE(t.checkin_since, t.created_at)"
            " AS checkin_since, (SELECT MAX(p.slot) FROM checkin_passes p WHERE p.team = t.name) AS checkin_done"
            " FROM channels c JOIN teams t ON t.name = c.team WHERE c.private = 0")

    def others_changed(self):
        """A token that changes when another connection commits (not on this connection's own writes)."""
        try:
            return self.conn.execute("PRAGMA data_version").fetchone()["data_version"]
        except sqlite3.Error as e:
            raise store_error(e) from e

    def change_token(self):
        """Changes the moment anything is committed to the store, by any process (None: cannot tell)."""
        try:
            conn = self.conn
            return (id(conn), conn.execute("PRAGMA data_version").fetchone()["data_version"], conn.total_changes)
        except Exception:
            return None

    def goals_with_status(self, team: str, quarter: str, status: str | None, limit: int) -> list[dict]:
        """The first goals (by id) of a quarter with this status (None: no status yet)."""
        return self.all(
            "SELECT id, title, status FROM goals WHERE team = ? AND quarter = ? AND deleted = 0 AND status IS ?"
            " ORDER BY id LIMIT ?", (team, quarter, status, limit))

    def team_events(self, team: str, since: str, until: str, limit: int) -> tuple[int, list[dict]]:
        """How many goal events the team had in (since, until], and the first `limit` of them with titles."""
        # CROSS JOIN keeps SQLite on the goal_events(at) index: the week's events, not every goal of the team
        where = " FROM goal_events e CROSS JOIN goals g ON g.id = e.goal_id WHERE g.team = ? AND e.at > ? AND e.at <= ?"
        n = self.one("SELECT COUNT(*) AS n" + where, (team, since, until))["n"]
        rows = self.all("SELECT e.goal_id, e.action, e.changes, e.note, e.by, g.title" + where
                        + " ORDER BY e.at, e.id LIMIT ?", (team, since, until, limit)) if n else []
        return n, rows

    def team_learnings_between(self, team: str, since: str, until: str, limit: int) -> tuple[int, list[dict]]:
        """How many learnings the team recorded in (since, until], and the latest `limit`."""
        where = " FROM learnings WHERE team = ? AND at > ? AND at <= ? AND deleted_at IS NULL"
        n = self.one("SELECT COUNT(*) AS n" + where, (team, since, until))["n"]
        rows = self.all("SELECT id, goal_id, text, by" + where + " ORDER BY at DESC, id DESC LIMIT ?",
                        (team, since, until, limit)) if n else []
        return n, rows

    def kpis_page(self, team: str, limit: int) -> tuple[int, list[dict]]:
        """How many KPIs the team has, and the first `limit` by name."""
        rows = self.all("SELECT * FROM kpis WHERE team = ? ORDER BY name LIMIT ?", (team, limit + 1))
        n = len(rows) if len(rows) <= limit else self.one("SELECT COUNT(*) AS n FROM kpis WHERE team = ?", (team,))["n"]
        return n, rows[:limit]

    def kpi_recent_values(self, kpi_id: int, until: str, n: int) -> list[float]:
        """The KPI's last n values at or before `until`, oldest first."""
        rows = self.all("SELECT value FROM kpi_values WHERE kpi_id = ? AND at <= ? AND deleted_at IS NULL ORDER BY at DESC, id DESC LIMIT ?",
                        (kpi_id, until, n))
        return [r["value"] for r in reversed(rows)]

    def goals_not_final(self, team: str, quarters: list[str], finals: tuple, limit: int) -> tuple[int, list[dict]]:
        """How many goals of these quarters have no final status, and the first `limit`."""
        marks = ",".join("?" * len(quarters))
        fmarks = ",".join("?" * len(finals))
        where = (f" FROM goals g WHERE g.team = ? AND g.quarter IN ({marks}) AND g.deleted = 0"
                 f" AND (g.status IS NULL OR g.status NOT IN ({fmarks}))")
        params = (team, *quarters, *finals)
        counted = self.one(  # from the counts the triggers keep, not a scan of the quarters
            f"SELECT COALESCE(SUM(n), 0) AS n FROM goal_counts WHERE team = ? AND quarter IN ({marks})"
            f" AND status NOT IN ({fmarks})", params)["n"]
        return counted, self.all("SELECT g.id, g.title, g.status" + where + " ORDER BY g.id LIMIT ?", (*params, limit))

    def goals_without_learning(self, team: str, quarters: list[str], limit: int) -> tuple[int, list[dict]]:
        """How many goals of these quarters have no learning, and the first `limit`."""
        marks = ",".join("?" * len(quarters))
        where = (f" FROM goals g WHERE g.team = ? AND g.quarter IN ({marks}) AND g.deleted = 0"
                 " AND NOT EXISTS (SELECT 1 FROM learnings l WHERE l.goal_id = g.id AND l.deleted_at IS NULL)")
        params = (team, *quarters)
        n = self.one("SELECT COUNT(*) AS n" + where, params)["n"]
        return n, self.all("SELECT g.id, g.title" + where + " ORDER BY g.id LIMIT ?", (*params, limit))

    # -- what storage/exchange.py reads and writes ----------------------------------

    def exchange_rows(self, team: str | None = None) -> dict[str, list[dict]]:
        """Every row an export holds (of one team: also the goals that were the team's once)."""
        if not team:
            return {t: self.all(f"SELECT * FROM {t} ORDER BY {order}") for t, order in _EXPORT_ORDER.items()}
        # a shared goal is in the other team's document too (its review shows it)
        goal_where = ("WHERE team = ? OR id IN (SELECT goal_id FROM goal_events WHERE action = 'edit'"
                      " AND json_extract(changes, '$.team[0]') = ?) OR id IN (SELECT goal_id FROM goal_shares"
                      " WHERE team = ?)")
        return {
            "teams": self.all("SELECT * FROM teams WHERE name = ? ORDER BY name", (team,)),
            "channels": self.all("SELECT * FROM channels WHERE team = ? ORDER BY key", (team,)),
            "people": self.all("SELECT * FROM people ORDER BY id"),
            "goals": self.all(f"SELECT * FROM goals {goal_where} ORDER BY id", (team, team, team)),
            "goal_events": self.all(f"SELECT * FROM goal_events WHERE goal_id IN (SELECT id FROM goals {goal_where})"
                                    " ORDER BY id", (team, team, team)),
            "kpis": self.all("SELECT * FROM kpis WHERE team = ? ORDER BY team, name", (team,)),
            "quarter_closes": self.all("SELECT * FROM quarter_closes WHERE team = ? ORDER BY team, quarter", (team,)),
            "kpi_values": self.all("SELECT v.* FROM kpi_values v JOIN kpis k ON k.id = v.kpi_id WHERE k.team = ?"
                                   " ORDER BY v.kpi_id, v.at, v.id", (team,)),
            "learnings": self.all(f"SELECT * FROM learnings WHERE team = ? OR goal_id IN (SELECT id FROM goals"
                                  f" {goal_where}) ORDER BY id", (team, team, team, team)),
            **{t: self.all(f"SELECT * FROM {t} ORDER BY {_EXPORT_ORDER[t]}") for t in _LINKS},  # read by goal id
        }

    def forget_history(self, conn, gid: int) -> None:
        conn.execute("DELETE FROM goal_events WHERE goal_id = ?", (gid,))

    def holds_data(self) -> bool:
        return bool(self.one("SELECT EXISTS (SELECT 1 FROM goals) OR EXISTS (SELECT 1 FROM teams)"
                             " OR EXISTS (SELECT 1 FROM kpis) OR EXISTS (SELECT 1 FROM learnings) AS n")["n"])

    def insert_row(self, conn, table: str, row: dict, ignore_conflict: bool = False) -> int | None:
        """One imported row; returns its id (None: it was there already)."""
        cur = conn.execute(f"INSERT {'OR IGNORE ' if ignore_conflict else ''}INTO {table} ({', '.join(row)})"
                           f" VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        return cur.lastrowid if cur.rowcount else None

    # -- the whole store as one document ----------------------------------------

    def export(self, team: str | None = None) -> dict:
        from .exchange import export

        return export(self, team)

    def import_(self, doc: dict) -> dict:
        from .exchange import import_

        return import_(self, doc)

    # -- Slack deliveries: recorded before the ack ---------------------------------
    # An event or slash command is recorded (key, body) before Slack gets its ack; it is marked applied
    # in the very commit of the command's own writes, so after a crash an unapplied one is run again
    # and an applied one never is.

    def record_delivery(self, key: str, kind: str, body: str, worker: str, now, applied: bool = False) -> bool:
        """False if this key was recorded before (a redelivery)."""
        at = iso(now)
        with self.write() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO slack_inbox (key, kind, body, worker, received_at, applied_at)"
                               " VALUES (?, ?, ?, ?, ?, ?)", (key, kind, body, worker, at, at if applied else None))
        return cur.rowcount == 1

    def delivery_recorded(self, key: str) -> bool:
        return self.one("SELECT 1 AS x FROM slack_inbox WHERE key = ?", (key,)) is not None

    @contextmanager
    def applying_delivery(self, key: str, worker: str, now, record: tuple[str, str] | None = None):
        """Within: the next write transaction of this thread also marks `key` applied (or, with
        `record` = (kind, body), records it applied). Yields a flag object: `.applied` once that commit
        happened. StoreConflict (and a rollback) if the delivery was applied or recorded meanwhile."""
        slot = _Applying(key, worker, iso(now), record)
        self._local.rider = slot
        try:
            yield slot
        finally:
            self._local.rider = None

    def _ride(self, conn) -> None:
        slot = getattr(self._local, "rider", None)
        if slot is None or slot.applied:
            return
        self._local.rider = None
        if slot.record:
            cur = conn.execute("INSERT OR IGNORE INTO slack_inbox (key, kind, body, worker, received_at, applied_at)"
                               " VALUES (?, ?, ?, ?, ?, ?)", (slot.key, *slot.record, slot.worker, slot.at, slot.at))
        else:
            cur = conn.execute("UPDATE slack_inbox SET applied_at = ? WHERE key = ? AND worker = ?"
                               " AND applied_at IS NULL", (slot.at, slot.key, slot.worker))
        if cur.rowcount != 1:
            raise StoreConflict(f"delivery {slot.key} was processed meanwhile")
        slot.applied = True

    def mark_delivery_applied(self, key: str, worker: str, now) -> bool:
        with self.write() as conn:
            cur = conn.execute("UPDATE slack_inbox SET applied_at = ? WHERE key = ? AND worker = ?"
                               " AND applied_at IS NULL", (iso(now), key, worker))
        return cur.rowcount == 1

    def take_unapplied_deliveries(self, worker: str, gone, stale_before, limit: int = 500) -> list[dict]:
        """Recorded, unapplied deliveries whose worker is `gone(worker)` or that were received before
        `stale_before`, taken over by `worker`, oldest first."""
        with self.write() as conn:
            rows = conn.execute("SELECT key, kind, body, worker, received_at FROM slack_inbox"
                                " WHERE applied_at IS NULL ORDER BY received_at, rowid LIMIT ?", (limit,)).fetchall()
            rows = [r for r in rows if r["worker"] != worker and (gone(r["worker"]) or r["received_at"] < iso(stale_before))]
            for r in rows:
                conn.execute("UPDATE slack_inbox SET worker = ? WHERE key = ?", (worker, r["key"]))
        return rows

    def record_post_attempt(self, outbox_id: int, now) -> bool:
        """False if a post of this outbox row was attempted before (it may have reached Slack)."""
        with self.write() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO slack_post_attempts (outbox_id, at) VALUES (?, ?)",
                               (outbox_id, iso(now)))
        return cur.rowcount == 1

    @contextmanager
    def bounded_wait(self, seconds: float):
        """Within: this thread waits at most `seconds` for another process's lock (then StoreBusy)."""
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")


class _Applying:
    __slots__ = ("key", "worker", "at", "record", "applied")

    def __init__(self, key, worker, at, record):
        self.key, self.worker, self.at, self.record, self.applied = key, worker, at, record, False


_EXPORT_ORDER = {"teams": "name", "channels": "key", "people": "id", "goals": "id", "goal_events": "id",
                 "kpis": "team, name", "kpi_values": "kpi_id, at, id", "learnings": "id", "outbox": "id",
                 "quarter_closes": "team, quarter", "goal_owners": "goal_id, pos", "goal_shares": "goal_id, team",
                 "learning_events": "id"}
_LINKS = ("goal_owners", "goal_shares", "learning_events")  # m007_corrections: rows keyed by a goal or learning
