"""Test harness: databases made by real Langflow, on SQLite and PostgreSQL, one fresh copy a test.

- SQLite: ``tests/fixtures/langflow-<version>.db`` (built by ``tests/fixtures/build.sh`` with
  Langflow's own startup and HTTP API) is copied into ``tmp_path``.
- PostgreSQL: ``tests/fixtures/langflow-<version>.pg.sql`` (``pg_dump`` of the same build made
  on PostgreSQL) is loaded once per session into a template database; each test gets
  ``CREATE DATABASE ... TEMPLATE``.
- Speed (the suite must stay near 5 minutes on 2 cores): copies are made and dropped by a
  background thread; ``--dist loadgroup`` (the Makefile's) keeps each Langflow release's interop
  tests on one worker and schedules them first; CI's cluster runs without fsync (``.ci/run``).
- The server: ``LFADMIN_TEST_PG_URL`` (default ``postgresql://postgres:postgres@127.0.0.1:5432/postgres``).
  With ``CI=true`` a missing server fails the run; elsewhere PostgreSQL cases are skipped.
- Every test runs with a clean environment: no ``LANGFLOW_*``/``LFADMIN_*`` variable from the
  developer's shell, HOME and XDG dirs inside ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
VERSIONS = ("1.6.9", "1.13.0")
# Releases with a fixture but outside ``lfdb``: their own fixture or test says why (1.8.x: API keys
# encrypted without a hash column; see tests/test_parity.py and tests/test_releases.py).
EXTRA_VERSIONS = ("1.8.4",)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("LFADMIN_TEST_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres")


# -- environment isolation ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        upper = name.upper()
        if upper.startswith(("LANGFLOW_", "LFADMIN_")) and name != "LFADMIN_TEST_PG_URL":
            monkeypatch.delenv(name)
        if upper in {"AUTO_LOGIN", "SUPERUSER", "SUPERUSER_PASSWORD", "SECRET_KEY", "DEFAULT_FOLDER_NAME"}:
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")


# -- running lfadmin ----------------------------------------------------------------------------


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"Result(exit_code={self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``lfadmin`` in-process (fast) through ``main()``, the real error handling included."""
    from typer.testing import CliRunner

    from lfadmin.cli import main

    runner = CliRunner()
    code = 0
    saved_argv = sys.argv
    with runner.isolation(input=input, env=env) as streams:
        sys.argv = ["lfadmin", *args]
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = saved_argv
            _reset_consoles()
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Result(code, out.decode(), err.decode())


def _reset_consoles() -> None:
    from lfadmin import output

    output._stderr = None
    output._stdout = None


def run_process(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the real ``python -m lfadmin`` process (for tracebacks, stdin, exit codes as a shell sees)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "lfadmin", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_process_on_ptys(*args: str, env: dict[str, str], stdout_tty: bool = True) -> tuple[int, str, str]:
    """Run ``python -m lfadmin ARGS`` (stdin /dev/null) with stderr, and stdout unless ``stdout_tty``
    is false, each on a pseudo-terminal of its own; (exit code, stdout, stderr).

    The terminals are read while the process runs (a full one would block it); what they show
    is decoded leniently (output may be cut mid-character). Stdout off the terminal goes to a
    file (not a pipe), decoded strictly.
    """
    import pty
    import selectors
    import tempfile

    with tempfile.TemporaryFile() as stdout_file:
        terminals = {name: pty.openpty() for name in ("stdout", "stderr") if stdout_tty or name == "stderr"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "lfadmin", *args],
            stdin=subprocess.DEVNULL,
            stdout=terminals["stdout"][1] if stdout_tty else stdout_file,
            stderr=terminals["stderr"][1],
            env=env,
        )
        shown = dict.fromkeys(terminals, b"")
        sel = selectors.DefaultSelector()
        for name, (leader, follower) in terminals.items():
            os.close(follower)
            sel.register(leader, selectors.EVENT_READ, name)
        while sel.get_map():
            for key, _ in sel.select(timeout=120):
                try:
                    data = os.read(key.fd, 65536)
                except OSError:  # EIO: the child closed its side
                    data = b""
                if data:
                    shown[key.data] += data
                else:
                    sel.unregister(key.fd)
                    os.close(key.fd)
        code = proc.wait(timeout=120)
        stdout_file.seek(0)
        out = shown["stdout"].decode(errors="replace") if stdout_tty else stdout_file.read().decode()
    return code, out, shown["stderr"].decode(errors="replace")


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


