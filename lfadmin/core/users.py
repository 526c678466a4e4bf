"""User management on Langflow's ``user`` table, row-for-row as Langflow writes it."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lfadmin.core.target import Progress, Session
from lfadmin.db import execute
from lfadmin.errors import Conflict, InvalidInput, NotFound, Refused
from lfadmin.langflow.codec import iso, utcnow
from lfadmin.langflow.crypto import hash_password
from lfadmin.langflow.settings import DEFAULT_SUPERUSER

# ``User.optins`` default, key order as Langflow serialises it (CONTRACT §1.3).
DEFAULT_OPTINS = {"github_starred": False, "dialog_dismissed": False, "discord_clicked": False}
# The default folder (CONTRACT §8.1; initial_setup/setup.py get_or_create_default_folder).
DEFAULT_FOLDER_NAME = "Starter Project"
DEFAULT_FOLDER_DESCRIPTION = "Manage your own flows. Download and upload projects."


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


def _q(s: Session, name: str) -> str:
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


def validate_username(username: str) -> None:
    # Langflow itself accepts any string; we refuse only what cannot be typed at a login form.
    if not username.strip():
        raise InvalidInput("username is empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in username):
        raise InvalidInput(f"username {username!r} contains control characters")
    if username != username.strip():
        raise InvalidInput(f"username {username!r} starts or ends with white space")


def new_user_is_active(s: Session) -> bool:
    """``LANGFLOW_NEW_USER_IS_ACTIVE`` (default False in every release): the API's rule."""
    return s.settings.env.boolean("NEW_USER_IS_ACTIVE", False)


def _check_unique(s: Session, username: str) -> None:
    if find_user(s, username) is not None:
        raise Conflict(f"user {username!r} already exists")
    twins = case_twins(s, username)
    if twins and s.schema.usernames_case_insensitive:
        raise Conflict(
            f"user {username!r} conflicts with existing {twins[0]!r}: Langflow "
            f"{s.schema.release_label} treats usernames case-insensitively"
        )
    if twins:
        s.warn(
            f"{twins[0]!r} already exists: Langflow 1.13 refuses to upgrade a database with "
            "usernames that differ only in case (its migration 1d28fd31a982 aborts)"
        )
    alikes = [name for name in look_alikes(s, username) if name not in twins]
    if alikes:
        s.warn(
            f"{username!r} looks like existing {alikes[0]!r}: the same after Unicode "
            "normalisation (NFKC: full-width or other compatibility forms), yet two users to "
            "Langflow; people cannot tell them apart"
        )


