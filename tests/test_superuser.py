"""``lfadmin superuser``: gate, first-time setup, authentication, audit trail, break-glass."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.support.cli import Result, assert_one_error, run
from tests.support.databases import LangflowDB
from tests.support.rows import AUDIT, audit_records, flag

NEW_PW = "Ops-pass-123"


def user_row(db: LangflowDB, username: str) -> tuple[Any, ...] | None:
    rows = db.query(
        'SELECT id, password, is_active, is_superuser, last_login_at FROM "user" WHERE username = :u',
        u=username,
    )
    return rows[0] if rows else None


def deactivate_superusers(db: LangflowDB) -> None:
    db.execute('UPDATE "user" SET is_active = :f WHERE is_superuser = :t', f=flag(db, False), t=flag(db, True))


def no_auth(db: LangflowDB, **extra: str) -> dict[str, str]:
    """Environment with AUTO_LOGIN off and no invoking superuser's credentials."""
    return {**db.env, "LANGFLOW_AUTO_LOGIN": "False", **extra}


def assert_created(db: LangflowDB, username: str, password: str) -> None:
    row = user_row(db, username)
    assert row is not None
    assert bool(row[2]) and bool(row[3]) and row[4] is None
    assert bcrypt.checkpw(password.encode(), row[1].encode())
    folders = db.query("SELECT name FROM folder WHERE user_id = :u", u=row[0])
    assert [f[0] for f in folders] == ["Starter Project"]


AUDIT_LINE = re.compile(
    r"AUDIT \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ superuser '(?P<user>[^']+)' created by (?P<who>\S+) "
    r"\((?P<method>[a-z-]+): (?P<rule>.+)\); recorded in (?P<path>\S+)"
)


# -- creation -----------------------------------------------------------------------------------


def test_create_authenticated_by_password(lfdb: LangflowDB) -> None:
    admin_pw = lfdb.password("admin")  # takes precedence over the fixture's LANGFLOW_API_KEY
    r = lfdb.run(
        "superuser",
        "--username",
        "ops",
        "--password-env",
        "OPS_PW",
        OPS_PW=NEW_PW,
        LANGFLOW_SUPERUSER_PASSWORD=admin_pw,
    )
    assert r.exit_code == 0, r
    assert r.stdout == ""
    audit_line, done = r.stderr.splitlines()
    m = AUDIT_LINE.fullmatch(audit_line)
    assert m, audit_line
    assert (m["user"], m["who"], m["method"]) == ("ops", "admin", "password")
    assert m["path"] == str(lfdb.config_dir / AUDIT)
    assert done == "Superuser 'ops' created, active, with its default project"
    assert_created(lfdb, "ops", NEW_PW)
    (rec,) = audit_records(lfdb)
    assert rec["event"] == "superuser.create" and rec["result"] == "created"
    assert (rec["username"], rec["actor"], rec["auth_method"]) == ("ops", "admin", "password")
    assert (rec["first_setup"], rec["break_glass"], rec["reason"]) == (False, False, None)
    assert rec["actor_id"] == str(lfdb.user("admin")["id"])
    assert rec["langflow_release"] == ("1.6.0 – 1.6.9" if lfdb.version == "1.6.9" else "1.13.0")
    assert "***" in rec["database"] or lfdb.backend == "sqlite"
    assert {"time", "os_user", "host", "pid", "lfadmin_version", "auth_rule", "user_id"} <= set(rec)
    assert (lfdb.config_dir / AUDIT).stat().st_mode & 0o777 == 0o600


