"""`lfadmin upgrade check --to VERSION` on databases real Langflow made (SQLite and PostgreSQL).

Each rule: the fixture as Langflow left it, then the condition seeded with plain SQL, a setting
or a file, and the exact finding asserted (ID, severity, evidence, fix) with the doctor's exit
codes. The interop test starts Langflow 1.13.0 on a twin to prove LF-UPG-001.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from tests.support.cli import Result, run
from tests.support.databases import LangflowDB, make_db
from tests.support.langflow import upgrade_by_starting

OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"  # a valid Fernet key, not the fixture's


@pytest.fixture
def sqlite169(tmp_path: Path) -> Iterator[LangflowDB]:
    """The 1.6.9 fixture on SQLite: for file-level cases (key files, the text layout)."""
    yield from make_db("sqlite", "1.6.9", tmp_path)


def server_env(db: LangflowDB, **env: str) -> dict[str, str]:
    """The 1.6.9 fixture server's own settings: AUTO_LOGIN off, superuser admin with its password."""
    return {**db.env, "LANGFLOW_AUTO_LOGIN": "False", "LANGFLOW_SUPERUSER": "admin",
            "LANGFLOW_SUPERUSER_PASSWORD": db.password("admin"), **env}


def check(db: LangflowDB, to: str, *args: str, env: dict[str, str] | None = None, json: bool = True) -> Result:
    return run("upgrade", "check", "--to", to, *(("--json",) if json else ()), *args,
               env=env if env is not None else server_env(db))


def found(res: Result, rule: str) -> list[dict[str, Any]]:
    return [f for f in res.json["findings"] if f["id"] == rule]


def ids(res: Result) -> dict[str, str]:
    return {f["id"]: f["severity"] for f in res.json["findings"]}


def one(res: Result, rule: str) -> dict[str, Any]:
    hits = found(res, rule)
    assert len(hits) == 1, res
    return hits[0]


def evidence(f: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["variable"], e["value"]) for e in f["evidence"]]


def add_user(db: LangflowDB, username: str, password: str = "x-pass-123", *, superuser: bool = False,
             last_login: datetime | None = None) -> str:
    from lfadmin.langflow.codec import Codec

    uid = uuid.uuid4().hex
    now = Codec(db.backend).datetime(datetime.now(timezone.utc))
    db.execute(
        'INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at, updated_at, last_login_at) '
        "VALUES (:id, :u, :p, :a, :s, :c, :c, :l)",
        id=uid, u=username, p=bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode(), a=True,
        s=superuser, c=now, l=Codec(db.backend).datetime(last_login) if last_login else None,
    )
    return uid


# -- the fixture as Langflow 1.6.9 left it ------------------------------------------------------


BASELINE_169_TO_113 = {
    "LF-UPG-007": "error",
    "LF-UPG-022": "warning",
    "LF-UPG-023": "warning",
    "LF-UPG-024": "warning",
    "LF-UPG-008": "info",
    "LF-UPG-025": "info",
}


def test_baseline_1_6_9_to_1_13_0(db169: LangflowDB) -> None:
    res = check(db169, "1.13.0")
    assert res.exit_code == 12, res
    assert ids(res) == BASELINE_169_TO_113
    doc = res.json
    assert doc["from"] == {"release": "1.6.0 – 1.6.9", "source": "database (alembic revision d37bc4322900)",
                           "alembic_revision": "d37bc4322900"}
    assert doc["to"] == {"release": "1.13.0", "known": True}
    assert doc["database"]["status"] == "checked"
    assert doc["fail_on"] == "error" and doc["exit_code"] == 12
    assert doc["summary"] == {"error": 1, "warning": 3, "info": 2}
    assert [f["id"] for f in doc["findings"]] == [
        "LF-UPG-007", "LF-UPG-022", "LF-UPG-023", "LF-UPG-024", "LF-UPG-008", "LF-UPG-025"]
    assert "LF-UPG-001" in doc["rules_checked"] and "LF-UPG-011" not in doc["rules_checked"]
    gen = one(res, "LF-UPG-007")
    assert evidence(gen) == [("variable:MY_GEN", "owner alice")]
    assert gen["fix"] == "lfadmin upgrade repair"
    assert gen["message"] == (
        "1 Generic variable is stored encrypted: from Langflow 1.8.0 flows get the Fernet token instead of "
        "the value (1 open with the key in effect).")
    assert gen["details"] == {"count": 1}
    keys = one(res, "LF-UPG-008")
    assert evidence(keys) == [("apikey:admin-key", "owner admin"), ("apikey:alice-key", "owner alice")]
    assert keys["fix"] == "lfadmin api-key encrypt-legacy"
    assert res.stderr == ""


