"""Put a value in every encrypted store of a Langflow-made database (docs/langflow/crypto.md §7), for the
secrets tests. Rows are shaped like the 1.13 models write them; every NOT NULL column supplied.
``encrypt``/``sso_encrypt`` come from the caller: lfadmin's crypto in unit tests, real
Langflow's (tests/langflow/lf_secrets.py) in interop tests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from tests.conftest import LangflowDB

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
