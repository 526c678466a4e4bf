"""Who may act: authentication rests only on what the server would check (issue 11, mechanism 3).

Each case is a reproduction from the issue, run on databases made by real Langflow (SQLite and
PostgreSQL): no pin, no variable from the invoker's own environment, no missing or powerless
auto-login account lets a command through, failures do not tell a right password from a wrong
one, and every audit record says what was proven.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.support.cli import run
from tests.support.databases import LangflowDB, make_db
from tests.support.rows import AUDIT, audit_records, flag

LABEL = {"1.6.9": "1.6.0 – 1.6.9", "1.13.0": "1.13.0"}
OFF = "LANGFLOW_AUTO_LOGIN=False (set in the environment)"
ON = "LANGFLOW_AUTO_LOGIN=True (set in the environment)"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db169(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    """One 1.6.9 database per backend (the release whose AUTO_LOGIN default is on)."""
    if request.param == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    yield from make_db(request.param, "1.6.9", tmp_path)


def is_superuser(db: LangflowDB, username: str) -> bool:
    return bool(db.query('SELECT is_superuser FROM "user" WHERE username = :u', u=username)[0][0])


def with_auto_login_account(db: LangflowDB) -> dict[str, str]:
    """The account Langflow's startup creates under AUTO_LOGIN (``langflow``, forced on 1.6): here
    root2, an active superuser, renamed. Returns the environment that acts through it."""
    db.execute('UPDATE "user" SET username = :n WHERE username = :o', n="langflow", o="root2")
    return {**db.env, "LANGFLOW_AUTO_LOGIN": "true"}


# -- M1: a pin changes how rows are written, never who is allowed in ------------------------------


def test_a_pin_does_not_switch_auto_login_on(db113: LangflowDB) -> None:
    snap = db113.snapshot()
    r = run("--langflow-version", "1.6.9", "user", "deactivate", "admin", env=db113.env)
    assert (r.exit_code, r.stdout) == (7, "")
    assert r.stderr == (
        "Warning: --langflow-version 1.6.9 does not match the schema (looks like 1.13.0 – 1.13.0); "
        "trusting the option\n"
        "Error: LANGFLOW_AUTO_LOGIN=False (the default of Langflow 1.13.0, which this database's "
        "schema proves; --langflow-version does not relax authentication): a superuser must "
        "authenticate (set LANGFLOW_SUPERUSER and LANGFLOW_SUPERUSER_PASSWORD (env or --env-file), "
        "or pipe a password to --auth-password-stdin (with --as NAME), or a superuser's API key to "
        "--api-key-stdin)\n"
    )
    assert db113.snapshot() == snap


def test_a_pin_does_not_readmit_the_legacy_password(db113: LangflowDB) -> None:
    legacy = bcrypt.hashpw(b"langflow", bcrypt.gensalt(4)).decode()
    db113.execute('UPDATE "user" SET password = :p WHERE username = :u', p=legacy, u="admin")
    env = {**db113.env, "LANGFLOW_AUTO_LOGIN": "false", "LANGFLOW_SUPERUSER": "admin",
           "LANGFLOW_SUPERUSER_PASSWORD": "langflow"}
    r = run("--langflow-version", "1.6.9", "user", "deactivate", "alice", env=env)
    assert (r.exit_code, r.stderr.splitlines()[-1]) == (
        7,
        f"Error: {OFF}; password for 'admin' from LANGFLOW_SUPERUSER_PASSWORD (environment): "
        "Langflow 1.13.0 refuses the legacy default password for 'admin'",
    )


def test_a_pin_does_not_skip_the_newer_unknown_schema_refusal(db113: LangflowDB) -> None:
    db113.execute("UPDATE alembic_version SET version_num = 'ffff00001111'")
    snap = db113.snapshot()
    r = db113.run("--langflow-version", "1.13.0", "user", "activate", "bob")
    assert (r.exit_code, r.stdout) == (6, "")
    assert r.stderr == (
        "Warning: alembic revision ffff00001111 is not one lfadmin knows\n"
        "Error: this database's schema is newer than any Langflow lfadmin knows (alembic revision "
        "ffff00001111); refusing to write (upgrade lfadmin, or pass --force-unknown-schema to write anyway)\n"
    )
    assert db113.snapshot() == snap


def test_an_unknown_revision_on_an_older_schema_is_noted(db169: LangflowDB) -> None:
    db169.execute("UPDATE alembic_version SET version_num = 'abcdef012345'")
    r = db169.run("user", "activate", "bob")
    assert r.exit_code == 0, r
    assert r.stderr.splitlines()[0] == (
        "Warning: alembic revision abcdef012345 is not one lfadmin knows; going by the schema's "
        "columns (Langflow 1.6.0 – 1.8.x)"
    )


# -- M2: LANGFLOW_API_KEY_SOURCE=env ---------------------------------------------------------------


def test_the_static_env_api_key_proves_nothing(db113: LangflowDB) -> None:
    env = {**db113.env, "LANGFLOW_AUTO_LOGIN": "false", "LANGFLOW_SUPERUSER": "admin",
           "LANGFLOW_API_KEY_SOURCE": "env", "LANGFLOW_API_KEY": "made-up-by-the-invoker"}
    snap = db113.snapshot()
    expected = (
        "the server's API key is LANGFLOW_API_KEY ({where}) itself, a value given to lfadmin by "
        "whoever runs it, so presenting it proves nothing (authenticate with a superuser's "
        "password, or a superuser's API key stored in the database)\n"
    )
    r = run("user", "deactivate", "root2", env=env)
    assert (r.exit_code, r.stdout) == (7, "")
    assert r.stderr == (
        f"Error: {OFF}; API key from LANGFLOW_API_KEY (environment): with LANGFLOW_API_KEY_SOURCE=env "
        + expected.format(where="environment")
    )
    r = run("user", "deactivate", "root2", "--api-key-stdin", input="made-up-by-the-invoker", env=env)
    assert (r.exit_code, r.stdout) == (7, "")
    assert r.stderr == (
        f"Error: {OFF}; API key from --api-key-stdin: with LANGFLOW_API_KEY_SOURCE=env "
        + expected.format(where="environment")
    )
    assert db113.snapshot() == snap
    # A key stored in the database still proves who presents it.
    r = run("user", "deactivate", "root2", "--api-key-stdin", input=db113.api_key("admin"), env=env)
    assert r.exit_code == 0, r


# -- M3: break-glass proof ------------------------------------------------------------------------


def break_glass(db: LangflowDB, tmp_path: Path, **env: str) -> Any:
    key_file = tmp_path / "secret_key"
    key_file.write_text(db.secret_key)
    base = {**db.env, "LANGFLOW_AUTO_LOGIN": "False", "LANGFLOW_ENABLE_SUPERUSER_CLI": "true",
            "RESCUE_PW": "Rescue-pass-123", **env}
    return run("superuser", "-u", "rescue", "--password-env", "RESCUE_PW", "--break-glass", "--reason",
               "lost every admin password", "--secret-key-file", str(key_file), env=base)


def test_break_glass_needs_a_value_the_server_encrypted(lfdb: LangflowDB, tmp_path: Path) -> None:
    """With nothing encrypted in the database, the presented key was only compared with the
    invoker's own LANGFLOW_SECRET_KEY, and that was audited as proof."""
    lfdb.execute("DELETE FROM variable")
    lfdb.execute("DELETE FROM apikey")
    lfdb.execute('UPDATE "user" SET store_api_key = NULL')
    snap = lfdb.snapshot()
    r = break_glass(lfdb, tmp_path)  # LANGFLOW_SECRET_KEY (the invoker's) equals the presented key
    assert (r.exit_code, r.stdout) == (7, "")
    assert r.stderr == (
        f"Error: the presented secret key (read from {tmp_path / 'secret_key'}) cannot be verified: "
        "the database holds no value encrypted with the server's secret key (a key from your own "
        "environment proves nothing) (have the running server encrypt one - any user can create a "
        "Credential global variable (or, on 1.9+, an API key) - then retry)\n"
    )
    assert lfdb.snapshot() == snap
    (rec,) = audit_records(lfdb)
    assert (rec["event"], rec["result"], rec["username"]) == ("superuser.break-glass", "denied", "rescue")


