"""Real Langflow, for the interoperability tests: one fork server a release, for the whole session.

``langflow_check`` asks real Langflow (``tests/langflow/lf_check.py``, run in the release's own
venv) about a database lfadmin wrote; ``langflow_script`` runs any script there. The servers are
stopped, and their socket directory removed, at the end of the session (``tests/conftest.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.langflow.lf_server import request
from tests.support import IN_CI, ROOT, process_gone
from tests.support.databases import LangflowDB

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


class LangflowServers:
    """One ``tests/langflow/lf_server.py`` a Langflow release, for the whole session (per worker).

    Langflow takes 15-25 s to import; the server pays that once, then runs each ``lf_check`` /
    ``lf_secrets`` call in a fresh fork of its imported state (a fresh process as far as
    Langflow's settings and services are concerned).
    """

    def __init__(self) -> None:
        self._procs: dict[str, tuple[subprocess.Popen[str], str]] = {}
        self._dir: str | None = None
        self._started: list[tuple[subprocess.Popen[str], str]] = []  # (server, its socket directory)

    def socket_for(self, version: str) -> str:
        if version in self._procs:
            proc, sock = self._procs[version]
            if proc.poll() is None:
                return sock
        import tempfile

        py = langflow_python(version)
        if self._dir is None:
            _sweep_socket_dirs()
            # Short: AF_UNIX paths are <108 bytes. The pid lets the next session sweep it if this one is killed.
            self._dir = tempfile.mkdtemp(prefix=f"lfsrv-{os.getpid()}-")
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
        self._started.append((proc, self._dir))
        return sock

    def run(self, version: str, script: str, argv: list[str], stdin: str) -> dict[str, Any]:
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
        self._dir = None

    def leftovers(self) -> list[str]:
        """Servers this session started that still run, and their socket directories still on
        disk (none, once ``close`` has run)."""
        alive = [f"lf_server pid {proc.pid} ({' '.join(map(str, proc.args))})" for proc, _ in self._started
                 if proc.poll() is None]
        return alive + sorted({d for _, d in self._started if os.path.exists(d)})


def _sweep_socket_dirs() -> None:
    """Remove the socket directories of killed sessions (their process gone) on this machine."""
    import glob
    import re
    import tempfile

    for path in glob.glob(os.path.join(tempfile.gettempdir(), "lfsrv-*-*")):
        found = re.fullmatch(r"lfsrv-(\d+)-\w+", os.path.basename(path))
        if found and process_gone(int(found[1])):
            shutil.rmtree(path, ignore_errors=True)


def _langflow_free_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("LANGFLOW_")}


SERVERS = LangflowServers()


def langflow_script(version: str, script: str, argv: list[str], stdin: Any) -> Any:
    """Run ``tests/langflow/<script>.py ARGV`` under real Langflow ``version``; its JSON answer."""
    out = SERVERS.run(version.split("-")[0], script, argv, json.dumps(stdin))  # "1.6.9-shortkey" runs on 1.6.9
    if out["rc"] != 0:
        raise AssertionError(f"{script} failed ({out['rc']}): {out['stderr'][-3000:]}")
    return json.loads(out["stdout"])


def langflow_check(
    db: LangflowDB, checks: list[dict[str, Any]], key: str | None = None, release: str | None = None
) -> list[dict[str, Any]]:
    """Ask real Langflow (one process, many checks) about the database; see tests/langflow/README.md.

    ``key``: the secret key Langflow runs with (default: the fixture's). ``release``: the Langflow
    that answers (default: the one that made the fixture; another one after an upgrade).
    """
    argv = ["--db-url", db.url, "--secret-key", key or db.secret_key, "--config-dir", str(db.config_dir)]
    results: list[dict[str, Any]] = langflow_script(release or db.version, "lf_check", argv, checks)
    return results


def upgrade_by_starting(db: LangflowDB, release: str, *after: dict[str, Any]) -> list[dict[str, Any]]:
    """Upgrade the database as an operator does: Langflow ``release``'s own startup
    (``initialize_services``: its migrations, superuser bootstrap) on it, in a fork of the
    release's warm server, with the fixture's key and superuser; then the ``after`` checks, read by
    that release, in the same call. [startup report, *after results]."""
    return langflow_check(db, [{"op": "startup", "env": {"LANGFLOW_SECRET_KEY": db.secret_key}}, *after],
                          release=release)


def live_server(db: LangflowDB, *requests: dict[str, Any]) -> dict[str, Any]:
    """The check that starts the full Langflow app on the database (its whole lifespan, served by
    uvicorn on a real socket) and sends it ``requests`` over HTTP, signed in as each request's
    ``as`` user with the fixture's password (tests/langflow/lf_live.py). Mutates: put it last."""
    return {"op": "startup", "full_app": True, "env": {"LANGFLOW_SECRET_KEY": db.secret_key},
            "requests": list(requests), "passwords": {u["username"]: u["password"] for u in db.manifest["users"]}}
