"""Every kind of failure that can reach ``lfadmin.cli.main`` ends with its documented exit code.

An ``internal error`` (exit 1) is a bug. Each case below feeds one kind of failure the operating
system, the input or the database can produce - encoding, permission, privilege, not a
directory, disk full, invalid data, a missing column - and asserts a documented code and one
clear line on stderr, mapped where the failure happens (not by a catch-all).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.databases import LangflowDB


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


# -- privilege: a least-privilege PostgreSQL role -------------------------------------------------


@contextlib.contextmanager
def role(db: LangflowDB, *grants: str) -> Iterator[tuple[str, str]]:
    """A login role that may CONNECT to the test database, plus ``grants`` ({role}: its name);
    (name, URL). Dropped with everything granted to it."""
    from sqlalchemy.engine import make_url

    name, password = f"lfadmin_r_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    url = make_url(db.url)
    db.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    try:
        db.execute(f'GRANT CONNECT ON DATABASE "{url.database}" TO {name}')
        for grant in grants:
            db.execute(grant.format(role=name))
        yield name, url.set(username=name, password=password).render_as_string(hide_password=False)
    finally:
        db.execute(f"DROP OWNED BY {name}")
        db.execute(f"DROP ROLE {name}")


@pytest.mark.postgres
def test_role_that_may_only_connect(pgdb: LangflowDB) -> None:
    with role(pgdb) as (name, url):
        res = pgdb.run("user", "list", LANGFLOW_DATABASE_URL=url)
    assert (res.exit_code, res.stdout) == (5, "")
    assert one_error_line(res.stderr) == (
        f"Error: the database role {name!r} lacks SELECT on table 'alembic_version': permission "
        f"denied for table alembic_version (lfadmin reads Langflow's tables with SELECT; GRANT "
        f"SELECT ON ALL TABLES IN SCHEMA <schema> TO {name})"
    )


@pytest.mark.postgres
def test_read_only_role_reads_but_cannot_write(pgdb: LangflowDB) -> None:
    before = pgdb.snapshot()
    with role(pgdb, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}") as (name, url):
        assert pgdb.run("user", "list", "--json", LANGFLOW_DATABASE_URL=url).exit_code == 0
        res = pgdb.run("user", "create", "zed", "--password-stdin", input="Zed-pass-12345", LANGFLOW_DATABASE_URL=url)
        assert (res.exit_code, res.stdout) == (5, "")
        assert one_error_line(res.stderr) == (
            f"Error: the database role {name!r} lacks INSERT, UPDATE, DELETE on table 'user': "
            "permission denied for table user (lfadmin writes Langflow's tables with SELECT, INSERT, "
            f"UPDATE, DELETE; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA <schema> TO {name})"
        )
        # Rotation writes on the driver's own cursor (psycopg pipeline): the same mapping.
        res = pgdb.run("secrets", "rotate", "--generate", "--force", LANGFLOW_DATABASE_URL=url)
        assert (res.exit_code, res.stdout) == (5, "")
        assert one_error_line(res.stderr).startswith(
            f"Error: the database role {name!r} lacks INSERT, UPDATE, DELETE on table "
        )
    assert pgdb.snapshot() == before
    assert not (pgdb.config_dir / "secret_key.lfadmin-rotation").exists()


# -- schema: a Langflow table altered by hand -----------------------------------------------------


def test_table_missing_a_column(lfdb: LangflowDB) -> None:
    lfdb.execute('ALTER TABLE "user" DROP COLUMN last_login_at')
    for args in (("info",), ("user", "list")):
        res = lfdb.run(*args)
        assert (res.exit_code, res.stdout) == (6, "")
        assert one_error_line(res.stderr) == (
            "Error: unsupported schema: table 'user' has no column 'last_login_at', which every "
            "Langflow 1.6.0 to 1.13.0 has (the table was altered outside Langflow; restore it from "
            "Langflow's migrations)"
        )


def test_driver_errors_about_the_schema(lfdb: LangflowDB) -> None:
    """Past the tables detection probes, the driver's own error (a real one, each backend) is
    mapped: a missing column or table is an unsupported schema, not an unavailable database."""
    from sqlalchemy.exc import DBAPIError

    from lfadmin.db import refusal
    from lfadmin.errors import UnsupportedDatabase

    for sql in ("SELECT sender_nope FROM message", "SELECT 1 FROM no_such_table"):
        with pytest.raises(DBAPIError) as caught, lfdb.connection() as conn:
            conn.exec_driver_sql(sql)
        mapped = refusal(caught.value, lfdb.backend)
        assert isinstance(mapped, UnsupportedDatabase), sql
        assert str(mapped).startswith("unsupported schema: ") and ("sender_nope" in str(mapped) or "no_such_table" in str(mapped))


# -- invalid data: NUL in a PostgreSQL text value ---------------------------------------------------


def test_generic_value_with_nul(db113: LangflowDB) -> None:
    """PostgreSQL text cannot hold NUL: refused by name, before psycopg or the server sees it
    (the check rotation uses, ``Codec.text_storable``). SQLite stores it as Langflow would."""
    before = db113.snapshot()
    res = db113.run("secrets", "set", "NULVAR", "--user", "admin", "--type", "generic", "--value-stdin",
                    input="Zq7\x00Vx9")
    if db113.backend == "sqlite":
        assert res.exit_code == 0, res
        assert db113.query("SELECT value FROM variable WHERE name = 'NULVAR'") == [("Zq7\x00Vx9",)]
        return
    assert (res.exit_code, res.stdout) == (4, "")
    assert one_error_line(res.stderr) == (
        "Error: Generic variable 'NULVAR': the value contains a NUL character, which postgresql "
        "cannot store in clear as Langflow 1.13.0 keeps Generic variables; nothing was changed "
        "(remove it, or store the value as --type credential (encrypted))"
    )
    assert "Zq7" not in res.stderr
    assert db113.snapshot() == before
    # Encrypted, the same value is stored.
    res = db113.run("secrets", "set", "NULVAR", "--user", "admin", "--type", "credential", "--value-stdin",
                    input="Zq7\x00Vx9")
    assert res.exit_code == 0, res


@pytest.mark.postgres
def test_any_nul_the_database_refuses(pgdb: LangflowDB) -> None:
    """A value no command checks by name still ends as invalid input, its text never quoted."""
    res = pgdb.run("api-key", "create", "--name", "a\x00b")
    assert (res.exit_code, res.stdout) == (4, ""), res
    assert one_error_line(res.stderr) == (
        "Error: a text value contains a NUL character, which PostgreSQL cannot store; nothing was changed"
    )


# -- disk full, closed pipe: stdout that cannot be written ----------------------------------------


def run_to(stdout: str, db: LangflowDB, *args: str) -> tuple[int, str]:
    """Run the real process with stdout on ``stdout`` ("/dev/full", or "closed": a pipe whose
    reader is gone); (exit code, stderr)."""
    env = {**os.environ, **db.auth_env()}
    cmd = [sys.executable, "-m", "lfadmin", *args]
    if stdout == "closed":
        read, write = os.pipe()
        os.close(read)
        try:
            proc = subprocess.run(cmd, stdout=write, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                  env=env, timeout=120)
        finally:
            os.close(write)
    else:
        with open(stdout, "w") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                  env=env, timeout=120)
    return proc.returncode, proc.stderr.decode()


def test_disk_full_after_rotation_says_the_database_changed(db113: LangflowDB) -> None:
    """M11: the rotation commits, then its only copy of the new key cannot be printed: exit 14,
    one line saying so and what to do; the journal keeps the key, and a rerun prints it."""
    journal = db113.config_dir / "secret_key.lfadmin-rotation"
    code, err = run_to("/dev/full", db113, "secrets", "rotate", "--generate")
    assert code == 14
    assert one_error_line(err) == (
        "Error: cannot write to stdout (No space left on device); the database WAS changed: the "
        f"rotation is committed and the new key is kept only in {journal}; rerun the same command "
        "to print it (it finishes the rotation and removes that file)"
    )
    key = json.loads(journal.read_text())["new_key"]
    assert key not in err
    res = db113.run("secrets", "rotate", "--generate")
    assert res.exit_code == 0, res
    assert res.stdout.splitlines()[-1] == key and "finished an interrupted rotation" in res.stderr
    assert not journal.exists()
    assert db113.run("secrets", "check", LANGFLOW_SECRET_KEY=key).exit_code == 0


def test_disk_full_on_a_read(sqlite_db: LangflowDB) -> None:
    code, err = run_to("/dev/full", sqlite_db, "user", "list", "--json")
    assert (code, err) == (14, "Error: cannot write to stdout (No space left on device)\n")


def test_closed_pipe_is_quiet(sqlite_db: LangflowDB) -> None:
    """`lfadmin user list | head` with head gone: no message, 141 as a shell shows a SIGPIPE."""
    for args in (("user", "list", "--json"), ("user", "list")):
        assert run_to("closed", sqlite_db, *args) == (141, "")


@pytest.mark.parametrize("stdout", ["/dev/full", "closed"])
def test_key_shown_once_that_cannot_be_shown_is_not_created(sqlite_db: LangflowDB, stdout: str) -> None:
    """api-key create prints inside its transaction: the key is rolled back, and that is loud."""
    before = sqlite_db.snapshot()
    code, err = run_to(stdout, sqlite_db, "api-key", "create", "--name", "lost")
    reason = "No space left on device" if stdout == "/dev/full" else "Broken pipe"
    assert (code, err) == (14, f"Error: cannot write to stdout ({reason}); rolled back, nothing was changed\n")
    assert sqlite_db.snapshot() == before


# -- permission, not a directory, disk full: files lfadmin writes ----------------------------------


def unprivileged() -> list[str]:
    """A command prefix under which file modes bind: root without CAP_DAC_OVERRIDE/READ_SEARCH
    (tests run as root, where chmod alone stops nothing); nothing for another user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to drop root's file-permission override")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def run_unprivileged(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = subprocess.run([*unprivileged(), sys.executable, "-m", "lfadmin", *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, env={**os.environ, **env}, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_report_file_that_cannot_be_written(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "a-file").write_text("")
    for target, reason in ((tmp_path / "a-file" / "report", "Not a directory"),
                           (Path("/dev/full"), "No space left on device")):
        res = run("config", "doctor", "--no-database", "--format", fmt, "--output", str(target))
        assert (res.exit_code, res.stdout) == (14, ""), res
        assert one_error_line(res.stderr) == f"Error: cannot write to {target} ({reason})"


