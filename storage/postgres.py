"""The store on PostgreSQL (psycopg 3): every process on every host shares one database.

The same methods, rows and errors as storage/sqlite.py. Connections come from a small pool (Slack
runs listeners on threads); a connection found dead is dropped and the next command opens a new
one, so a restarted server costs the commands sent while it was down an error reply, nothing more.
Exactly-once lives in the database: unique keys for the outbox and Slack event ids, and
`FOR UPDATE SKIP LOCKED` for claims.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterable
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import errors as pgerr
from psycopg.rows import dict_row

from bot.ports import StoreBusy, StoreConflict, StoreRefused, StoreUnavailable
from bot.times import iso

from .owners import each_owner, owners_touched
from .meetings import MeetingStore
from .pg_schema import STEPS

OUR_TABLES = {"teams", "channels", "people", "goals", "goal_events", "learnings", "kpis", "kpi_values", "outbox",
              "events_seen", "goal_counts", "quarter_closes", "slack_inbox", "slack_post_attempts",
              "meetings", "learning_events", "goal_owners", "goal_shares"}
MIGRATIONS_TABLE = "goalkeeper_migrations"
MIGRATE_LOCK = 0x60A1_4EE9  # pg_advisory_lock key: one process migrates at a time
GOAL_ID_LOCK = 0x60A1_0001  # held to commit while a goal id is MAX + 1, so ids have no gaps
LEARNING_ID_LOCK = 0x60A1_0002
POOL_SIZE = 8
MARK_RETRY_SECONDS = 10  # how long a delivery's record waits for a restarting server
SCHEMES = ("postgresql", "postgres")


class UrlError(ValueError):
    """DATABASE_URL is not a PostgreSQL URL; str() says why, without the password."""


def where(url: str) -> str:
    """host:port/dbname of a URL, for messages (never the user's password)."""
    u = urlsplit(url)
    host = u.hostname or "localhost"
    return f"{host}:{u.port or 5432}/{unquote(u.path.lstrip('/')) or (u.username or '')}"


def check_url(url: str) -> None:
    try:
        u = urlsplit(url)
        u.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError as e:
        raise UrlError(f"not a PostgreSQL URL ({e}); expected postgresql://user:password@host:port/dbname") from None
    if u.scheme not in SCHEMES or not u.netloc:
        shown = (u.scheme + "://...") if u.scheme else repr(url.split("@")[-1][:40])
        raise UrlError(f"{shown} is not a PostgreSQL URL; expected postgresql://user:password@host:port/dbname")


def _reason(e: Exception) -> str:
    """libpq's message, first line, without the 'connection to server at ... failed:' preamble."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    return text


def start_error(url: str, e: Exception) -> str:
    """What was wrong with DATABASE_URL at start, as one line (the password never printed)."""
    u, text = urlsplit(url), str(e)
    host, db, user = u.hostname or "localhost", unquote(u.path.lstrip("/")) or (u.username or ""), u.username
    if "translate host name" in text or "Name or service not known" in text:
        return f"unknown host {host!r} (the name does not resolve)"
    if "password authentication failed" in text or "no password supplied" in text:
        return f"the server at {host}:{u.port or 5432} refused the password of user {user!r}"
    if "does not exist" in text and "database" in text:
        return f"there is no database {db!r} on {host}:{u.port or 5432} (create it first, e.g. createdb {db})"
    if "role" in text and "does not exist" in text:
        return f"there is no user {user!r} on {host}:{u.port or 5432}"
    return f"cannot reach PostgreSQL at {host}:{u.port or 5432} ({_reason(e)})"


def store_error(e: Exception, url: str) -> Exception:
    """The core's word for a PostgreSQL fault: busy, unreachable, or a broken uniqueness rule."""
    if isinstance(e, pgerr.IntegrityError):
        return StoreConflict(_reason(e))
    if isinstance(e, (pgerr.LockNotAvailable, pgerr.DeadlockDetected, pgerr.SerializationFailure,
                      pgerr.QueryCanceled)):
        return StoreBusy(_reason(e))
    if isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError, pgerr.ReadOnlySqlTransaction)):
        return StoreUnavailable(f"PostgreSQL at {where(url)}: {_reason(e)}")
    return e