def test_break_glass_audits_what_it_proved(db113: LangflowDB, tmp_path: Path) -> None:
    r = break_glass(db113, tmp_path)
    assert r.exit_code == 0, r
    (rec,) = audit_records(db113)
    assert rec["auth_method"] == "break-glass"
    assert rec["auth_evidence"].startswith(
        f"the presented secret key (read from {tmp_path / 'secret_key'}) decrypts "
    )
    assert rec["auth_evidence"].endswith(", a value encrypted in this database")


# -- M4: under AUTO_LOGIN the acting account exists and is an active superuser -----------------------


@pytest.mark.parametrize(
    ("account", "problem"),
    [
        ("ghost", "the auto-login superuser 'ghost' does not exist in this database (Langflow creates it "
         "when the server starts; lfadmin does not) (start Langflow once with these settings, or set "
         "LANGFLOW_AUTO_LOGIN=false and authenticate)"),
        ("alice", "the auto-login account 'alice' is not a superuser, so it cannot act as a superuser (set "
         "LANGFLOW_SUPERUSER to an active superuser, or set LANGFLOW_AUTO_LOGIN=false and authenticate)"),
        ("bob", "the auto-login account 'bob' is inactive and not a superuser, so it cannot act as a "
         "superuser (set LANGFLOW_SUPERUSER to an active superuser, or set LANGFLOW_AUTO_LOGIN=false and "
         "authenticate)"),
    ],
)
def test_auto_login_account_must_be_an_active_superuser(db113: LangflowDB, account: str, problem: str) -> None:
    snap = db113.snapshot()
    env = {**db113.env, "LANGFLOW_AUTO_LOGIN": "true", "LANGFLOW_SUPERUSER": account}
    r = run("user", "promote", account if account != "ghost" else "alice", env=env)
    assert (r.exit_code, r.stdout, r.stderr) == (7, "", f"Error: {ON}: {problem}\n")
    assert db113.snapshot() == snap
    # Recorded under the name the run claimed, unproven: an auditor sees the attempt.
    (rec,) = audit_records(db113)
    assert (rec["command"], rec["outcome"], rec["exit_code"], rec["error"]) == ("user promote", "error", 7, f"{ON}: {problem}")
    assert (rec["actor"], rec["authenticated"], rec["auth_method"], rec["auth_evidence"]) == (account, False, "auto-login", None)


