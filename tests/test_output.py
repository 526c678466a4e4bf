"""What scripts and terminals see: no escape codes unless a terminal wants colour; --quiet.

Real processes, because colour depends on what stdout and stderr are: a pipe (as in ``$(...)``
or CI), or a pseudo-terminal (as for a person). NO_COLOR (https://no-color.org) means no escape
codes at all, even where Typer would force a terminal (GITHUB_ACTIONS, FORCE_COLOR).
``--quiet`` silences talk (progress, confirmations, notes) but never data, warnings or errors.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import FIXTURES
from tests.support.cli import run_process_on_ptys

ANSI = re.compile(r"\x1b[\[\]()]")
COLOUR_ENV = ("NO_COLOR", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
              "_TYPER_FORCE_DISABLE_TERMINAL", "CLICOLOR_FORCE")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for a copy of the 1.6.9 database (its AUTO_LOGIN default needs no credentials,
    once the auto-login account exists: Langflow's startup creates ``langflow``; root2 plays it)."""
    import sqlite3

    path = tmp_path / "langflow.db"
    shutil.copyfile(FIXTURES / "langflow-1.6.9.db", path)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE user SET username = 'langflow' WHERE username = 'root2'")
    yield {"LANGFLOW_DATABASE_URL": f"sqlite:///{path}", "LANGFLOW_CONFIG_DIR": str(tmp_path / "cfg")}


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in COLOUR_ENV}
    env.update({"TERM": "xterm-256color", "COLUMNS": "120", **extra})
    return env


def run_pipe(*args: str, **env: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "lfadmin", *args], capture_output=True, text=True,
                          env=_env(env), stdin=subprocess.DEVNULL, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def run_tty(*args: str, **env: str) -> tuple[int, str, str]:
    """stdout and stderr each on its own pseudo-terminal, read while the process runs."""
    return run_process_on_ptys(*args, env=_env(env))


# Each produces output on the channel that matters: rich help, a rich table plus talk, a
# one-line error, a usage error rendered by Typer.
CASES = {
    "help": (["--help"], 0),
    "table": (["user", "list"], 0),
    "error": (["--database-url", "sqlite:////nonexistent/langflow.db", "user", "list"], 5),
    "usage error": (["user", "list", "--no-such-option"], 2),
}


@pytest.mark.parametrize("case", list(CASES))
def test_pipes_get_no_escape_codes(case: str, db: dict[str, str]) -> None:
    args, code = CASES[case]
    rc, out, err = run_pipe(*args, **db)
    assert rc == code, err
    assert out or err
    assert not ANSI.search(out) and not ANSI.search(err), (out, err)


@pytest.mark.parametrize("case", list(CASES))
def test_no_color_on_a_terminal_gets_no_escape_codes(case: str, db: dict[str, str]) -> None:
    args, code = CASES[case]
    rc, out, err = run_tty(*args, NO_COLOR="1", **db)
    assert rc == code, err
    assert out or err
    assert not ANSI.search(out) and not ANSI.search(err), (out, err)


def test_a_terminal_without_no_color_gets_colour(db: dict[str, str]) -> None:
    """The harness can see escape codes: the two tests above are not vacuous."""
    _, out, _ = run_tty("--help")
    assert ANSI.search(out)
    rc, _, err = run_tty(*CASES["error"][0], **db)
    assert rc == 5 and ANSI.search(err)


@pytest.mark.parametrize("forcing", ["GITHUB_ACTIONS", "FORCE_COLOR"])
def test_no_color_wins_over_a_forced_terminal(forcing: str, db: dict[str, str]) -> None:
    for args, _ in CASES.values():
        _, out, err = run_pipe(*args, NO_COLOR="1", **{forcing: "1"}, **db)
        assert not ANSI.search(out) and not ANSI.search(err), (args, out, err)


# -- --quiet ------------------------------------------------------------------------------------


def test_quiet_keeps_data_drops_talk(db: dict[str, str]) -> None:
    rc, out, err = run_pipe("user", "list", **db)
    assert rc == 0
    assert "admin" in out
    assert "note: " in err and re.search(r"^\d+ users?$", err, re.M)  # the auto-login note, the count

    for args in (["-q", "user", "list"], ["user", "list", "--quiet"]):
        rc, quiet_out, quiet_err = run_pipe(*args, **db)
        assert rc == 0
        assert quiet_out == out  # the same data
        assert quiet_err == ""


def test_quiet_json_is_only_json(db: dict[str, str]) -> None:
    rc, out, err = run_pipe("--quiet", "--json", "user", "list", **db)
    assert rc == 0 and err == ""
    assert "admin" in [u["username"] for u in json.loads(out)["users"]]


def test_quiet_keeps_errors_and_warnings(db: dict[str, str]) -> None:
    rc, out, err = run_pipe("-q", *CASES["error"][0], **db)
    assert rc == 5 and out == ""
    assert err.startswith("Error: ") and len(err.splitlines()) == 1
    rc, out, err = run_pipe("-q", "user", "list", "--no-such-option", **db)
    assert rc == 2 and "No such option" in err
    # a warning is about the operator's data, not talk
    rc, out, err = run_pipe("-q", "api-key", "list", "--all", LANGFLOW_DISABLE_TRACK_APIKEY_USAGE="true", **db)
    assert rc == 0, err
    assert err.startswith("Warning: ") and "LANGFLOW_DISABLE_TRACK_APIKEY_USAGE" in err


def test_version_names_lfadmin_and_its_python() -> None:
    rc, out, err = run_pipe("--version")
    assert rc == 0 and err == ""
    from lfadmin import __version__

    assert out == f"lfadmin {__version__} (Python {sys.version.split()[0]}, {sys.executable})\n"
