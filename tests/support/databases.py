"""Databases made by real Langflow, on SQLite and PostgreSQL, one fresh copy a test.

- SQLite: ``tests/fixtures/langflow-<version>.db`` (built by ``tests/fixtures/build.sh`` with
  Langflow's own startup and HTTP API) is copied into ``tmp_path``.
- PostgreSQL: ``tests/fixtures/langflow-<version>.pg.sql`` (``pg_dump`` of the same build made
  on PostgreSQL) is loaded once per session into a template database; each test gets
  ``CREATE DATABASE ... TEMPLATE``, made before the test asks and dropped after it by a background
  thread (``_DatabasePool``), so neither is on a test's critical path. CI's cluster runs without
  fsync (``.ci/run``).
- The server: ``LFADMIN_TEST_PG_URL`` (default ``postgresql://postgres:postgres@127.0.0.1:5432/postgres``).
  With ``CI=true`` a missing server fails the run; elsewhere PostgreSQL cases are skipped.

The fixtures built on these (``lfdb``, ``db113``, ...) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support import FIXTURES, IN_CI, process_gone
from tests.support.cli import Result, run

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

VERSIONS = ("1.6.9", "1.13.0")
# Releases with a fixture but outside ``lfdb``: their own fixture or test says why (1.8.x: API keys
# encrypted without a hash column; see tests/test_parity.py and tests/test_releases.py).
EXTRA_VERSIONS = ("1.8.4",)
PG_URL = os.environ.get("LFADMIN_TEST_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")
DB_PARAMS = [
    pytest.param(("sqlite", v), id=f"sqlite-{v}") for v in VERSIONS
] + [pytest.param(("postgresql", v), id=f"pg-{v}", marks=pytest.mark.postgres) for v in VERSIONS]


# -- databases made by Langflow -------------------------------------------------------------------


def manifest(version: str, backend: str = "sqlite") -> dict[str, Any]:
    """What Langflow put in a fixture (each backend's build has its own ids and key plaintexts)."""
    suffix = ".pg.json" if backend == "postgresql" else ".json"
    return json.loads((FIXTURES / f"langflow-{version}{suffix}").read_text())


@dataclass
class LangflowDB:
    """One fresh copy of a Langflow-made database, and what is known to be in it."""

    backend: str
    version: str
    url: str
    manifest: dict[str, Any]
    config_dir: Path
    path: Path | None = None  # SQLite file
    env: dict[str, str] = field(default_factory=dict)

    @property
    def secret_key(self) -> str:
        return str(self.manifest["secret_key"])

    def fingerprint(self, value: str, key: str | None = None) -> str:
        """The fingerprint lfadmin shows for a stored value under ``key`` (default: the fixture's)."""
        from lfadmin.langflow.crypto import fingerprint_key, value_fingerprint

        return value_fingerprint(fingerprint_key(key or self.secret_key), value)

    def user(self, username: str) -> dict[str, Any]:
        return next(u for u in self.manifest["users"] if u["username"] == username)

    def password(self, username: str) -> str:
        return str(self.user(username)["password"])

    def api_key(self, owner: str) -> str:
        return str(next(k["plaintext"] for k in self.manifest["api_keys"] if k["owner"] == owner))

    def auth_env(self, username: str = "admin") -> dict[str, str]:
        """Environment that authenticates ``username`` with AUTO_LOGIN off, as an operator's .env would.

        ``admin`` authenticates with its Langflow API key (``LANGFLOW_API_KEY``): a hash or equality
        lookup, so the many commands a test runs do not each pay for a bcrypt verification. Any
        other user authenticates with its password. test_users.py covers both paths explicitly.
        """
        base = {**self.env, "LANGFLOW_AUTO_LOGIN": "False", "LANGFLOW_SUPERUSER": username}
        if username == "admin":
            return {**base, "LANGFLOW_API_KEY": self.api_key("admin")}
        return {**base, "LANGFLOW_SUPERUSER_PASSWORD": self.password(username)}

    def run(self, *args: str, input: str | bytes | None = None, user: str | None = "admin", **env: str) -> Result:
        base = self.auth_env(user) if user else dict(self.env)
        return run(*args, input=input, env={**base, **env})

    @contextlib.contextmanager
    def connection(self, *, commit: bool = False) -> Iterator[Connection]:
        """A connection behind lfadmin's back, no pool left open; ``commit``: one committed transaction."""
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(_sync(self.url), poolclass=NullPool)
        try:
            with engine.begin() if commit else engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        from sqlalchemy import text

        with self.connection() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def execute(self, sql: str, **params: Any) -> None:
        """Change the database behind lfadmin's back (to set up a case), in one committed transaction."""
        from sqlalchemy import text

        with self.connection(commit=True) as conn:
            conn.execute(text(sql), params)

    def execute_many(self, sql: str, rows: list[dict[str, Any]]) -> None:
        """``execute`` for many rows: one committed transaction of ``executemany`` (not an engine a row)."""
        from sqlalchemy import text

        with self.connection(commit=True) as conn:
            conn.execute(text(sql), rows)

    def snapshot(self) -> str:
        """A digest of every row of every table (byte-exact file digest on SQLite)."""
        if self.path is not None:
            data = self.path.read_bytes()
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists():
                data += wal.read_bytes()
            return hashlib.sha256(data).hexdigest()
        from sqlalchemy import text

        digest = hashlib.sha256()
        with self.connection() as conn:
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            ).scalars()
            for t in list(tables):
                rows = conn.execute(text(f'SELECT * FROM "{t}"')).all()
                digest.update(t.encode())
                digest.update(repr(sorted(map(repr, rows))).encode())
        return digest.hexdigest()