def test_inactive_auto_login_superuser_is_refused(db113: LangflowDB) -> None:
    db113.execute('UPDATE "user" SET is_active = :f WHERE username = :u', f=flag(db113, False), u="root2")
    env = {**db113.env, "LANGFLOW_AUTO_LOGIN": "true", "LANGFLOW_SUPERUSER": "root2"}
    r = run("user", "promote", "alice", env=env)
    assert (r.exit_code, r.stderr) == (
        7,
        f"Error: {ON}: the auto-login account 'root2' is inactive, so it cannot act as a superuser (set "
        "LANGFLOW_SUPERUSER to an active superuser, or set LANGFLOW_AUTO_LOGIN=false and authenticate)\n",
    )


def test_the_release_default_needs_the_account_too(db169: LangflowDB) -> None:
    """1.6 forces the account to ``langflow``, which this database (built with AUTO_LOGIN off) lacks."""
    r = run("user", "list", env=db169.env)
    assert (r.exit_code, r.stderr) == (
        7,
        "Error: LANGFLOW_AUTO_LOGIN=True (the default of Langflow 1.6.0 – 1.6.9): the auto-login superuser "
        "'langflow' does not exist in this database (Langflow creates it when the server starts; lfadmin "
        "does not) (start Langflow once with these settings, or set LANGFLOW_AUTO_LOGIN=false and "
        "authenticate)\n",
    )