def test_fail_on_warning_and_nothing_failing(db169: LangflowDB) -> None:
    # 1.6.9 -> 1.7.3 crosses no error rule; --fail-on warning counts the warnings.
    res = check(db169, "1.7.3")
    assert (res.exit_code, ids(res)) == (0, {"LF-UPG-025": "info"}), res
    assert evidence(one(res, "LF-UPG-025")) == [("LANGFLOW_SQLITE_PRAGMAS", "(not set)")]
    res = check(db169, "1.9.6", "--fail-on", "warning")
    assert res.exit_code == 12
    assert ids(res)["LF-UPG-022"] == "warning"


def test_table_output(sqlite169: LangflowDB) -> None:
    res = check(sqlite169, "1.7.3", "--env-file", str(write_env(sqlite169, "")), json=False)
    assert res.exit_code == 0, res
    assert res.stdout == (
        "Langflow upgrade check  1.6.0 – 1.6.9 -> 1.7.3 (from: database (alembic revision d37bc4322900))\n"
        f"env file: {sqlite169.config_dir.parent / 'server.env'}    database: checked {sqlite169.url}\n"
        "\n"
        " INFO (1) \n"
        "  LF-UPG-025  Other setting defaults that change\n"
        "      1 other settings not set here change their default.\n"
        "      LANGFLOW_SQLITE_PRAGMAS = (not set)   (default from Langflow 1.7.0: + busy_timeout 30000)\n"
        "\n"
        "Summary: 0 error, 0 warning, 1 info. nothing at or above error.\n"
    )
    assert res.stderr == ""


def write_env(db: LangflowDB, text: str) -> Path:
    path = db.config_dir.parent / "server.env"
    path.write_text(textwrap.dedent(text))
    return path


# -- LF-UPG-001: case twins ---------------------------------------------------------------------


def test_case_twin_is_an_error(db169: LangflowDB) -> None:
    add_user(db169, "Alice")
    res = check(db169, "1.13.0")
    assert res.exit_code == 12
    twin = one(res, "LF-UPG-001")
    assert twin["severity"] == "error"
    assert [v for v, _ in evidence(twin)] == ["user:alice", "user:Alice"]  # alice signed in: she keeps her name
    alice_id = db169.user("alice")["id"].replace("-", "")
    assert evidence(twin)[0][1].startswith(f"id {alice_id}, last login 20")
    assert evidence(twin)[0][1].endswith(", owns 1 folder, 1 flow, 1 apikey, 2 variable")
    assert evidence(twin)[1][1].endswith(", last login never, owns nothing")
    assert twin["message"] == (
        "1 group of usernames differ only in case (alice/Alice): Langflow 1.13.0's migration 1d28fd31a982 "
        "aborts the upgrade and leaves the database half-migrated.")
    assert twin["fix"] == "lfadmin user rename Alice NEW-NAME"
    assert twin["hint"] == "before the upgrade; or `lfadmin user delete Alice --transfer-to OTHER`"
    assert twin["details"] == {"groups": 1, "users": 2}
    # Not for a target before 1.13, nor on a 1.13 database (its unique index forbids twins).
    assert "LF-UPG-001" not in ids(check(db169, "1.12.8"))


def test_nothing_to_report_on_1_13(db113: LangflowDB) -> None:
    # A 1.13.0 database staying on 1.13.0 with its own key: nothing breaks, nothing is reported.
    res = check(db113, "1.13.0", env={**db113.env, "LANGFLOW_AUTO_LOGIN": "false",
                                       "LANGFLOW_SUPERUSER_PASSWORD": db113.password("admin")})
    assert (res.exit_code, res.json["findings"], res.stderr) == (0, [], "")
    assert res.json["rules_checked"] == ["LF-UPG-006", "LF-UPG-010", "LF-UPG-016", "LF-UPG-019", "LF-UPG-020",
                                         "LF-UPG-025"]


