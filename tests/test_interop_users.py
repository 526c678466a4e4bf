"""Real Langflow accepts what `lfadmin user` wrote (one Langflow process per database)."""

from __future__ import annotations

import pytest

from tests.support.databases import LangflowDB
from tests.support.langflow import langflow_check

pytestmark = pytest.mark.interop

UNICODE = "Zoë 🚀"


def test_langflow_accepts_user_changes(lfdb: LangflowDB) -> None:
    def ok(*args: str, input: str | None = None) -> None:
        res = lfdb.run(*args, input=input)
        assert res.exit_code == 0, res

    bob_id = lfdb.user("bob")["id"]
    ok("user", "create", "dave", "--active", "--password-stdin", input="Dave-pass-123")
    ok("user", "create", "erin", "--password-stdin", input="Erin-pass-123")  # inactive by default
    ok("user", "create", UNICODE, "--active", "--password-stdin", input="Zoe-pass-123")
    ok("user", "create", "long", "--active", "--password-stdin", input="P" * 100)
    ok("user", "promote", "carol")
    ok("user", "set-password", "alice", "--password-stdin", input="Alice-new-456")
    ok("user", "deactivate", "root2")
    ok("user", "delete", "bob", "--yes")

    checks = [
        {"op": "login", "username": "dave", "password": "Dave-pass-123"},
        {"op": "login", "username": "erin", "password": "Erin-pass-123"},
        {"op": "login", "username": UNICODE, "password": "Zoe-pass-123"},
        {"op": "login", "username": "long", "password": "P" * 72},
        {"op": "login", "username": "alice", "password": "Alice-new-456"},
        {"op": "login", "username": "alice", "password": "Alice-pass-123"},
        {"op": "login", "username": "root2", "password": lfdb.password("root2")},
        {"op": "user", "username": "carol"},
        {"op": "user", "username": "bob"},
        {"op": "user_refs", "user_id": bob_id},
        {"op": "folders", "username": "dave"},
        {"op": "schema_check"},  # the alembic check Langflow runs at startup, and model vs DB
        {"op": "startup"},  # Langflow's real startup on the database (it writes: last)
    ]
    r = langflow_check(lfdb, checks)
    assert all(x["ok"] for x in r), r
    assert r[0]["result"] == "ok"
    assert r[1]["result"] == "inactive"
    assert r[2]["result"] == "ok"
    assert r[3]["result"] == "ok"  # bcrypt reads 72 bytes, in Langflow as in lfadmin
    assert (r[4]["result"], r[5]["result"]) == ("ok", "wrong_password")
    assert r[6]["result"] == "inactive"
    assert r[7]["exists"] and r[7]["is_superuser"] is True
    assert r[8] == {"ok": True, "exists": False}
    assert r[9]["refs"] == {}, r[9]
    assert [f["name"] for f in r[10]["folders"]] == ["Starter Project"]
    assert r[11]["result"] == "ok", r[11]
    assert r[12]["result"] == "ok", r[12]
