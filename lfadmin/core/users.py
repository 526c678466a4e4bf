"""User management: what may be done to a Langflow user, and doing it row-for-row as Langflow
writes it (the rows themselves: ``lfadmin.core.user_rows``).

Two levels: the rules take a ``Session`` and run inside the caller's transaction (``create_user``,
``set_active``, ... - ``lfadmin.core.manifest`` combines several in one); the commands at the end
take a ``Target`` and open their own (``list_users``, ``create``, ``promote``, ``delete``, ...).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lfadmin.core import audit, ownership, user_rows
from lfadmin.core.actor import Actor
from lfadmin.core.auth import effective_auto_login
from lfadmin.core.cascade import DeleteStep, run_cascade
from lfadmin.core.session import Progress, Session
from lfadmin.core.target import Target
from lfadmin.core.user_rows import (
    UserRecord,
    case_twins,
    count_active_superusers,
    find_user,
    find_user_by_id,
    get_user,
    insert_row,
    look_alikes,
    update_user,
)
from lfadmin.db import execute
from lfadmin.errors import Conflict, InvalidInput, LfadminError, Refused
from lfadmin.files import check_dir_move, move_dir
from lfadmin.langflow.codec import utcnow
from lfadmin.langflow.crypto import hash_password
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LangflowSettings

# ``User.optins`` default, key order as Langflow serialises it (docs/langflow/schema.md §5).
DEFAULT_OPTINS = {"github_starred": False, "dialog_dismissed": False, "discord_clicked": False}
# The default folder (docs/langflow/auth.md §7; initial_setup/setup.py get_or_create_default_folder).
DEFAULT_FOLDER_NAME = "Starter Project"
DEFAULT_FOLDER_DESCRIPTION = "Manage your own flows. Download and upload projects."


def validate_username(username: str) -> None:
    # Langflow itself accepts any string; we refuse only what cannot be typed at a login form.
    if not username.strip():
        raise InvalidInput("username is empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in username):
        raise InvalidInput(f"username {username!r} contains control characters")
    if username != username.strip():
        raise InvalidInput(f"username {username!r} starts or ends with white space")


def new_user_is_active(s: Session) -> bool:
    """``LANGFLOW_NEW_USER_IS_ACTIVE`` (default False in every release 1.6-1.13): the API's rule."""
    return bool(s.settings.value("NEW_USER_IS_ACTIVE", s.schema.hi))


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
    _warn_look_alikes(s, username, skip=twins)


def _warn_look_alikes(s: Session, username: str, skip: list[str]) -> None:
    alikes = [name for name in look_alikes(s, username) if name not in skip]
    if alikes:
        s.warn(
            f"{username!r} looks like existing {alikes[0]!r}: the same after Unicode "
            "normalisation (NFKC: full-width or other compatibility forms), yet two users to "
            "Langflow; people cannot tell them apart"
        )


def guard_default_superuser(s: Session, username: str, *, superuser: bool, logged_in: bool) -> None:
    """Langflow deletes (1.13: deletes or retires) a never-logged-in superuser named
    ``langflow`` at every start with AUTO_LOGIN off (docs/langflow/auth.md §3); refuse to create one."""
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


SUPERUSER_CLI = "ENABLE_SUPERUSER_CLI"


def check_grant_enabled(settings: LangflowSettings) -> None:
    """``LANGFLOW_ENABLE_SUPERUSER_CLI=false`` also refuses ``user create --superuser``,
    ``user promote`` and ``user apply`` granting superuser rights.

    Langflow's variable gates its ``superuser`` command, its CLI's only way to a superuser; the
    seed documents it as controlling superuser creation from the CLI, "to prevent unrestricted
    superuser creation". lfadmin has more ways to the same result, so it gates them all."""
    val = settings.env.setting(SUPERUSER_CLI)
    if val is not None and not val.boolean():  # only an explicit false refuses
        raise Refused(
            f"granting superuser rights from the CLI is disabled: {val.name}={val.raw} (set in "
            f"{val.origin.where()}); lfadmin applies it to `user promote` and `user create "
            "--superuser` as to `superuser`",
            hint=f"set LANGFLOW_{SUPERUSER_CLI}=true to enable it",
        )