def test_replayed_1_10_3_revisions(tmp_path: Path) -> None:
    db = next(make_db("sqlite", "1.10.3", tmp_path))
    res = check(db, "1.11.6", env=db.env)
    f = one(res, "LF-UPG-018")
    assert (f["severity"], f["fix"], evidence(f)) == ("info", None, [("alembic_version", "d49cbced8696")])
    assert "LF-UPG-018" not in ids(check(db, "1.10.3", env=db.env))


def test_database_inside_the_package(tmp_path: Path) -> None:
    db = next(make_db("sqlite", "1.6.9", tmp_path))
    assert db.path is not None
    inside = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "langflow" / "langflow.db"
    inside.parent.mkdir(parents=True)
    shutil.copyfile(db.path, inside)
    env = server_env(db, LANGFLOW_DATABASE_URL=f"sqlite:///{inside}")
    f = one(check(db, "1.13.0", env=env), "LF-UPG-019")
    assert f["severity"] == "warning"
    assert evidence(f) == [("database", str(inside))]
    assert f["fix"].startswith(f"cp -p {inside} /var/lib/langflow/langflow.db && LANGFLOW_DATABASE_URL=")
    assert "LF-UPG-019" not in ids(check(db, "1.13.0"))


# -- settings: 002-004, 013, 015, 020-026 -------------------------------------------------------


def test_auto_login_default_flip(db169: LangflowDB) -> None:
    res = check(db169, "1.13.0", env=db169.env)  # neither AUTO_LOGIN nor a password
    f = one(res, "LF-UPG-002")
    assert f["severity"] == "error"
    assert f["fix"] == "LANGFLOW_AUTO_LOGIN=true"
    assert f["evidence"] == [
        {"variable": "LANGFLOW_AUTO_LOGIN", "value": "(not set)", "source": "default (Langflow 1.13.0: false)",
         "path": None, "line": None},
        {"variable": "LANGFLOW_SUPERUSER_PASSWORD", "value": "(not set)",
         "source": "not set in the environment or the env file", "path": None, "line": None},
        {"variable": "user:*", "value": "2 active superusers today", "source": "database", "path": None,
         "line": None},
    ]
    # An explicit AUTO_LOGIN of either kind, or a password, and the flip does not bite.
    for extra in ({"LANGFLOW_AUTO_LOGIN": "true"}, {"LANGFLOW_SUPERUSER_PASSWORD": "Some-pass-1"}):
        assert "LF-UPG-002" not in ids(check(db169, "1.13.0", env={**db169.env, **extra}))
    assert "LF-UPG-002" not in ids(check(db169, "1.12.8", env=db169.env))


def test_auto_login_off_without_password_from_env_file(db169: LangflowDB) -> None:
    env_file = write_env(db169, """\
        # the server's settings
        LANGFLOW_AUTO_LOGIN=false
        LANGFLOW_SUPERUSER=admin
    """)
    res = check(db169, "1.10.3", "--env-file", str(env_file), env=db169.env)
    f = one(res, "LF-UPG-003")
    assert f["severity"] == "error"
    assert f["evidence"][0] == {"variable": "LANGFLOW_AUTO_LOGIN", "value": "false", "source": f"{env_file}:2",
                                "path": str(env_file), "line": 2}
    assert f["fix"] == "LANGFLOW_SUPERUSER_PASSWORD=<a new password, not langflow>"
    assert f["hint"] == "then `lfadmin user set-password admin` so the account matches"
    assert res.json["env_file"] == str(env_file)
    assert "LF-UPG-003" not in ids(check(db169, "1.9.6", "--env-file", str(env_file), env=db169.env))


def test_unprefixed_auto_login_counts_as_the_server_takes_it(db169: LangflowDB) -> None:
    """`langflow run` also assigns an unprefixed AUTO_LOGIN (its second pass): an env file with
    only `AUTO_LOGIN=false` runs the new server with AUTO_LOGIN off, so 003 applies."""
    env_file = write_env(db169, """\
        AUTO_LOGIN=false
        SUPERUSER=admin
    """)
    res = check(db169, "1.10.3", "--env-file", str(env_file), env=db169.env)
    f = one(res, "LF-UPG-003")
    assert f["evidence"][0] == {"variable": "AUTO_LOGIN", "value": "false", "source": f"{env_file}:1",
                                "path": str(env_file), "line": 1}
    assert f["hint"] == "then `lfadmin user set-password admin` so the account matches"


