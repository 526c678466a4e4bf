"""Put a value in every encrypted store of a Langflow-made database (docs/langflow/crypto.md §7), for the
secrets tests, and read them all back. Rows are shaped like the 1.13 models write them; every
NOT NULL column supplied. ``encrypt``/``sso_encrypt`` come from the caller: lfadmin's crypto in
unit tests, real Langflow's (tests/langflow/lf_secrets.py) in interop tests. Knowledge-base
sidecars (a store outside the database) are written as the release writes them (``sidecar``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.stores import STORES, header_arg_positions
from lfadmin.langflow.crypto import Derivation, encrypt, is_sso_envelope, looks_encrypted, sso_decrypt
from tests.support.databases import LangflowDB

NEW = "hVf2cnW0o3H0n1y0mXq8bIh2kq2m0hQ0b3tN8q1o9lA"  # token_urlsafe(32)-shaped, nobody uses it
OTHER = "Q2hlY2tpbmcgYSB3cm9uZyBrZXkgaGVyZS4uLi4uLi4"  # 43 chars, a valid key nobody's data uses
GOOD = "pgKYWuLArhDvGnZTwnynNr_fKqvO8DyH-6t2iZQb8eY"  # a valid key, for env and key files

NOW = "2026-11-26 10:00:00.000000"
LATER = "2030-01-01 00:00:00.000000"


def insert(db: LangflowDB, table: str, **cols: Any) -> None:
    names = ", ".join(f'"{c}"' for c in cols)
    binds = ", ".join(f":{c}" for c in cols)
    db.execute(f'INSERT INTO "{table}" ({names}) VALUES ({binds})', **cols)


def uid(value: str | None = None) -> str:
    return uuid.UUID(value).hex if value else uuid.uuid4().hex


def tables(db: LangflowDB) -> set[str]:
    if db.backend == "sqlite":
        return {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {r[0] for r in db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def seed_all_stores(
    db: LangflowDB, encrypt: Callable[[str], str], sso_encrypt: Callable[[str], str] | None = None
) -> dict[str, str]:
    """Seed what the schema has; returns {store label: plaintext} for what was written."""
    have = tables(db)
    alice = uid(db.user("alice")["id"])
    flow_id = uid(db.manifest["flows"][0]["id"])
    plain: dict[str, str] = {}

    def enc(label: str, value: str) -> str:
        plain[label] = value
        return encrypt(value)

    db.execute('UPDATE "user" SET store_api_key = :v WHERE id = :i',
               v=enc("user.store_api_key", "store-key-alice"), i=alice)
    folder = db.query('SELECT id FROM folder WHERE user_id = :u', u=alice)[0][0]
    auth = {"auth_type": "apikey", "api_key": enc("folder.api_key", "mcp-folder-key"),
            "oauth_client_secret": enc("folder.oauth_client_secret", "oauth-client-secret")}
    db.execute("UPDATE folder SET auth_settings = :v WHERE id = :i", v=json.dumps(auth), i=folder)

    if "deployment_provider_account" in have:
        insert(db, "deployment_provider_account", id=uid(), user_id=alice, name="prod",
               provider_url="https://deploy.example.com", api_key=enc("deployment.api_key", "deploy-key"),
               created_at=NOW, updated_at=NOW, provider_key="watsonx-orchestrate")
    if "mcp_server" in have:
        config = {
            "command": "uvx",
            "args": ["mcp-proxy", "--headers", "Authorization", enc("mcp.args", "Bearer arg-token"),
                     "https://mcp.example.com/sse"],
            "env": {"API_KEY": enc("mcp.env", "env-secret"), "EMPTY": ""},
            "headers": {"X-Api-Key": enc("mcp.headers", "header-secret")},
        }
        insert(db, "mcp_server", id=uid(), user_id=alice, name="tools", transport="stdio",
               config=json.dumps(config), enabled=True, version=1, created_at=NOW, updated_at=NOW)
    if "connection_secret" in have:
        conn_id = uid()
        insert(db, "connection", id=conn_id, provider_key="github", name="gh", display_name="GitHub",
               ownership_mode="user", status="ready", health="unknown", granted_scopes="[]",
               executing_identity="{}", allow_non_interactive=False, owner_id=alice,
               created_at=NOW, updated_at=NOW)
        insert(db, "connection_secret", connection_id=conn_id,
               encrypted_payload=enc("connection_secret", json.dumps({"version": 1, "access_token": "gho_x"})),
               created_at=NOW, updated_at=NOW)
        insert(db, "connection_oauth", connection_id=conn_id, generation=uid(), user_id=alice,
               registration_id="reg", config_digest="d" * 64, encrypted_verifier=enc("connection_oauth", "pkce-verifier"),
               scopes="[]", expires_at=LATER)
        trigger_id = uid()
        insert(db, "trigger", id=trigger_id, flow_id=flow_id, user_id=alice, name="hook", kind="webhook",
               config="{}", provider_state="{}", state="active", binding_target="flow",
               session_policy="per_event", concurrency_limit=1, max_attempts=5,
               signing_secret_encrypted=enc("trigger", "signing-secret"), created_at=NOW, updated_at=NOW)
        insert(db, "trigger_cleanup", id=uid(), trigger_id=trigger_id, user_id=alice, provider="github",
               kind="webhook", provider_subscription_id="sub-1", provider_state="{}",
               encrypted_credential=enc("trigger_cleanup", json.dumps({"version": 1, "access_token": "t2"})),
               available_at=NOW, attempt=0)
        job_id = uid()
        overrides = json.dumps({"flow_id": flow_id, "job_id": job_id, "overrides": {"globals": {"K": "v"}},
                                "version": 1}, separators=(",", ":"), sort_keys=True)
        meta = {"request": {"input_value": "hi"}, "request_overrides_format": "fernet-json-v1",
                "request_overrides": enc("job", overrides)}
        insert(db, "job", job_id=job_id, flow_id=flow_id, status="queued", created_timestamp=NOW,
               type="workflow", user_id=alice, job_metadata=json.dumps(meta))
    if "sso_config" in have and sso_encrypt is not None and db.version.startswith("1.13"):
        plain["sso"] = "sso-client-secret"
        insert(db, "sso_config", id=uid(), slug="corp", display_name="Corp SSO", protocol="oidc",
               enabled=False, sort_order=0, client_secret_encrypted=sso_encrypt("sso-client-secret"),
               provider_settings=json.dumps({"protocol": "oidc", "client_id": "c"}),
               email_claim="email", username_claim="preferred_username", user_id_claim="sub",
               created_at=NOW, updated_at=NOW)
    return plain


# -- reading them back ------------------------------------------------------------------------------


def enc(db: LangflowDB, value: str, key: str | None = None) -> str:
    deriv = Derivation.DIRECT_ALWAYS_PAD if db.version.startswith("1.6") else Derivation.DIRECT
    return encrypt(key or db.secret_key, value, deriv)


def all_tokens(db: LangflowDB) -> list[tuple[str, str]]:
    """(store, stored value) of every encrypted value, read with plain SQL."""
    out = []
    have = tables(db)
    for st in STORES:
        if st.table not in have:
            continue
        for (raw,) in db.query(f'SELECT "{st.column}" FROM "{st.table}" WHERE "{st.column}" IS NOT NULL'):
            obj = raw if not isinstance(raw, str) or st.kind in ("scalar", "sso") else json.loads(raw)
            vals: list[Any] = []
            if st.kind in ("scalar", "sso"):
                vals = [obj]
            elif isinstance(obj, dict) and st.kind == "auth_settings":
                vals = [obj.get("api_key"), obj.get("oauth_client_secret")]
            elif isinstance(obj, dict) and st.kind == "mcp_config":
                vals = [*(obj.get("env") or {}).values(), *(obj.get("headers") or {}).values()]
                vals += [obj["args"][i] for i in header_arg_positions(obj.get("args"))]
            elif isinstance(obj, dict) and st.kind == "job":
                vals = [obj.get("request_overrides")]
            out += [(st.name, v) for v in vals if isinstance(v, str) and (looks_encrypted(v) or is_sso_envelope(v))]
    return out


def opens(key: str, value: str) -> bool:
    if is_sso_envelope(value):
        return sso_decrypt(key, value) is not None
    return Keyring(key).open(value) is not None


def assert_exactly_one_key(db: LangflowDB, old: str, new: str) -> str:
    """Every encrypted value opens with exactly one of the keys, the same one for all; return it."""
    owners = set()
    for store, value in all_tokens(db):
        o, n = opens(old, value), opens(new, value)
        assert o != n, (store, o, n)
        owners.add(new if n else old)
    assert len(owners) <= 1, "a mix of old and new keys"
    return owners.pop() if owners else old


# -- knowledge-base sidecars ------------------------------------------------------------------------


def metadata(version: str, token: str | None) -> dict[str, Any]:
    """A sidecar exactly as the release writes it (1.6.9 ingestion.py:306-313; 1.10.3
    knowledge.py:671-681 plus the fields later writers add)."""
    if version.startswith("1.6"):
        return {
            "embedding_provider": "OpenAI",
            "embedding_model": "text-embedding-3-small",
            "api_key": token,
            "api_key_used": token is not None,
            "chunk_size": 1000,
            "created_at": "2026-01-02T03:04:05.678901+00:00",
        }
    return {  # a legacy sidecar a 1.10-1.11 left behind, read by 1.13
        "embedding_provider": "OpenAI",
        "embedding_model": "text-embedding-3-small",
        "model_selection": {"name": "text-embedding-3-small", "provider": "OpenAI", "metadata": {"dim": 1536}},
        "api_key": token,
        "api_key_used": token is not None,
        "chunk_size": 1000,
        "backend_type": "chroma",
        "backend_config": {},
        "created_at": "2026-01-02T03:04:05.678901+00:00",
        "id": "6f1b0c5e-3b7e-4d7a-9a55-0c1f3c3a2b10",
        "chunks": 3,
        "size": 20480,
        "source_types": [".pdf", ".txt"],
    }


def sidecar(root: Path, label: str, version: str, token: str | None, file_mode: int = 0o644) -> Path:
    path = root / label / "embedding_metadata.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metadata(version, token), indent=2))  # what Langflow's write_text does
    path.chmod(file_mode)
    return path


def kb_env(root: Path) -> dict[str, str]:
    return {"LANGFLOW_KNOWLEDGE_BASES_DIR": str(root)}