def _guard_grant(s: Session) -> None:
    """Every grant of superuser rights passes here (``LANGFLOW_ENABLE_SUPERUSER_CLI``)."""
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
    s.subject(f"user {username}")
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
    insert_row(s, "user", cols)
    create_default_folder(s, uid)
    record = find_user_by_id(s, uid)
    assert record is not None
    if superuser and audited:
        audit.superuser_granted(s, "superuser.create", record)  # named in the command's record
    return record


def default_folder_name(s: Session) -> str:
    """The name of every user's default project in this release."""
    if s.schema.default_folder_described:
        # 1.7+: folder/constants.py reads the unprefixed DEFAULT_FOLDER_NAME variable.
        custom = s.settings.env.exact("DEFAULT_FOLDER_NAME")
        if custom is not None:
            return custom.raw
    return DEFAULT_FOLDER_NAME


def create_default_folder(s: Session, user_id: uuid.UUID) -> None:
    """``get_or_create_default_folder`` as the detected release runs it at user creation."""
    owned = execute(s.conn, "SELECT 1 FROM folder WHERE user_id = :u", u=s.codec.uuid(user_id)).first()
    if owned is not None:
        return  # 1.10+ return the user's existing folder instead of creating one
    name = default_folder_name(s)
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
    insert_row(s, "folder", cols)


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
    s.subject(f"user {username}")
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
    return update_user(s, user, **values), True


def set_superuser(s: Session, username: str, superuser: bool) -> tuple[UserRecord, bool]:
    s.subject(f"user {username}")
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
    updated = update_user(s, user, is_superuser=s.codec.boolean(superuser))
    if superuser:
        audit.superuser_granted(s, "superuser.promote", updated)  # like every grant
    return updated, True


def rename(s: Session, username: str, new_name: str, *, dry_run: bool = False) -> tuple[UserRecord, KbFolder | None]:
    """Rename inside ``s`` by ``rename_user``'s rules (``_check_rename``); returns the user and its
    knowledge-base folder, which the caller moves after the commit (``move_kb_folder``) when its
    ``action`` is "to move"."""
    validate_username(new_name)
    s.subject(f"user {username}")
    s.detail(new_username=new_name)
    user = get_user(s, username)
    _check_rename(s, user, new_name)
    folder, _move = _kb_folder(s, username, new_name)  # _move: folder.action == "to move"
    _warn_configured(s, user, new_name)
    if not dry_run:
        user = update_user(s, user, username=new_name)
    return user, folder


def move_kb_folder(folder: KbFolder, new: str) -> KbFolder:
    """After the rename's commit: the folder follows (checked before the commit)."""
    assert folder.to is not None
    try:
        move_dir(folder.path, folder.to, KB_FOLDER)
    except LfadminError as exc:
        exc.message += f": move it by hand, as the user Langflow runs as, or {new!r} sees none of its knowledge bases"
        raise
    return KbFolder(folder.path, folder.to, "moved")


def set_password(s: Session, username: str, password: str) -> UserRecord:
    s.subject(f"user {username}")
    user = get_user(s, username)
    return update_user(s, user, password=hash_password(password))


# -- deletion ---------------------------------------------------------------------------------


def delete_user(
    s: Session, username: str, *, dry_run: bool = False, progress: Progress | None = None
) -> tuple[UserRecord, list[DeleteStep]]:
    """Delete the user and everything it owns, children before parents (docs/langflow/auth.md §8).

    SQLite enforces no foreign keys in Langflow, PostgreSQL does; either way we walk every
    foreign key that reaches ``user.id`` (plus the user/flow id columns Langflow keeps without
    one) so no row is left pointing at the user. With ``dry_run`` the same statements run inside
    a savepoint that is rolled back, so the counts are exact.
    """
    s.subject(f"user {username}")
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


