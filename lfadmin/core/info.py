"""``lfadmin info``: what lfadmin sees - database, schema, Langflow release, settings in effect."""

from __future__ import annotations

from typing import Any

from lfadmin.core.auth import auto_login_superuser, effective_auto_login
from lfadmin.core.session import Session
from lfadmin.core.target import Target
from lfadmin.db import execute


def _count(s: Session, sql: str, **params: Any) -> int:
    return int(execute(s.conn, sql, **params).scalar_one())


def gather(target: Target) -> dict[str, Any]:
    """Everything ``lfadmin info`` shows. No superuser needed: it changes nothing and reveals no
    secret (the secret key's source, never its value)."""
    with target.session(write=False, authenticate=False) as s:
        return {"database_url": target.db.url.masked, "database_source": target.db_source, **_facts(s)}


def _facts(s: Session) -> dict[str, Any]:
    schema, t = s.schema, s.codec.boolean(True)
    auto, auto_source = effective_auto_login(s)
    key = s.settings.secret_key()
    return {
        "backend": schema.backend,
        "alembic_revision": schema.revision,
        "langflow_release": schema.release_label,
        "release_pinned": schema.pinned,
        "capabilities": {
            "api_keys_encrypted": schema.api_keys_encrypted,
            "api_keys_encrypted_and_hashed": schema.api_keys_hashed,
            "api_key_expiry": schema.api_key_expiry,
            "variable_environment_managed": schema.has("variable", "is_environment_managed"),
            "user_retired_at": schema.user_retired_at,
            "usernames_case_insensitive": schema.usernames_case_insensitive,
            "data_subject_erase": schema.erase_pipeline,
        },
        "counts": {
            "users": _count(s, 'SELECT COUNT(*) FROM "user"'),
            "active_users": _count(s, 'SELECT COUNT(*) FROM "user" WHERE is_active = :t', t=t),
            "superusers": _count(s, 'SELECT COUNT(*) FROM "user" WHERE is_superuser = :t', t=t),
            "active_superusers": _count(
                s, 'SELECT COUNT(*) FROM "user" WHERE is_superuser = :t AND is_active = :t', t=t
            ),
            "api_keys": _count(s, "SELECT COUNT(*) FROM apikey"),
            "variables": _count(s, "SELECT COUNT(*) FROM variable"),
            "flows": _count(s, "SELECT COUNT(*) FROM flow"),
        },
        "auto_login": {"value": auto, "source": auto_source, "acts_as": auto_login_superuser(s) if auto else None},
        "config_dir": str(s.settings.config_dir),
        "secret_key_source": key.source if key else None,
    }