def test_report_file_is_never_written_through_a_link(tmp_path: Path) -> None:
    """A root run must not clobber what a link planted where the report goes points at."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "report.json").symlink_to(victim)
    res = run("config", "doctor", "--no-database", "--format", "json", "--output", str(tmp_path / "report.json"))
    assert (res.exit_code, res.stdout) == (10, ""), res
    assert one_error_line(res.stderr).startswith(
        f"Error: report file {tmp_path / 'report.json'} is a symbolic link; lfadmin does not read or write files"
    )
    assert victim.read_text() == "precious\n"


def test_a_new_report_file_is_private(tmp_path: Path) -> None:
    res = run("config", "doctor", "--no-database", "--format", "json", "--output", str(tmp_path / "r.json"))
    assert res.exit_code in (0, 12), res
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o600


def test_report_file_in_a_directory_without_permission(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    code, out, err = run_unprivileged("config", "doctor", "--no-database", "--output", str(folder / "r.json"),
                                      env={})
    assert (code, out) == (14, "")
    assert one_error_line(err) == f"Error: cannot write to {folder / 'r.json'} (Permission denied)"


def test_rotation_journal_in_a_config_dir_without_permission(sqlite_db: LangflowDB) -> None:
    before = sqlite_db.snapshot()
    sqlite_db.config_dir.chmod(0o500)
    try:
        code, out, err = run_unprivileged("secrets", "rotate", "--generate", env=sqlite_db.auth_env())
    finally:
        sqlite_db.config_dir.chmod(0o700)
    journal = sqlite_db.config_dir / "secret_key.lfadmin-rotation"
    assert (code, out) == (10, "")  # the file layer's rule for every file it would write
    assert one_error_line(err) == (
        f"Error: cannot write {journal}: its directory is not writable by this user; nothing "
        "changed (run lfadmin as the user Langflow runs as)"
    )
    assert sqlite_db.snapshot() == before


def test_unreadable_database_file(sqlite_db: LangflowDB) -> None:
    assert sqlite_db.path is not None
    sqlite_db.path.chmod(0)
    code, out, err = run_unprivileged("user", "list", env=sqlite_db.auth_env())
    assert (code, out) == (5, "")
    assert one_error_line(err) == f"Error: cannot use {sqlite_db.url}: unable to open database file"


# -- invalid stored data: a row no Langflow wrote (SQLite keeps whatever it is given) ---------------


@pytest.mark.parametrize(
    ("sql", "args", "message"),
    [
        ("UPDATE \"user\" SET create_at = 'Zq7-not-a-date' WHERE username = 'alice'", ("user", "list"),
         "Error: a stored timestamp is not a date and time: a row was written by something other than Langflow"),
        ("UPDATE variable SET created_at = '2026-13-45 00:00:00' WHERE name = 'MY_GEN'", ("secrets", "list"),
         "Error: a stored timestamp is not a date and time: a row was written by something other than Langflow"),
        ("UPDATE \"user\" SET id = 'Zq7-not-a-uuid' WHERE username = 'carol'", ("user", "list"),
         "Error: a stored id is not a UUID: a row was written by something other than Langflow"),
    ],
    ids=["user-timestamp", "variable-timestamp", "user-id"],
)
def test_stored_value_no_langflow_writes(sqlite_db: LangflowDB, sql: str, args: tuple[str, ...], message: str) -> None:
    sqlite_db.execute(sql)
    res = sqlite_db.run(*args)
    assert (res.exit_code, res.stdout) == (6, "")
    assert one_error_line(res.stderr) == message and "Zq7" not in res.stderr


def test_interrupted_after_the_commit_says_the_database_changed(db113: LangflowDB) -> None:
    """Any failure after a commit, not only the output's: a Ctrl-C between the commit and the
    key files says what changed and that a rerun finishes; the rerun does."""
    env = {**os.environ, **db113.auth_env(), "LFADMIN_UNSAFE_TEST_HOOKS": "1",
           "LFADMIN_TEST_KILL_AT": "after-commit", "LFADMIN_TEST_KILL_SIGNAL": "INT"}
    proc = subprocess.run([sys.executable, "-m", "lfadmin", "secrets", "rotate", "--generate"], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    journal = db113.config_dir / "secret_key.lfadmin-rotation"
    assert (proc.returncode, proc.stdout) == (130, "")
    assert one_error_line(proc.stderr) == (
        "Error: interrupted; the database WAS changed: the rotation is committed; rerun the same "
        f"command: it finds {journal} and finishes"
    )
    key = json.loads(journal.read_text())["new_key"]
    res = db113.run("secrets", "rotate", "--generate")
    assert res.exit_code == 0 and res.stdout.splitlines()[-1] == key, res


def test_stdin_that_cannot_be_read(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    """Stdin open for writing only: reading it fails (EBADF) - an input problem, exit 4."""
    with open(tmp_path / "sink", "w") as sink:
        proc = subprocess.run([sys.executable, "-m", "lfadmin", "user", "create", "zed", "--password-stdin"],
                              stdin=sink, capture_output=True, text=True, timeout=120,
                              env={**os.environ, **sqlite_db.auth_env()})
    assert (proc.returncode, proc.stdout) == (4, "")
    assert one_error_line(proc.stderr) == "Error: --password-stdin: stdin cannot be read (Bad file descriptor)"


def test_interrupted_before_the_commit_changes_nothing(sqlite_db: LangflowDB) -> None:
    before = sqlite_db.snapshot()
    env = {**os.environ, **sqlite_db.auth_env(), "LFADMIN_UNSAFE_TEST_HOOKS": "1",
           "LFADMIN_TEST_KILL_AT": "mid-rewrite", "LFADMIN_TEST_KILL_SIGNAL": "INT"}
    proc = subprocess.run([sys.executable, "-m", "lfadmin", "secrets", "rotate", "--generate"], env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert (proc.returncode, proc.stdout) == (130, "")
    assert one_error_line(proc.stderr) == "Error: interrupted; nothing was changed"
    assert sqlite_db.snapshot() == before
    assert not (sqlite_db.config_dir / "secret_key.lfadmin-rotation").exists()


# -- the table ------------------------------------------------------------------------------------


def test_every_exit_code_is_documented_and_every_error_has_one() -> None:
    """README's "Exit codes" table is the one documented truth: it lists exactly the codes
    lfadmin has, and no error class a command can raise falls back to 1 (internal error)."""
    import importlib
    import pkgutil
    import re

    import lfadmin
    from lfadmin.errors import ExitCode, LfadminError
    from tests.support import ROOT

    for mod in pkgutil.walk_packages(lfadmin.__path__, "lfadmin."):
        if not mod.name.endswith("__main__"):
            importlib.import_module(mod.name)  # every module, so that every error class is defined
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}

    def subclasses(cls: type[LfadminError]) -> list[type[LfadminError]]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    errors = subclasses(LfadminError)
    assert len(errors) >= 10
    for cls in errors:
        assert cls.exit_code != ExitCode.INTERNAL, cls