def test_create_json_with_password_stdin(lfdb: LangflowDB) -> None:
    r = lfdb.run("superuser", "-u", "ops", "--password-stdin", "--json", input=NEW_PW + "\n")
    assert r.exit_code == 0, r
    data = r.json
    assert sorted(data) == [
        "audit_log",
        "auth_method",
        "authenticated_as",
        "break_glass",
        "created",
        "first_setup",
        "schema_version",
        "user",
    ]
    assert (data["created"], data["first_setup"], data["break_glass"]) == (True, False, False)
    assert (data["authenticated_as"], data["auth_method"]) == ("admin", "api-key")
    assert data["user"]["username"] == "ops" and data["user"]["is_superuser"] is True
    assert data["audit_log"] == str(lfdb.config_dir / AUDIT)
    assert AUDIT_LINE.fullmatch(r.stderr.strip())  # --json: the audit line is the only talk
    assert_created(lfdb, "ops", NEW_PW)


def test_first_time_setup_needs_no_authentication(lfdb: LangflowDB) -> None:
    deactivate_superusers(lfdb)
    env = no_auth(lfdb, LANGFLOW_SUPERUSER="boss", LANGFLOW_SUPERUSER_PASSWORD="Boss-pass-123")
    r = run("superuser", env=env)
    assert r.exit_code == 0, r
    lines = r.stderr.splitlines()
    assert lines[0] == "Username 'boss' from LANGFLOW_SUPERUSER (environment)"
    assert lines[1] == "Password for 'boss' from LANGFLOW_SUPERUSER_PASSWORD (environment)"
    m = AUDIT_LINE.fullmatch(lines[2])
    assert m and (m["who"], m["method"]) == ("nobody", "first-setup"), lines
    assert "first-time setup: no active superuser exists (2 inactive)" in m["rule"]
    assert_created(lfdb, "boss", "Boss-pass-123")
    (rec,) = audit_records(lfdb)
    assert (rec["first_setup"], rec["actor"], rec["auth_method"]) == (True, None, "first-setup")


def test_auto_login_needs_no_credentials_but_warns(lfdb: LangflowDB) -> None:
    # The auto-login account must exist (Langflow's startup creates it): root2 plays it.
    lfdb.execute("UPDATE \"user\" SET username = 'langflow' WHERE username = 'root2'")
    r = run(
        "superuser",
        "-u",
        "ops",
        "--password-stdin",
        input=NEW_PW,
        env={**lfdb.env, "LANGFLOW_AUTO_LOGIN": "true"},
    )
    assert r.exit_code == 0, r
    lines = r.stderr.splitlines()
    forced = "langflow"  # 1.6.9 forces it; 1.13 uses LANGFLOW_SUPERUSER, unset here
    assert lines[0].startswith("Warning: LANGFLOW_AUTO_LOGIN=True (")
    assert lines[0].endswith(
        "): everyone is effectively a superuser, and the server forces its default account "
        f"'{forced}' (it signs everyone in as it); 'ops''s password only matters once AUTO_LOGIN is off"
    )
    assert AUDIT_LINE.fullmatch(lines[1])
    assert_created(lfdb, "ops", NEW_PW)


def test_audit_log_override_and_no_audit_no_superuser(sqlite_db: LangflowDB, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    snap = sqlite_db.snapshot()
    r = sqlite_db.run(
        "superuser", "-u", "ops", "--password-stdin", input=NEW_PW, LFADMIN_AUDIT_LOG=str(blocker / "audit.jsonl")
    )
    assert_one_error(r, 5, f"cannot write the audit trail {blocker / 'audit.jsonl'} (LFADMIN_AUDIT_LOG (environment))")
    assert sqlite_db.snapshot() == snap  # rolled back: no audit record, no superuser
    trail = tmp_path / "logs" / "lfadmin.jsonl"
    r = sqlite_db.run("superuser", "-u", "ops", "--password-stdin", input=NEW_PW, LFADMIN_AUDIT_LOG=str(trail))
    assert r.exit_code == 0, r
    assert r.stderr.splitlines()[0].endswith(f"recorded in {trail}")
    assert [json.loads(line)["username"] for line in trail.read_text().splitlines()] == ["ops"]
    assert audit_records(sqlite_db) == []


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "False"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "false"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "FALSE"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "0"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "no"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "off"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "f"),
        ("LANGFLOW_ENABLE_SUPERUSER_CLI", "N"),
        ("langflow_enable_superuser_cli", "false"),
    ],
)
def test_cli_disabled_exits_before_touching_the_database(tmp_path: Path, name: str, value: str) -> None:
    missing = tmp_path / "no-such.db"
    r = run(
        "superuser",
        "-u",
        "ops",
        "--password-stdin",
        input=NEW_PW,
        env={"LANGFLOW_DATABASE_URL": f"sqlite:///{missing}", name: value},
    )
    assert_one_error(r, 10, f"superuser creation via the CLI is disabled: {name}={value} (set in the environment)")
    assert "LANGFLOW_ENABLE_SUPERUSER_CLI=true" in r.stderr
    assert not missing.exists()


