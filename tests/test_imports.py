"""``--help``, ``--version`` and commands that need no database stay light (issue #5).

Each case runs lfadmin in a fresh interpreter (as the console script does) and reports the top-level packages in ``sys.modules`` afterwards: none of SQLAlchemy, cryptography,
bcrypt or a database driver may be among them. One import at module level in ``lfadmin/cli/``
(instead of inside the command function) is enough to break this.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {
    "sqlalchemy", "cryptography", "bcrypt", "psycopg", "psycopg_binary", "psycopg_c", "psycopg2",
    "asyncpg", "aiosqlite", "sqlite3", "_sqlite3",
}

# What the ``lfadmin`` console script does (``python -m lfadmin`` imports the same modules).
RUNNER = """
import json, sys
report, args = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["lfadmin", *args]
code = 0
try:
    from lfadmin.cli import main
    main()
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
with open(report, "w") as f:
    json.dump({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules}),
               "cli": sorted(m for m in sys.modules if m.startswith("lfadmin.cli."))}, f)
"""

CASES = {
    "--help": (["--help"], {}, 0),
    "--version": (["--version"], {}, 0),
    "-h": (["-h"], {}, 0),
    "no arguments": ([], {}, 2),
    "user --help": (["user", "--help"], {}, 0),
    "user list --help": (["user", "list", "--help"], {}, 0),
    "api-key --help": (["api-key", "--help"], {}, 0),
    "api-key create --help": (["api-key", "create", "--help"], {}, 0),
    "superuser --help": (["superuser", "--help"], {}, 0),
    "secrets --help": (["secrets", "--help"], {}, 0),
    "secrets rotate --help": (["secrets", "rotate", "--help"], {}, 0),
    "config doctor --help": (["config", "doctor", "--help"], {}, 0),
    "secrets generate": (["secrets", "generate"], {}, 0),
    "config doctor --list-checks": (["config", "doctor", "--list-checks"], {}, 0),
    "usage error": (["user", "list", "--no-such-option"], {}, 2),
    "tab completion": ([], {"_LFADMIN_COMPLETE": "complete_bash", "COMP_WORDS": "lfadmin user l", "COMP_CWORD": "2"}, 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_no_database_libraries_imported(case: str, tmp_path: Path) -> None:
    args, env, expected_code = CASES[case]
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(report), json.dumps(args)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert report.exists(), proc.stderr
    result = json.loads(report.read_text())
    assert result["code"] == expected_code, proc.stderr
    assert sorted(HEAVY & set(result["modules"])) == []
    assert "lfadmin" in result["modules"]  # the runner really ran lfadmin


def test_config_doctor_without_database_needs_no_database_library(tmp_path: Path) -> None:
    """The doctor's settings part: exit 0 or 12 (findings), but never a database import."""
    report = tmp_path / "report.json"
    env_file = tmp_path / ".env"
    env_file.write_text("LANGFLOW_AUTO_LOGIN=false\n")
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(report),
         json.dumps(["config", "doctor", "--no-database", "--env-file", str(env_file), "--json"])],
        capture_output=True, text=True, timeout=120,
    )
    result = json.loads(report.read_text())
    assert result["code"] in (0, 12), proc.stderr
    assert sorted(HEAVY & set(result["modules"])) == []


def test_the_runner_would_notice(tmp_path: Path) -> None:
    """A command that reads the database does import SQLAlchemy: the check above can fail."""
    report = tmp_path / "report.json"
    db = tmp_path / "langflow.db"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "langflow-1.6.9.db", db)
    # AUTO_LOGIN (1.6.9's default) acts as 'langflow', which Langflow's startup would have created.
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE user SET username = 'langflow' WHERE username = 'root2'")
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(report), json.dumps(["--database-url", f"sqlite:///{db}", "-q", "user", "list"])],
        capture_output=True, text=True, timeout=120,
    )
    result = json.loads(report.read_text())
    assert result["code"] == 0, proc.stderr
    assert {"sqlalchemy", "sqlite3"} <= set(result["modules"])
    assert "pydantic" not in result["modules"]  # Typer 0.29 would import it on every run (pyproject's cap)
    # ... and builds only the group it runs: no other group's commands are imported or parsed.
    assert result["cli"] == [
        "lfadmin.cli.options", "lfadmin.cli.superuser", "lfadmin.cli.users", "lfadmin.cli.users.manifest",
        "lfadmin.cli.users.transfer",
    ]


@pytest.mark.parametrize(
    ("argv", "group"),
    [
        (["user", "list"], "user"),
        (["users", "show", "alice"], "users"),
        (["--env-file", "secrets", "-q", "--as", "config", "api-key", "list"], "api-key"),  # option values skipped
        (["--env-file=x", "secrets", "check"], "secrets"),
        (["--json", "config", "doctor"], "config"),
        (["info"], None),
        (["superuser"], None),
        (["--help"], None),
        (["--version"], None),
        ([], None),
        (["no-such-group"], None),  # the whole app, which says so
    ],
)
def test_the_group_a_run_invokes(argv: list[str], group: str | None) -> None:
    from lfadmin.cli import invoked_group

    assert invoked_group(argv) == group
