"""Real Langflow accepts the API keys and superusers lfadmin writes (one Langflow process per db)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.databases import LangflowDB
from tests.support.langflow import langflow_check

pytestmark = pytest.mark.interop


def test_langflow_accepts_what_lfadmin_wrote(lfdb: LangflowDB) -> None:
    new = lfdb.version != "1.6.9"
    pg = lfdb.backend == "postgresql"

    def create(*args: str) -> tuple[str, str]:
        r = lfdb.run("api-key", "create", "--json", *args)
        assert r.exit_code == 0, r
        return r.json["key"], r.json["api_key"]["id"]

    admin_key, _ = create("--name", "ci")
    alice_key, _ = create("--user", "alice", "--name", "alice-ci")
    bob_key, _ = create("--user", "bob", "--name", "bob-ci")  # bob is inactive
    revoked_key, _ = create("--name", "to-revoke")
    assert lfdb.run("api-key", "revoke", "to-revoke").exit_code == 0

    expired_key = timed_key = None
    legacy = "sk-" + uuid.uuid4().hex + "LEGACYLEGA"  # 46 chars, like a 1.6.9 key
    if new:
        timed_key, _ = create("--name", "timed", "--expires-in", "30d")
        expired_key, expired_id = create("--name", "expired", "--expires-in", "1h")
        past = datetime.now(timezone.utc) - timedelta(hours=1)
        lfdb.execute(
            "UPDATE apikey SET expires_at = :e WHERE id = :i",
            e=past if pg else past.strftime("%Y-%m-%d %H:%M:%S.%f"),
            i=uuid.UUID(expired_id) if pg else uuid.UUID(expired_id).hex,
        )
        # A key as 1.6.9 stored it, left behind by an upgrade; then encrypt-legacy.
        owner = lfdb.user("alice")["id"]
        lfdb.execute(
            "INSERT INTO apikey (id, name, created_at, last_used_at, total_uses, is_active, api_key, "
            "user_id, api_key_hash, expires_at) VALUES (:i, 'legacy', :c, NULL, 0, :t, :k, :u, NULL, NULL)",
            i=uuid.uuid4() if pg else uuid.uuid4().hex,
            c=datetime.now(timezone.utc) if pg else datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
            t=True if pg else 1,
            k=legacy,
            u=uuid.UUID(owner) if pg else uuid.UUID(owner).hex,
        )
        r = lfdb.run("api-key", "encrypt-legacy")
        assert r.exit_code == 0 and r.stderr.endswith("Encrypted 1 plaintext API key\n"), r

    r = lfdb.run("superuser", "-u", "ops", "--password-stdin", input="Ops-pass-123")
    assert r.exit_code == 0, r

    checks: list[dict[str, Any]] = [
        {"op": "api_key", "key": admin_key},
        {"op": "api_key", "key": alice_key},
        {"op": "api_key", "key": bob_key},
        {"op": "api_key", "key": revoked_key},
        {"op": "login", "username": "ops", "password": "Ops-pass-123"},
        {"op": "user", "username": "ops"},
        {"op": "folders", "username": "ops"},
        {"op": "list_api_keys", "username": "admin"},
    ]
    if new:
        checks += [
            {"op": "api_key", "key": timed_key},
            {"op": "api_key", "key": expired_key},
            {"op": "api_key", "key": legacy},
        ]
    res = langflow_check(lfdb, checks)
    assert all(x["ok"] for x in res), res

    admin, alice, bob, revoked, login, user, folders, listing = res[:8]
    assert (admin["result"], admin["username"], admin["accepted_for_request"]) == ("accepted", "admin", True)
    assert admin["user_superuser"] is True
    assert (alice["result"], alice["username"], alice["accepted_for_request"]) == ("accepted", "alice", True)
    # An inactive owner's key: 1.13 refuses it in check_key, 1.6.9 one layer up.
    assert bob["accepted_for_request"] is False
    assert bob["result"] == ("rejected" if new else "accepted")
    assert (revoked["result"], revoked["accepted_for_request"]) == ("rejected", False)
    assert revoked["owner"] is None  # the row is gone
    assert login["result"] == "ok"
    assert user["exists"] and user["is_superuser"] is True and user["is_active"] is True
    assert [f["name"] for f in folders["folders"]] == ["Starter Project"]
    masked = {k["name"]: k["api_key"] for k in listing["api_keys"]}
    assert masked["ci"] == admin_key[:8] + "*" * (len(admin_key) - 8)
    if new:
        timed, expired, legacy_res = res[8:]
        assert (timed["result"], timed["accepted_for_request"]) == ("accepted", True)
        assert (expired["result"], expired["accepted_for_request"]) == ("rejected", False)
        assert (legacy_res["result"], legacy_res["username"]) == ("accepted", "alice")