def test_cli_disabled_in_an_env_file(lfdb: LangflowDB, tmp_path: Path) -> None:
    env_file = tmp_path / "server.env"
    env_file.write_text("LANGFLOW_AUTO_LOGIN=False\nLANGFLOW_ENABLE_SUPERUSER_CLI=off\n")
    snap = lfdb.snapshot()
    r = lfdb.run("superuser", "-u", "ops", "--password-stdin", "--env-file", str(env_file), input=NEW_PW)
    assert_one_error(r, 10, f"disabled: LANGFLOW_ENABLE_SUPERUSER_CLI=off (set in {env_file}:2) controls the")
    assert lfdb.snapshot() == snap
    assert audit_records(lfdb) == []


def test_unparsable_cli_setting(tmp_path: Path) -> None:
    r = run("superuser", "-u", "x", env={"LANGFLOW_ENABLE_SUPERUSER_CLI": "maybe"})
    assert_one_error(r, 4, "'maybe' is not a boolean Langflow accepts")


def test_refusals_leave_the_database_unchanged(lfdb: LangflowDB) -> None:
    # All cases on one database (the fixture is the cost); root2 is made inactive up front.
    lfdb.execute("UPDATE \"user\" SET is_active = :f WHERE username = 'root2'", f=flag(lfdb, False))
    snap = lfdb.snapshot()
    key = next(k["plaintext"] for k in lfdb.manifest["api_keys"] if k["name"] == "alice-key")
    pw = ["--password-stdin"]
    ops = ["-u", "ops", "--password-env", "OPS_PW"]
    cases: list[tuple[str, Result, int, str]] = [
        (
            "existing superuser",
            lfdb.run("superuser", "-u", "admin", *pw, input=NEW_PW),
            9,
            "superuser 'admin' already exists; nothing was changed",
        ),
        (
            "existing user",
            lfdb.run("superuser", "-u", "alice", *pw, input=NEW_PW),
            9,
            "user 'alice' already exists and is not a superuser",
        ),
        (
            "default name",
            lfdb.run("superuser", "-u", "langflow", *pw, input=NEW_PW),
            10,
            "Langflow deletes a superuser named 'langflow' that never logged in",
        ),
        (
            "wrong password",
            lfdb.run("superuser", *ops, OPS_PW=NEW_PW, LANGFLOW_SUPERUSER_PASSWORD="wrong"),
            7,
            "authentication as 'admin' failed: wrong password, or not an existing active superuser",
        ),
        (
            "inactive superuser",
            lfdb.run("superuser", *ops, OPS_PW=NEW_PW, user="root2"),
            7,
            "authentication as 'root2' failed: wrong password, or not an existing active superuser",
        ),
        (
            "non-superuser's key",
            run("superuser", *ops, "--api-key-stdin", input=key, env=no_auth(lfdb, OPS_PW=NEW_PW)),
            7,
            "the API key does not authenticate an active superuser",
        ),
        (
            "no credentials",
            run("superuser", *ops, env=no_auth(lfdb, OPS_PW=NEW_PW)),
            7,
            "a superuser must authenticate",
        ),
        ("no password", lfdb.run("superuser", "-u", "ops"), 4, "no password given"),
        (
            "control character",
            lfdb.run("superuser", "-u", "o\tps", *pw, input=NEW_PW),
            4,
            "contains control characters",
        ),
    ]
    if lfdb.version != "1.6.9":  # 1.6.9 accepts the legacy default password
        cases.append(
            (
                "legacy password",
                lfdb.run("superuser", "-u", "admin2", *pw, input="langflow", LANGFLOW_SUPERUSER="admin2"),
                4,
                "refuses the legacy default password",
            )
        )
    for case, r, code, fragment in cases:
        assert r.exit_code == code, (case, r)
        assert_one_error(r, code, fragment)
        assert NEW_PW not in r.stderr and key not in r.stderr, case
    assert lfdb.snapshot() == snap
    # Each refusal inside the transaction is recorded as a failure; no secret reaches the trail.
    assert {r["outcome"] for r in audit_records(lfdb)} == {"error"}
    trail = (lfdb.config_dir / AUDIT).read_text()
    assert NEW_PW not in trail and key not in trail


