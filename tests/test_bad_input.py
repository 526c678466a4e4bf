"""Bad input: one clear line on stderr, a documented exit code, no traceback, nothing changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import run, run_process
from tests.support.databases import LangflowDB


def test_malformed_env_file(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    env = tmp_path / "bad.env"
    env.write_text("LANGFLOW_AUTO_LOGIN=false\n'unterminated = value\n")
    before = sqlite_db.snapshot()
    res = sqlite_db.run("user", "list", "--env-file", str(env))
    assert (res.exit_code, res.stdout) == (4, "")
    assert res.stderr == f"Error: {env}:2: cannot parse this line (not shown, it may hold a secret; check its quotes)\n"
    assert sqlite_db.snapshot() == before


def test_env_file_on_root_or_command(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "LANGFLOW_AUTO_LOGIN=False\nLANGFLOW_SUPERUSER=admin\n"
        f"LANGFLOW_SUPERUSER_PASSWORD={sqlite_db.password('admin')}\n"
    )
    for args in (["--env-file", str(env), "user", "list", "--json"], ["user", "list", "--json", "--env-file", str(env)]):
        res = run(*args, env={**sqlite_db.env, "LANGFLOW_SUPERUSER_PASSWORD": "wrong-in-process-env"})
        assert res.exit_code == 0, res  # the file's password wins over the environment's


def test_unparsable_boolean_names_its_line(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# settings\nLANGFLOW_AUTO_LOGIN=perhaps\n")
    res = sqlite_db.run("user", "list", "--env-file", str(env), user=None)
    assert res.exit_code == 4
    assert res.stderr == (
        f"Error: LANGFLOW_AUTO_LOGIN ({env}:2): 'perhaps' is not a boolean Langflow accepts "
        "(use true/false, 1/0, yes/no, on/off); Langflow would refuse to start\n"
    )


def test_wrong_url() -> None:
    res = run("user", "list", "--database-url", "mysql://root:hunter2@db/lf")
    assert res.exit_code == 4
    assert res.stderr == (
        "Error: unsupported database 'mysql' in 'mysql://root:***@db/lf': lfadmin supports the "
        "databases Langflow runs on, SQLite and PostgreSQL\n"
    )


def test_unreachable_server_hides_password() -> None:
    res = run("info", "--database-url", "postgresql://lf:hunter2@127.0.0.1:1/langflow")
    assert res.exit_code == 5
    assert res.stderr.startswith("Error: cannot use postgresql+psycopg://lf:***@127.0.0.1:1/langflow: ")
    assert "hunter2" not in res.stderr and res.stderr.count("\n") == 1


def test_sqlite_file_that_is_not_langflows(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    before = path.read_bytes()
    res = run("info", "--database-url", f"sqlite:///{path}")
    assert res.exit_code == 6
    assert res.stderr == "Error: not a Langflow database: no alembic_version, apikey, flow, folder, user, variable tables\n"
    assert path.read_bytes() == before


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    res = run("info", "--database-url", f"sqlite:///{path}")
    assert (res.exit_code, res.stderr) == (6, "Error: the database is empty: not a Langflow database\n")
    assert path.read_bytes() == b""


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    res = run("info", "--database-url", f"sqlite:///{path}")
    assert (res.exit_code, res.stderr) == (6, f"Error: sqlite:///{path} is not a SQLite database\n")


def test_a_value_sqlite_cannot_decode_is_not_quoted(sqlite_db: LangflowDB) -> None:
    """sqlite3's decode error quotes the stored value, which may be a secret: cut before it."""
    sqlite_db.execute("UPDATE variable SET value = CAST(X'67414141414153454352455421FF' AS TEXT) "
                      "WHERE rowid = (SELECT min(rowid) FROM variable)")  # 'gAAAAASECRET!' + a bad byte
    res = sqlite_db.run("secrets", "check")
    assert (res.exit_code, res.stderr) == (
        5, f"Error: cannot use {sqlite_db.url}: Could not decode to UTF-8 column 'value'\n"), res


def test_missing_file_is_never_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.db"
    res = run("user", "list", "--database-url", f"sqlite:///{path}")
    assert res.exit_code == 5
    assert res.stderr == (
        f"Error: no SQLite database at {path} (lfadmin never creates one) (check the path, or point "
        "at the server's database with --database-url)\n"
    )
    assert not path.exists()


def test_nothing_configured_says_where_it_looked(tmp_path: Path) -> None:
    res = run("info", env={"LANGFLOW_CONFIG_DIR": str(tmp_path / "cfg"), "LANGFLOW_SAVE_DB_IN_CONFIG_DIR": "true"})
    assert res.exit_code == 5
    assert res.stderr == (
        "Error: no Langflow database found: LANGFLOW_DATABASE_URL is not set and looked in "
        f"{tmp_path / 'cfg' / 'langflow.db'} (pass --database-url URL, set LANGFLOW_DATABASE_URL, "
        "or --env-file the server's .env)\n"
    )


def test_older_than_1_6_is_refused(sqlite_db: LangflowDB) -> None:
    assert sqlite_db.path is not None
    with sqlite3.connect(sqlite_db.path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'd9a6ea21edcd'")
    res = run("info", env=sqlite_db.env)
    assert res.exit_code == 6
    assert res.stderr == (
        "Error: this database was made by Langflow 1.5.x (alembic revision d9a6ea21edcd); lfadmin "
        "supports 1.6.0 and later (start Langflow 1.6 or newer on it once to migrate it)\n"
    )


def test_unknown_newer_schema_reads_with_warning_writes_need_force(sqlite_db: LangflowDB) -> None:
    if sqlite_db.version != "1.13.0":
        pytest.skip("only a 1.13 schema can be 'newer than 1.13'")
    assert sqlite_db.path is not None
    with sqlite3.connect(sqlite_db.path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff00001111'")
    res = sqlite_db.run("user", "list", "--json")
    assert res.exit_code == 0, res
    assert res.stderr == (
        "Warning: alembic revision ffff00001111 is not one lfadmin knows\n"
        "Warning: the schema (alembic revision ffff00001111) is newer than Langflow 1.13.0; reading it as 1.13.0\n"
    )
    before = sqlite_db.snapshot()
    res = sqlite_db.run("user", "activate", "bob")
    assert res.exit_code == 6
    assert res.stderr.endswith(
        "Error: this database's schema is newer than any Langflow lfadmin knows (alembic revision "
        "ffff00001111); refusing to write (upgrade lfadmin, or pass --force-unknown-schema to write anyway)\n"
    )
    assert sqlite_db.snapshot() == before
    assert sqlite_db.run("user", "activate", "bob", "--force-unknown-schema").exit_code == 0


def test_no_traceback_in_a_real_process(sqlite_db: LangflowDB) -> None:
    res = run_process("user", "show", "nobody", env=sqlite_db.auth_env())
    assert (res.exit_code, res.stdout, res.stderr) == (8, "", "Error: no user 'nobody'\n")


def test_stdin_feeds_one_secret(sqlite_db: LangflowDB) -> None:
    res = sqlite_db.run(
        "user", "create", "zed", "--password-stdin", "--auth-password-stdin", input="x", user=None,
        LANGFLOW_AUTO_LOGIN="false",
    )
    assert res.exit_code == 4
    assert res.stderr == "Error: --auth-password-stdin and --password-stdin both read stdin; use only one\n"
