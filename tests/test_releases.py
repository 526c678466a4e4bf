"""Behaviour that changes between Langflow releases, at the release Langflow's code changes it.

1.8.x is the release between plaintext API keys (≤ 1.7) and hashed ones (1.9+): it stores a
Fernet token with no hash column and finds a key by decrypting every row. 1.7 started describing
the default project and naming it from ``DEFAULT_FOLDER_NAME``; 1.8 stopped setting
``variable.updated_at`` on create. (docs/langflow/releases.md has the Langflow source locations;
tests/test_parity.py compares whole rows with the ones real Langflow writes.)
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from cryptography.fernet import Fernet

from tests.support.databases import LangflowDB
from tests.support.rows import uid

KEY_RE = re.compile(r"sk-[A-Za-z0-9_-]{43}")
DESCRIPTION = "Manage your own flows. Download and upload projects."


def fernet_18(secret: str) -> Fernet:
    """1.8's ``AuthService._get_fernet`` for a long key: ``=`` appended, ``4 - len % 4`` of them."""
    return Fernet((secret + "=" * (4 - len(secret) % 4)).encode())


def stored_key(db: LangflowDB, key_id: str) -> str:
    ((stored,),) = db.query("SELECT api_key FROM apikey WHERE id = :i", i=uid(db, key_id))
    return str(stored)


def test_api_key_on_18_is_stored_as_a_fernet_token_and_authenticates(db184: LangflowDB) -> None:
    r = db184.run("api-key", "create", "--user", "alice", "--name", "ci", "--json")
    assert r.exit_code == 0, r
    key, key_id = r.json["key"], r.json["api_key"]["id"]
    assert KEY_RE.fullmatch(key)
    assert r.json["api_key"]["storage"] == "encrypted"
    stored = stored_key(db184, key_id)
    assert stored.startswith("gAAAAA") and key not in stored
    assert fernet_18(db184.secret_key).decrypt(stored.encode()).decode() == key
    # 1.8's check decrypts every stored token: lfadmin authenticates the new key the same way.
    made = db184.run("api-key", "create", "--name", "admin2", "--json").json
    whoami = db184.run("user", "list", "--json", LANGFLOW_API_KEY=made["key"])
    assert whoami.exit_code == 0, whoami


def test_encrypt_legacy_on_18_encrypts_without_a_hash_column(db184: LangflowDB) -> None:
    plaintext = "sk-" + "L" * 43  # what 1.7 left in the table
    admin = str(db184.user("admin")["id"])
    db184.execute(
        "INSERT INTO apikey (id, name, created_at, total_uses, is_active, api_key, user_id) "
        "VALUES (:i, 'legacy', CURRENT_TIMESTAMP, 0, :t, :k, :u)",
        i=uid(db184, "00000000-0000-4000-8000-000000000001"),
        t=True if db184.backend == "postgresql" else 1,
        k=plaintext,
        u=uid(db184, admin),
    )
    listed = db184.run("api-key", "list", "--all", "--json").json["api_keys"]
    assert [k["status"] for k in listed if k["name"] == "legacy"] == ["legacy plaintext"]
    r = db184.run("api-key", "encrypt-legacy", "--json")
    assert r.exit_code == 0, r
    assert r.json["encrypted"] == 1, r.json
    stored = stored_key(db184, "00000000-0000-4000-8000-000000000001")
    assert fernet_18(db184.secret_key).decrypt(stored.encode()).decode() == plaintext
    # Every other key is untouched and still a token; a second run has nothing to do.
    assert db184.run("api-key", "encrypt-legacy", "--json").json["encrypted"] == 0
    still = db184.run("user", "list", "--json", LANGFLOW_API_KEY=plaintext)  # found by decryption
    assert still.exit_code == 0, still