def _pg_admin_url(dbname: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    if dbname:
        url = url.set(database=dbname)
    return url.render_as_string(hide_password=False)


def _pg_execute(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_admin_url(), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(_pg_admin_url(), connect_timeout=5) as conn:
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
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
        try:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                building = name + "_building"
                conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
                conn.execute(f'CREATE DATABASE "{building}"')
                proc = subprocess.run(
                    ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", _pg_admin_url(building), "-f", str(dump)],
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
    url = _pg_admin_url(_POOL.take(version))
    name = url.rsplit("/", 1)[1]
    try:
        yield LangflowDB(backend, version, url, man, config_dir, None, {**env, "LANGFLOW_DATABASE_URL": url})
    finally:
        _POOL.drop(name)


class _DatabasePool:
    """Fresh copies of the template databases, each made while the previous test runs, and
    dropped after it in the same background thread.

    ``CREATE DATABASE ... TEMPLATE`` of the 1.13 schema (about a hundred tables and their
    indexes) takes about a second; one copy a version is always being prepared in a background
    thread, so a test rarely waits for it. Copies left over at the end are dropped.
    """

    def __init__(self) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-prefetch")
        self._next: dict[str, Future[str]] = {}
        self._dropping: list[Future[None]] = []

    @staticmethod
    def _create(version: str) -> str:
        name = f"lfadmin_t_{uuid.uuid4().hex[:12]}"
        _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template(version)}"')
        return name

    def take(self, version: str) -> str:
        _pg_template(version)  # built (or failed) in this thread, before any prefetch
        pending = self._next.pop(version, None)
        name = pending.result() if pending is not None else self._create(version)
        self._next[version] = self._executor.submit(self._create, version)
        return name

    def drop(self, name: str) -> None:
        """Drop a test's copy in the background: the next test need not wait for it."""
        self._dropping.append(self._executor.submit(_pg_execute, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for pending in self._next.values():
            with contextlib.suppress(Exception):  # the server may be gone at exit: nothing to clean
                _pg_execute(f'DROP DATABASE IF EXISTS "{pending.result()}" WITH (FORCE)')
        self._next.clear()
        for dropping in self._dropping:
            with contextlib.suppress(Exception):
                dropping.result()
        self._dropping.clear()
        self._executor.shutdown(wait=False)


_POOL = _DatabasePool()


@pytest.fixture(scope="session", autouse=True)
def _drop_prefetched_databases() -> Iterator[None]:
    yield
    _POOL.close()


DB_PARAMS = [
    pytest.param(("sqlite", v), id=f"sqlite-{v}") for v in VERSIONS
] + [pytest.param(("postgresql", v), id=f"pg-{v}", marks=pytest.mark.postgres) for v in VERSIONS]


@pytest.fixture(params=DB_PARAMS)
def lfdb(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """A fresh copy of each Langflow-made database, on each backend."""
    backend, version = request.param
    if backend == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    yield from make_db(backend, version, tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db113(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """One 1.13.0 database per backend: for costly tests (concurrency) that need both, not all four."""
    if request.param == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    yield from make_db(request.param, "1.13.0", tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db184(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """One 1.8.4 database per backend: the release between plaintext keys and hashed keys."""
    if request.param == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    yield from make_db(request.param, "1.8.4", tmp_path)


@pytest.fixture(params=[pytest.param(v, id=f"sqlite-{v}") for v in VERSIONS])
def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LangflowDB]:
    """SQLite only: for byte-level checks and file-level bad input."""
    yield from make_db("sqlite", request.param, tmp_path)


# -- real Langflow, for interoperability -----------------------------------------------------------

VENV_ROOT = Path(os.environ.get("LFADMIN_LANGFLOW_VENVS", Path.home() / ".cache" / "lfadmin" / "langflow"))
_REAL_VENV_ROOT = VENV_ROOT  # captured before clean_env moves HOME
_HOME_VARS = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
_REAL_HOME_ENV = {k: os.environ[k] for k in _HOME_VARS if k in os.environ}


def langflow_python(version: str) -> Path:
    py = _REAL_VENV_ROOT / version / "bin" / "python"
    if not py.exists():
        msg = f"Langflow {version} venv missing at {py.parent.parent} (run scripts/langflow-venv.sh {version})"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return py


class _LangflowServers:
    """One ``tests/langflow/lf_server.py`` a Langflow release, for the whole session (per worker).

    Langflow takes 15-25 s to import; the server pays that once, then runs each ``lf_check`` /
    ``lf_secrets`` call in a fresh fork of its imported state (a fresh process as far as
    Langflow's settings and services are concerned).
    """

    def __init__(self) -> None:
        self._procs: dict[str, tuple[subprocess.Popen[str], str]] = {}
        self._dir: str | None = None

    def socket_for(self, version: str) -> str:
        if version in self._procs:
            proc, sock = self._procs[version]
            if proc.poll() is None:
                return sock
        import tempfile

        py = langflow_python(version)
        self._dir = self._dir or tempfile.mkdtemp(prefix="lfsrv-")  # short: AF_UNIX paths are <108 bytes
        sock = os.path.join(self._dir, f"{version}.sock")
        # Started with the developer's HOME, not the first calling test's: whatever Langflow reads
        # from the environment at import time must not point into one test's tmp_path.
        proc = subprocess.Popen(
            [str(py), str(ROOT / "tests" / "langflow" / "lf_server.py"), sock],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**{k: v for k, v in _langflow_free_env().items() if k not in _HOME_VARS}, **_REAL_HOME_ENV},
        )
        assert proc.stdout is not None
        import select

        ready, _, _ = select.select([proc.stdout], [], [], 600)  # importing Langflow: 15-25 s
        if not ready or proc.stdout.readline().strip() != "ready":
            proc.kill()
            raise AssertionError(f"lf_server for Langflow {version} did not start (exit {proc.wait()})")
        self._procs[version] = (proc, sock)
        return sock

    def run(self, version: str, script: str, argv: list[str], stdin: str) -> dict[str, Any]:
        from tests.langflow.lf_server import request

        return request(self.socket_for(version), script, argv, _langflow_free_env(), stdin)

    def close(self) -> None:
        for proc, _sock in self._procs.values():
            assert proc.stdin is not None
            proc.stdin.close()  # the server exits when its stdin closes
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._procs.clear()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)


def _langflow_free_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("LANGFLOW_")}


_SERVERS = _LangflowServers()


_RELEASE_IN_ID = re.compile(r"(?<![\d.])1\.(\d+)\.(\d+)(?![\d.])|langflow_1(\d+)(\d)_")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``--dist loadgroup`` (the Makefile's), every test that talks to one Langflow release
    runs on one worker: each worker's fork server imports Langflow (15-25 s) once per release it
    meets, so spreading a release's tests over both workers paid that twice."""
    grouped = []
    for item in items:
        if item.get_closest_marker("interop") is None:
            continue
        found = _RELEASE_IN_ID.search(item.nodeid)
        if found:
            minor, patch = (found[1], found[2]) if found[1] else (found[3], found[4])
            item.add_marker(pytest.mark.xdist_group(f"langflow-1.{minor}.{patch}"))
            grouped.append(item)
    # The long groups first, so the short tests fill in behind them: scheduled last, a group of
    # a minute or two kept one worker busy while the other had nothing left to do.
    first = set(map(id, grouped))
    items[:] = grouped + [item for item in items if id(item) not in first]


@pytest.fixture(scope="session", autouse=True)
def _stop_langflow_servers() -> Iterator[None]:
    yield
    _SERVERS.close()


def langflow_script(version: str, script: str, argv: list[str], stdin: Any) -> Any:
    """Run ``tests/langflow/<script>.py ARGV`` under real Langflow ``version``; its JSON answer."""
    out = _SERVERS.run(version.split("-")[0], script, argv, json.dumps(stdin))  # "1.6.9-shortkey" runs on 1.6.9
    if out["rc"] != 0:
        raise AssertionError(f"{script} failed ({out['rc']}): {out['stderr'][-3000:]}")
    return json.loads(out["stdout"])


def langflow_check(db: LangflowDB, checks: list[dict[str, Any]], key: str | None = None) -> list[dict[str, Any]]:
    """Ask real Langflow (one process, many checks) about the database; see tests/langflow/README.md.

    ``key``: the secret key Langflow runs with (default: the fixture's).
    """
    argv = ["--db-url", db.url, "--secret-key", key or db.secret_key, "--config-dir", str(db.config_dir)]
    results: list[dict[str, Any]] = langflow_script(db.version, "lf_check", argv, checks)
    return results


__all__ = ["LangflowDB", "Result", "io", "langflow_check", "langflow_script", "run", "run_process"]
