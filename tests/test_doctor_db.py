"""`lfadmin config doctor` against databases real Langflow made (SQLite and PostgreSQL x 1.6.9, 1.13.0).

Each check: the fixture as Langflow left it (does not trigger, or the exact baseline finding),
then one change made with plain SQL that triggers it, and the exact finding asserted.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import bcrypt
import pytest

from tests.support.cli import Result
from tests.support.databases import LangflowDB
from tests.support.doctor import doctor_db as doctor
from tests.support.doctor import found

OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"  # valid Fernet key, not the fixture's


def ts(db: LangflowDB, when: datetime) -> Any:
    from lfadmin.langflow.codec import Codec

    return Codec(db.backend).datetime(when)


def cheap_hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


def add_user(db: LangflowDB, username: str, password: str, *, superuser: bool = False, active: bool = True,
             last_login: datetime | None = None) -> str:
    uid = uuid.uuid4().hex
    now = datetime.now(timezone.utc)
    db.execute(
        'INSERT INTO "user" (id, username, password, is_active, is_superuser, create_at, updated_at, last_login_at) '
        "VALUES (:id, :u, :p, :a, :s, :c, :c, :l)",
        id=uid, u=username, p=cheap_hash(password), a=active, s=superuser, c=ts(db, now),
        l=ts(db, last_login) if last_login else None,
    )
    return uid


def ids(res: Result) -> set[str]:
    return {f["id"] for f in res.json["findings"]}


DB_ONLY_PROBLEMS = {"LF-DB-001", "LF-DB-002", "LF-DB-003", "LF-DB-005", "LF-DB-006", "LF-DB-007",
                    "LF-DB-010", "LF-DB-011", "LF-DB-013", "LF-DB-014"}


def test_fixture_as_langflow_left_it(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    res = doctor(lfdb)
    assert res.exit_code == 12, res  # LF-EXEC-001 is high: alice and carol are active non-superusers
    data = res.json
    assert data["database"]["status"] == "checked"
    assert data["version_source"].startswith("database (alembic revision ")
    assert data["langflow_version"].endswith(lfdb.version)
    assert not ids(res) & DB_ONLY_PROBLEMS
    (extra,) = found(res, "LF-DB-004")
    assert (extra["severity"], extra["details"]["unexpected"]) == ("low", ["root2"])
    inactive = [f"{k} ({u})" for k, u in lfdb.query(
        'SELECT a.name, u.username FROM apikey a JOIN "user" u ON u.id = a.user_id WHERE u.is_active = :f '
        "ORDER BY a.created_at", f=False)]
    assert [(f["severity"], f["details"]["examples"]) for f in found(res, "LF-DB-008")] == (
        [("low", inactive)] if inactive else []
    )
    (flow,) = found(res, "LF-DB-012")
    assert flow["severity"] == "medium" and flow["details"]["count"] >= 1
    assert "Alice Secret Flow" in flow["details"]["examples"][0]
    plaintext = found(res, "LF-DB-009")
    if lfdb.version == "1.6.9":
        keys = lfdb.query("SELECT COUNT(*) FROM apikey")[0][0]
        assert [(p["severity"], p["details"]["count"]) for p in plaintext] == [("medium", keys)]
    else:
        assert plaintext == []
    (code,) = found(res, "LF-EXEC-001")
    assert code["severity"] == "high" and "2 active non-superuser" in code["message"]
    assert lfdb.snapshot() == before  # read-only
    for secret in (lfdb.password("admin"), lfdb.secret_key, "sk-alice-secret-value"):
        assert secret not in res.stdout


def test_release_defaults_come_from_the_database(lfdb: LangflowDB) -> None:
    """No AUTO_LOGIN anywhere: 1.6.9's default is on, 1.13.0's is off (docs/langflow/settings.md §10)."""
    res = lfdb.run("config", "doctor", "--format", "json", user=None)
    auto = found(res, "LF-AUTH-001")
    if lfdb.version == "1.6.9":
        assert [a["severity"] for a in auto] == ["high"]
        assert auto[0]["evidence"][0]["source"] == "default (Langflow 1.6.0 – 1.6.9)"
    else:
        assert auto == []
        assert [f["severity"] for f in found(res, "LF-CONF-003")] == ["critical"]


def test_default_password_on_a_privileged_user(lfdb: LangflowDB) -> None:
    lfdb.execute('UPDATE "user" SET password = :p WHERE username = :u', p=cheap_hash("langflow"), u="root2")
    (hit,) = found(doctor(lfdb), "LF-DB-001")
    assert hit["severity"] == "critical"
    assert hit["evidence"][0]["variable"] == "user:root2"
    # under AUTO_LOGIN the server is open anyway: high, not critical
    res = doctor(lfdb, LANGFLOW_AUTO_LOGIN="true")
    assert [f["severity"] for f in found(res, "LF-DB-001")] == ["high"]


def test_default_password_on_the_langflow_account(lfdb: LangflowDB) -> None:
    add_user(lfdb, "langflow", "langflow", superuser=False)  # not a superuser: still checked by name
    (hit,) = found(doctor(lfdb), "LF-DB-001")
    assert hit["evidence"][0]["variable"] == "user:langflow"


def test_other_users_are_not_bcrypted(lfdb: LangflowDB) -> None:
    """Bounded: an ordinary user with password `langflow` is not checked (never bcrypt every user)."""
    lfdb.execute('UPDATE "user" SET password = :p WHERE username = :u', p=cheap_hash("langflow"), u="carol")
    assert not found(doctor(lfdb), "LF-DB-001")


def test_shared_superuser_password(lfdb: LangflowDB) -> None:
    lfdb.execute('UPDATE "user" SET password = :p WHERE username = :u',
                 p=cheap_hash(lfdb.password("admin")), u="root2")
    (hit,) = found(doctor(lfdb), "LF-DB-002")
    assert hit["severity"] == "high" and "'root2'" in hit["message"]


def test_no_active_superuser(lfdb: LangflowDB) -> None:
    lfdb.execute('UPDATE "user" SET is_superuser = :f', f=False)
    (hit,) = found(doctor(lfdb), "LF-DB-003")
    assert hit["severity"] == "medium"
    assert not found(doctor(lfdb), "LF-DB-004")


def test_never_logged_in_default_superuser(lfdb: LangflowDB) -> None:
    add_user(lfdb, "langflow", "Some-other-pass-1", superuser=True)
    (hit,) = found(doctor(lfdb), "LF-DB-005")
    assert hit["severity"] == "medium" and hit["evidence"][0]["value"] == "superuser, active, last login never"
    assert not found(doctor(lfdb, LANGFLOW_AUTO_LOGIN="true"), "LF-DB-005")


def test_logged_in_default_superuser_survives(lfdb: LangflowDB) -> None:
    add_user(lfdb, "langflow", "Some-other-pass-1", superuser=True,
             last_login=datetime.now(timezone.utc) - timedelta(days=3))
    res = doctor(lfdb)
    (hit,) = found(res, "LF-DB-006")
    assert hit["severity"] == "medium"
    assert not found(res, "LF-DB-005")


def test_retired_default_superuser_is_info(lfdb: LangflowDB) -> None:
    if lfdb.version != "1.13.0":
        pytest.skip("retired_at exists from 1.13")
    uid = add_user(lfdb, "langflow", "x", superuser=True, active=False,
                   last_login=datetime.now(timezone.utc))
    lfdb.execute('UPDATE "user" SET retired_at = :r WHERE id = :i', r=ts(lfdb, datetime.now(timezone.utc)), i=uid)
    assert [f["severity"] for f in found(doctor(lfdb), "LF-DB-006")] == ["info"]


def test_unused_api_keys(lfdb: LangflowDB) -> None:
    old = ts(lfdb, datetime.now(timezone.utc) - timedelta(days=120))
    lfdb.execute("UPDATE apikey SET created_at = :o, last_used_at = NULL WHERE name <> :k", o=old, k="alice-key")
    recent = ts(lfdb, datetime.now(timezone.utc) - timedelta(days=2))
    lfdb.execute("UPDATE apikey SET created_at = :o, last_used_at = :r WHERE name = :k", o=old, r=recent, k="alice-key")
    keys = lfdb.query("SELECT COUNT(*) FROM apikey")[0][0]
    (hit,) = found(doctor(lfdb), "LF-DB-007")
    assert (hit["severity"], hit["details"]["count"]) == ("low", keys - 1)  # all but alice-key


def test_deactivated_keys_still_work_before_1_10(lfdb: LangflowDB) -> None:
    lfdb.execute("UPDATE apikey SET is_active = :f WHERE name = :k", f=False, k="admin-key")
    hits = found(doctor(lfdb), "LF-DB-010")
    if lfdb.version == "1.6.9":
        assert [(h["severity"], h["details"]["examples"]) for h in hits] == [("high", ["admin-key (admin)"])]
    else:
        assert hits == []  # 1.10+ honour is_active


def test_values_that_do_not_decrypt(lfdb: LangflowDB) -> None:
    res = doctor(lfdb, LANGFLOW_SECRET_KEY=OTHER_KEY)
    (hit,) = found(res, "LF-DB-011")
    assert hit["severity"] == "high"
    assert hit["details"]["stores"]["variable.value"] >= 2  # OPENAI_API_KEY and ADMIN_CRED
    assert not found(doctor(lfdb), "LF-DB-011")


def test_case_insensitive_twins(lfdb: LangflowDB) -> None:
    if lfdb.version == "1.13.0":
        pytest.skip("1.13's unique index on lower(username) forbids them")
    add_user(lfdb, "Alice", "Alice-pass-456")
    (hit,) = found(doctor(lfdb), "LF-DB-013")
    assert hit["severity"] == "high"
    assert hit["details"]["groups"] == ["Alice / alice"]
    assert "1.13 will abort" in hit["message"]


def test_orphan_rows(sqlite_db: LangflowDB) -> None:
    """SQLite does not enforce Langflow's foreign keys (PostgreSQL would refuse this row)."""
    db = sqlite_db
    db.execute("UPDATE apikey SET user_id = :u WHERE name = :k", u=uuid.uuid4().hex, k="alice-key")
    (hit,) = found(doctor(db), "LF-DB-014")
    assert hit["severity"] == "medium" and hit["details"]["tables"] == {"apikey": 1}