def test_legacy_default_password_setting(db169: LangflowDB) -> None:
    res = check(db169, "1.10.3", env=server_env(db169, LANGFLOW_SUPERUSER_PASSWORD="langflow"))
    f = one(res, "LF-UPG-004")
    assert f["severity"] == "error"
    assert ("LANGFLOW_SUPERUSER_PASSWORD", "langflow (the legacy default)") in evidence(f)
    assert "LF-UPG-004" not in ids(check(db169, "1.10.1", env=server_env(db169, LANGFLOW_SUPERUSER_PASSWORD="langflow")))
    # AUTO_LOGIN on (explicitly) ignores the password on every release
    env = server_env(db169, LANGFLOW_SUPERUSER_PASSWORD="langflow", LANGFLOW_AUTO_LOGIN="true")
    assert "LF-UPG-004" not in ids(check(db169, "1.13.0", env=env))


def test_secret_key_with_trailing_newline(sqlite169: LangflowDB) -> None:
    key_file = sqlite169.config_dir / "secret_key"
    key_file.write_text(sqlite169.secret_key + "\n")
    env = {k: v for k, v in server_env(sqlite169).items() if k != "LANGFLOW_SECRET_KEY"}
    res = check(sqlite169, "1.9.6", env=env)
    f = one(res, "LF-UPG-013")
    assert f["severity"] == "error"
    assert evidence(f) == [(str(key_file), "44 characters (it ends with a newline)")]
    assert f["fix"] == f"printf '%s' \"$(cat {key_file})\" > {key_file}"
    assert "LF-UPG-013" not in ids(check(sqlite169, "1.8.4", env=env))
    # The fix works: the same key bytes without the newline.
    subprocess.run(["sh", "-c", f["fix"]], check=True)
    assert key_file.read_text() == sqlite169.secret_key
    assert "LF-UPG-013" not in ids(check(sqlite169, "1.9.6", env=env))


def test_key_only_in_default_cache_dir(sqlite169: LangflowDB, tmp_path: Path) -> None:
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "langflow"
    cache.mkdir(parents=True)
    (cache / "secret_key").write_text(sqlite169.secret_key)
    env = {k: v for k, v in server_env(sqlite169).items() if k not in ("LANGFLOW_SECRET_KEY", "LANGFLOW_CONFIG_DIR")}
    f = one(check(sqlite169, "1.13.0", env=env), "LF-UPG-020")
    assert f["severity"] == "warning"
    assert f["fix"] == f"LANGFLOW_CONFIG_DIR={cache}"
    env["LANGFLOW_CONFIG_DIR"] = str(cache)
    assert "LF-UPG-020" not in ids(check(sqlite169, "1.13.0", env=env))


def test_workers_without_shared_queue(db169: LangflowDB) -> None:
    res = check(db169, "1.10.3", env=server_env(db169, LANGFLOW_WORKERS="4"))
    f = one(res, "LF-UPG-015")
    assert f["severity"] == "error"
    assert f["fix"] == "LANGFLOW_JOB_QUEUE_TYPE=redis"
    assert evidence(f) == [("LANGFLOW_WORKERS", "4"), ("LANGFLOW_JOB_QUEUE_TYPE", "(not set)")]
    for extra in ({"LANGFLOW_JOB_QUEUE_TYPE": "redis"}, {"LANGFLOW_WORKERS": "1"}):
        assert "LF-UPG-015" not in ids(check(db169, "1.10.3", env={**server_env(db169, LANGFLOW_WORKERS="4"), **extra}))
    assert "LF-UPG-015" not in ids(check(db169, "1.9.6", env=server_env(db169, LANGFLOW_WORKERS="4")))


def test_setting_defaults_and_removals(db169: LangflowDB) -> None:
    env = server_env(db169, LANGFLOW_SSRF_PROTECTION_ENABLED="false", LANGFLOW_TELEMETRY_BASE_URL="https://t.example")
    res = check(db169, "1.13.0", env=env)
    assert "LF-UPG-022" not in ids(res)  # set explicitly: no change
    assert ids(res)["LF-UPG-023"] == "warning"
    tel = one(res, "LF-UPG-026")
    assert (tel["severity"], tel["fix"]) == ("info", "remove LANGFLOW_TELEMETRY_BASE_URL (the environment)")
    other = [v for v, _ in evidence(one(res, "LF-UPG-025"))]
    assert other[0] == "LANGFLOW_SQLITE_PRAGMAS" and other[-1] == "LANGFLOW_AUTO_SAVING_INTERVAL"
    # 1.12 -> 1.13 crosses only the last of them
    assert set(ids(check(db169, "1.12.8", env=env))) >= {"LF-UPG-023"}