def _skeleton(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold()


def look_alikes(s: Session, username: str) -> list[str]:
    """Other usernames that read the same after NFKC and case folding (``ａlice``/``alice``),
    which neither Langflow nor the database's ``lower()`` equates. Reads every username."""
    key = _skeleton(username)
    return [r[0] for r in execute(s.conn, 'SELECT username FROM "user"') if r[0] != username and _skeleton(r[0]) == key]


def guard_default_superuser(s: Session, username: str, *, superuser: bool, logged_in: bool) -> None:
    """Langflow deletes (1.13: deletes or retires) a never-logged-in superuser named
    ``langflow`` at every start with AUTO_LOGIN off (CONTRACT §8.2); refuse to create one."""
    from lfadmin.core.auth import effective_auto_login

    if username != DEFAULT_SUPERUSER or not superuser or logged_in:
        return
    auto, why = effective_auto_login(s)
    if not auto:
        raise Refused(
            f"with LANGFLOW_AUTO_LOGIN=False ({why}) Langflow deletes a superuser named "
            f"{DEFAULT_SUPERUSER!r} that never logged in at its next start (1.13 retires it if it "
            "owns data), so it would be lost",
            hint="choose another username",
        )


def _guard_grant(s: Session) -> None:
    """Every grant of superuser rights passes here (``LANGFLOW_ENABLE_SUPERUSER_CLI``)."""
    from lfadmin.core.superuser import check_grant_enabled

    check_grant_enabled(s.settings)


def create_user(
    s: Session,
    username: str,
    password: str,
    *,
    superuser: bool = False,
    active: bool | None = None,
    audited: bool = True,
) -> UserRecord:
    """Insert a user the way ``POST /api/v1/users/`` does, plus its default folder. A superuser
    made here is recorded in the audit trail, inside the transaction, like every grant
    (``audited=False``: ``lfadmin superuser``, which writes a record of its own)."""
    validate_username(username)
    if superuser:
        _guard_grant(s)
    hashed = hash_password(password)
    _check_unique(s, username)
    guard_default_superuser(s, username, superuser=superuser, logged_in=False)
    is_active = new_user_is_active(s) if active is None else active
    uid = uuid.uuid4()
    c = s.codec
    # Two clock readings, as Langflow's two ``default_factory``s (User.create_at, User.updated_at).
    cols: dict[str, Any] = {
        "id": c.uuid(uid),
        "username": username,
        "password": hashed,
        "profile_image": None,
        "is_active": c.boolean(is_active),
        "is_superuser": c.boolean(superuser),
        "create_at": c.datetime(utcnow()),
        "updated_at": c.datetime(utcnow()),
        "last_login_at": None,
        "store_api_key": None,
        "optins": c.json(DEFAULT_OPTINS),
    }
    if s.schema.user_retired_at:
        cols["retired_at"] = None
    _insert(s, "user", cols)
    create_default_folder(s, uid)
    record = find_user_by_id(s, uid)
    assert record is not None
    if superuser and audited:
        from lfadmin.core import audit

        audit.superuser_granted(s, "superuser.create", record)
    return record


def create_default_folder(s: Session, user_id: uuid.UUID) -> None:
    """``get_or_create_default_folder`` as the detected release runs it at user creation."""
    owned = execute(s.conn, "SELECT 1 FROM folder WHERE user_id = :u", u=s.codec.uuid(user_id)).first()
    if owned is not None:
        return  # 1.10+ return the user's existing folder instead of creating one
    name = DEFAULT_FOLDER_NAME
    if s.schema.default_folder_described:
        # 1.7+: folder/constants.py reads the unprefixed DEFAULT_FOLDER_NAME variable.
        custom = s.settings.env.exact("DEFAULT_FOLDER_NAME")
        name = custom.raw if custom is not None else DEFAULT_FOLDER_NAME
    c = s.codec
    cols: dict[str, Any] = {
        "id": c.uuid(uuid.uuid4()),
        "name": name,
        "description": DEFAULT_FOLDER_DESCRIPTION if s.schema.default_folder_described else None,
        "parent_id": None,
        "user_id": c.uuid(user_id),
        "auth_settings": c.json(None),
    }
    if s.schema.has("folder", "workspace_id"):
        cols["workspace_id"] = None
    if s.schema.has("folder", "is_personal"):
        cols["is_personal"] = c.boolean(True)
    _insert(s, "folder", cols)


def _insert(s: Session, table: str, cols: dict[str, Any]) -> None:
    names = ", ".join(_q(s, k) for k in cols)
    params = ", ".join(f":{k}" for k in cols)
    execute(s.conn, f"INSERT INTO {_q(s, table)} ({names}) VALUES ({params})", **cols)


def _update(s: Session, user: UserRecord, **values: Any) -> UserRecord:
    values["updated_at"] = s.codec.datetime(utcnow())
    sets = ", ".join(f"{_q(s, k)} = :{k}" for k in values)
    execute(s.conn, f'UPDATE "user" SET {sets} WHERE id = :_id', _id=s.codec.uuid(user.id), **values)
    fresh = find_user_by_id(s, user.id)
    assert fresh is not None
    return fresh


def _not_self(s: Session, user: UserRecord, what: str) -> None:
    if s.actor is not None and s.actor.user_id == user.id:
        raise Refused(f"refusing to {what} {user.username!r}: that is you, the invoking superuser")


def _not_last_superuser(s: Session, user: UserRecord, what: str) -> None:
    if user.is_active and user.is_superuser and count_active_superusers(s) <= 1:
        raise Refused(
            f"refusing to {what} {user.username!r}: it is the last active superuser",
            hint="promote or activate another superuser first",
        )


def set_active(s: Session, username: str, active: bool) -> tuple[UserRecord, bool]:
    user = get_user(s, username)
    if user.is_active == active:
        return user, False
    if not active:
        _not_self(s, user, "deactivate")
        _not_last_superuser(s, user, "deactivate")
    else:
        guard_default_superuser(
            s, user.username, superuser=user.is_superuser, logged_in=user.last_login_at is not None
        )
    values: dict[str, Any] = {"is_active": s.codec.boolean(active)}
    return _update(s, user, **values), True


def set_superuser(s: Session, username: str, superuser: bool) -> tuple[UserRecord, bool]:
    user = get_user(s, username)
    if user.is_superuser == superuser:
        return user, False
    if not superuser:
        _not_self(s, user, "demote")
        _not_last_superuser(s, user, "demote")
    else:
        _guard_grant(s)
        guard_default_superuser(
            s, user.username, superuser=True, logged_in=user.last_login_at is not None
        )
    updated = _update(s, user, is_superuser=s.codec.boolean(superuser))
    if superuser:
        from lfadmin.core import audit

        audit.superuser_granted(s, "superuser.promote", updated)  # like every grant
    return updated, True


def rename(s: Session, username: str, new_name: str) -> UserRecord:
    user = get_user(s, username)
    validate_username(new_name)
    _check_unique(s, new_name)
    return _update(s, user, username=new_name)


def set_password(s: Session, username: str, password: str) -> UserRecord:
    user = get_user(s, username)
    return _update(s, user, password=hash_password(password))


# -- deletion ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeleteStep:
    table: str
    column: str
    action: str  # "delete" | "set NULL"
    rows: int


def delete_user(
    s: Session, username: str, *, dry_run: bool = False, progress: Progress | None = None
) -> tuple[UserRecord, list[DeleteStep]]:
    """Delete the user and everything it owns, children before parents (CONTRACT §8.4).

    SQLite enforces no foreign keys in Langflow, PostgreSQL does; either way we walk every
    foreign key that reaches ``user.id`` (plus the user/flow id columns Langflow keeps without
    one) so no row is left pointing at the user. With ``dry_run`` the same statements run inside
    a savepoint that is rolled back, so the counts are exact.
    """
    from lfadmin.core.cascade import run_cascade

    user = get_user(s, username)
    _not_self(s, user, "delete")
    _not_last_superuser(s, user, "delete")
    if dry_run:
        nested = s.conn.begin_nested()
        try:
            steps = run_cascade(s, user.id, progress)
        finally:
            nested.rollback()
    else:
        steps = run_cascade(s, user.id, progress)
    return user, steps


def owned_counts(s: Session, user_id: uuid.UUID) -> dict[str, int]:
    """How many API keys, variables, flows and projects the user owns."""
    counts = {}
    for label, table in (("api_keys", "apikey"), ("variables", "variable"), ("flows", "flow"), ("projects", "folder")):
        counts[label] = int(
            execute(
                s.conn, f"SELECT COUNT(*) FROM {_q(s, table)} WHERE user_id = :u", u=s.codec.uuid(user_id)
            ).scalar_one()
        )
    return counts