# -- the commands: each opens (and authenticates) its own transaction on the target -----------


@dataclass(frozen=True)
class Grant:
    """Superuser rights given: the audit record is written; who gave them and where it went."""

    event: str  # "superuser.create" | "superuser.promote"
    actor: Actor | None
    audit: audit.Location


@dataclass(frozen=True)
class Change:
    user: UserRecord  # as it is now
    changed: bool  # False: it already was so
    granted: Grant | None = None


def list_users(target: Target, *, active: bool | None = None, superuser: bool | None = None) -> list[UserRecord]:
    """Users by creation time; ``active``/``superuser``: only those (None: all)."""
    with target.session(write=False) as s:
        return user_rows.list_users(s, active=active, superuser=superuser)


def require(target: Target, *usernames: str) -> None:
    """``NotFound`` for the first of ``usernames`` that does not exist: a command checks its
    users before it takes a backup (``--backup``), which would otherwise be left behind."""
    with target.session(write=False) as s:
        for name in usernames:
            get_user(s, name)


def show(target: Target, username: str) -> tuple[UserRecord, dict[str, int]]:
    """One user, and how many rows of each kind it owns (``ownership.owned_counts``)."""
    with target.session(write=False) as s:
        user = get_user(s, username)
        return user, ownership.owned_counts(s, user.id)


def _granted(s: Session, event: str) -> Grant:
    return Grant(event, s.actor, audit.location(s.settings))


def create(
    target: Target, username: str, password: str, *, superuser: bool = False, active: bool | None = None
) -> Change:
    """``create_user`` in a transaction of its own (``active`` None: LANGFLOW_NEW_USER_IS_ACTIVE)."""
    with target.session(write=True) as s:
        user = create_user(s, username, password, superuser=superuser, active=active)
        return Change(user, True, _granted(s, "superuser.create") if superuser else None)


def activate(target: Target, username: str) -> Change:
    return _toggle(target, username, set_active, True)


def deactivate(target: Target, username: str) -> Change:
    return _toggle(target, username, set_active, False)


def promote(target: Target, username: str) -> Change:
    return _toggle(target, username, set_superuser, True)


def demote(target: Target, username: str) -> Change:
    return _toggle(target, username, set_superuser, False)


def _toggle(
    target: Target, username: str, rule: Callable[[Session, str, bool], tuple[UserRecord, bool]], value: bool
) -> Change:
    with target.session(write=True) as s:
        user, changed = rule(s, username, value)
        granted = rule is set_superuser and value and changed
        return Change(user, changed, _granted(s, "superuser.promote") if granted else None)


def change_password(target: Target, username: str, password: str) -> UserRecord:
    with target.session(write=True) as s:
        return set_password(s, username, password)


def delete(
    target: Target,
    username: str,
    *,
    dry_run: bool = False,
    confirm: Callable[[UserRecord, list[DeleteStep]], None] | None = None,
    progress: Progress | None = None,
) -> tuple[UserRecord, list[DeleteStep]]:
    """``delete_user`` in a transaction of its own. ``confirm`` (not with ``dry_run``) is shown
    the exact plan first, inside the same transaction, and raises to call the deletion off."""
    with target.session(write=True, dry_run=dry_run) as s:
        if confirm is not None and not dry_run:
            confirm(*delete_user(s, username, dry_run=True))
        return delete_user(s, username, dry_run=dry_run, progress=progress)


# -- rename -----------------------------------------------------------------------------------