def test_webhook_flows(db169: LangflowDB) -> None:
    flow = db169.manifest["flows"][0]
    db169.execute("UPDATE flow SET data = :d WHERE id = :i", d='{"nodes": [{"data": {"type": "Webhook"}}]}',
                  i=flow["id"] if db169.backend == "postgresql" else flow["id"].replace("-", ""))
    f = one(check(db169, "1.9.6"), "LF-UPG-021")
    assert f["severity"] == "warning"
    assert evidence(f)[0][0] == f"flow:{flow['name']}"
    assert f["fix"] == "LANGFLOW_WEBHOOK_AUTH_ENABLE=false"
    assert "LF-UPG-021" not in ids(check(db169, "1.9.6", env=server_env(db169, LANGFLOW_WEBHOOK_AUTH_ENABLE="true")))


# -- users and keys: 005, 006, 009 --------------------------------------------------------------


def test_accounts_with_the_legacy_password(db169: LangflowDB) -> None:
    add_user(db169, "langflow", "langflow", superuser=True, last_login=datetime.now(timezone.utc))
    f = one(check(db169, "1.10.2"), "LF-UPG-005")
    assert (f["severity"], f["fix"]) == ("warning", "lfadmin user set-password langflow")
    assert evidence(f) == [("user:langflow", "password verifies 'langflow'")]
    assert "LF-UPG-005" not in ids(check(db169, "1.10.1"))


def test_default_superuser_removed(db169: LangflowDB) -> None:
    root2 = db169.user("root2")["id"]
    db169.execute('UPDATE "user" SET username = :n WHERE username = :o', n="langflow", o="root2")
    owned = db169.query("SELECT count(*) FROM folder WHERE user_id = :u",
                        u=root2 if db169.backend == "postgresql" else root2.replace("-", ""))[0][0]
    assert owned, "the fixture's root2 owns its default folder"
    f = one(check(db169, "1.12.8"), "LF-UPG-006")
    assert f["severity"] == "error"
    assert f["fix"] == "lfadmin upgrade repair --keep-default-superuser"
    assert evidence(f)[0] == ("user:langflow", f"superuser, never signed in, owns {owned} folder")
    f = one(check(db169, "1.13.0"), "LF-UPG-006")  # 1.13 retires it instead
    assert (f["severity"], f["fix"]) == ("warning", "LANGFLOW_SUPERUSER=langflow")
    # Claimed on 1.13 (LANGFLOW_SUPERUSER=langflow with a password), or AUTO_LOGIN on: nothing happens to it.
    claimed = server_env(db169, LANGFLOW_SUPERUSER="langflow", LANGFLOW_SUPERUSER_PASSWORD="New-pass-123")
    assert "LF-UPG-006" not in ids(check(db169, "1.13.0", env=claimed))
    assert "LF-UPG-006" not in ids(check(db169, "1.12.8", env=server_env(db169, LANGFLOW_AUTO_LOGIN="true")))


def test_deactivated_api_keys(db169: LangflowDB) -> None:
    db169.execute("UPDATE apikey SET is_active = :f WHERE name = 'alice-key'", f=False)
    f = one(check(db169, "1.10.0"), "LF-UPG-009")
    assert (f["severity"], f["fix"]) == ("warning", "lfadmin api-key revoke alice-key --user alice")
    assert evidence(f) == [("apikey:alice-key", "owner alice, inactive")]
    assert "LF-UPG-009" not in ids(check(db169, "1.9.6"))


# -- secrets: 010-012 ---------------------------------------------------------------------------


def test_values_the_key_cannot_open(db169: LangflowDB) -> None:
    from lfadmin.langflow.crypto import Derivation, encrypt

    token = encrypt(OTHER_KEY, "other", Derivation.DIRECT)
    db169.execute("UPDATE variable SET value = :v WHERE name = 'ADMIN_CRED'", v=token)
    f = one(check(db169, "1.13.0"), "LF-UPG-010")
    assert (f["severity"], f["fix"]) == ("error", "lfadmin secrets check")
    assert f["evidence"][1]["variable"].startswith("variable.value ") and "(ADMIN_CRED, owner admin)" in (
        f["evidence"][1]["variable"])
    assert f["details"] == {"count": 1, "stores": {"variable.value": 1}}