def test_existing_name_under_first_time_setup_is_still_a_conflict(lfdb: LangflowDB) -> None:
    deactivate_superusers(lfdb)
    snap = lfdb.snapshot()
    r = run("superuser", "-u", "alice", "--password-stdin", input=NEW_PW, env=no_auth(lfdb))
    assert_one_error(r, 9, "user 'alice' already exists")
    assert lfdb.snapshot() == snap


# -- break-glass --------------------------------------------------------------------------------


def break_glass(
    db: LangflowDB, tmp_path: Path, secret: str | None = None, *extra: str, cli: str | None = "true", **env: str
) -> Result:
    key_file = tmp_path / "secret_key"
    key_file.write_text(db.secret_key if secret is None else secret)
    # The operator has the key file but not LANGFLOW_SECRET_KEY, nor any superuser's password.
    base = {k: v for k, v in no_auth(db).items() if k != "LANGFLOW_SECRET_KEY"}
    base["RESCUE_PW"] = "Rescue-pass-123"
    if cli is not None:
        base["LANGFLOW_ENABLE_SUPERUSER_CLI"] = cli
    base.update(env)
    return run(
        "superuser",
        "-u",
        "rescue",
        "--password-env",
        "RESCUE_PW",
        "--break-glass",
        "--reason",
        "lost every admin password",
        "--secret-key-file",
        str(key_file),
        *extra,
        env=base,
    )


def test_break_glass_creates_a_superuser_and_shouts(lfdb: LangflowDB, tmp_path: Path) -> None:
    r = break_glass(lfdb, tmp_path)
    assert r.exit_code == 0, r
    lines = r.stderr.splitlines()
    assert lines[0] == "BREAK-GLASS: a superuser was created without any superuser authenticating."
    m = AUDIT_LINE.fullmatch(lines[1])
    assert m and (m["who"], m["method"]) == ("nobody", "break-glass"), lines
    assert "the server's secret key was presented (read from " in m["rule"]
    assert "reason: lost every admin password" in m["rule"]
    assert lines[2].startswith("BREAK-GLASS: review the audit trail")
    assert_created(lfdb, "rescue", "Rescue-pass-123")
    (rec,) = audit_records(lfdb)
    assert (rec["break_glass"], rec["reason"], rec["auth_method"]) == (True, "lost every admin password", "break-glass")
    assert lfdb.secret_key not in r.stdout + r.stderr + (lfdb.config_dir / AUDIT).read_text()


