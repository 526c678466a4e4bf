"""``secrets check`` and the global-variable commands on Langflow-made databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lfadmin.langflow.crypto import Derivation, encrypt, fingerprint, sso_encrypt
from tests.support.databases import LangflowDB, make_db
from tests.support.secrets_seed import OTHER, enc, seed_all_stores


def by_store(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["store"]: s for s in data["stores"]}


def test_check_all_ok(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "check", "--json")
    assert r.exit_code == 0, r
    data = r.json
    assert data["key"]["fingerprint"] == fingerprint(lfdb.secret_key)
    assert lfdb.secret_key not in r.stdout + r.stderr
    variables = by_store(data)["variable.value"]
    assert variables["counts"]["undecryptable"] == 0
    assert variables["counts"]["ok"] >= 2
    keys = by_store(data)["apikey.api_key"]["counts"]
    if lfdb.version.startswith("1.6"):
        assert keys["plain-expected"] == len(lfdb.manifest["api_keys"])  # 1.6.9 stores plaintext
    else:
        assert keys["ok"] >= len(lfdb.manifest["api_keys"])


def test_check_every_store_is_counted(lfdb: LangflowDB) -> None:
    plain = seed_all_stores(lfdb, lambda v: enc(lfdb, v), lambda v: sso_encrypt(lfdb.secret_key, v))
    r = lfdb.run("secrets", "check", "--json")
    assert r.exit_code == 0, r
    stores = by_store(r.json)
    expected = {
        "user.store_api_key": 1,
        "folder.auth_settings": 2,
    }
    if lfdb.version.startswith("1.13"):
        expected.update({
            "deployment_provider_account.api_key": 1,
            "mcp_server.config": 3,
            "connection_secret.encrypted_payload": 1,
            "connection_oauth.encrypted_verifier": 1,
            "trigger.signing_secret_encrypted": 1,
            "trigger_cleanup.encrypted_credential": 1,
            "job.job_metadata": 1,
            "sso_config.client_secret_encrypted": 1,
        })
    for store, n in expected.items():
        assert stores[store]["present"], store
        assert stores[store]["counts"]["ok"] == n, (store, stores[store])
    for value in plain.values():
        assert value not in r.stdout and value not in r.stderr


def test_check_wrong_key_exit_11(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    r = lfdb.run("secrets", "check", "--json", LANGFLOW_SECRET_KEY=OTHER)
    assert r.exit_code == 11, r
    assert by_store(r.json)["variable.value"]["counts"]["undecryptable"] >= 2
    assert r.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert lfdb.snapshot() == before


def test_check_newline_key_and_file_disagreement(lfdb: LangflowDB) -> None:
    (lfdb.config_dir / "secret_key").write_text(lfdb.secret_key + "\n")
    r = lfdb.run("secrets", "check", "--json")  # env var is in effect; the file disagrees
    assert r.exit_code == 0, r
    assert r.json["key"]["env_and_config_file_disagree"] is True
    env = {k: v for k, v in lfdb.auth_env().items() if k != "LANGFLOW_SECRET_KEY"}
    from tests.support.cli import run

    r = run("secrets", "check", "--json", env=env)  # now the file (with its newline) is in effect
    assert "newline" in r.json["key"]["problems"][0]
    if lfdb.version.startswith("1.6"):
        assert r.exit_code == 4, r  # 1.6.9's always-pad derivation still opens everything
    else:
        assert r.exit_code == 11, r


def test_check_flags_legacy_generic_on_113(db113: LangflowDB) -> None:
    alice = db113.user("alice")["id"].replace("-", "") if db113.backend == "sqlite" else db113.user("alice")["id"]
    db113.execute("UPDATE variable SET value = :v WHERE name = 'MY_GEN' AND user_id = :u",
                  v=enc(db113, "generic-value-1"), u=alice)
    r = db113.run("secrets", "list", "--user", "alice", "--json")
    gen = next(v for v in r.json["variables"] if v["name"] == "MY_GEN")
    assert gen["status"] == "encrypted-generic"
    assert gen["fingerprint"] == db113.fingerprint("generic-value-1")
    r = db113.run("secrets", "show", "MY_GEN", "--user", "alice", "--reveal")
    assert (r.exit_code, r.stdout) == (0, "generic-value-1\n"), r
    assert "Warning: variable 'MY_GEN' is encrypted-generic: a Generic variable still encrypted from " in r.stderr


# -- variables ------------------------------------------------------------------------------------


def test_list_never_shows_values(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "list", "--json")
    assert r.exit_code == 0, r
    mine = {(v["owner"], v["name"]): v for v in r.json["variables"]}
    for var in lfdb.manifest["variables"]:
        got = mine[(var["owner"], var["name"])]
        assert got["type"] == var["type"]
        assert got["fingerprint"] == lfdb.fingerprint(var["value"])
        assert not var["value"] or var["value"] not in r.stdout
    creds = lfdb.run("secrets", "list", "--type", "generic", "--json").json["variables"]
    assert {v["type"] for v in creds} == {"Generic"}


def test_set_show_delete_roundtrip(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "set", "NEW_KEY", "--user", "carol", "--value-stdin", "--field", "api_key",
                 input="sk-carol-123\n")
    assert r.exit_code == 0, r
    (value, vtype, fields) = lfdb.query(
        "SELECT v.value, v.type, v.default_fields FROM variable v JOIN \"user\" u ON u.id = v.user_id "
        "WHERE u.username = 'carol' AND v.name = 'NEW_KEY'"
    )[0]
    assert vtype == "Credential" and value.startswith("gAAAAA")
    assert "api_key" in str(fields)
    show = lfdb.run("secrets", "show", "NEW_KEY", "--user", "carol", "--json")
    assert show.json["status"] == "ok" and show.json["fingerprint"] == lfdb.fingerprint("sk-carol-123")
    assert "sk-carol-123" not in show.stdout
    rev = lfdb.run("secrets", "show", "NEW_KEY", "--user", "carol", "--reveal")
    assert rev.exit_code == 0 and rev.stdout == "sk-carol-123\n"
    assert "audit" in rev.stderr and "admin" in rev.stderr
    upd = lfdb.run("secrets", "set", "NEW_KEY", "--user", "carol", "--value-stdin", input="sk-carol-456")
    assert upd.exit_code == 0 and "Updated" in upd.stderr
    assert lfdb.run("secrets", "show", "NEW_KEY", "--user", "carol", "--reveal").stdout == "sk-carol-456\n"
    gone = lfdb.run("secrets", "delete", "NEW_KEY", "--user", "carol")
    assert gone.exit_code == 0 and "still valid" in gone.stderr
    assert lfdb.run("secrets", "show", "NEW_KEY", "--user", "carol").exit_code == 8


def test_generic_stored_like_the_release(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "set", "REGION", "--user", "carol", "--value-stdin", "--type", "generic",
                 input="eu-west-1")
    assert r.exit_code == 0, r
    (value,) = lfdb.query("SELECT value FROM variable WHERE name = 'REGION'")[0]
    if lfdb.version.startswith("1.6"):
        assert value.startswith("gAAAAA")  # 1.6/1.7 encrypt every type
    else:
        assert value == "eu-west-1"
        bad = lfdb.run("secrets", "set", "REGION2", "--user", "carol", "--value-stdin", "--type", "generic",
                       input="gAAAAAxyz")
        assert bad.exit_code == 4 and bad.stderr.count("\n") == 1


def test_update_is_a_user_edit_on_113(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "set", "ADMIN_CRED", "--user", "admin", "--value-stdin", input="v2")
    assert r.exit_code == 0, r
    cols = "updated_at" + (", is_environment_managed" if lfdb.version.startswith("1.13") else "")
    row = lfdb.query(f"SELECT {cols} FROM variable WHERE name = 'ADMIN_CRED'")[0]
    assert row[0] is not None
    if lfdb.version.startswith("1.13"):
        assert row[1] in (0, False)


def test_variable_bad_input(lfdb: LangflowDB) -> None:
    before = lfdb.snapshot()
    cases = [
        (("secrets", "set", "X", "--user", "carol"), None, 4),  # no --value-stdin
        (("secrets", "set", "X", "--user", "carol", "--value-stdin"), "", 4),  # empty stdin
        (("secrets", "set", "X", "--user", "nobody", "--value-stdin"), "v", 8),
        (("secrets", "set", "X", "--user", "carol", "--value-stdin", "--type", "secret"), "v", 4),
        (("secrets", "show", "NOPE", "--user", "alice"), None, 8),
        (("secrets", "delete", "NOPE", "--user", "alice"), None, 8),
    ]
    for args, stdin, code in cases:
        r = lfdb.run(*args, input=stdin)
        assert r.exit_code == code, (args, r)
        assert r.stderr.count("\n") == 1, (args, r)
    assert lfdb.snapshot() == before


def test_reveal_undecryptable_is_11(lfdb: LangflowDB) -> None:
    r = lfdb.run("secrets", "show", "ADMIN_CRED", "--user", "admin", "--reveal", LANGFLOW_SECRET_KEY=OTHER)
    assert r.exit_code == 11, r
    assert r.stdout == ""


def test_reveal_warns_when_the_value_is_not_as_langflow_reads_it(tmp_path: Path) -> None:
    """A short key's value under the other derivation family: shown, with what Langflow makes of it."""
    for db in make_db("sqlite", "1.6.9-shortkey", tmp_path):
        db.execute("UPDATE variable SET value = :v WHERE name = 'ADMIN_CRED'",
                   v=encrypt(db.secret_key, "sha-derived", Derivation.SHA256))
        r = db.run("secrets", "show", "ADMIN_CRED", "--user", "admin", "--reveal")
        assert (r.exit_code, r.stdout) == (0, "sha-derived\n"), r
        assert "Warning: variable 'ADMIN_CRED' is legacy: it opens only with the other short-key derivation" in r.stderr


def test_fingerprints_are_keyed_by_the_secret_key(db113: LangflowDB) -> None:
    """M15: a plain SHA-256 of a weak credential can be checked against guesses offline. The
    fingerprint is keyed by the secret key: stable across runs on one server, different under
    another key, never the bare hash."""
    import hashlib

    r = db113.run("secrets", "set", "WEAK", "--user", "alice", "--type", "generic", "--value-stdin", input="hunter2")
    assert r.exit_code == 0, r

    def shown(**env: str) -> str:
        listed = db113.run("secrets", "list", "--user", "alice", "--json", **env).json["variables"]
        return str(next(v for v in listed if v["name"] == "WEAK")["fingerprint"])

    first = shown()
    assert first == shown() == db113.fingerprint("hunter2")
    assert first != hashlib.sha256(b"hunter2").hexdigest()[:12]
    other = "k" * 43
    assert shown(LANGFLOW_SECRET_KEY=other) == db113.fingerprint("hunter2", other) != first
    shown_by_set = r.stderr.rsplit("(fingerprint ", 1)[1].split(")")[0]
    assert shown_by_set == first
