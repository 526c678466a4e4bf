"""Rows lfadmin writes are indistinguishable from the rows Langflow writes, column by column.

For every write operation, lfadmin writes its row and real Langflow writes the twin row through
its own code path (API endpoint function, CLI helper, variable service: ``tests/langflow/lf_check.py``
``twin_*`` ops) in the same database. Both rows are then read back raw, and every column is
compared by null-ness, Python type, constant value, JSON shape and the *format* of ids,
timestamps, password hashes, API keys and Fernet tokens. One Langflow call per release and
backend keeps this lean; the releases are the interop tier's plus 1.8.x, whose API keys are
encrypted without a hash column (docs/langflow/releases.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import EXTRA_VERSIONS, VERSIONS, LangflowDB, make_db
from tests.support.langflow import langflow_check
from tests.support.rows import uid

pytestmark = pytest.mark.interop

PARITY_VERSIONS = tuple(sorted({*VERSIONS, *EXTRA_VERSIONS}, key=lambda v: tuple(map(int, v.split(".")))))
PW = "Parity-pass-123"
NEW_PW = "Parity-new-456"


@pytest.fixture(
    params=[pytest.param(("sqlite", v), id=f"sqlite-{v}") for v in PARITY_VERSIONS]
    + [pytest.param(("postgresql", v), id=f"pg-{v}", marks=pytest.mark.postgres) for v in PARITY_VERSIONS]
)
def paritydb(request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool) -> Iterator[LangflowDB]:
    backend, version = request.param
    if backend == "postgresql" and not pg_available:
        pytest.skip("PostgreSQL not reachable (set LFADMIN_TEST_PG_URL)")
    yield from make_db(backend, version, tmp_path)


# -- shapes ----------------------------------------------------------------------------------------

_FERNET = re.compile(r"gAAAAA[A-Za-z0-9_-]+=*")
_BCRYPT = re.compile(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_HEX_UUID = re.compile(r"[0-9a-f]{32}")
_DASHED_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?")
_API_KEY = re.compile(r"sk-[A-Za-z0-9_-]{43}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _json_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_shape(v) for v in value]
    return value  # constants (booleans, field names, null) must be equal


def shape(value: Any, *, free: bool = False) -> Any:
    """What must be equal between lfadmin's value and Langflow's: all but the random part."""
    if value is None:
        return None
    if isinstance(value, bool | int):
        return (type(value).__name__, value)
    if isinstance(value, datetime):
        return ("datetime", value.utcoffset())
    if isinstance(value, uuid.UUID):
        return ("uuid", value.version)
    if isinstance(value, dict | list):
        return ("json", type(value).__name__, _json_shape(value))
    if isinstance(value, str):
        kinds = (("uuid-hex", _HEX_UUID), ("uuid-dashed", _DASHED_UUID), ("api-key", _API_KEY), ("sha256", _SHA256))
        for kind, pattern in kinds:
            if pattern.fullmatch(value):
                return (kind, len(value))
        if _FERNET.fullmatch(value):
            return ("fernet", len(value))  # same plaintext length on both sides
        if _BCRYPT.fullmatch(value):
            return ("bcrypt", value[:7])
        if _TIMESTAMP.fullmatch(value):
            return ("timestamp", re.sub(r"\d", "9", value))
        if value[:1] in "[{" or value == "null":
            return ("json-text", value)  # Langflow's own serialisation, byte for byte
        return ("str", len(value) > 0) if free else ("str", value)
    return (type(value).__name__, value)


def row(db: LangflowDB, table: str, where: str, **params: Any) -> dict[str, Any]:
    from sqlalchemy import text

    quoted = f'"{table}"' if table == "user" else table
    with db.connection() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {quoted} WHERE {where}"), params)]
    assert len(rows) == 1, (table, where, params, rows)
    return rows[0]


def assert_twins(what: str, ours: dict[str, Any], theirs: dict[str, Any], free: frozenset[str] = frozenset()) -> None:
    assert list(ours) == list(theirs), what
    diffs = {
        col: (ours[col], theirs[col])
        for col in ours
        if shape(ours[col], free=col in free) != shape(theirs[col], free=col in free)
    }
    assert not diffs, f"{what}: lfadmin's row differs from Langflow's in {diffs}"


# -- the test --------------------------------------------------------------------------------------


def test_rows_match_langflows(paritydb: LangflowDB) -> None:
    db = paritydb

    def ok(*args: str, input: str | None = None) -> Any:
        res = db.run(*args, "--json", input=input)
        assert res.exit_code == 0, res
        return res.json

    # lfadmin's rows (lf_*) ...
    users = {
        "plain": ok("user", "create", "lf_plain", "--password-stdin", input=PW),
        "active": ok("user", "create", "lf_act", "--active", "--password-stdin", input=PW),
        "superuser": ok("user", "create", "lf_su", "--superuser", "--active", "--password-stdin", input=PW),
        "cli": ok("superuser", "--username", "lf_cli", "--password-stdin", input=PW),
    }
    ok("user", "create", "lf_x", "--inactive", "--password-stdin", input=PW)
    ok("user", "activate", "lf_x")
    ok("user", "promote", "lf_x")
    ok("user", "create", "lf_y", "--superuser", "--active", "--password-stdin", input=PW)
    ok("user", "demote", "lf_y")
    ok("user", "set-password", "lf_y", "--password-stdin", input=NEW_PW)
    ok("user", "deactivate", "lf_y")
    keys = {
        "self": ok("api-key", "create", "--name", "k_self"),
        "other": ok("api-key", "create", "--user", "lf_act", "--name", "k_other"),
    }
    gone = ok("api-key", "create", "--name", "k_gone")["api_key"]["id"]
    ok("api-key", "revoke", gone)
    # A plaintext key as ≤ 1.7 left it, encrypted by lfadmin where the release reads tokens (1.8+).
    legacy = "sk-" + "L" * 43
    encrypts = db.run("info", "--json").json["capabilities"]["api_keys_encrypted"]
    if encrypts:
        db.execute(
            "INSERT INTO apikey (id, name, created_at, total_uses, is_active, api_key, user_id) "
            "VALUES (:i, 'k_legacy', CURRENT_TIMESTAMP, 0, :t, :k, (SELECT id FROM \"user\" WHERE username = 'admin'))",
            i=uid(db, str(uuid.uuid4())),
            t=True if db.backend == "postgresql" else 1,
            k=legacy,
        )
        assert ok("api-key", "encrypt-legacy")["encrypted"] == 1
    ok("secrets", "set", "CRED", "--user", "lf_act", "--value-stdin", input="cred-value")
    ok("secrets", "set", "GEN", "--user", "lf_act", "--type", "generic", "--field", "a", "--field", "b",
       "--value-stdin", input="generic-value")
    ok("secrets", "set", "UPD", "--user", "lf_act", "--value-stdin", input="first-value")
    ok("secrets", "set", "UPD", "--user", "lf_act", "--value-stdin", input="other-value")

    # ... and Langflow's twins (tw_*), in one call that also checks lfadmin's keys and values.
    batch: dict[str, dict[str, Any]] = {
        "plain": {"op": "twin_add_user", "username": "tw_plain", "password": PW, "active": False},
        "active": {"op": "twin_add_user", "username": "tw_act", "password": PW, "active": True},
        "superuser": {"op": "twin_add_user", "username": "tw_su", "password": PW, "active": True, "superuser": True},
        "cli": {"op": "twin_superuser", "username": "tw_cli", "password": PW},
        "x": {"op": "twin_add_user", "username": "tw_x", "password": PW, "active": False},
        "x-activate": {"op": "twin_update_user", "username": "tw_x", "is_active": True},
        "x-promote": {"op": "twin_update_user", "username": "tw_x", "is_superuser": True},
        "y": {"op": "twin_add_user", "username": "tw_y", "password": PW, "active": True, "superuser": True},
        "y-demote": {"op": "twin_update_user", "username": "tw_y", "is_superuser": False},
        "y-password": {"op": "twin_update_user", "username": "tw_y", "password": NEW_PW},
        "y-deactivate": {"op": "twin_update_user", "username": "tw_y", "is_active": False},
        "key-self": {"op": "twin_create_api_key", "username": "admin", "name": "k_self"},
        "key-other": {"op": "twin_create_api_key", "username": "tw_act", "name": "k_other"},
        "key-gone": {"op": "twin_create_api_key", "username": "admin", "name": "k_gone"},
        "key-revoke": {"op": "twin_delete_api_key", "username": "admin", "name": "k_gone"},
        "var-cred": {"op": "twin_create_variable", "username": "tw_act", "name": "CRED", "value": "cred-value",
                     "type": "Credential", "default_fields": []},
        "var-gen": {"op": "twin_create_variable", "username": "tw_act", "name": "GEN", "value": "generic-value",
                    "type": "Generic", "default_fields": ["a", "b"]},
        "var-upd": {"op": "twin_create_variable", "username": "tw_act", "name": "UPD", "value": "first-value",
                    "type": "Credential", "default_fields": []},
        "var-update": {"op": "twin_update_variable", "username": "tw_act", "name": "UPD", "value": "other-value"},
        # Langflow's verdict on lfadmin's rows.
        "check-key-self": {"op": "api_key", "key": keys["self"]["key"]},
        "check-key-other": {"op": "api_key", "key": keys["other"]["key"]},
        "check-cred": {"op": "variable", "username": "lf_act", "name": "CRED"},
        "check-upd": {"op": "variable", "username": "lf_act", "name": "UPD"},
        "check-login": {"op": "login", "username": "lf_y", "password": NEW_PW},
        "check-legacy": {"op": "api_key", "key": legacy},
    }
    answers = dict(zip(batch, langflow_check(db, list(batch.values())), strict=True))
    assert all(a["ok"] for a in answers.values()), {k: a for k, a in answers.items() if not a["ok"]}

    # Users: every column (username differs by construction).
    names = {"plain": "plain", "active": "act", "superuser": "su", "cli": "cli", "x": "x", "y": "y"}
    for what, suffix in names.items():
        ours = row(db, "user", "username = :n", n=f"lf_{suffix}")
        theirs = row(db, "user", "username = :n", n=f"tw_{suffix}")
        assert_twins(f"user ({what})", ours, theirs, free=frozenset({"username"}))
        if what in users:
            assert users[what]["user"]["id"] == str(uuid.UUID(str(ours["id"])))

    # Default folders of the users made through the API route (Langflow's `superuser` makes none).
    for suffix in ("plain", "act", "su", "x", "y"):
        ours = row(db, "folder", "user_id = (SELECT id FROM \"user\" WHERE username = :n)", n=f"lf_{suffix}")
        theirs = row(db, "folder", "user_id = (SELECT id FROM \"user\" WHERE username = :n)", n=f"tw_{suffix}")
        assert_twins(f"default folder of {suffix}", ours, theirs)

    # API keys (for oneself and for another user), and what Langflow says of lfadmin's.
    twin_ids = {"self": answers["key-self"]["key_id"], "other": answers["key-other"]["key_id"]}
    for what, made in keys.items():
        ours = row(db, "apikey", "id = :i", i=uid(db, made["api_key"]["id"]))
        theirs = row(db, "apikey", "id = :i", i=uid(db, twin_ids[what]))
        assert_twins(f"API key ({what})", ours, theirs)
    for what, owner in (("self", "admin"), ("other", "lf_act")):
        verdict = answers[f"check-key-{what}"]
        assert (verdict["result"], verdict.get("username")) == ("accepted", owner), verdict

    # Revocation deletes the row, as Langflow's DELETE route does.
    for key_id in (gone, answers["key-revoke"]["key_id"]):
        assert db.query("SELECT 1 FROM apikey WHERE id = :i", i=uid(db, key_id)) == []

    # Variables: created Credential, created Generic with fields, updated.
    for name in ("CRED", "GEN", "UPD"):
        where = "name = :v AND user_id = (SELECT id FROM \"user\" WHERE username = :n)"
        ours = row(db, "variable", where, v=name, n="lf_act")
        theirs = row(db, "variable", where, v=name, n="tw_act")
        assert_twins(f"variable {name}", ours, theirs, free=frozenset({"value"} if name == "GEN" else ()))
    for check, value in (("check-cred", "cred-value"), ("check-upd", "other-value")):
        assert (answers[check]["result"], answers[check].get("value")) == ("ok", value), answers[check]
    assert answers["check-login"]["result"] == "inactive", answers["check-login"]
    assert answers["check-legacy"]["result"] == ("accepted" if encrypts else "rejected"), answers["check-legacy"]
