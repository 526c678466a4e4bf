"""Every kind of failure that can reach ``lfadmin.cli.main`` ends with its documented exit code.

An ``internal error`` (exit 1) is a bug. Each case below feeds one kind of failure the operating
system, the input or the database can produce - encoding, permission, privilege, not a
directory, disk full, invalid data, a missing column - and asserts a documented code and one
clear line on stderr, mapped where the failure happens (not by a catch-all).
"""

from __future__ import annotations

import pytest

from tests.conftest import LangflowDB


def one_error_line(stderr: str) -> str:
    """The single ``Error:`` line (warnings and notes may precede it); no traceback."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


# -- encoding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("user", "create", "zed", "--password-stdin"),
        ("user", "set-password", "admin", "--password-stdin"),
        ("secrets", "set", "X", "--user", "admin", "--value-stdin"),
    ],
    ids=["create", "set-password", "secrets-set"],
)
def test_stdin_that_is_not_utf8(lfdb: LangflowDB, args: tuple[str, ...]) -> None:
    before = lfdb.snapshot()
    res = lfdb.run(*args, input=b"Zq7\xff\xfeVx9")
    option = args[-1]
    assert (res.exit_code, res.stdout) == (4, "")
    assert one_error_line(res.stderr) == f"Error: {option}: stdin is not UTF-8 text"
    assert "Zq7" not in res.stderr and "Vx9" not in res.stderr
    assert lfdb.snapshot() == before


def test_auth_password_stdin_that_is_not_utf8(sqlite_db: LangflowDB) -> None:
    res = sqlite_db.run("user", "list", "--as", "admin", "--auth-password-stdin", input=b"\xff", user=None)
    assert (res.exit_code, res.stderr) == (4, "Error: --auth-password-stdin: stdin is not UTF-8 text\n")


def test_password_env_that_is_not_utf8(sqlite_db: LangflowDB) -> None:
    """A variable's bytes reach Python surrogate-escaped; the password check refuses them."""
    before = sqlite_db.snapshot()
    res = sqlite_db.run("user", "create", "zed", "--password-env", "PW", PW="pass\udcffword")
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr == "Error: the password is not UTF-8 text (Langflow could not hash it)\n"
    assert sqlite_db.snapshot() == before
