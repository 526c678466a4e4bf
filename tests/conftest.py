"""Fixtures and hooks only; what they are built from, and every helper a test imports, lives in
``tests/support/`` (see its docstring).

- Every test runs with a clean environment: no ``LANGFLOW_*``/``LFADMIN_*`` variable from the
  developer's shell, HOME and XDG dirs inside ``tmp_path``.
- ``lfdb``, ``db113``, ``db184``, ``sqlite_db``: fresh copies of databases real Langflow made.
- ``target``: the same, opened as core's ``Target``, for tests that call core as a library.
- Speed (the suite must stay under 5 minutes on 2 cores): ``--dist loadgroup`` (the Makefile's)
  keeps each Langflow release's interop tests on one worker and schedules them first; bcrypt is
  memoised in the test process (``tests/support/bcrypt_memo.py``: each password hashed once).
- At the end of the session the Langflow servers are stopped and every PostgreSQL copy dropped;
  anything left over fails the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from lfadmin.core.target import Target
from tests.support import bcrypt_memo
from tests.support.core import make_target
from tests.support.databases import DB_PARAMS, POOL, VERSIONS, LangflowDB, make_db, pg_reachable
from tests.support.langflow import SERVERS


def pytest_configure(config: pytest.Config) -> None:
    bcrypt_memo.install()


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


# -- databases made by Langflow -------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return pg_reachable()


def _copy(backend: str, version: str, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """A fresh copy; a PostgreSQL one is skipped without a server (``pg_reachable`` fails the run
    instead under ``CI=true``, so CI never skips one)."""
    if backend == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    yield from make_db(backend, version, tmp_path)


@pytest.fixture(params=DB_PARAMS)
def lfdb(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """A fresh copy of each Langflow-made database, on each backend."""
    backend, version = request.param
    yield from _copy(backend, version, tmp_path, pg_available)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db113(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """One 1.13.0 database per backend: for costly tests (concurrency) that need both, not all four."""
    yield from _copy(request.param, "1.13.0", tmp_path, pg_available)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db169(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """One 1.6.9 database per backend: the oldest release, whose upgrade changes the most."""
    yield from _copy(request.param, "1.6.9", tmp_path, pg_available)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db184(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """One 1.8.4 database per backend: the release between plaintext keys and hashed keys."""
    yield from _copy(request.param, "1.8.4", tmp_path, pg_available)


@pytest.fixture
def pgdb(tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """PostgreSQL only, 1.13.0: for what only PostgreSQL has (roles, URLs with a host)."""
    yield from _copy("postgresql", "1.13.0", tmp_path, pg_available)


@pytest.fixture(params=[pytest.param(v, id=f"sqlite-{v}") for v in VERSIONS])
def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LangflowDB]:
    """SQLite only: for byte-level checks and file-level bad input."""
    yield from make_db("sqlite", request.param, tmp_path)


# -- core as a library ----------------------------------------------------------------------------


@pytest.fixture
def target(lfdb: LangflowDB, tmp_path: Path) -> Target:
    """A core ``Target`` on a fresh copy of each Langflow-made database, on each backend, acting
    as ``admin`` (its API key); ``lfdb`` in the same test is that copy (to set up or look behind)."""
    return make_target(lfdb, tmp_path)


# -- real Langflow, for interoperability -----------------------------------------------------------

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


# -- the end of the session -----------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _leave_nothing_behind() -> Iterator[None]:
    """Stop the Langflow servers, drop the PostgreSQL copies, and fail the run if any survived
    (a harness imported twice once closed the wrong copy: servers ran on, copies piled up)."""
    yield
    SERVERS.close()
    POOL.close()
    left = SERVERS.leftovers() + (POOL.leftovers() if POOL.used else [])
    assert not left, f"the test session left these behind: {left}"