def test_auto_login_audits_what_it_proved(lfdb: LangflowDB) -> None:
    env = with_auto_login_account(lfdb)
    r = run("user", "promote", "alice", env=env)
    assert r.exit_code == 0, r
    assert is_superuser(lfdb, "alice")
    (rec,) = audit_records(lfdb)
    assert (rec["event"], rec["actor"], rec["auth_method"]) == ("superuser.promote", "langflow", "auto-login")
    assert rec["auth_evidence"] == (
        f"no credential checked: {ON} lets anyone act as the server's auto-login account; 'langflow' "
        "exists and is an active superuser"
    )


def test_first_time_setup_under_auto_login(lfdb: LangflowDB) -> None:
    lfdb.execute('UPDATE "user" SET is_active = :f WHERE is_superuser = :t', f=flag(lfdb, False), t=flag(lfdb, True))
    env = {**lfdb.env, "LANGFLOW_AUTO_LOGIN": "true"}
    r = run("superuser", "-u", "boss", "--password-stdin", input="Boss-pass-123", env=env)
    assert r.exit_code == 0, r
    (rec,) = audit_records(lfdb)
    assert (rec["first_setup"], rec["actor"], rec["auth_method"]) == (True, None, "first-setup")
    assert rec["auth_evidence"] == "the database holds no active superuser (2 inactive)"


# -- the password oracle ----------------------------------------------------------------------------


def test_failures_do_not_tell_a_right_password(lfdb: LangflowDB) -> None:
    """Right password of an inactive non-superuser (bob), of an active non-superuser (alice), a wrong
    password (admin), an unknown user: one message, only the name differs."""
    cases = [("bob", lfdb.password("bob")), ("alice", lfdb.password("alice")), ("admin", "wrong"), ("ghost", "x")]
    for name, password in cases:
        r = run("user", "list", "--as", name, "--auth-password-stdin", input=password,
                env={**lfdb.env, "LANGFLOW_AUTO_LOGIN": "false"})
        assert (r.exit_code, r.stdout, r.stderr) == (
            7,
            "",
            f"Error: {OFF}; password for '{name}' from --auth-password-stdin: authentication as '{name}' "
            "failed: wrong password, or not an existing active superuser (lfadmin does not say which)\n",
        ), name


def test_an_unknown_user_still_costs_a_bcrypt_check(lfdb: LangflowDB, monkeypatch: pytest.MonkeyPatch) -> None:
    from lfadmin.core import auth

    checked: list[str | None] = []
    real = auth.verify_password

    def counting(password: str, hashed: str | None) -> bool:
        checked.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(auth, "verify_password", counting)
    r = run("user", "list", "--as", "ghost", "--auth-password-stdin", input="x",
            env={**lfdb.env, "LANGFLOW_AUTO_LOGIN": "false"})
    assert r.exit_code == 7
    assert len(checked) == 1 and str(checked[0]).startswith("$2b$12$")


def test_api_key_failures_do_not_tell_a_valid_key(lfdb: LangflowDB) -> None:
    for key in (lfdb.api_key("alice"), "sk-" + "x" * 43):
        r = run("user", "list", "--api-key-stdin", input=key, env={**lfdb.env, "LANGFLOW_AUTO_LOGIN": "false"})
        assert (r.exit_code, r.stderr) == (
            7,
            f"Error: {OFF}; API key from --api-key-stdin: the API key does not authenticate an active "
            f"superuser of Langflow {LABEL[lfdb.version]} (unknown, revoked or expired, or its owner is "
            "inactive or not a superuser; lfadmin does not say which)\n",
        )


def test_password_authentication_audits_what_it_proved(db113: LangflowDB) -> None:
    r = db113.run("user", "promote", "alice", user="root2")
    assert r.exit_code == 0, r
    (rec,) = audit_records(db113)
    assert (rec["actor"], rec["auth_method"]) == ("root2", "password")
    assert rec["auth_evidence"] == (
        "the password from LANGFLOW_SUPERUSER_PASSWORD (environment) verifies against 'root2''s bcrypt "
        "hash in the database; the account is an active superuser"
    )


