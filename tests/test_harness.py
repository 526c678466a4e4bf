"""The test harness itself: one import path for every module, helpers in one place, and a session
that leaves nothing behind (Langflow servers stopped, socket directories and PostgreSQL copies
gone). A conftest imported twice once closed the wrong copy's servers and databases."""

from __future__ import annotations

import ast
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.databases import pg_admin_url, pg_execute

TESTS = ROOT / "tests"


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "langflow" not in p.relative_to(TESTS).parts[:1])


def test_conftest_is_imported_once_as_part_of_the_tests_package() -> None:
    assert "tests.conftest" in sys.modules
    assert "conftest" not in sys.modules
    assert (TESTS / "__init__.py").exists()


def test_test_modules_import_helpers_from_support_only() -> None:
    wrong = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                last = name.split(".")[-1]
                if name in ("conftest", "tests.conftest") or last.startswith("test_"):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert wrong == []


def test_no_helper_is_defined_twice() -> None:
    """A helper with the same body in two modules is one helper: it belongs in tests/support/."""
    seen: dict[str, str] = {}
    twice = []
    for path in _modules():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("test_"):
                body = ast.dump(ast.Module(body=node.body, type_ignores=[]))
                where = f"{path.relative_to(ROOT)}:{node.name}"
                if body in seen:
                    twice.append((seen[body], where))
                seen.setdefault(body, where)
    assert twice == []


_INNER = '''
import json, os

from tests.support.databases import POOL, make_db
from tests.support.langflow import SERVERS


def test_uses_a_copy_and_a_server(tmp_path, pg_available):
    gen = make_db("postgresql", "1.13.0", tmp_path)
    db = next(gen)
    sock = SERVERS.socket_for("9.9.9")
    if os.environ["INNER_LEAK"] == "1":
        SERVERS.close = lambda: None  # what closing another module's copy amounted to
    with open(os.environ["INNER_REPORT"], "w") as f:
        json.dump({"prefix": POOL.prefix, "db": db.url.rsplit("/", 1)[1], "socket_dir": os.path.dirname(sock),
                   "pid": os.getpid()}, f)
    gen.close()
'''

_FAKE_SERVER = """#!/bin/sh
echo ready
exec cat >/dev/null
"""


def _copies(prefix: str) -> list[str]:
    import psycopg

    with psycopg.connect(pg_admin_url(), connect_timeout=5) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)).fetchall()
    return [name for (name,) in rows]


@pytest.mark.postgres
@pytest.mark.parametrize("leak", [False, True], ids=["closed", "a-server-left-running"])
def test_a_session_leaves_nothing_behind(tmp_path: Path, pg_available: bool, leak: bool) -> None:
    """A session that took a PostgreSQL copy (and so prefetched another) and started a Langflow
    server: at its end the server is stopped, the socket directory gone, no copy of its left -
    and a server left running fails the session. What a killed session left (named after its
    process, now gone) the next session sweeps."""
    if not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    fake = tmp_path / "venvs" / "9.9.9" / "bin" / "python"  # stands in for a Langflow venv's python
    fake.parent.mkdir(parents=True)
    fake.write_text(_FAKE_SERVER)
    fake.chmod(0o755)
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "test_inner.py").write_text(textwrap.dedent(_INNER))
    report = tmp_path / "report.json"
    dead = _dead_pid()
    killed_copy, killed_dir = f"lfadmin_t_{dead}_abcdef_0", Path(tempfile.mkdtemp(prefix=f"lfsrv-{dead}-"))
    pg_execute(f'CREATE DATABASE "{killed_copy}"')
    env = {**os.environ, "LFADMIN_LANGFLOW_VENVS": str(tmp_path / "venvs"), "INNER_REPORT": str(report),
           "INNER_LEAK": str(int(leak)), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "--rootdir", str(inner), "-c", os.devnull, str(inner / "test_inner.py")],
        cwd=inner, env=env, capture_output=True, text=True, timeout=120,
    )
    seen = json.loads(report.read_text())
    try:
        if leak:
            assert proc.returncode != 0
            assert "the test session left these behind" in proc.stdout and seen["socket_dir"] in proc.stdout
        else:
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert not os.path.exists(seen["socket_dir"])
            assert glob.glob(os.path.join(tempfile.gettempdir(), f"lfsrv-{seen['pid']}-*")) == []
            assert not killed_dir.exists() and _copies(killed_copy) == []
        assert seen["db"].startswith(seen["prefix"])
        assert _copies(seen["prefix"]) == []  # the test's copy and the prefetched one
    finally:
        shutil.rmtree(seen["socket_dir"], ignore_errors=True)
        shutil.rmtree(killed_dir, ignore_errors=True)
        pg_execute(f'DROP DATABASE IF EXISTS "{killed_copy}"')


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
