"""``lfadmin api-key``: create / list / revoke / prune / encrypt-legacy on Langflow-made databases."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.cli import assert_one_error
from tests.support.databases import LangflowDB
from tests.support.rows import uid

KEY_RE = re.compile(r"sk-[A-Za-z0-9_-]{43}")


# -- helpers ------------------------------------------------------------------------------------


def is_new(db: LangflowDB) -> bool:
    """1.13.0: Fernet + hash + expires_at; 1.6.9: plaintext, no expiry."""
    return db.version != "1.6.9"


def t(db: LangflowDB) -> Any:
    return True if db.backend == "postgresql" else 1


def user_id(db: LangflowDB, username: str) -> str:
    return str(db.user(username)["id"])


def manifest_key(db: LangflowDB, name: str) -> dict[str, Any]:
    return next(k for k in db.manifest["api_keys"] if k["name"] == name)


def key_rows(db: LangflowDB) -> dict[str, tuple[Any, ...]]:
    cols = "id, name, user_id, api_key, total_uses, is_active, last_used_at"
    if is_new(db):
        cols += ", api_key_hash, expires_at"
    return {str(uuid.UUID(str(r[0]))): r for r in db.query(f"SELECT {cols} FROM apikey")}


def ts(db: LangflowDB, when: datetime) -> Any:
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if db.backend == "sqlite" else when


# -- create -------------------------------------------------------------------------------------


def test_create_prints_the_key_alone_and_stores_it_as_the_release_does(lfdb: LangflowDB) -> None:
    before = set(key_rows(lfdb))
    r = lfdb.run("api-key", "create", "--name", "ci")
    assert r.exit_code == 0, r
    key = r.stdout.rstrip("\n")
    assert r.stdout == key + "\n" and KEY_RE.fullmatch(key), r
    rows = key_rows(lfdb)
    (new_id,) = set(rows) - before
    row = rows[new_id]
    assert r.stderr == (f"Created API key 'ci' ({new_id}) for 'admin'; it is shown only this once\n")
    assert row[1] == "ci"
    assert str(uuid.UUID(str(row[2]))) == user_id(lfdb, "admin")
    assert (row[4], bool(row[5]), row[6]) == (0, True, None)
    if is_new(lfdb):
        from lfadmin.langflow.crypto import decrypt

        assert row[3].startswith("gAAAAA")
        assert row[7] == hashlib.sha256(key.encode()).hexdigest()
        assert row[8] is None
        opened = decrypt(lfdb.secret_key, row[3])
        assert opened is not None and opened.plaintext == key
    else:
        assert row[3] == key  # 1.6.9 stores and compares plaintext


def test_create_json_for_another_user_with_expiry(lfdb: LangflowDB) -> None:
    args = ["api-key", "create", "--user", "alice", "--name", "nightly", "--json"]
    if is_new(lfdb):
        args += ["--expires-in", "30d"]
    r = lfdb.run(*args)
    assert r.exit_code == 0, r
    data = r.json
    assert sorted(data) == ["api_key", "key", "schema_version"]
    key = data["key"]
    assert KEY_RE.fullmatch(key)
    rec = data["api_key"]
    assert sorted(rec) == sorted(
        [
            "id",
            "name",
            "owner",
            "owner_id",
            "owner_active",
            "masked_key",
            "created_at",
            "last_used_at",
            "total_uses",
            "is_active",
            "expires_at",
            "storage",
            "status",
            "status_detail",
            "authenticates",
        ]
    )
    assert (rec["name"], rec["owner"], rec["owner_id"]) == ("nightly", "alice", user_id(lfdb, "alice"))
    assert rec["masked_key"] == key[:8] + "*" * 38
    assert (rec["status"], rec["authenticates"], rec["total_uses"]) == ("ok", True, 0)
    assert rec["storage"] == ("encrypted" if is_new(lfdb) else "plaintext")
    assert key not in r.stderr
    if is_new(lfdb):
        expires = datetime.fromisoformat(rec["expires_at"])
        assert abs(expires - (datetime.now(timezone.utc) + timedelta(days=30))) < timedelta(minutes=1)
        stored = key_rows(lfdb)[rec["id"]][8]
        assert stored is not None
    else:
        assert rec["expires_at"] is None


CREATE_BAD_INPUT = [
    (["--user", "nobody"], 8, "no user 'nobody'"),
    (["--user", "Alice"], 8, "did you mean 'alice'?"),
    (["--expires-at", "2020-01-01"], 4, "--expires-at '2020-01-01' is in the past"),
    (["--expires-at", "next tuesday"], 4, "is not a date or time"),
    (["--expires-in", "3x"], 4, "--expires-in '3x' is not a duration"),
    (["--expires-in", "0d"], 4, "must be longer than zero"),
    (["--expires-in", "1d", "--expires-at", "2099-01-01"], 4, "not both"),
    (["--name", " "], 4, "--name is empty"),
]


def test_create_bad_input(lfdb: LangflowDB) -> None:
    # One database for all cases: each case is one in-process run, the fixture is the cost.
    snap = lfdb.snapshot()
    for args, code, fragment in CREATE_BAD_INPUT:
        assert_one_error(lfdb.run("api-key", "create", *args), code, fragment)
    assert lfdb.snapshot() == snap


def test_create_expiry_needs_the_column(sqlite_db: LangflowDB) -> None:
    if is_new(sqlite_db):
        pytest.skip("1.13 has apikey.expires_at")
    snap = sqlite_db.snapshot()
    r = sqlite_db.run("api-key", "create", "--expires-in", "30d")
    assert_one_error(r, 4, "Langflow 1.6.0 – 1.6.9 has no API key expiry (apikey.expires_at arrived in 1.10.0)")
    assert sqlite_db.snapshot() == snap


def test_create_without_secret_key_on_an_encrypting_schema(sqlite_db: LangflowDB) -> None:
    if not is_new(sqlite_db):
        r = sqlite_db.run("api-key", "create", LANGFLOW_SECRET_KEY="")
        assert r.exit_code == 0, r  # 1.6.9 stores plaintext: no key needed
        return
    snap = sqlite_db.snapshot()
    r = sqlite_db.run("api-key", "create", LANGFLOW_SECRET_KEY="")
    assert_one_error(r, 4, "no secret key: Langflow 1.13.0 encrypts API keys with it", "LANGFLOW_SECRET_KEY")
    assert sqlite_db.snapshot() == snap


def test_create_refuses_unauthenticated_invokers(lfdb: LangflowDB) -> None:
    off = False if lfdb.backend == "postgresql" else 0
    lfdb.execute('UPDATE "user" SET is_active = :f WHERE username = :u', f=off, u="root2")
    snap = lfdb.snapshot()
    r = lfdb.run("api-key", "create", LANGFLOW_SUPERUSER_PASSWORD="not-the-password")
    assert_one_error(r, 7, "authentication as 'admin' failed: wrong password, or not an existing active superuser")
    r = lfdb.run("api-key", "create", user="root2")
    assert_one_error(r, 7, "authentication as 'root2' failed: wrong password, or not an existing active superuser")
    alice_key = manifest_key(lfdb, "alice-key")["plaintext"]
    r = lfdb.run("api-key", "create", "--api-key-stdin", input=alice_key, user=None, LANGFLOW_AUTO_LOGIN="False")
    assert_one_error(r, 7, "the API key does not authenticate an active superuser")
    assert alice_key not in r.stderr
    assert lfdb.snapshot() == snap


def test_create_authenticated_by_a_superuser_api_key(lfdb: LangflowDB) -> None:
    admin_key = manifest_key(lfdb, "admin-key")["plaintext"]
    r = lfdb.run(
        "api-key", "create", "--api-key-stdin", "--json", input=admin_key, user=None, LANGFLOW_AUTO_LOGIN="False"
    )
    assert r.exit_code == 0, r
    assert r.json["api_key"]["owner"] == "admin"
    assert admin_key not in r.stdout + r.stderr


def test_create_never_deletes_an_existing_key(lfdb: LangflowDB) -> None:
    before = set(key_rows(lfdb))
    for _ in range(2):
        assert lfdb.run("api-key", "create").exit_code == 0
    assert before < set(key_rows(lfdb)) and len(key_rows(lfdb)) == len(before) + 2


def test_create_for_an_inactive_user_warns(lfdb: LangflowDB) -> None:
    r = lfdb.run("api-key", "create", "--user", "bob")
    assert r.exit_code == 0, r
    assert "Warning: 'bob' is inactive: Langflow rejects this key until the user is activated\n" in r.stderr


# -- list ---------------------------------------------------------------------------------------


def bob_key(db: LangflowDB) -> tuple[str, str]:
    """A key of bob, who is inactive (made by lfadmin: not every fixture build has one)."""
    r = db.run("api-key", "create", "--user", "bob", "--name", "bob-ci", "--json")
    assert r.exit_code == 0, r
    return r.json["key"], r.json["api_key"]["id"]


def test_list_default_all_and_user(lfdb: LangflowDB) -> None:
    bob_plain, _ = bob_key(lfdb)
    mine = lfdb.run("api-key", "list", "--json")
    assert mine.exit_code == 0, mine
    assert mine.json["usage_tracked"] is True
    assert [k["name"] for k in mine.json["api_keys"]] == ["admin-key"]
    everyone = lfdb.run("api-key", "list", "--all", "--json").json["api_keys"]
    plaintexts = {k["name"]: k["plaintext"] for k in lfdb.manifest["api_keys"]} | {"bob-ci": bob_plain}
    assert sorted(k["name"] for k in everyone) == sorted(plaintexts)
    by_name = {k["name"]: k for k in everyone}
    for name, plain in plaintexts.items():
        assert by_name[name]["masked_key"] == plain[:8] + "*" * (len(plain) - 8)
    assert (by_name["admin-key"]["status"], by_name["admin-key"]["authenticates"]) == ("ok", True)
    bob = by_name["bob-ci"]
    assert (bob["status"], bob["owner_active"], bob["authenticates"]) == ("owner inactive", False, False)
    alice = lfdb.run("api-key", "list", "--user", "alice", "--json").json["api_keys"]
    assert [k["name"] for k in alice] == ["alice-key"]


def test_list_table(lfdb: LangflowDB) -> None:
    lfdb.execute("DELETE FROM apikey WHERE user_id = :u", u=uid(lfdb, user_id(lfdb, "bob")))
    bob_plain, bob_id = bob_key(lfdb)
    r = lfdb.run("api-key", "list", "--all", "--wide", TTY_COMPATIBLE="1")  # stdout as a terminal
    assert r.exit_code == 0, r
    header = r.stdout.splitlines()[0].split()
    assert header == ["ID", "NAME", "OWNER", "STATUS", "KEY", "LAST", "USED", "EXPIRES", "USES", "CREATED", "ACTIVE"]
    assert r.stderr == (
        f"{bob_id}: owner inactive: its owner 'bob' is inactive; Langflow rejects the owner's keys\n3 API keys\n"
    )
    for plain in [bob_plain, *(k["plaintext"] for k in lfdb.manifest["api_keys"])]:
        assert plain not in r.stdout


def test_list_bad_input(lfdb: LangflowDB) -> None:
    snap = lfdb.snapshot()
    assert_one_error(lfdb.run("api-key", "list", "--user", "nobody"), 8, "no user 'nobody'")
    assert_one_error(lfdb.run("api-key", "list", "--user", "alice", "--all"), 4, "not both")
    assert lfdb.snapshot() == snap


def test_list_says_usage_may_be_frozen(lfdb: LangflowDB) -> None:
    r = lfdb.run("api-key", "list", "--json", LANGFLOW_DISABLE_TRACK_APIKEY_USAGE="true")
    assert r.exit_code == 0, r
    assert r.json["usage_tracked"] is False
    assert r.stderr == (
        "Warning: LANGFLOW_DISABLE_TRACK_APIKEY_USAGE (environment) is true: Langflow does not "
        "update total uses and last used, so these figures may be frozen\n"
    )


def test_list_statuses_expired_undecryptable_legacy(sqlite_db: LangflowDB) -> None:
    db = sqlite_db
    if not is_new(db):
        # 1.6.9 ignores is_active: the key still works, and the listing says so.
        db.execute("UPDATE apikey SET is_active = 0 WHERE name = 'alice-key'")
        rec = next(k for k in db.run("api-key", "list", "--all", "--json").json["api_keys"] if k["name"] == "alice-key")
        assert (rec["status"], rec["authenticates"], rec["is_active"]) == ("ok", True, False)
        assert rec["status_detail"] == "is_active is off, but Langflow 1.6.0 – 1.6.9 ignores it: the key still works"
        return
    past = datetime.now(timezone.utc) - timedelta(days=1)
    db.execute("UPDATE apikey SET expires_at = :e WHERE name = 'alice-key'", e=ts(db, past))
    bob_key(db)
    db.execute("UPDATE apikey SET is_active = 0 WHERE name = 'admin-key'")
    legacy = "sk-LEGACYLEGACYLEGACYLEGACYLEGACYLEGACYLEGACYLE"
    insert_legacy_key(db, legacy, "legacy")
    # admin's own key is now inactive: authenticate with the password instead.
    pw = {"LANGFLOW_SUPERUSER_PASSWORD": db.password("admin")}
    recs = {k["name"]: k for k in db.run("api-key", "list", "--all", "--json", **pw).json["api_keys"]}
    assert (recs["alice-key"]["status"], recs["alice-key"]["authenticates"]) == ("expired", False)
    assert (recs["admin-key"]["status"], recs["admin-key"]["authenticates"]) == ("inactive", False)
    assert (recs["legacy"]["status"], recs["legacy"]["storage"], recs["legacy"]["authenticates"]) == (
        "legacy plaintext",
        "plaintext",
        True,
    )
    assert recs["legacy"]["masked_key"] == legacy[:8] + "*" * (len(legacy) - 8)
    # Another secret key: tokens no longer decrypt, yet they authenticate by hash.
    other = "x" * 10
    recs = {
        k["name"]: k
        for k in db.run("api-key", "list", "--all", "--json", LANGFLOW_SECRET_KEY=other, **pw).json["api_keys"]
    }
    bob = recs["bob-ci"]
    assert bob["status"] == "owner inactive"
    db.execute("UPDATE \"user\" SET is_active = 1 WHERE username = 'bob'")
    recs = {
        k["name"]: k
        for k in db.run("api-key", "list", "--all", "--json", LANGFLOW_SECRET_KEY=other, **pw).json["api_keys"]
    }
    bob = recs["bob-ci"]
    assert (bob["status"], bob["authenticates"]) == ("undecryptable", True)
    assert bob["masked_key"].startswith("gAAAAA") and bob["masked_key"][8:] == "*" * (len(bob["masked_key"]) - 8)
    assert bob["status_detail"] == (
        "it does not decrypt under the current secret key (LANGFLOW_SECRET_KEY (environment)); "
        "it still authenticates by its SHA-256 hash on 1.9+"
    )


def insert_legacy_key(db: LangflowDB, plaintext: str, name: str, owner: str = "alice") -> str:
    """A key as Langflow 1.6.9 wrote it, left in a database now run by 1.13 (docs/langflow/crypto.md §5)."""
    key_id = uuid.uuid4()
    now = datetime.now(timezone.utc) - timedelta(days=400)
    db.execute(
        "INSERT INTO apikey (id, name, created_at, last_used_at, total_uses, is_active, api_key, "
        "user_id, api_key_hash, expires_at) VALUES (:i, :n, :c, NULL, 0, :t, :k, :u, NULL, NULL)",
        i=uid(db, str(key_id)),
        n=name,
        c=ts(db, now),
        t=t(db),
        k=plaintext,
        u=uid(db, user_id(db, owner)),
    )
    return str(key_id)


# -- revoke -------------------------------------------------------------------------------------


def test_revoke_by_name_and_by_id(lfdb: LangflowDB) -> None:
    alice = manifest_key(lfdb, "alice-key")
    r = lfdb.run("api-key", "revoke", "alice-key")
    assert r.exit_code == 0, r
    assert (r.stdout, r.stderr) == ("", f"Revoked API key 'alice-key' ({alice['id']}) of 'alice'\n")
    assert alice["id"] not in key_rows(lfdb)
    admin = manifest_key(lfdb, "admin-key")
    r = lfdb.run("api-key", "revoke", admin["id"].replace("-", ""), "--json")
    assert r.exit_code == 0, r
    assert r.json["revoked"] is True and r.json["api_key"]["id"] == admin["id"]
    assert admin["id"] not in key_rows(lfdb)


def test_revoke_bad_input(lfdb: LangflowDB) -> None:
    for _ in range(2):
        assert lfdb.run("api-key", "create", "--name", "twin").exit_code == 0
    snap = lfdb.snapshot()
    assert_one_error(lfdb.run("api-key", "revoke", "nope"), 8, "no API key with id or name 'nope'")
    assert_one_error(lfdb.run("api-key", "revoke", str(uuid.uuid4())), 8, "no API key with id or name")
    assert_one_error(lfdb.run("api-key", "revoke", "alice-key", "--user", "admin"), 8, "no API key of 'admin'")
    assert_one_error(lfdb.run("api-key", "revoke", "twin"), 4, "2 API keys are named 'twin'", "revoke by id")
    assert lfdb.snapshot() == snap


# -- prune --------------------------------------------------------------------------------------


def test_prune(lfdb: LangflowDB) -> None:
    old = datetime.now(timezone.utc) - timedelta(days=200)
    lfdb.execute("UPDATE apikey SET created_at = :c, last_used_at = NULL WHERE name = 'alice-key'", c=ts(lfdb, old))
    assert lfdb.run("api-key", "create", "--name", "stale").exit_code == 0
    lfdb.execute("UPDATE apikey SET last_used_at = :c WHERE name = 'stale'", c=ts(lfdb, old))
    names = {row[1] for row in key_rows(lfdb).values()}
    lfdb.execute(
        "UPDATE apikey SET created_at = :c, last_used_at = :u WHERE name = 'admin-key'",
        c=ts(lfdb, old),
        u=ts(lfdb, datetime.now(timezone.utc) - timedelta(days=3)),
    )
    snap = lfdb.snapshot()
    dry = lfdb.run("api-key", "prune", "--unused-for", "90d", "--dry-run", "--json")
    assert dry.exit_code == 0, dry
    assert sorted(k["name"] for k in dry.json["api_keys"]) == ["alice-key", "stale"]
    assert (dry.json["revoked"], dry.json["dry_run"]) == (0, True)
    assert lfdb.snapshot() == snap
    r = lfdb.run("api-key", "prune", "--unused-for", "90d")
    assert r.exit_code == 0, r
    assert r.stderr.endswith("Revoked 2 API keys unused for 90d\n")
    assert {row[1] for row in key_rows(lfdb).values()} == names - {"alice-key", "stale"}


def test_prune_bad_input_and_frozen_usage(lfdb: LangflowDB) -> None:
    snap = lfdb.snapshot()
    assert_one_error(lfdb.run("api-key", "prune", "--unused-for", "soon"), 4, "is not a duration")
    r = lfdb.run("api-key", "prune", "--unused-for", "1s", LANGFLOW_DISABLE_TRACK_APIKEY_USAGE="1")
    assert r.exit_code == 10, r
    assert r.stderr.splitlines()[-1].startswith("Error: LANGFLOW_DISABLE_TRACK_APIKEY_USAGE (environment) is true")
    assert "--force" in r.stderr
    assert lfdb.snapshot() == snap


# -- encrypt-legacy -----------------------------------------------------------------------------


def test_encrypt_legacy(lfdb: LangflowDB) -> None:
    if not is_new(lfdb):
        snap = lfdb.snapshot()
        assert_one_error(lfdb.run("api-key", "encrypt-legacy"), 10, "stores API keys in plaintext")
        assert lfdb.snapshot() == snap
        return
    legacy = "sk-" + "L" * 43
    key_id = insert_legacy_key(lfdb, legacy, "legacy")
    snap = lfdb.snapshot()
    dry = lfdb.run("api-key", "encrypt-legacy", "--dry-run", "--json")
    assert dry.exit_code == 0, dry
    assert [k["id"] for k in dry.json["api_keys"]] == [key_id]
    assert (dry.json["encrypted"], dry.json["dry_run"], dry.json["skipped"]) == (0, True, [])
    assert lfdb.snapshot() == snap
    r = lfdb.run("api-key", "encrypt-legacy")
    assert r.exit_code == 0, r
    assert r.stderr.endswith("Encrypted 1 plaintext API key\n")
    assert legacy not in r.stdout + r.stderr
    row = key_rows(lfdb)[key_id]
    assert row[3].startswith("gAAAAA") and row[7] == hashlib.sha256(legacy.encode()).hexdigest()
    from lfadmin.langflow.crypto import decrypt

    opened = decrypt(lfdb.secret_key, row[3])
    assert opened is not None and opened.plaintext == legacy
    again = lfdb.run("api-key", "encrypt-legacy", "--json")
    assert again.json["encrypted"] == 0


def test_encrypt_legacy_keeps_hashes_unique(sqlite_db: LangflowDB) -> None:
    if not is_new(sqlite_db):
        pytest.skip("1.6.9 has no hashes")
    alice = manifest_key(sqlite_db, "alice-key")
    insert_legacy_key(sqlite_db, alice["plaintext"], "twin-of-alice")
    r = sqlite_db.run("api-key", "encrypt-legacy", "--json")
    assert r.exit_code == 0, r
    assert r.json["encrypted"] == 0
    assert [s["api_key"]["name"] for s in r.json["skipped"]] == ["twin-of-alice"]
    assert "has the same hash; revoke one first" in r.stderr


# -- concurrency and secrecy ----


# ----------------------------------------------------------------


CONCURRENT = 8  # processes racing for SQLite's write lock / PostgreSQL's rows: enough to collide


def test_concurrent_creates(db113: LangflowDB) -> None:
    lfdb = db113
    env = {**os.environ, **lfdb.auth_env()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lfadmin", "api-key", "create", "--name", f"c{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(CONCURRENT)
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0] * CONCURRENT, results
    keys = [out.strip() for _, out, _ in results]
    assert all(KEY_RE.fullmatch(k) for k in keys) and len(set(keys)) == CONCURRENT
    rows = [r for r in key_rows(lfdb).values() if str(r[1]).startswith("c")]
    assert len(rows) == CONCURRENT
    assert len({r[7] for r in rows}) == CONCURRENT
    assert {r[7] for r in rows} == {hashlib.sha256(k.encode()).hexdigest() for k in keys}


def test_a_generated_key_appears_once_on_stdout_only(lfdb: LangflowDB) -> None:
    created = lfdb.run("api-key", "create", "--name", "scan")
    key = created.stdout.strip()
    runs = [
        created,
        lfdb.run("api-key", "list", "--all"),
        lfdb.run("api-key", "list", "--all", "--json"),
        lfdb.run("api-key", "prune", "--unused-for", "1s", "--dry-run"),
        lfdb.run("api-key", "revoke", "scan"),
    ]
    if is_new(lfdb):
        runs.append(lfdb.run("api-key", "encrypt-legacy", "--dry-run"))
    everything = "".join(r.stdout + r.stderr for r in runs)
    everything += "".join(p.read_text() for p in lfdb.config_dir.rglob("*") if p.is_file())
    assert everything.count(key) == 1 and created.stdout == key + "\n"
    assert lfdb.password("admin") not in everything and lfdb.api_key("admin") not in everything