# -- LANGFLOW_ENABLE_SUPERUSER_CLI=false ----------------------------------------------------------


@pytest.mark.parametrize(
    "args", [("user", "promote", "alice"), ("user", "create", "zed", "--superuser", "--password-stdin")]
)
def test_superuser_cli_disabled_stops_every_grant(lfdb: LangflowDB, args: tuple[str, ...]) -> None:
    snap = lfdb.snapshot()
    r = lfdb.run(*args, input="Zed-pass-123", LANGFLOW_ENABLE_SUPERUSER_CLI="false")
    assert (r.exit_code, r.stdout, r.stderr) == (
        10,
        "",
        "Error: granting superuser rights from the CLI is disabled: LANGFLOW_ENABLE_SUPERUSER_CLI=false "
        "(set in the environment); lfadmin applies it to `user promote` and `user create --superuser` as "
        "to `superuser` (set LANGFLOW_ENABLE_SUPERUSER_CLI=true to enable it)\n",
    )
    assert lfdb.snapshot() == snap
    assert [(r["outcome"], r["exit_code"], r["actor"]) for r in audit_records(lfdb)] == [("error", 10, "admin")]


# -- look-alike usernames --------------------------------------------------------------------------


def test_a_full_width_look_alike_is_warned_about(lfdb: LangflowDB) -> None:
    r = lfdb.run("user", "create", "\uff41lice", "--password-stdin", input="Look-alike-123")
    assert r.exit_code == 0, r
    assert r.stderr == (
        "Warning: 'ａlice' looks like existing 'alice': the same after Unicode normalisation (NFKC: "
        "full-width or other compatibility forms), yet two users to Langflow; people cannot tell them apart\n"
        "Created user 'ａlice', inactive (activate with: lfadmin user activate)\n"
    )


# -- M14: secrets show --reveal is audited ----------------------------------------------------------


def test_reveal_writes_an_audit_record(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "show", "ADMIN_CRED", "--user", "admin", "--reveal")
    assert (r.exit_code, r.stdout) == (0, "admin-credential-value\n"), r
    trail = lfdb.config_dir / AUDIT
    assert r.stderr == (
        f"Warning: audit: admin (api-key) revealed variable 'ADMIN_CRED' of user 'admin'; recorded in {trail}\n"
    )
    (rec,) = audit_records(lfdb)
    var_id = next(v["id"] for v in lfdb.manifest["variables"] if v["name"] == "ADMIN_CRED")
    assert (rec["event"], rec["result"], rec["variable"], rec["owner"], rec["variable_id"]) == (
        "secret.reveal", "revealed", "ADMIN_CRED", "admin", var_id,
    )
    assert (rec["actor"], rec["auth_method"]) == ("admin", "api-key")
    assert rec["auth_evidence"].startswith("the API key from LANGFLOW_API_KEY (environment) matches apikey row ")
    assert "admin-credential-value" not in trail.read_text()