def test_short_key_derivation(tmp_path: Path) -> None:
    db = next(make_db("sqlite", "1.6.9-shortkey", tmp_path))
    res = check(db, "1.10.3", env=server_env(db))
    f = one(res, "LF-UPG-011")
    assert f["severity"] == "error"
    assert f["evidence"][0]["value"] == "12 characters"
    assert f["details"]["count"] >= 3
    res = check(db, "1.13.0", env=server_env(db))
    assert "LF-UPG-011" not in ids(res)
    assert ids(res)["LF-UPG-012"] == "info"
    # 1.10.3 is a closed window: a release lfadmin does not know may or may not be in it.
    assert "LF-UPG-011" not in ids(check(db, "1.10.9", env=server_env(db)))


def test_sso_secret_cleared_by_1_12(db184: LangflowDB) -> None:
    from lfadmin.langflow.codec import Codec

    now = Codec(db184.backend).datetime(datetime.now(timezone.utc))
    db184.execute(
        "INSERT INTO sso_config (id, provider, provider_name, enabled, enforce_sso, client_id, client_secret_encrypted, "
        "email_claim, username_claim, user_id_claim, created_at, updated_at) VALUES (:i, 'oidc', 'Okta', :t, :f, "
        "'cid', 'plain-secret', 'email', 'preferred_username', 'sub', :n, :n)",
        i=uuid.uuid4().hex, t=True, f=False, n=now,
    )
    res = check(db184, "1.12.8", env=db184.env)
    f = one(res, "LF-UPG-027")
    assert f["severity"] == "warning"
    assert evidence(f) == [("sso_config:Okta", "client secret not an encrypted envelope")]
    assert "plain-secret" not in res.stdout
    assert "LF-UPG-027" not in ids(check(db184, "1.11.6", env=db184.env))


# -- knowledge bases, orphans -------------------------------------------------------------------


def test_legacy_knowledge_bases(db169: LangflowDB, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "alice" / "docs").mkdir(parents=True)
    (kb / "alice" / "docs" / "embedding_metadata.json").write_text("{}")
    (kb / "alice" / "notes.txt").write_text("not a base")
    res = check(db169, "1.13.0", env=server_env(db169, LANGFLOW_KNOWLEDGE_BASES_DIR=str(kb)))
    f = one(res, "LF-UPG-014")
    assert f["severity"] == "warning"
    assert evidence(f) == [("kb:alice/docs", "legacy knowledge base"), ("LANGFLOW_WORKERS", "(not set)")]
    assert f["fix"] == f"cp -a {kb} {kb}.pre-1.13.0"
    assert "LF-UPG-014" not in ids(check(db169, "1.12.8", env=server_env(db169, LANGFLOW_KNOWLEDGE_BASES_DIR=str(kb))))


def test_orphans_sqlite(sqlite_db: LangflowDB) -> None:
    sqlite_db.execute("UPDATE variable SET user_id = :u WHERE name = 'MY_GEN'", u=uuid.uuid4().hex)
    res = check(sqlite_db, "1.13.0", env=server_env(sqlite_db) if sqlite_db.version == "1.6.9" else sqlite_db.env)
    f = one(res, "LF-UPG-016")
    assert f["severity"] == "warning"  # nothing in the migrations refuses it on SQLite
    assert ("variable.user_id", "1 orphan (-> user.id, ON DELETE no rule)") in evidence(f)
    assert f["fix"] == "lfadmin upgrade repair --drop-orphans"
    assert f["hint"].endswith("; no rule covers variable.user_id: fix those by hand")
    assert res.stderr == ""  # no SQLAlchemy reflection warnings


@pytest.mark.postgres
def test_orphaned_file_rows_block_postgresql(tmp_path: Path, pg_available: bool) -> None:
    if not pg_available:
        pytest.skip("PostgreSQL not reachable")
    copy = make_db("postgresql", "1.6.9", tmp_path)
    db = next(copy)  # the generator drops the database when closed: keep it until the end
    try:
        db.execute("SET session_replication_role = replica; "
                   "INSERT INTO file (id, user_id, name, path, size, created_at, updated_at) "
                   "VALUES (gen_random_uuid(), gen_random_uuid(), 'lost.txt', 'x/lost.txt', 1, now(), now())")
        f = one(check(db, "1.9.6"), "LF-UPG-016")
        assert f["severity"] == "error"
        assert evidence(f) == [("file.user_id", "1 orphan (-> user.id, ON DELETE no rule)")]
    finally:
        copy.close()