def _sync(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def pg_admin_url(dbname: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    if dbname:
        url = url.set(database=dbname)
    return url.render_as_string(hide_password=False)


def pg_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(pg_admin_url(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def pg_reachable() -> bool:
    """Whether the PostgreSQL server answers; with ``CI=true`` an unreachable one fails the run."""
    import psycopg

    try:
        with psycopg.connect(pg_admin_url(), connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is not reachable at {PG_URL}: {exc}")
        return False
    return True


_PG_TEMPLATES: dict[str, str] = {}


def _pg_template(version: str) -> str:
    """Load the pg_dump of the Langflow-made database into a template database (once)."""
    if version in _PG_TEMPLATES:
        return _PG_TEMPLATES[version]
    dump = FIXTURES / f"langflow-{version}.pg.sql"
    if not dump.exists():
        pytest.fail(f"missing {dump}; run tests/fixtures/build.sh")
    digest = hashlib.sha256(dump.read_bytes()).hexdigest()[:12]
    name = f"lfadmin_tpl_{version.replace('.', '_')}_{digest}"
    import psycopg

    # pytest-xdist workers may race to build the same template: serialise on an advisory lock.
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                building = name + "_building"
                conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
                conn.execute(f'CREATE DATABASE "{building}"')
                proc = subprocess.run(
                    ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg_admin_url(building), "-f", str(dump)],
                    capture_output=True,
                    text=True,
                )
                if proc.returncode != 0:
                    conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
                    pytest.fail(f"loading {dump} failed: {proc.stderr[-2000:]}")
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (name,))
    _PG_TEMPLATES[version] = name
    return name


def make_db(backend: str, version: str, tmp_path: Path) -> Iterator[LangflowDB]:
    man = manifest(version, backend)
    config_dir = tmp_path / "langflow-config"
    config_dir.mkdir(exist_ok=True)
    env = {"LANGFLOW_CONFIG_DIR": str(config_dir), "LANGFLOW_SECRET_KEY": str(man["secret_key"])}
    if backend == "sqlite":
        path = tmp_path / f"langflow-{version}.db"
        shutil.copyfile(FIXTURES / f"langflow-{version}.db", path)
        url = f"sqlite:///{path}"
        yield LangflowDB(backend, version, url, man, config_dir, path, {**env, "LANGFLOW_DATABASE_URL": url})
        return
    url = pg_admin_url(POOL.take(version))
    name = url.rsplit("/", 1)[1]
    try:
        yield LangflowDB(backend, version, url, man, config_dir, None, {**env, "LANGFLOW_DATABASE_URL": url})
    finally:
        POOL.drop(name)


class DatabasePool:
    """Fresh copies of the template databases, each made while the previous test runs, and
    dropped after it in the same background thread.

    ``CREATE DATABASE ... TEMPLATE`` of the 1.13 schema (about a hundred tables and their
    indexes) takes about a second, and so does dropping it; one copy a version is always being
    prepared in a background thread, so a test rarely waits for it, and never for a drop.
    ``close`` (at the end of the session) drops what is left and waits for every drop. Each
    session names its copies ``lfadmin_t_<pid>_<random>_<n>``, so ``leftovers`` sees its own
    only, whatever other sessions share the server; the copies of a session that was killed
    before its end (its process gone) are dropped by the next session on the same machine.
    """

    def __init__(self) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self.prefix = f"lfadmin_t_{os.getpid()}_{uuid.uuid4().hex[:6]}_"
        self._numbers = itertools.count()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-prefetch")
        self._next: dict[str, Future[str]] = {}
        self._dropping: list[Future[None]] = []
        self.used = False

    def _create(self, version: str) -> str:
        name = f"{self.prefix}{next(self._numbers)}"
        pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template(version)}"')
        return name

    def take(self, version: str) -> str:
        if not self.used:
            self.used = True
            self._dropping.append(self._executor.submit(self._sweep))
        _pg_template(version)  # built (or failed) in this thread, before any prefetch
        pending = self._next.pop(version, None)
        name = pending.result() if pending is not None else self._create(version)
        self._next[version] = self._executor.submit(self._create, version)
        return name

    def _sweep(self) -> None:
        """Drop the copies of killed sessions of this machine (a server elsewhere: not ours to judge)."""
        import psycopg
        from sqlalchemy.engine import make_url

        if make_url(PG_URL).host not in (None, "", "localhost", "127.0.0.1", "::1"):
            return
        with psycopg.connect(pg_admin_url(), connect_timeout=5) as conn:
            names = [name for (name,) in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, 'lfadmin_t_')").fetchall()]
        for name in names:
            found = _COPY_NAME.fullmatch(name)
            if found and process_gone(int(found[1])):
                pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop(self, name: str) -> None:
        """Drop a test's copy in the background: the next test need not wait for it."""
        self._dropping.append(self._executor.submit(pg_execute, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        """Drop the copies prepared for tests that never came, and wait for every drop."""
        for pending in self._next.values():
            with contextlib.suppress(Exception):  # a copy that failed to be made: nothing to drop
                self.drop(pending.result())
        self._next.clear()
        for dropping in self._dropping:
            with contextlib.suppress(Exception):  # the server may be gone at exit: nothing to clean
                dropping.result()
        self._dropping.clear()

    def leftovers(self) -> list[str]:
        """This session's copies still on the server (none, once ``close`` has run)."""
        import psycopg

        with psycopg.connect(pg_admin_url(), connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY datname", (self.prefix,)
            ).fetchall()
        return [str(name) for (name,) in rows]


_COPY_NAME = re.compile(r"lfadmin_t_(\d+)_[0-9a-f]{6}_\d+")
POOL = DatabasePool()
