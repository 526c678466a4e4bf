"""Real Langflow reads what ``lfadmin secrets`` writes: variables, and every store after a rotation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lfadmin.langflow.crypto import Derivation, encrypt, sso_encrypt
from tests.support.databases import LangflowDB, make_db
from tests.support.langflow import langflow_script
from tests.support.secrets_seed import NEW, all_tokens, seed_all_stores

pytestmark = pytest.mark.interop


def lf_check(db: LangflowDB, checks: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """tests/langflow/lf_check.py under ``key``, with a config dir of its own (lfadmin's holds key files)."""
    argv = ["--db-url", db.url, "--secret-key", key, "--config-dir", str(db.config_dir / "lf")]
    out: list[dict[str, Any]] = langflow_script(db.version, "lf_check", argv, checks)
    return out


def lf_crypto(db: LangflowDB, key: str, ops: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Langflow's own Fernet / SSO envelope (tests/langflow/lf_secrets.py)."""
    out: list[dict[str, Any]] = langflow_script(db.version, "lf_secrets", ["--secret-key", key], ops)
    return out


def test_variables_written_by_lfadmin_are_langflows(lfdb: LangflowDB) -> None:
    assert lfdb.run("secrets", "set", "LF_CRED", "--user", "alice", "--value-stdin", input="sk-lf-cred-1").exit_code == 0
    r = lfdb.run("secrets", "set", "LF_GEN", "--user", "alice", "--value-stdin", "--type", "generic", input="plain-1")
    assert r.exit_code == 0, r
    assert lfdb.run("secrets", "set", "ADMIN_CRED", "--user", "admin", "--value-stdin", input="updated-2").exit_code == 0
    cred, gen, admin, listing = lf_check(lfdb, [
        {"op": "variable", "username": "alice", "name": "LF_CRED"},
        {"op": "variable", "username": "alice", "name": "LF_GEN"},
        {"op": "variable", "username": "admin", "name": "ADMIN_CRED"},
        {"op": "list_variables", "username": "alice"},
    ], lfdb.secret_key)
    assert cred["ok"] and cred["result"] == "ok" and cred["value"] == "sk-lf-cred-1", cred
    assert cred["type"] == "Credential" and cred["fernet_decrypts"] is True
    assert gen["ok"] and gen["value"] == "plain-1" and gen["type"] == "Generic", gen
    assert admin["value"] == "updated-2", admin
    listed = {v["name"]: v for v in listing["variables"]}
    assert listed["LF_CRED"]["type"] == "Credential"
    assert listed["LF_GEN"]["type"] == "Generic" and listed["LF_GEN"]["value"] == "plain-1"
    assert lfdb.run("secrets", "delete", "LF_CRED", "--user", "alice").exit_code == 0
    (gone,) = lf_check(lfdb, [{"op": "variable", "username": "alice", "name": "LF_CRED"}], lfdb.secret_key)
    assert gone["exists"] is False


def _rotate_and_check(db: LangflowDB, *extra: str) -> None:
    # Every store seeded (lfadmin's crypto; the variables and API keys in the fixture were
    # encrypted by Langflow itself), then rotated; then Langflow's own code must read it all.
    old_deriv = Derivation.DIRECT_ALWAYS_PAD if db.version.startswith("1.6") else Derivation.DIRECT
    if len(db.secret_key) < 32:
        old_deriv = Derivation.LEGACY_RANDOM
    plain = seed_all_stores(db, lambda v: encrypt(db.secret_key, v, old_deriv),
                            lambda v: sso_encrypt(db.secret_key, v))
    r = db.run("secrets", "rotate", "--new-key-stdin", "--json", *extra, input=NEW)
    assert r.exit_code == 0, r

    # Langflow's own decrypt opens every stored value under the new key, to the same plaintext.
    values = all_tokens(db)
    ops = [{"op": "sso_decrypt" if v.startswith("lf-sso:") else "decrypt", "value": v} for _, v in values]
    opened = lf_crypto(db, NEW, ops)
    assert all(o["ok"] for o in opened), [(s, o) for (s, _), o in zip(values, opened, strict=True) if not o["ok"]]
    got = {o["value"] for o in opened}
    for label, value in plain.items():
        assert value in got, label
    # ...and none under the old key.
    stale = lf_crypto(db, db.secret_key, ops)
    assert not any(o["ok"] for o in stale)

    checks: list[dict[str, Any]] = [
        {"op": "variable", "username": v["owner"], "name": v["name"]} for v in db.manifest["variables"]
    ]
    checks += [{"op": "api_key", "key": k["plaintext"]} for k in db.manifest["api_keys"]]
    checks.append({"op": "schema_check"})
    results = lf_check(db, checks, NEW)
    n = len(db.manifest["variables"])
    for v, res in zip(db.manifest["variables"], results[:n], strict=True):
        assert res["ok"] and res["fernet_decrypts"] is not False, (v["name"], res)
        if v["value"] == "":
            # 1.13's agentic variables hold an encrypted "": its get_variable raises on "" by design
            # (docs/langflow/crypto.md §3); Langflow's own Fernet opening it (above) is the check.
            continue
        assert res["result"] == "ok", (v["name"], res)
        if v["type"] == "Credential" or db.version.startswith("1.6.9"):
            assert res["value"] == v["value"], (v["name"], res)
    for k, res in zip(db.manifest["api_keys"], results[n:-1], strict=True):
        assert res["ok"] and res["result"] == "accepted", (k["name"], res)
    assert results[-1]["ok"] and results[-1]["result"] == "ok", results[-1]


def test_rotation_is_read_by_langflow(lfdb: LangflowDB) -> None:
    _rotate_and_check(lfdb)


def test_shortkey_rotation_is_read_by_langflow(tmp_path: Path) -> None:
    from tests.support import FIXTURES

    if not (FIXTURES / "langflow-1.6.9-shortkey.db").exists():
        pytest.skip("langflow-1.6.9-shortkey fixture not built")
    for db in make_db("sqlite", "1.6.9-shortkey", tmp_path):
        _rotate_and_check(db)