# -- versions: 017, unknown targets, bad input, the database part ------------------------------


def test_older_target_refused(db113: LangflowDB) -> None:
    res = check(db113, "1.8.4", env=db113.env)
    assert res.exit_code == 10
    assert res.stdout == ""
    assert res.stderr == (
        "Error: --to 1.8.4 is older than Langflow 1.13.0, this database's release (alembic revision "
        "e5a7c9b1d3f2): Langflow cannot go back (LF-UPG-017) (restore the backup taken before the upgrade)\n")


def test_newer_unknown_schema_refused(db113: LangflowDB) -> None:
    db113.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    res = check(db113, "1.14.0", env=db113.env)
    assert (res.exit_code, res.stdout) == (10, "")
    assert res.stderr.endswith(
        "Error: this database's schema is newer than any Langflow lfadmin knows (alembic revision ffffffffffff): "
        "it cannot tell what an upgrade from it changes (LF-UPG-017) (upgrade lfadmin)\n")


def test_unknown_target(db169: LangflowDB) -> None:
    res = check(db169, "1.14.0")
    assert res.exit_code == 12
    assert res.stderr == (
        "Warning: Langflow 1.14.0 is not a release lfadmin knows (newer than 1.13.0): whatever it changes "
        "beyond what lfadmin knows cannot be reported; only the rules that hold for every later release are "
        "checked\n")
    assert res.json["to"] == {"release": "1.14.0", "known": False}
    assert ids(res) == BASELINE_169_TO_113
    assert "LF-UPG-011" not in res.json["rules_checked"]


@pytest.mark.parametrize(("args", "message"), [
    (("--to", "latest"), "Error: --to 'latest' is not a release like 1.13.0\n"),
    (("--to", "1.5.0"), "Error: --to 1.5.0: lfadmin supports Langflow 1.6.0 and later\n"),
    (("--to", "1.13.0", "--fail-on", "info"), "Error: --fail-on 'info': use one of error, warning\n"),
])
def test_bad_input(args: tuple[str, ...], message: str) -> None:
    res = run("upgrade", "check", *args)
    assert (res.exit_code, res.stdout, res.stderr) == (4, "", message)


def test_database_part_failed(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    res = run("upgrade", "check", "--to", "1.13.0", "--json", "--database-url", f"sqlite:///{missing}")
    assert res.exit_code == 13
    doc = res.json
    assert doc["database"]["status"] == "failed"
    assert doc["from"]["source"] == "unknown (the database could not be read)"
    assert "LF-UPG-002" in ids(res)  # the settings rules still stand
    assert "LF-UPG-001" not in doc["rules_checked"] and "LF-UPG-002" in doc["rules_checked"]
    assert res.stderr.startswith("Warning: database checks skipped: no SQLite database at ")
    # With the source release given, the settings rules use it.
    res = run("upgrade", "check", "--to", "1.13.0", "--json", "--database-url", f"sqlite:///{missing}",
              "--langflow-version", "1.13.0")
    assert res.exit_code == 13 and "LF-UPG-002" not in ids(res)


def test_read_only(sqlite_db: LangflowDB) -> None:
    assert sqlite_db.path is not None
    before = sqlite_db.snapshot()
    sqlite_db.path.chmod(0o444)
    res = check(sqlite_db, "1.13.0", env=sqlite_db.env)
    assert res.exit_code in (0, 12), res
    assert sqlite_db.snapshot() == before


# -- interop: Langflow 1.13.0's own migrations ---------------------------------------------------


@pytest.mark.interop
@pytest.mark.xdist_group("langflow-1.13.0")
def test_interop_twin_aborts_1_13_migrations(sqlite169: LangflowDB) -> None:
    """LF-UPG-001 reported, and true: 1.13.0's start refuses the twin. The same jump without a
    twin is started, repaired and read back in tests/test_upgrade_repair.py."""
    db = sqlite169
    add_user(db, "Alice")
    assert "LF-UPG-001" in ids(check(db, "1.13.0"))
    (started,) = upgrade_by_starting(db, "1.13.0")
    assert started["result"] == "failed", started
    assert "Cannot enforce case-insensitive username uniqueness" in started["message"], started
    assert "['alice']" in started["message"]