def test_break_glass_refusals(lfdb: LangflowDB, tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    snap = lfdb.snapshot()
    cases: list[tuple[str, Result, int, str]] = [
        (
            "cli default",
            break_glass(lfdb, tmp_path, None, cli=None),
            10,
            "--break-glass requires LANGFLOW_ENABLE_SUPERUSER_CLI=true to be set explicitly",
        ),
        ("cli disabled", break_glass(lfdb, tmp_path, None, cli="0"), 10, "superuser creation via the CLI is disabled"),
        ("no reason", break_glass(lfdb, tmp_path, None, "--reason", " "), 4, "--break-glass needs --reason"),
        (
            "auto-login",
            break_glass(lfdb, tmp_path, None, LANGFLOW_AUTO_LOGIN="1"),
            10,
            "--break-glass is not needed: LANGFLOW_AUTO_LOGIN=True",
        ),
        (
            "with credentials",
            break_glass(lfdb, tmp_path, None, "--as", "admin"),
            4,
            "--break-glass replaces authentication",
        ),
    ]
    for case, r, code, fragment in cases:
        assert r.exit_code == code, (case, r)
        assert_one_error(r, code, fragment)
    # Only the refusal that reached the database (AUTO_LOGIN on) is recorded.
    (refused,) = audit_records(lfdb)
    assert (refused["event"], refused["exit_code"], refused["username"]) == ("superuser.break-glass", 10, "rescue")
    # A key that is not the server's: refused, and the attempt is audited.
    r = break_glass(lfdb, tmp_path, Fernet.generate_key().decode())
    assert_one_error(r, 7, "decrypts none of the")
    rec = audit_records(lfdb)[-1]
    assert (rec["event"], rec["result"], rec["username"]) == ("superuser.break-glass", "denied", "rescue")
    assert rec["reason"] == "lost every admin password"
    assert lfdb.snapshot() == snap
    # No active superuser: first-time setup applies, break-glass is refused as unneeded.
    deactivate_superusers(lfdb)
    snap = lfdb.snapshot()
    r = break_glass(lfdb, tmp_path)
    assert_one_error(r, 10, "--break-glass is not needed: no active superuser exists")
    assert lfdb.snapshot() == snap
    assert [r["exit_code"] for r in audit_records(lfdb)] == [10, 7, 10]


# -- concurrency and secrecy ----


# ----------------------------------------------------------------


def test_two_concurrent_creations_of_one_name(db113: LangflowDB) -> None:
    lfdb = db113
    env = {**os.environ, **lfdb.auth_env(), "TWIN_PW": NEW_PW}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lfadmin", "superuser", "-u", "twin", "--password-env", "TWIN_PW"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = sorted((p.wait(timeout=120), p.stderr.read()) for p in procs)  # type: ignore[union-attr]
    assert [code for code, _ in results] == [0, 9], results
    assert (
        results[1][1]
        == "Error: superuser 'twin' already exists; nothing was changed (to change its password: lfadmin user set-password twin)\n"
    )
    assert len(lfdb.query('SELECT id FROM "user" WHERE username = :u', u="twin")) == 1
    records = audit_records(lfdb)
    assert [(r["username"], r["outcome"]) for r in records] == [("twin", "ok"), ("twin", "error")]
    assert records[1]["error"].startswith("superuser 'twin' already exists")


def test_no_password_anywhere(lfdb: LangflowDB) -> None:
    runs = [
        lfdb.run("superuser", "-u", "ops", "--password-stdin", input=NEW_PW),
        lfdb.run("superuser", "-u", "ops2", "--password-stdin", "--json", input="Second-pass-456"),
        lfdb.run("superuser", "-u", "ops", "--password-stdin", input=NEW_PW),  # conflict
    ]
    assert [r.exit_code for r in runs] == [0, 0, 9]
    everything = "".join(r.stdout + r.stderr for r in runs) + (lfdb.config_dir / AUDIT).read_text()
    for secret in (NEW_PW, "Second-pass-456", lfdb.password("admin"), lfdb.api_key("admin"), lfdb.secret_key):
        assert secret not in everything