# 1.6-1.12 keep a user's knowledge bases in ``<knowledge_bases_dir>/<username>/<kb>`` and find
# them by the current username (1.6.9 ``langflow/api/v1/knowledge_bases.py:302-310``, ``ingestion.py
# :532-537``); 1.13 keys its own stores by owner id (``<dir>/sqlite/<owner id>``) and ties the
# legacy folders to their owner by its upgrade ledger and sidecars, fingerprinting every byte
# (``langflow/services/knowledge_base_storage/legacy_sources.py:1-13``, ``maintenance.py:55-86``):
# "Renaming an account does not move its directories" - so lfadmin moves them before 1.13 only.
KB_BY_OWNER_ID_SINCE = (1, 13, 0)
KB_FOLDER = "knowledge-base folder"


@dataclass(frozen=True)
class KbFolder:
    """The renamed user's knowledge-base folder: ``action`` is "moved", "to move" (dry run) or
    "kept" (1.13: left where it is, as Langflow's own rename leaves it)."""

    path: Path
    to: Path | None
    action: str


@dataclass(frozen=True)
class Renamed:
    old: str
    user: UserRecord  # as it is now (dry run: as it was)
    dry_run: bool
    kb_folder: KbFolder | None  # None: the user has no folder under the knowledge-bases dir


def _check_rename(s: Session, user: UserRecord, new: str) -> None:
    """What ``PATCH /api/v1/users/{id}`` refuses, on every release: a name another user has,
    in any case (1.13.0 ``services/database/models/user/crud.py:41-50``: "This username is
    unavailable."; 1.6-1.12 check nothing and let the exact unique index fail, yet their
    databases cannot be upgraded to 1.13 with case twins). The user itself does not count:
    ``alice`` may become ``Alice``."""
    if new == user.username:
        raise InvalidInput(f"{user.username!r} is already called {new!r}")
    if find_user(s, new) is not None:
        raise Conflict(f"user {new!r} already exists")
    twins = [name for name in case_twins(s, new) if name != user.username]
    if twins:
        raise Conflict(
            f"user {new!r} conflicts with existing {twins[0]!r}: usernames that differ only in case are "
            "one user to Langflow 1.13 (its unique index on lower(username))"
        )
    _warn_look_alikes(s, new, skip=[user.username])
    guard_default_superuser(s, new, superuser=user.is_superuser, logged_in=user.last_login_at is not None)


def _kb_folder(s: Session, old: str, new: str) -> tuple[KbFolder | None, bool]:
    """The user's knowledge-base folder and whether to move it; refuses what the move could not do."""
    found = s.settings.knowledge_bases_dir()
    if found is None or not found[0].is_dir():
        return None, False
    root = found[0]
    src, dst = root / old, root / new
    if s.schema.lo >= KB_BY_OWNER_ID_SINCE:
        return (KbFolder(src, None, "kept") if os.path.lexists(src) else None), False
    if not check_dir_move(src, dst, KB_FOLDER):
        return None, False
    return KbFolder(src, dst, "to move"), True


def _warn_configured(s: Session, user: UserRecord, new: str) -> None:
    if s.actor is not None and s.actor.user_id == user.id:
        s.warn(f"you renamed yourself: authenticate as {new!r} from now on")
    configured = s.settings.superuser_name()
    if configured.raw == user.username:
        s.warn(
            f"LANGFLOW_SUPERUSER is {user.username!r} ({configured.origin.where()}): set it to {new!r} too, or "
            f"Langflow's next start looks for (or creates) a superuser {user.username!r} that is no longer there"
        )


def rename_user(target: Target, old: str, new: str, *, dry_run: bool = False) -> Renamed:
    """Rename a user as Langflow's ``PATCH /api/v1/users/{id}`` does (every release 1.6-1.13: the
    ``username`` and ``updated_at`` columns; the password it writes back is the same hash), and
    refuse a case-insensitive collision on every release. Before 1.13 the user's
    ``<knowledge_bases_dir>/<old>`` folder follows, after the commit (checked before it)."""
    with target.session(write=not dry_run) as s:
        user, folder = rename(s, old, new, dry_run=dry_run)
    if folder is None or folder.action != "to move" or dry_run:
        return Renamed(old, user, dry_run, folder)
    return Renamed(old, user, dry_run, move_kb_folder(folder, new))
