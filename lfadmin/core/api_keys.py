"""Langflow API keys (``apikey`` table), checked and stored as the detected release does."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from lfadmin.core.session import Session
from lfadmin.langflow.crypto import api_key_hash, decrypt, looks_encrypted
from lfadmin.langflow.storage import utcnow


@dataclass(frozen=True)
class KeyMatch:
    key_id: uuid.UUID | None  # None for API_KEY_SOURCE=env
    user_id: uuid.UUID


def _exec(s: Session, sql: str, **params: Any) -> Any:
    from sqlalchemy import text

    return s.conn.execute(text(sql), params)


def authenticate_key(s: Session, presented: str) -> KeyMatch | None:
    """Which user ``presented`` authenticates as, by the detected release's rules (CONTRACT §4.1).

    Read-only: unlike Langflow we neither count the use nor backfill a missing hash.
    The owner's ``is_active`` is the caller's to check (every release refuses inactive owners).
    """
    from lfadmin.core.users import find_user

    schema, c = s.schema, s.codec
    # API_KEY_SOURCE=env (1.7.3+): the static LANGFLOW_API_KEY maps to the configured superuser.
    if schema.lo >= (1, 7, 3) and s.settings.env.text("API_KEY_SOURCE", "db") == "env":
        static = s.settings.env.exact("LANGFLOW_API_KEY")
        if static is not None and hmac.compare_digest(static.raw, presented):
            user = find_user(s, s.settings.superuser_name().raw)
            if user is not None:
                return KeyMatch(None, user.id)

    enforce_active = schema.api_key_expiry  # is_active/expires_at enforced from 1.10.0
    active = " AND is_active = :t" if enforce_active else ""
    expiry = ", expires_at" if schema.api_key_expiry else ""
    if schema.api_keys_hashed:
        rows = _exec(
            s,
            f"SELECT id, user_id{expiry} FROM apikey WHERE api_key_hash = :h{active}",
            h=api_key_hash(presented),
            t=c.boolean(True),
        ).all()
        if len(rows) > 1:
            return None  # Langflow refuses an ambiguous hash
        if rows:
            return _unexpired(s, rows[0])
        candidates = _exec(
            s,
            f"SELECT id, user_id{expiry}, api_key FROM apikey WHERE api_key_hash IS NULL{active}",
            t=c.boolean(True),
        ).all()
    else:
        candidates = _exec(s, "SELECT id, user_id, api_key FROM apikey").all()

    secret = s.settings.secret_key()
    for row in candidates:
        stored = row[-1] or ""
        if hmac.compare_digest(stored.encode(), presented.encode()):
            return _unexpired(s, row)
        if secret is not None and looks_encrypted(stored):
            opened = decrypt(secret.value, stored, s.schema.read_derivations(secret.value))
            if opened is not None and hmac.compare_digest(opened.plaintext, presented):
                return _unexpired(s, row)
    return None


def _unexpired(s: Session, row: Any) -> KeyMatch | None:
    if s.schema.api_key_expiry:
        expires = s.codec.read_datetime(row[2])
        if expires is not None and expires <= utcnow():
            return None
    return KeyMatch(s.codec.read_uuid(row[0]), s.codec.read_uuid(row[1]))