def test_an_encrypted_key_does_not_authenticate_on_16(sqlite_db: LangflowDB) -> None:
    """1.6/1.7 compare the stored value with the presented key, nothing more."""
    if sqlite_db.version != "1.6.9":
        return
    plaintext = "sk-" + "E" * 43
    token = fernet_18(sqlite_db.secret_key).encrypt(plaintext.encode()).decode()
    sqlite_db.execute(
        "INSERT INTO apikey (id, name, created_at, total_uses, is_active, api_key, user_id) "
        "VALUES (:i, 'enc', CURRENT_TIMESTAMP, 0, 1, :k, :u)",
        i=uuid.uuid4().hex,
        k=token,
        u=uuid.UUID(str(sqlite_db.user("admin")["id"])).hex,
    )
    r = sqlite_db.run("user", "list", "--json", LANGFLOW_API_KEY=plaintext)
    assert r.exit_code == 7, r
    assert r.stdout == ""


def folder_of(db: LangflowDB, username: str) -> tuple[Any, ...]:
    (row,) = db.query(
        'SELECT name, description FROM folder WHERE user_id = (SELECT id FROM "user" WHERE username = :u)',
        u=username,
    )
    return row


def test_default_folder_from_17_is_described_and_honours_default_folder_name(db184: LangflowDB) -> None:
    ok = db184.run("user", "create", "dave", "--password-stdin", input="Dave-pass-123")
    assert ok.exit_code == 0, ok
    assert folder_of(db184, "dave") == ("Starter Project", DESCRIPTION)
    named = db184.run("user", "create", "erin", "--password-stdin", input="Erin-pass-123", DEFAULT_FOLDER_NAME="Team")
    assert named.exit_code == 0, named
    assert folder_of(db184, "erin") == ("Team", DESCRIPTION)


def test_default_folder_name_is_ignored_by_16(sqlite_db: LangflowDB) -> None:
    if sqlite_db.version != "1.6.9":
        return
    r = sqlite_db.run("user", "create", "erin", "--password-stdin", input="Erin-pass-123", DEFAULT_FOLDER_NAME="Team")
    assert r.exit_code == 0, r
    assert folder_of(sqlite_db, "erin") == ("Starter Project", None)


def test_variable_updated_at_is_null_on_create_from_18(db184: LangflowDB) -> None:
    r = db184.run("secrets", "set", "NEW_CRED", "--user", "alice", "--value-stdin", input="v")
    assert r.exit_code == 0, r
    ((created, updated),) = db184.query("SELECT created_at, updated_at FROM variable WHERE name = 'NEW_CRED'")
    assert created is not None and updated is None
    r = db184.run("secrets", "set", "NEW_CRED", "--user", "alice", "--value-stdin", input="w")
    assert r.exit_code == 0, r
    ((updated,),) = db184.query("SELECT updated_at FROM variable WHERE name = 'NEW_CRED'")
    assert updated is not None  # an edit sets it, as update_variable_fields does


def test_auto_login_forces_the_default_superuser_up_to_1_10_1(sqlite_db: LangflowDB) -> None:
    """lfx's ``AuthSettings.validate_superuser`` exists up to 1.10.1 and is gone in 1.10.2."""
    acts_as = {}
    for pinned in ("1.10.1", "1.10.2"):
        r = sqlite_db.run(
            "info", "--json", "--langflow-version", pinned, user=None, LANGFLOW_AUTO_LOGIN="true", LANGFLOW_SUPERUSER="boss"
        )
        assert r.exit_code == 0, r
        acts_as[pinned] = r.json["auto_login"]["acts_as"]
    assert acts_as == {"1.10.1": "langflow", "1.10.2": "boss"}


def test_legacy_default_password_refused_from_1_10_2(sqlite_db: LangflowDB) -> None:
    """``AuthService.authenticate_user`` refuses ``langflow`` for the bootstrap names from 1.10.2."""
    said = {}
    for pinned in ("1.10.1", "1.10.2"):
        r = sqlite_db.run("user", "list", "--langflow-version", pinned, user="admin", LANGFLOW_API_KEY="",
                          LANGFLOW_SUPERUSER_PASSWORD="langflow")
        assert r.exit_code == 7, r
        said[pinned] = "refuses the legacy default password" in r.stderr
    # A pin never relaxes authentication: on a database whose columns prove 1.13, 1.10.1's
    # leniency is not available (issue 11, M1).
    relaxed = sqlite_db.version != "1.13.0"
    assert said == {"1.10.1": not relaxed, "1.10.2": True}
