"""Progress bars: on a terminal's stderr only, never in pipes, under --quiet or with --json (issue #5)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import history
from tests.support.cli import run_process_on_ptys
from tests.support.databases import LangflowDB


def run_on_terminal(db: LangflowDB, *args: str, stderr_tty: bool = True) -> tuple[int, str, str]:
    """Run ``python -m lfadmin ARGS`` with stderr on a pseudo-terminal (or a pipe); stdout is not a terminal."""
    env = {**os.environ, **db.auth_env(), "COLUMNS": "120", "TERM": "xterm"}
    if not stderr_tty:
        proc = subprocess.run([sys.executable, "-m", "lfadmin", *args], capture_output=True, text=True, env=env,
                              timeout=120)
        return proc.returncode, proc.stdout, proc.stderr
    return run_process_on_ptys(*args, env=env, stdout_tty=False)


@pytest.mark.parametrize(
    ("args", "bar"),
    [
        (["api-key", "prune", "--unused-for", "1s"], "revoking API keys"),
        (["user", "delete", "carol", "--yes"], "deleting statements"),
        (["user", "delete", "carol", "--dry-run"], "counting statements"),
        (["config", "doctor"], "doctor database checks"),
    ],
    ids=["prune", "delete", "delete-dry-run", "doctor"],
)
def test_no_bar_in_a_pipe(sqlite_db: LangflowDB, args: list[str], bar: str) -> None:
    code, _, err = run_on_terminal(sqlite_db, *args, stderr_tty=False)
    assert code in ((0, 12) if args[0] == "config" else (0,)), err  # 12: the doctor's findings
    assert bar not in err and "\x1b[" not in err  # a pipe: no bar, no cursor control


def test_bars_shown_on_a_terminal(sqlite_db: LangflowDB) -> None:
    history.seed(sqlite_db, str(sqlite_db.manifest["flows"][0]["id"]), 4)  # alice's flow, before alice goes
    code, _, err = run_on_terminal(sqlite_db, "db", "prune", "--older-than", "0d")
    assert code == 0 and "deleting message" in err and "Deleted " in err, err
    code, _, err = run_on_terminal(sqlite_db, "user", "delete", "carol", "--dry-run")
    assert code == 0, err
    assert "counting statements" in err
    code, _, err = run_on_terminal(sqlite_db, "user", "delete", "carol", "--yes")
    assert code == 0 and "deleting statements" in err, err
    code, _, err = run_on_terminal(sqlite_db, "config", "doctor")
    assert code in (0, 12) and "doctor database checks" in err, err
    code, out, err = run_on_terminal(sqlite_db, "config", "doctor", "--format", "sarif")
    assert code in (0, 12) and out.startswith("{"), err
    assert "doctor database checks" not in err  # a report format: no bar
    code, out, err = run_on_terminal(sqlite_db, "user", "delete", "alice", "--yes", "--json")
    assert code == 0 and out.startswith("{"), err
    assert "deleting statements" not in err  # --json: no bar
    code, _, err = run_on_terminal(sqlite_db, "user", "delete", "bob", "--yes", "--quiet")
    assert code == 0, err
    assert "deleting statements" not in err  # --quiet: no bar
    code, _, err = run_on_terminal(sqlite_db, "api-key", "prune", "--unused-for", "1s")  # last: revokes admin's key
    assert code == 0, err
    assert "revoking API keys" in err
    assert "Revoked" in err  # the talk survives the bar
