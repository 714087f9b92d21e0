"""A real PostgreSQL server (Debian's, under /usr/lib/postgresql/<v>/bin), started once per session on
a free loopback port in a temporary directory; each test gets its own database, copied from a
template that already holds the schema. A missing server fails the tests that need it, never skips."""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest

USER, PASSWORD = "gk", "s3cret-pw"
TEMPLATE = "gk_template"


def pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): "
                           "apt-get install postgresql")
    return os.path.dirname(found[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse root: run them as the postgres user."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, check=check, timeout=60)


class PgServer:
    def __init__(self, durable: bool = False):
        self.durable = durable  # bench: fsync on, as a real server
        self.bin = pg_bin()
        self.dir = tempfile.mkdtemp(prefix="gk-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self._lock = threading.Lock()
        self._dbs: dict[str, str] = {}  # test's path -> its database
        self._admin = None
        self._droppers: list[threading.Thread] = []
        self._admin_lock = threading.Lock()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        # over TCP the password is checked (a wrong one must be refused); over the socket it is not
        as_postgres(f"{self.bin}/initdb", "-D", self.data, "-U", USER, f"--pwfile={pwfile}", "--auth-local=trust",
                    "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "-N")
        self.start()
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        from storage.postgres import Store

        Store(self.url(TEMPLATE)).close()  # the schema, migrated once; every test's database is a copy

    def url(self, db: str, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        # fsync off: the tests kill the server, never the machine; commits stay synchronous
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200"
        if not self.durable:
            opts += " -c fsync=off -c full_page_writes=off -c shared_buffers=32MB"
        as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w",
                    "start")

    def stop(self, mode: str = "fast") -> None:
        as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def admin(self, sql: str) -> None:
        import psycopg

        with self._admin_lock:
            for attempt in range(2):
                try:
                    if self._admin is None or self._admin.closed or self._admin.broken:
                        self._admin = psycopg.connect(self.url("postgres"), autocommit=True)
                    self._admin.execute(sql)
                    return
                except psycopg.OperationalError:
                    self._admin = None  # the fault tests restart the server under it
                    if attempt:
                        raise

    def database_for(self, key: str) -> str:
        """The URL of this test's own database (the same key: the same database, as a SQLite path)."""
        with self._lock:
            if key not in self._dbs:
                name = "t_" + hashlib.sha1(key.encode()).hexdigest()[:20]
                # FILE_COPY: a tenth of WAL_LOG's time for a small template (and fsync is off)
                self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
                self._dbs[key] = name
            return self.url(self._dbs[key])

    def fresh(self, name: str) -> str:
        """An empty database with no schema at all (for start-up and migration tests)."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.admin(f"CREATE DATABASE {name}")
        with self._lock:
            self._dbs[f"fresh:{name}"] = name
        return self.url(name)

    def drop_all(self) -> None:
        """Drop this test's databases behind the next test's back (their processes may still hold them)."""
        with self._lock:
            names, self._dbs = list(self._dbs.values()), {}
        if names:
            t = threading.Thread(target=self._drop, args=(names,), daemon=True)
            t.start()
            self._droppers.append(t)

    def _drop(self, names: list[str]) -> None:
        for name in names:
            try:
                self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception:  # the server is stopped at the end of the session anyway
                pass

    def close(self) -> None:
        for t in self._droppers:
            t.join(30)
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer()
    yield server
    server.close()