def test_no_audit_record_no_value(lfdb: LangflowDB, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-file"
    blocked.mkdir()
    r = lfdb.run("secrets", "show", "ADMIN_CRED", "--user", "admin", "--reveal", LFADMIN_AUDIT_LOG=str(blocked))
    assert (r.exit_code, r.stdout) == (5, "")
    assert r.stderr == (
        f"Error: cannot write the audit trail {blocked} (LFADMIN_AUDIT_LOG (environment)): Is a directory "
        "(fix its permissions or set LFADMIN_AUDIT_LOG to a writable file)\n"
    )


def test_a_powerless_forced_account_on_1_6(db169: LangflowDB) -> None:
    """1.6 forces the auto-login account to ``langflow``: LANGFLOW_SUPERUSER is no way out there."""
    db169.execute('UPDATE "user" SET username = :n WHERE username = :o', n="langflow", o="alice")
    r = run("user", "list", env={**db169.env, "LANGFLOW_SUPERUSER": "admin"})
    assert (r.exit_code, r.stdout, r.stderr) == (
        7,
        "",
        "Error: LANGFLOW_AUTO_LOGIN=True (the default of Langflow 1.6.0 – 1.6.9): the auto-login account "
        "'langflow' is not a superuser, so it cannot act as a superuser (set LANGFLOW_AUTO_LOGIN=false and "
        "authenticate)\n",
    )


# -- what the server goes by: `langflow run`'s second pass (unprefixed AuthSettings names) ---------


def with_env_file(db: LangflowDB, tmp_path: Path, text: str) -> tuple[str, ...]:
    path = tmp_path / "server.env"
    path.write_text(text)
    return ("--env-file", str(path))


@pytest.mark.parametrize(
    ("text", "needs_login"),
    [
        ("AUTO_LOGIN=false\n", True),
        ("LANGFLOW_AUTO_LOGIN=true\nAUTO_LOGIN=false\n", True),
        ("AUTO_LOGIN=false\nLANGFLOW_AUTO_LOGIN=true\n", False),
    ],
)
def test_unprefixed_auto_login_counts_as_the_server_counts_it(
    db169: LangflowDB, tmp_path: Path, text: str, needs_login: bool
) -> None:
    """``run`` assigns ``AUTO_LOGIN``/``LANGFLOW_AUTO_LOGIN`` again in environ order, the last one
    winning (1.6.9 ``langflow/__main__.py:288-291``): with ``AUTO_LOGIN=false`` last, the server
    wants a login, so lfadmin does too, even though its auto-login account is there."""
    with_auto_login_account(db169)
    opts = with_env_file(db169, tmp_path, text)
    r = run(*opts, "user", "list", "--json", env=db169.env)
    line = len(text.splitlines())
    if needs_login:
        assert (r.exit_code, r.stdout, r.stderr) == (
            7,
            "",
            f"Error: LANGFLOW_AUTO_LOGIN=False (set in {tmp_path / 'server.env'}:{line}): a superuser must "
            "authenticate (set LANGFLOW_SUPERUSER and LANGFLOW_SUPERUSER_PASSWORD (env or --env-file), or "
            "pipe a password to --auth-password-stdin (with --as NAME), or a superuser's API key to "
            "--api-key-stdin)\n",
        )
    else:
        assert r.exit_code == 0, r
        assert "\"langflow\"" in r.stdout


def test_unprefixed_superuser_and_password_authenticate(db169: LangflowDB, tmp_path: Path) -> None:
    opts = with_env_file(db169, tmp_path, f"AUTO_LOGIN=false\nSUPERUSER=root2\nSUPERUSER_PASSWORD={db169.password('root2')}\n")
    r = run(*opts, "user", "promote", "alice", env=db169.env)
    assert r.exit_code == 0, r
    (rec,) = audit_records(db169)
    assert (rec["actor"], rec["auth_method"]) == ("root2", "password")
    assert rec["auth_evidence"].startswith("the password from SUPERUSER_PASSWORD (")


def test_unprefixed_superuser_is_the_auto_login_account(db113: LangflowDB, tmp_path: Path) -> None:
    """1.13 (no forced name): the server's auto-login account is an unprefixed ``SUPERUSER``."""
    opts = with_env_file(db113, tmp_path, "AUTO_LOGIN=true\nSUPERUSER=root2\n")
    r = run(*opts, "user", "promote", "alice", env=db113.env)
    assert r.exit_code == 0, r
    (rec,) = audit_records(db113)
    assert (rec["actor"], rec["auth_method"]) == ("root2", "auto-login")


def test_an_unprefixed_auto_login_the_server_refuses_is_refused(db169: LangflowDB, tmp_path: Path) -> None:
    opts = with_env_file(db169, tmp_path, "LANGFLOW_AUTO_LOGIN=false\nAUTO_LOGIN=maybe\n")
    r = run(*opts, "user", "list", env=db169.env)
    assert (r.exit_code, r.stdout, r.stderr) == (
        4,
        "",
        f"Error: AUTO_LOGIN ({tmp_path / 'server.env'}:2): 'maybe' is not a boolean Langflow accepts (use "
        "true/false, 1/0, yes/no, on/off); Langflow would refuse to start\n",
    )
