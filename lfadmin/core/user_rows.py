"""Langflow's ``user`` table as rows: read them, count them, write one - and no rules.

The row layer under ``lfadmin.core.users`` (which decides what may be done to a user) and
``lfadmin.core.auth`` (which checks who is acting): both read users the same way, so the way
lives here, below both of them.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lfadmin.core.session import Session
from lfadmin.db import execute
from lfadmin.errors import NotFound
from lfadmin.langflow.codec import iso, utcnow


@dataclass(frozen=True)
class UserRecord:
    id: uuid.UUID
    username: str
    is_active: bool
    is_superuser: bool
    created_at: datetime | None
    updated_at: datetime | None
    last_login_at: datetime | None
    retired_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "is_active": self.is_active,
            "is_superuser": self.is_superuser,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "last_login_at": iso(self.last_login_at),
            "retired_at": iso(self.retired_at),
        }


def quote(s: Session, name: str) -> str:
    """A table or column name as this database's SQL spells it (``"user"`` is reserved)."""
    return str(s.conn.dialect.identifier_preparer.quote(name))


def _select(s: Session) -> str:
    retired = ", retired_at" if s.schema.user_retired_at else ""
    return (
        "SELECT id, username, is_active, is_superuser, create_at, updated_at, last_login_at"
        f"{retired} FROM \"user\""
    )


def _record(s: Session, row: Any) -> UserRecord:
    c = s.codec
    return UserRecord(
        id=c.read_uuid(row[0]),
        username=row[1],
        is_active=c.read_bool(row[2]),
        is_superuser=c.read_bool(row[3]),
        created_at=c.read_datetime(row[4]),
        updated_at=c.read_datetime(row[5]),
        last_login_at=c.read_datetime(row[6]),
        retired_at=c.read_datetime(row[7]) if len(row) > 7 else None,
    )


def find_user(s: Session, username: str) -> UserRecord | None:
    """Exact, case-sensitive lookup: Langflow's login lookup in every release."""
    row = execute(s.conn, _select(s) + " WHERE username = :u", u=username).first()
    return _record(s, row) if row else None


def find_user_by_id(s: Session, user_id: uuid.UUID) -> UserRecord | None:
    row = execute(s.conn, _select(s) + " WHERE id = :i", i=s.codec.uuid(user_id)).first()
    return _record(s, row) if row else None


def case_twins(s: Session, username: str) -> list[str]:
    """Other usernames equal to this one ignoring case, by the database's own ``lower()``
    (the one 1.13's ``ix_user_username_lower`` uses: ASCII-only on SQLite, locale-aware on PG)."""
    rows = execute(
        s.conn, 'SELECT username FROM "user" WHERE lower(username) = lower(:u) AND username <> :u',
        u=username,
    )
    return [r[0] for r in rows]


def get_user(s: Session, username: str) -> UserRecord:
    row = find_user(s, username)
    if row is None:
        twins = case_twins(s, username)
        hint = f"did you mean {twins[0]!r}? usernames are case-sensitive" if twins else None
        raise NotFound(f"no user {username!r}", hint=hint)
    return row


def password_hash(s: Session, user_id: uuid.UUID) -> str | None:
    row = execute(s.conn, 'SELECT password FROM "user" WHERE id = :i', i=s.codec.uuid(user_id)).first()
    return row[0] if row else None


def list_users(
    s: Session, *, active: bool | None = None, superuser: bool | None = None
) -> list[UserRecord]:
    where, params = [], {}
    if active is not None:
        where.append("is_active = :a")
        params["a"] = s.codec.boolean(active)
    if superuser is not None:
        where.append("is_superuser = :s")
        params["s"] = s.codec.boolean(superuser)
    sql = _select(s) + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY create_at, username"
    return [_record(s, r) for r in execute(s.conn, sql, **params)]


def count_active_superusers(s: Session) -> int:
    return int(
        execute(
            s.conn, 'SELECT COUNT(*) FROM "user" WHERE is_active = :t AND is_superuser = :t',
            t=s.codec.boolean(True),
        ).scalar_one()
    )


def count_superusers(s: Session) -> int:
    """Active or not (retired ones included)."""
    return int(
        execute(s.conn, 'SELECT COUNT(*) FROM "user" WHERE is_superuser = :t', t=s.codec.boolean(True)).scalar_one()
    )


def _skeleton(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold()


def look_alikes(s: Session, username: str) -> list[str]:
    """Other usernames that read the same after NFKC and case folding (``ａlice``/``alice``),
    which neither Langflow nor the database's ``lower()`` equates. Reads every username."""
    key = _skeleton(username)
    return [r[0] for r in execute(s.conn, 'SELECT username FROM "user"') if r[0] != username and _skeleton(r[0]) == key]


def insert_row(s: Session, table: str, cols: dict[str, Any]) -> None:
    names = ", ".join(quote(s, k) for k in cols)
    params = ", ".join(f":{k}" for k in cols)
    execute(s.conn, f"INSERT INTO {quote(s, table)} ({names}) VALUES ({params})", **cols)


def update_user(s: Session, user: UserRecord, **values: Any) -> UserRecord:
    """Set columns of one user row (and ``updated_at``, as Langflow does); the row as it is now."""
    values["updated_at"] = s.codec.datetime(utcnow())
    sets = ", ".join(f"{quote(s, k)} = :{k}" for k in values)
    execute(s.conn, f'UPDATE "user" SET {sets} WHERE id = :_id', _id=s.codec.uuid(user.id), **values)
    fresh = find_user_by_id(s, user.id)
    assert fresh is not None
    return fresh