def test_bcrypt_work_is_bounded(sqlite_db: LangflowDB) -> None:
    for i in range(30):
        add_user(sqlite_db, f"su{i:02d}", f"Pass-{i}-xyz", superuser=True)
    res = doctor(sqlite_db)
    assert any("limited to 8 bcrypt verifications" in n for n in res.json["notes"])


def test_database_file_permissions(sqlite_db: LangflowDB) -> None:
    assert sqlite_db.path is not None
    sqlite_db.path.chmod(0o644)
    (hit,) = found(doctor(sqlite_db), "LF-FILE-003")
    assert hit["severity"] == "high"
    sqlite_db.path.chmod(0o600)
    assert not found(doctor(sqlite_db), "LF-FILE-003")


def test_sarif_with_database_findings(lfdb: LangflowDB) -> None:
    import json

    from tests.support.doctor import sarif_errors

    res = doctor(lfdb, "--format", "sarif", LANGFLOW_SECRET_KEY=OTHER_KEY)
    doc = json.loads(res.stdout)
    assert sarif_errors(doc) == []
    rule_ids = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {"LF-DB-011", "LF-DB-012"} <= rule_ids


def test_webhook_auth_on_a_1_8_database(db184: LangflowDB) -> None:
    """1.8.4 has LANGFLOW_WEBHOOK_AUTH_ENABLE, off by default: the finding names it, not "Langflow 1.6
    never authenticates"; pinned to 1.9.6 (on by default) there is none."""
    (hit,) = found(doctor(db184), "LF-AUTH-008")
    assert (hit["message"], hit["evidence"][0]["source"]) == (
        "LANGFLOW_WEBHOOK_AUTH_ENABLE is off: /api/v1/webhook/{flow} runs flows without an API key",
        "default (Langflow 1.8.0 – 1.8.4)",
    )
    assert found(doctor(db184, "--langflow-version", "1.9.6"), "LF-AUTH-008") == []