class Store(MeetingStore):
    PARAM = "%s"  # the meetings' SQL (storage/meetings.py) is written with `?`
    dialect = "postgresql"
    new_store_hint = "point DATABASE_URL at a new, empty database"

    def __init__(self, url: str, busy_timeout_ms: int = 5000, pool_size: int = POOL_SIZE):
        check_url(url)
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._local = threading.local()
        self._closed = False
        self._pending_marks: dict[int, str] = {}  # deliveries made while the server was gone
        self._marks_lock = threading.Lock()
        conn = self._connect()  # a bad URL, host, password or database fails here, before anything else
        try:
            self._migrate(conn)
        finally:
            conn.close()

    # -- connections ---------------------------------------------------------

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=5,
                               application_name="goalkeeper")
        # a write waits for a lock at most as long as SQLite's busy timeout, then is told the store is busy
        conn.execute(f"SET lock_timeout = {int(self.busy_timeout_ms)}")
        return conn

    def _borrow(self) -> psycopg.Connection:
        wait_ms = getattr(self._local, "wait_ms", None)
        if not self._slots.acquire(timeout=(self.busy_timeout_ms if wait_ms is None else wait_ms) / 1000):
            raise StoreBusy(f"all {POOL_SIZE} database connections of this process are in use")
        try:
            while True:
                try:
                    conn = self._idle.get_nowait()
                except queue.Empty:
                    return self._connect()
                if not conn.closed and not conn.broken:
                    return conn
        except Exception:
            self._slots.release()
            raise

    def _give_back(self, conn: psycopg.Connection) -> None:
        try:
            if conn.closed or conn.broken or self._closed or \
                    conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.close()
            else:
                self._idle.put(conn)
        finally:
            self._slots.release()

    @contextmanager
    def _session(self):
        """A connection for a few statements; a dead one is dropped (the next command reconnects)."""
        tx = getattr(self._local, "tx", None)
        if tx is not None:  # inside this thread's write: read what it wrote
            yield tx
            return
        try:
            conn = self._borrow()
        except psycopg.Error as e:
            raise store_error(e, self.url) from None
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _run(self, sql: str, params, fetch: str):
        attempts = 2 if getattr(self._local, "tx", None) is None else 1
        for attempt in range(attempts):
            with self._session() as conn:
                try:
                    cur = conn.execute(sql, tuple(params))
                    return cur.fetchone() if fetch == "one" else cur.fetchall()
                except psycopg.Error as e:
                    # an idle connection the server dropped (restart): a read is safe to try once more
                    if attempt + 1 < attempts and conn.broken:
                        continue
                    raise store_error(e, self.url) from None

    def one(self, sql: str, params: Iterable = ()) -> dict | None:
        return self._run(sql, params, "one")

    def all(self, sql: str, params: Iterable = ()) -> list[dict]:
        return self._run(sql, params, "all")

    def tuples(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """Rows as plain tuples: a long read (a meeting's log) without a dict per row."""
        from psycopg.rows import tuple_row

        with self._session() as conn:
            try:
                return conn.cursor(row_factory=tuple_row).execute(sql, tuple(params)).fetchall()
            except psycopg.Error as e:
                raise store_error(e, self.url) from None

    def _after_put(self, conn, table: str, row: dict) -> None:
        """An imported meeting row kept its id: the identity continues after it."""
        if "id" in row:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    @contextmanager
    def write(self, single: bool = False):
        """One transaction; a connection that died idle is replaced before BEGIN (nothing sent yet).
        `single` (one statement, SQLite's fast path) changes nothing here: a goal id is MAX + 1 under a lock
        that must last to the commit, so every write is a transaction."""
        if getattr(self._local, "tx", None) is not None:
            raise RuntimeError("a write inside a write")
        for attempt in range(2):
            try:
                conn = self._borrow()
            except psycopg.Error as e:
                raise store_error(e, self.url) from None
            try:
                conn.execute("BEGIN")
                break
            except psycopg.Error as e:
                self._give_back(conn)
                if attempt == 0 and conn.broken:
                    continue
                raise store_error(e, self.url) from None
        self._local.tx = conn
        try:
            wait_ms = getattr(self._local, "wait_ms", None)
            if wait_ms is not None:  # bounded_wait: this transaction waits for locks at most that long
                conn.execute(f"SET LOCAL lock_timeout = {int(wait_ms)}")
            yield conn
            self._ride(conn)  # a Slack delivery marked applied in this same commit (see the end of the class)
        except BaseException as e:
            self._local.tx = None
            self._rollback(conn)
            self._give_back(conn)
            if isinstance(e, psycopg.Error):
                raise store_error(e, self.url) from None
            raise
        self._local.tx = None
        try:
            conn.execute("COMMIT")
        except psycopg.Error as e:
            self._rollback(conn)
            raise store_error(e, self.url) from None
        finally:
            self._give_back(conn)

    @staticmethod
    def _rollback(conn) -> None:
        try:
            if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
        except psycopg.Error:
            conn.close()

    # -- the schema ------------------------------------------------------------

    def _applied(self, conn) -> list[str] | None:
        """The names of the steps this database has, in order (None: no Goalkeeper schema yet)."""
        exists = conn.execute("SELECT to_regclass(%s) AS t", (MIGRATIONS_TABLE,)).fetchone()["t"]
        if exists is None:
            return None
        return [r["name"] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY seq")]

    def _migrate(self, conn) -> None:
        known = [s.__name__ for s in STEPS]
        try:
            if sorted(self._applied(conn) or ()) == sorted(known):
                return  # the usual start: nothing to do, no lock taken
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
            try:
                applied = self._applied(conn)  # another process may have migrated while we waited
                self._refuse_unknown(conn, applied, known)
                if applied is None:
                    conn.execute(f"CREATE TABLE {MIGRATIONS_TABLE} (seq INTEGER PRIMARY KEY, name TEXT NOT NULL"
                                 " UNIQUE, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
                    applied = []
                for step in STEPS:
                    if step.__name__ in applied:
                        continue
                    with conn.transaction():  # a step and its record commit together, or neither
                        step(conn)
                        # seq: the order steps were applied in here (a twin may land in the list's middle)
                        conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (seq, name) SELECT COALESCE(MAX(seq), 0) + 1,"
                                     f" %s FROM {MIGRATIONS_TABLE}", (step.__name__,))
            finally:
                if not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))
        except psycopg.Error as e:
            raise store_error(e, self.url) from None

    def _refuse_unknown(self, conn, applied: list[str] | None, known: list[str]) -> None:
        """A database from a newer Goalkeeper, or holding tables that are not Goalkeeper's, is left as it was."""
        if applied is not None:
            newer = [a for a in applied if a not in known]
            if newer:
                raise StoreRefused(f"{where(self.url)} was written by a newer Goalkeeper (schema version "
                                   f"{len(applied)}; this one knows {len(known)}; steps it does not know: "
                                   f"{', '.join(newer)}); upgrade Goalkeeper to use it")
            return
        clash = {r["table_name"] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")} & OUR_TABLES
        if clash:
            raise StoreRefused(f"{where(self.url)} is not a Goalkeeper database (it already holds tables named "
                               f"{', '.join(sorted(clash))}); point DATABASE_URL at a new database")

    # -- teams and channels --------------------------------------------------

    def team(self, name: str) -> dict | None:
        return self.one("SELECT * FROM teams WHERE name = %s", (name,))

    def teams(self) -> list[dict]:
        return self.all("SELECT * FROM teams ORDER BY name")

    def ensure_team(self, conn, name: str, tz: str, now) -> None:
        conn.execute("INSERT INTO teams (name, tz, digest_since, created_at) VALUES (%s, %s, %s, %s)"
                     " ON CONFLICT DO NOTHING", (name, tz, iso(now), iso(now)))

    def update_team(self, conn, name: str, **fields) -> None:
        cols = ", ".join(f"{k} = %s" for k in fields)
        conn.execute(f"UPDATE teams SET {cols} WHERE name = %s", (*fields.values(), name))

    # -- wiki pages Goalkeeper publishes to (as on SQLite) ------------------------

    def wiki_record(self, api: str, title: str) -> dict | None:
        """revision, section (as the wiki stored it) and pending (a save never confirmed) of one page."""
        return self.one("SELECT revision, section, pending, written_at, by FROM wiki_pages WHERE api = %s AND title = %s",
                        (api, title))

    def wiki_pending(self, conn, api: str, title: str, section: str) -> None:
        """Before a save: the text about to be written, so a save whose answer is lost is still known."""
        conn.execute("INSERT INTO wiki_pages (api, title, pending) VALUES (%s, %s, %s)"
                     " ON CONFLICT (api, title) DO UPDATE SET pending = excluded.pending", (api, title, section))

    def wiki_written(self, conn, api: str, title: str, revision: int, section: str, now, by: str) -> None:
        conn.execute("INSERT INTO wiki_pages (api, title, revision, section, pending, written_at, by)"
                     " VALUES (%s, %s, %s, %s, NULL, %s, %s) ON CONFLICT (api, title) DO UPDATE SET"
                     " revision = excluded.revision, section = excluded.section, pending = NULL,"
                     " written_at = excluded.written_at, by = excluded.by",
                     (api, title, revision, section, iso(now), by))

    def closes(self, team: str) -> dict[str, str]:
        """The team's closed quarters: {label: ISO instant}."""
        return {r["quarter"]: r["at"] for r in self.all("SELECT quarter, at FROM quarter_closes WHERE team = %s",
                                                        (team,))}

    def all_closes(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for r in self.all("SELECT team, quarter, at FROM quarter_closes ORDER BY team, quarter"):
            out.setdefault(r["team"], {})[r["quarter"]] = r["at"]
        return out

    def close_quarter(self, conn, team: str, quarter: str, at: str, by: str, how: str) -> str | None:
        """Stores the close; None if it was new, else the instant the quarter had already closed at."""
        cur = conn.execute("INSERT INTO quarter_closes (team, quarter, at, by, how) VALUES (%s, %s, %s, %s, %s)"
                           " ON CONFLICT DO NOTHING", (team, quarter, at, by, how))
        if cur.rowcount:
            return None
        return conn.execute("SELECT at FROM quarter_closes WHERE team = %s AND quarter = %s",
                            (team, quarter)).fetchone()["at"]

    def set_team_time(self, conn, team: str, quarter: str, split: dict[str, int]) -> None:
        """The declared time split of one quarter, read (and locked: no lost update) and written in the
        caller's transaction."""
        row = conn.execute("SELECT time FROM teams WHERE name = %s FOR UPDATE", (team,)).fetchone()
        time_ = json.loads(row["time"]) if row and row["time"] else {}
        time_[quarter] = split
        conn.execute("UPDATE teams SET time = %s WHERE name = %s", (json.dumps(time_, sort_keys=True), team))

    def channel(self, key: str) -> dict | None:
        return self.one("SELECT * FROM channels WHERE key = %s", (key,))

    def channel_with_tz(self, key: str) -> dict | None:
        return self.one("SELECT c.*, t.tz FROM channels c LEFT JOIN teams t ON t.name = c.team WHERE c.key = %s",
                        (key,))

    def ensure_channel(self, conn, key: str, name: str, platform: str, team: str, private: bool, now) -> None:
        conn.execute("INSERT INTO channels (key, name, platform, team, private, created_at)"
                     " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                     (key, name, platform, team, int(private), iso(now)))

    def set_channel_team(self, conn, key: str, team: str) -> None:
        conn.execute("UPDATE channels SET team = %s WHERE key = %s", (team, key))

    def channels_of(self, team: str) -> list[dict]:
        return self.all("SELECT * FROM channels WHERE team = %s AND private = 0 ORDER BY key", (team,))

    # -- people --------------------------------------------------------------

    def touch_person(self, conn, pid: str, name: str, now) -> None:
        conn.execute("INSERT INTO people (id, name, seen_at) VALUES (%s, %s, %s)"
                     " ON CONFLICT (id) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at",
                     (pid, name, iso(now)))

    def people_named(self, name: str, prefix: str) -> list[str]:
        # lower() under COLLATE "C" folds ASCII only, as SQLite's NOCASE
        rows = self.all(
            "SELECT id FROM people WHERE lower(name) = lower(%s) AND id LIKE %s ESCAPE '\\' ORDER BY seen_at DESC",
            (name, _like_escape(prefix) + "%"))
        return [r["id"] for r in rows]

    def person_names(self, ids: Iterable[str]) -> dict[str, str]:
        ids = [i for i in set(ids) if i]
        if not ids:
            return {}
        return {r["id"]: r["name"] for r in self.all("SELECT id, name FROM people WHERE id = ANY(%s)", (ids,))}

    # -- goals ---------------------------------------------------------------

    def add_goal(self, conn, goal: dict, by: str, now) -> int:
        at = iso(now)
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (GOAL_ID_LOCK,))
        gid = conn.execute(
            "INSERT INTO goals (id, title, team, quarter, owner, creator, kind, due, status, note, deleted, created_at,"
            " updated_at) VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM goals), %s, %s, %s, %s, %s, %s, %s,"
            " NULL, NULL, 0, %s, %s) RETURNING id",
            (goal["title"], goal["team"], goal["quarter"], goal["owner"], by, goal["kind"], goal["due"], at, at),
        ).fetchone()["id"]
        return gid  # its 'create' event: the goal_created trigger (m005)

    def goal(self, gid: int) -> dict | None:
        if not -2**63 <= gid < 2**63:
            return None
        return self.one("SELECT * FROM goals WHERE id = %s", (gid,))

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
            conn.execute("DELETE FROM goal_owners WHERE goal_id = %s", (goal["id"],))
            self._add_owners(conn, goal["id"], diff["owners"][1])
        if "shared" in diff:
            conn.execute("DELETE FROM goal_shares WHERE goal_id = %s", (goal["id"],))
            self._add_shares(conn, goal["id"], diff["shared"][1])
        columns = {k: v for k, v in diff.items() if k not in ("owners", "shared")}
        sets = ", ".join(f"{k} = %s" for k in columns)
        conn.execute(f"UPDATE goals SET {sets + ', ' if sets else ''}updated_at = %s WHERE id = %s",
                     (*[v[1] for v in columns.values()], at, goal["id"]))
        conn.execute("INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (%s, %s, %s, %s, %s, %s)",
                     (goal["id"], at, by, action, json.dumps(diff), note))

    def list_goals(self, team: str, quarter: str, status=None, owner=None, limit=None, not_final=(),
                   shared: bool = False) -> list[dict]:
        """A quarter's goals by id; `not_final`: the final statuses to leave out; `shared`: also the goals
        other teams share with this one."""
        if shared:
            sql = ("SELECT * FROM goals WHERE (team = %s OR id IN (SELECT goal_id FROM goal_shares WHERE team = %s))"
                   " AND quarter = %s AND deleted = 0")
            params: list = [team, team, quarter]
        else:
            sql = "SELECT * FROM goals WHERE team = %s AND quarter = %s AND deleted = 0"
            params = [team, quarter]
        if not_final:
            sql += " AND (status IS NULL OR NOT status = ANY(%s))"
            params.append(list(not_final))
        if status == "none":
            sql += " AND status IS NULL"
        elif status:
            sql += " AND status = %s"
            params.append(status)
        if owner:
            sql += " AND (owner = %s OR id IN (SELECT goal_id FROM goal_owners WHERE who = %s))"
            params += [owner, owner]
        sql += " ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.all(sql, params)

    def count_goals(self, team: str, quarter: str) -> dict:
        """{status or 'none': how many} of a quarter's goals, from the counts the triggers keep."""
        rows = self.all("SELECT status, n FROM goal_counts WHERE team = %s AND quarter = %s AND n > 0",
                        (team, quarter))
        return {r["status"]: r["n"] for r in rows}

    def goal_events(self, gid: int) -> list[dict]:
        return self.all("SELECT * FROM goal_events WHERE goal_id = %s ORDER BY id", (gid,))

    # -- learnings -----------------------------------------------------------

    def add_learning(self, conn, goal_id, team, quarter, text, by, now) -> int:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LEARNING_ID_LOCK,))
        return conn.execute(
            "INSERT INTO learnings (id, goal_id, team, quarter, text, by, at)"
            " VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM learnings), %s, %s, %s, %s, %s, %s) RETURNING id",
            (goal_id, team, quarter, text, by, iso(now))).fetchone()["id"]

    def learnings(self, team: str, quarter: str, words: list[str] = (), limit: int | None = None) -> list[dict]:
        sql = "SELECT * FROM learnings WHERE team = %s AND quarter = %s AND deleted_at IS NULL"
        params: list = [team, quarter]
        for w in words:
            sql += " AND text ILIKE %s ESCAPE '\\'"  # SQLite's LIKE ignores ASCII case; ILIKE under "C" does too
            params.append("%" + _like_escape(w) + "%")
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.all(sql, params)

    def learnings_of_goal(self, gid: int) -> list[dict]:
        return self.all("SELECT * FROM learnings WHERE goal_id = %s AND deleted_at IS NULL ORDER BY id", (gid,))

    # -- KPIs ----------------------------------------------------------------

    def kpi(self, team: str, name: str) -> dict | None:
        return self.one("SELECT * FROM kpis WHERE team = %s AND lower(name) = lower(%s)", (team, name))

    def kpis(self, team: str) -> list[dict]:
        return self.all("SELECT * FROM kpis WHERE team = %s ORDER BY name", (team,))

    def add_kpi(self, conn, team, name, unit, target, better, by, now) -> int:
        return conn.execute(
            "INSERT INTO kpis (team, name, unit, target, better, created_at, created_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (team, name, unit, target, better, iso(now), by)).fetchone()["id"]

    def kpi_before(self, kpi_id: int, before: str) -> dict | None:
        """The KPI's last value before an instant: its baseline for a quarter that begins then."""
        return self.one("SELECT * FROM kpi_values WHERE kpi_id = %s AND at < %s AND deleted_at IS NULL"
                        " ORDER BY at DESC, id DESC LIMIT 1", (kpi_id, before))

    def add_kpi_value(self, conn, kpi_id: int, value: float, by: str, now) -> None:
        conn.execute("INSERT INTO kpi_values (kpi_id, at, value, by) VALUES (%s, %s, %s, %s)",
                     (kpi_id, iso(now), float(value), by))

    def kpi_span(self, kpi_id: int, since: str, until: str) -> tuple[dict | None, dict | None, int]:
        """First and latest value in [since, until), and how many there are."""
        span = (kpi_id, since, until)
        first = self.one("SELECT * FROM kpi_values WHERE kpi_id = %s AND at >= %s AND at < %s AND deleted_at IS NULL"
                         " ORDER BY at, id LIMIT 1", span)
        if first is None:
            return None, None, 0
        last = self.one("SELECT * FROM kpi_values WHERE kpi_id = %s AND at >= %s AND at < %s AND deleted_at IS NULL"
                        " ORDER BY at DESC, id DESC LIMIT 1", span)
        n = self.one("SELECT COUNT(*) AS n FROM kpi_values WHERE kpi_id = %s AND at >= %s AND at < %s"
                     " AND deleted_at IS NULL", span)["n"]
        return first, last, n

    # -- outbox: scheduled messages, claimed once ----------------------------

    def enqueue(self, conn, key, channel_key, platform, kind, slot, text, now, data: dict | None = None) -> int | None:
        text = text.replace("\x00", "")  # PostgreSQL text holds no NUL; no platform would send one anyway
        blob = json.dumps(data, sort_keys=True) if data is not None else None
        row = conn.execute(
            "INSERT INTO outbox (key, channel_key, platform, kind, slot, text, created_at, data)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            (key, channel_key, platform, kind, slot, text, iso(now), blob)).fetchone()
        return row["id"] if row else None

    def outbox_has(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        return {r["key"] for r in self.all("SELECT key FROM outbox WHERE key = ANY(%s)", (list(keys),))}

    def claim(self, platform: str, now, worker: str, lease_seconds: int, limit: int) -> list[dict]:
        """Undelivered messages of a platform not claimed by a live worker; a lease that ran out is taken over.
        SKIP LOCKED: two workers claiming at once get different rows and never wait on each other."""
        self._flush_marks()  # deliveries recorded first: never hand out one that went out already
        at = iso(now)
        expired = iso(now - timedelta(seconds=lease_seconds))
        with self.write() as conn:
            rows = conn.execute(
                "WITH free AS (SELECT id FROM outbox WHERE platform = %s AND delivered_at IS NULL"
                " AND (claimed_at IS NULL OR claimed_at < %s OR claimed_at > %s) ORDER BY id LIMIT %s"
                " FOR UPDATE SKIP LOCKED)"
                " UPDATE outbox o SET claimed_at = %s, claimed_by = %s, attempts = o.attempts + 1"
                " FROM free WHERE o.id = free.id RETURNING o.*",
                (platform, expired, at, limit, at, worker)).fetchall()
        return sorted(rows, key=lambda r: r["id"])

    def mark_delivered(self, oid: int, now) -> None:
        """Record a delivery. The message is out already: if the server is gone, keep trying for a while
        (and again before the next claim), so a restart does not let the lease run out and send it twice."""
        with self._marks_lock:
            self._pending_marks[oid] = iso(now)
        self._flush_marks(wait=MARK_RETRY_SECONDS)

    def _flush_marks(self, wait: float = 0.0) -> None:
        deadline = time.monotonic() + wait
        while True:
            with self._marks_lock:
                marks = dict(self._pending_marks)
            if not marks:
                return
            try:
                with self.write() as conn:
                    for oid, at in marks.items():
                        conn.execute("UPDATE outbox SET delivered_at = %s WHERE id = %s AND delivered_at IS NULL",
                                     (at, oid))
            except StoreUnavailable:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
                continue
            with self._marks_lock:
                for oid in marks:
                    self._pending_marks.pop(oid, None)

    def release(self, oid: int) -> None:
        """Give a claimed message back at once (delivery failed), so the next pass retries it."""
        with self.write() as conn:
            conn.execute("UPDATE outbox SET claimed_at = NULL, claimed_by = NULL WHERE id = %s"
                         " AND delivered_at IS NULL", (oid,))

    def outbox(self) -> list[dict]:
        return self.all("SELECT * FROM outbox ORDER BY id")

    def latest_digest_slots(self, channel_keys: list[str]) -> dict[str, str]:
        """Per channel, the slot of the latest digest ever queued."""
        if not channel_keys:
            return {}
        rows = self.all("SELECT channel_key, MAX(slot) AS slot FROM outbox WHERE kind = 'digest'"
                        " AND channel_key = ANY(%s) GROUP BY channel_key", (list(channel_keys),))
        return {r["channel_key"]: r["slot"] for r in rows}

    # -- check-ins: each team's pass claimed once per slot (as storage/sqlite.py) ---------

    def claim_checkin_pass(self, conn, team: str, slot: str, now) -> bool:
        row = conn.execute("INSERT INTO checkin_passes (team, slot, at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
                           " RETURNING team", (team, slot, iso(now))).fetchone()
        return row is not None

    def checkin_pairs(self, team: str, quarters: list[str], finals: tuple, quiet_since: str) -> list[tuple[str, dict]]:
        rows = self.all(
            "SELECT g.owner, g.id, g.title, g.status, g.team, g.quarter FROM goals g"
            " WHERE g.team = %s AND g.quarter = ANY(%s) AND g.deleted = 0 AND g.owner IS NOT NULL"
            " AND (g.status IS NULL OR g.status <> ALL(%s)) AND g.created_at <= %s"
            " AND NOT EXISTS (SELECT 1 FROM goal_events e WHERE e.goal_id = g.id AND e.action = 'status' AND e.at > %s)"
            " AND NOT EXISTS (SELECT 1 FROM learnings l WHERE l.goal_id = g.id AND l.at > %s)"
            " ORDER BY g.owner, g.id", (team, list(quarters), list(finals), quiet_since, quiet_since, quiet_since))
        return each_owner(rows, self.owners_of_goals([r["id"] for r in rows]))

    # -- the Home tab (as storage/sqlite.py) ---------------------------------------

    def goals_owned(self, owner: str, limit: int) -> list[dict]:
        return self.all("SELECT id, title, team, quarter, due, status, note FROM goals WHERE (owner = %s OR id IN (SELECT goal_id FROM goal_owners WHERE who = %s))"
                        " AND deleted = 0"
                        " ORDER BY quarter DESC, team, id LIMIT %s", (owner, owner, limit))

    def goal_owners_changed_since(self, after: int | None) -> tuple[int, set[str]]:
        if after is None:
            return self.one("SELECT COALESCE(MAX(id), 0) AS n FROM goal_events")["n"], set()
        rows = self.all("SELECT e.id, e.goal_id, e.changes, g.owner FROM goal_events e JOIN goals g ON g.id = e.goal_id"
                        " WHERE e.id > %s ORDER BY e.id LIMIT 5000", (after,))
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
        """A token that changes when another connection commits (here: whenever any transaction on the
        server starts or ends, this one's too: more re-reads than SQLite's data_version, never fewer)."""
        return self.one("SELECT pg_current_snapshot()::text AS s")["s"]

    def change_token(self):
        """Changes the moment anything is committed to the store, by any process (None: cannot tell).
        The server's snapshot (oldest running, next id, those running) moves whenever a writing
        transaction starts or ends anywhere on the server: sometimes without need, never too late."""
        try:
            return self.one("SELECT pg_current_snapshot()::text AS s")["s"]
        except Exception:
            return None

    def goals_with_status(self, team: str, quarter: str, status: str | None, limit: int) -> list[dict]:
        """The first goals (by id) of a quarter with this status (None: no status yet)."""
        test, params = ("status IS NULL", (team, quarter, limit)) if status is None else (
            "status = %s", (team, quarter, status, limit))
        return self.all(f"SELECT id, title, status FROM goals WHERE team = %s AND quarter = %s AND deleted = 0"
                        f" AND {test} ORDER BY id LIMIT %s", params)

    def team_events(self, team: str, since: str, until: str, limit: int) -> tuple[int, list[dict]]:
        """How many goal events the team had in (since, until], and the first `limit` of them with titles."""
        where_ = " FROM goal_events e JOIN goals g ON g.id = e.goal_id WHERE g.team = %s AND e.at > %s AND e.at <= %s"
        n = self.one("SELECT COUNT(*) AS n" + where_, (team, since, until))["n"]
        rows = self.all("SELECT e.goal_id, e.action, e.changes, e.note, e.by, g.title" + where_
                        + " ORDER BY e.at, e.id LIMIT %s", (team, since, until, limit)) if n else []
        return n, rows

    def team_learnings_between(self, team: str, since: str, until: str, limit: int) -> tuple[int, list[dict]]:
        """How many learnings the team recorded in (since, until], and the latest `limit`."""
        where_ = " FROM learnings WHERE team = %s AND at > %s AND at <= %s AND deleted_at IS NULL"
        n = self.one("SELECT COUNT(*) AS n" + where_, (team, since, until))["n"]
        rows = self.all("SELECT id, goal_id, text, by" + where_ + " ORDER BY at DESC, id DESC LIMIT %s",
                        (team, since, until, limit)) if n else []
        return n, rows

    def kpis_page(self, team: str, limit: int) -> tuple[int, list[dict]]:
        """How many KPIs the team has, and the first `limit` by name."""
        rows = self.all("SELECT * FROM kpis WHERE team = %s ORDER BY name LIMIT %s", (team, limit + 1))
        n = len(rows) if len(rows) <= limit else self.one("SELECT COUNT(*) AS n FROM kpis WHERE team = %s",
                                                          (team,))["n"]
        return n, rows[:limit]

    def kpi_recent_values(self, kpi_id: int, until: str, n: int) -> list[float]:
        """The KPI's last n values at or before `until`, oldest first."""
        rows = self.all("SELECT value FROM kpi_values WHERE kpi_id = %s AND at <= %s AND deleted_at IS NULL"
                        " ORDER BY at DESC, id DESC LIMIT %s", (kpi_id, until, n))
        return [r["value"] for r in reversed(rows)]

    def goals_not_final(self, team: str, quarters: list[str], finals: tuple, limit: int) -> tuple[int, list[dict]]:
        """How many goals of these quarters have no final status, and the first `limit`."""
        where_ = (" FROM goals g WHERE g.team = %s AND g.quarter = ANY(%s) AND g.deleted = 0"
                  " AND (g.status IS NULL OR NOT g.status = ANY(%s))")
        params = (team, list(quarters), list(finals))
        counted = self.one(  # from the counts the triggers keep, not a scan of the quarters
            "SELECT COALESCE(SUM(n), 0) AS n FROM goal_counts WHERE team = %s AND quarter = ANY(%s)"
            " AND NOT status = ANY(%s)", params)["n"]
        return counted, self.all("SELECT g.id, g.title, g.status" + where_ + " ORDER BY g.id LIMIT %s",
                                 (*params, limit))

    def goals_without_learning(self, team: str, quarters: list[str], limit: int) -> tuple[int, list[dict]]:
        """How many goals of these quarters have no learning, and the first `limit`."""
        where_ = (" FROM goals g WHERE g.team = %s AND g.quarter = ANY(%s) AND g.deleted = 0"
                  " AND NOT EXISTS (SELECT 1 FROM learnings l WHERE l.goal_id = g.id AND l.deleted_at IS NULL)")
        params = (team, list(quarters))
        n = self.one("SELECT COUNT(*) AS n" + where_, params)["n"]
        return n, self.all("SELECT g.id, g.title" + where_ + " ORDER BY g.id LIMIT %s", (*params, limit))

    # -- corrections, several owners, shared teams, carry-over (m007_corrections) -------------

    def _add_owners(self, conn, gid: int, owners: list[str]) -> None:
        if len(owners) > 1:  # one owner lives in goals.owner alone
            for pos, who in enumerate(owners):
                conn.execute("INSERT INTO goal_owners (goal_id, pos, who) VALUES (%s, %s, %s)", (gid, pos, who))

    def _add_shares(self, conn, gid: int, teams: list[str]) -> None:
        for t in teams:
            conn.execute("INSERT INTO goal_shares (goal_id, team) VALUES (%s, %s) ON CONFLICT DO NOTHING", (gid, t))

    def add_goal_links(self, conn, gid: int, owners: list[str], shared: list[str], continues: int | None = None) -> None:
        """A new goal's several owners, shared teams and the goal it continues (same transaction as add_goal)."""
        self._add_owners(conn, gid, owners)
        self._add_shares(conn, gid, shared)
        if continues is not None:
            conn.execute("UPDATE goals SET continues = %s WHERE id = %s", (continues, gid))

    def owners_of(self, gid: int) -> list[str]:
        """Every owner of a goal, the first (goals.owner) first; [] if it has none."""
        rows = self.all("SELECT who FROM goal_owners WHERE goal_id = %s ORDER BY pos", (gid,))
        if rows:
            return [r["who"] for r in rows]
        g = self.one("SELECT owner FROM goals WHERE id = %s", (gid,))
        return [g["owner"]] if g and g["owner"] else []

    def owners_of_goals(self, gids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for r in self.all("SELECT goal_id, who FROM goal_owners WHERE goal_id = ANY(%s) ORDER BY goal_id, pos",
                          (list(gids),)):
            out.setdefault(r["goal_id"], []).append(r["who"])
        return out

    def shared_of(self, gid: int) -> list[str]:
        return [r["team"] for r in self.all("SELECT team FROM goal_shares WHERE goal_id = %s ORDER BY team", (gid,))]

    def shared_of_goals(self, gids: list[int]) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for r in self.all("SELECT goal_id, team FROM goal_shares WHERE goal_id = ANY(%s) ORDER BY goal_id, team",
                          (list(gids),)):
            out.setdefault(r["goal_id"], []).append(r["team"])
        return out

    def goals_shared_with(self, team: str, quarter: str, limit: int) -> list[dict]:
        return self.all("SELECT g.id, g.title, g.team, g.status FROM goal_shares s JOIN goals g ON g.id = s.goal_id"
                        " WHERE s.team = %s AND g.quarter = %s AND g.deleted = 0 ORDER BY g.id LIMIT %s",
                        (team, quarter, limit))

    def continued_as_of(self, gids: list[int]) -> dict[int, int]:
        return {r["continues"]: r["id"] for r in self.all(
            "SELECT continues, MAX(id) AS id FROM goals WHERE continues = ANY(%s) AND deleted = 0 GROUP BY continues",
            (list(gids),))}

    def add_goal_event(self, conn, gid: int, action: str, changes: dict, by: str, now) -> None:
        conn.execute("INSERT INTO goal_events (goal_id, at, by, action, changes, note) VALUES (%s, %s, %s, %s, %s, NULL)",
                     (gid, iso(now), by, action, json.dumps(changes)))

    def continuations(self, gid: int) -> list[dict]:
        return self.all("SELECT * FROM goals WHERE continues = %s ORDER BY id", (gid,))

    def learning(self, lid: int) -> dict | None:
        if not -2**63 <= lid < 2**63:
            return None
        return self.one("SELECT * FROM learnings WHERE id = %s", (lid,))

    def learning_events(self, lid: int) -> list[dict]:
        return self.all("SELECT * FROM learning_events WHERE learning_id = %s ORDER BY id", (lid,))

    def edit_learning(self, conn, lid: int, old: str, text: str, by: str, now) -> None:
        conn.execute("UPDATE learnings SET text = %s WHERE id = %s", (text, lid))
        conn.execute("INSERT INTO learning_events (learning_id, at, by, action, changes) VALUES (%s, %s, %s, 'edit', %s)",
                     (lid, iso(now), by, json.dumps({"text": [old, text]})))

    def delete_learning(self, conn, lid: int, by: str, now) -> None:
        conn.execute("UPDATE learnings SET deleted_at = %s, deleted_by = %s WHERE id = %s", (iso(now), by, lid))
        conn.execute("INSERT INTO learning_events (learning_id, at, by, action, changes)"
                     " VALUES (%s, %s, %s, 'delete', %s)", (lid, iso(now), by, json.dumps({"deleted": [False, True]})))

    def kpi_latest(self, kpi_id: int) -> dict | None:
        return self.one("SELECT * FROM kpi_values WHERE kpi_id = %s AND deleted_at IS NULL ORDER BY at DESC, id DESC"
                        " LIMIT 1", (kpi_id,))

    def undo_kpi_value(self, conn, value_id: int, by: str, now) -> bool:
        cur = conn.execute("UPDATE kpi_values SET deleted_at = %s, deleted_by = %s WHERE id = %s AND deleted_at IS NULL",
                           (iso(now), by, value_id))
        return cur.rowcount == 1

    # -- what storage/exchange.py reads and writes ----------------------------------

    def exchange_rows(self, team: str | None = None) -> dict[str, list[dict]]:
        """Every row an export holds (of one team: also the goals that were the team's once)."""
        if not team:
            return {t: self.all(f"SELECT * FROM {t} ORDER BY {order}") for t, order in _EXPORT_ORDER.items()}
        # UNION, not OR: each side keeps its index (the team's goals; the few edits that moved a goal)
        ids = ("(SELECT id FROM goals WHERE team = %s UNION SELECT goal_id FROM goal_events WHERE action = 'edit'"
               " AND ((changes::jsonb -> 'team') ->> 0) = %s UNION SELECT goal_id FROM goal_shares WHERE team = %s)")
        return {
            "teams": self.all("SELECT * FROM teams WHERE name = %s ORDER BY name", (team,)),
            "channels": self.all("SELECT * FROM channels WHERE team = %s ORDER BY key", (team,)),
            "people": self.all("SELECT * FROM people ORDER BY id"),
            "goals": self.all(f"SELECT * FROM goals WHERE id IN {ids} ORDER BY id", (team, team, team)),
            "goal_events": self.all(f"SELECT * FROM goal_events WHERE goal_id IN {ids} ORDER BY id", (team, team, team)),
            "kpis": self.all("SELECT * FROM kpis WHERE team = %s ORDER BY team, name", (team,)),
            "quarter_closes": self.all("SELECT * FROM quarter_closes WHERE team = %s ORDER BY team, quarter", (team,)),
            "kpi_values": self.all("SELECT v.* FROM kpi_values v JOIN kpis k ON k.id = v.kpi_id WHERE k.team = %s"
                                   " ORDER BY v.kpi_id, v.at, v.id", (team,)),
            "learnings": self.all(f"SELECT * FROM learnings WHERE team = %s UNION SELECT * FROM learnings"
                                  f" WHERE goal_id IN {ids} ORDER BY id", (team, team, team, team)),
            **{t: self.all(f"SELECT * FROM {t} ORDER BY {_EXPORT_ORDER[t]}") for t in _LINKS},  # read by goal id
        }

    def forget_history(self, conn, gid: int) -> None:
        conn.execute("DELETE FROM goal_events WHERE goal_id = %s", (gid,))

    def holds_data(self) -> bool:
        return bool(self.one("SELECT EXISTS (SELECT 1 FROM goals) OR EXISTS (SELECT 1 FROM teams)"
                             " OR EXISTS (SELECT 1 FROM kpis) OR EXISTS (SELECT 1 FROM learnings) AS n")["n"])

    def insert_row(self, conn, table: str, row: dict, ignore_conflict: bool = False) -> int | None:
        """One imported row; returns its id (None: it was there already)."""
        cols = ", ".join(row)
        marks = ", ".join(["%s"] * len(row))
        returning = " RETURNING id" if table in _WITH_ID else ""
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}){' ON CONFLICT DO NOTHING' if ignore_conflict else ''}"
        cur = conn.execute(sql + returning, tuple(row.values()))
        got = cur.fetchone() if returning else None
        return got["id"] if got else None

    def export(self, team: str | None = None) -> dict:
        from .exchange import export

        return export(self, team)

    def import_(self, doc: dict) -> dict:
        from .exchange import import_

        return import_(self, doc)

    # -- Slack deliveries: recorded before the ack (as storage/sqlite.py) -------------

    def record_delivery(self, key: str, kind: str, body: str, worker: str, now, applied: bool = False) -> bool:
        """False if this key was recorded before (a redelivery, to this host or another)."""
        at = iso(now)
        with self.write() as conn:
            cur = conn.execute("INSERT INTO slack_inbox (key, kind, body, worker, received_at, applied_at)"
                               " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                               (key, kind, body.replace("\x00", ""), worker, at, at if applied else None))
        return cur.rowcount == 1

    def delivery_recorded(self, key: str) -> bool:
        return self.one("SELECT 1 AS x FROM slack_inbox WHERE key = %s", (key,)) is not None

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
            cur = conn.execute("INSERT INTO slack_inbox (key, kind, body, worker, received_at, applied_at)"
                               " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                               (slot.key, slot.record[0], slot.record[1].replace("\x00", ""), slot.worker, slot.at,
                                slot.at))
        else:
            cur = conn.execute("UPDATE slack_inbox SET applied_at = %s WHERE key = %s AND worker = %s"
                               " AND applied_at IS NULL", (slot.at, slot.key, slot.worker))
        if cur.rowcount != 1:
            raise StoreConflict(f"delivery {slot.key} was processed meanwhile")
        slot.applied = True

    def mark_delivery_applied(self, key: str, worker: str, now) -> bool:
        with self.write() as conn:
            cur = conn.execute("UPDATE slack_inbox SET applied_at = %s WHERE key = %s AND worker = %s"
                               " AND applied_at IS NULL", (iso(now), key, worker))
        return cur.rowcount == 1

    def take_unapplied_deliveries(self, worker: str, gone, stale_before, limit: int = 500) -> list[dict]:
        """Recorded, unapplied deliveries whose worker is `gone(worker)` or that were received before
        `stale_before`, taken over by `worker`, oldest first. SKIP LOCKED: two hosts taking over at once
        never take the same one."""
        with self.write() as conn:
            rows = conn.execute("SELECT key, kind, body, worker, received_at FROM slack_inbox"
                                " WHERE applied_at IS NULL ORDER BY received_at, seq LIMIT %s FOR UPDATE SKIP LOCKED",
                                (limit,)).fetchall()
            rows = [r for r in rows if r["worker"] != worker and (gone(r["worker"]) or r["received_at"] < iso(stale_before))]
            for r in rows:
                conn.execute("UPDATE slack_inbox SET worker = %s WHERE key = %s", (worker, r["key"]))
        return rows

    def record_post_attempt(self, outbox_id: int, now) -> bool:
        """False if a post of this outbox row was attempted before (it may have reached Slack)."""
        with self.write() as conn:
            cur = conn.execute("INSERT INTO slack_post_attempts (outbox_id, at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                               (outbox_id, iso(now)))
        return cur.rowcount == 1

    @contextmanager
    def bounded_wait(self, seconds: float):
        """Within: this thread waits at most `seconds` for a lock or a pooled connection (then StoreBusy)."""
        before = getattr(self._local, "wait_ms", None)
        self._local.wait_ms = max(1, int(seconds * 1000))
        try:
            yield
        finally:
            self._local.wait_ms = before


class _Applying:
    __slots__ = ("key", "worker", "at", "record", "applied")

    def __init__(self, key, worker, at, record):
        self.key, self.worker, self.at, self.record, self.applied = key, worker, at, record, False


_EXPORT_ORDER = {"teams": "name", "channels": "key", "people": "id", "goals": "id", "goal_events": "id",
                 "kpis": "team, name", "kpi_values": "kpi_id, at, id", "learnings": "id", "outbox": "id",
                 "quarter_closes": "team, quarter", "goal_owners": "goal_id, pos", "goal_shares": "goal_id, team",
                 "learning_events": "id"}
_LINKS = ("goal_owners", "goal_shares", "learning_events")  # m007_corrections: rows keyed by a goal or learning
_WITH_ID = {"goals", "goal_events", "learnings", "kpis", "kpi_values", "outbox"}


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
