"""Declarative users: export, diff and apply a manifest, offline and for every release.

The document is Langflow 1.13's ``langflow admin`` manifest (``langflow/cli/admin/manifest.py``):
``{"apiVersion": "langflow.ai/v1", "kind": "AdminState", "users": [...]}``, each user
``{"id"?, "username", "state": "active"|"disabled", "password_env"?}``. Passwords never appear in
the file: a *new* user needs ``password_env``, the name of an environment variable holding its
password (creation only; existing users' passwords are left alone). lfadmin adds one optional
field, ``superuser`` (Langflow's manifest expresses that through role assignments); a user
without it keeps whatever it has. Users absent from the file are left alone.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfadmin.core import user_rows, users
from lfadmin.core.session import Session
from lfadmin.core.target import Target
from lfadmin.errors import InvalidInput
from lfadmin.files import MANIFEST_CAP, read_text

API_VERSION = "langflow.ai/v1"
KIND = "AdminState"
_USER_FIELDS = {"id", "username", "state", "password_env", "superuser"}


@dataclass(frozen=True)
class DesiredUser:
    username: str
    state: str = "active"
    password_env: str | None = None
    superuser: bool | None = None
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class Operation:
    action: str  # "create" | "update"
    username: str
    changes: tuple[str, ...] = ()
    desired: DesiredUser | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "kind": "user", "name": self.username, "changes": list(self.changes)}


def document(s: Session) -> dict[str, Any]:
    """Every user as a manifest."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "users": [
            {
                "id": str(u.id),
                "username": u.username,
                "state": "active" if u.is_active else "disabled",
                "superuser": u.is_superuser,
            }
            for u in sorted(user_rows.list_users(s), key=lambda u: u.username)
        ],
    }


def load(path: Path) -> list[DesiredUser]:
    """Parse and validate a manifest; errors never quote values (they may be secrets)."""
    # A regular file of bounded size, strict UTF-8, or one line naming it (lfadmin.files).
    text = read_text(path, "manifest", cap=MANIFEST_CAP, follow=True) or ""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{path}: a manifest is a JSON object")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise InvalidInput(f'{path}: expected "apiVersion": "{API_VERSION}" and "kind": "{KIND}"')
    raw_users = doc.get("users", [])
    if not isinstance(raw_users, list):
        raise InvalidInput(f"{path}: users must be a list")
    out: list[DesiredUser] = []
    seen: set[str] = set()
    for i, item in enumerate(raw_users):
        where = f"{path}: users[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object")
        extra = set(item) - _USER_FIELDS
        if extra:
            hint = "passwords never go in the file: name an environment variable with password_env"
            raise InvalidInput(
                f"{where}: unknown field(s) {', '.join(sorted(extra))}",
                hint=hint if extra & {"password", "password_hash"} else None,
            )
        name = item.get("username")
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"{where}: username is required")
        if name in seen:
            raise InvalidInput(f"{where}: username {name!r} appears twice")
        seen.add(name)
        state = item.get("state", "active")
        if state not in ("active", "disabled"):
            raise InvalidInput(f'{where}: state must be "active" or "disabled"')
        pw_env = item.get("password_env")
        if pw_env is not None and (not isinstance(pw_env, str) or not pw_env):
            raise InvalidInput(f"{where}: password_env must name an environment variable")
        superuser = item.get("superuser")
        if superuser is not None and not isinstance(superuser, bool):
            raise InvalidInput(f"{where}: superuser must be true or false")
        uid = None
        if item.get("id") is not None:
            try:
                uid = uuid.UUID(str(item["id"]))
            except ValueError:
                raise InvalidInput(f"{where}: id is not a UUID") from None
        out.append(DesiredUser(name, state, pw_env, superuser, uid))
    return out


def plan(
    s: Session,
    desired: list[DesiredUser],
    environ: Mapping[str, str] | None = None,
    *,
    need_passwords: bool = True,
) -> list[Operation]:
    """What ``carry_out`` would do. ``need_passwords=False`` (``user diff``): a new user's
    ``password_env`` must be named but need not be set, so a check can run without secrets."""
    environ = os.environ if environ is None else environ
    ops: list[Operation] = []
    for want in sorted(desired, key=lambda d: d.username):
        current = user_rows.find_user_by_id(s, want.id) if want.id else user_rows.find_user(s, want.username)
        if current is None:
            if not want.password_env:
                raise InvalidInput(f"new user {want.username!r} requires a creation-only password_env reference")
            if need_passwords and not environ.get(want.password_env):
                raise InvalidInput(
                    f"new user {want.username!r} requires environment variable {want.password_env!r}"
                )
            ops.append(Operation("create", want.username, (), want))
            continue
        changes = []
        if current.username != want.username:
            changes.append("username")
        if current.is_active != (want.state == "active"):
            changes.append("state")
        if want.superuser is not None and current.is_superuser != want.superuser:
            changes.append("superuser")
        if changes:
            ops.append(Operation("update", want.username, tuple(changes), want))
    return ops


def carry_out(
    s: Session, ops: list[Operation], environ: Mapping[str, str] | None = None
) -> list[tuple[users.KbFolder, str]]:
    """Carry out ``ops`` (from ``plan``) in the caller's transaction; returns the knowledge-base
    folders renames leave to move after the commit (``users.move_kb_folder``), with the new names."""
    environ = os.environ if environ is None else environ
    moves: list[tuple[users.KbFolder, str]] = []
    for op in ops:
        want = op.desired
        assert want is not None
        if op.action == "create":
            assert want.password_env is not None
            users.create_user(  # audits a superuser it creates
                s,
                want.username,
                environ[want.password_env],
                superuser=bool(want.superuser),
                active=want.state == "active",
            )
            continue
        current = user_rows.find_user_by_id(s, want.id) if want.id else user_rows.find_user(s, want.username)
        assert current is not None
        if "username" in op.changes:
            _user, folder = users.rename(s, current.username, want.username)
            if folder is not None and folder.action == "to move":
                moves.append((folder, want.username))
        if "state" in op.changes:
            users.set_active(s, want.username, want.state == "active")
        if "superuser" in op.changes:
            users.set_superuser(s, want.username, bool(want.superuser))  # audits a promotion
    return moves


# -- the commands: each opens (and authenticates) its own transaction on the target -----------


def export(target: Target) -> dict[str, Any]:
    """``lfadmin user export``: every user as a manifest (no passwords)."""
    with target.session(write=False) as s:
        return document(s)


def diff(target: Target, desired: list[DesiredUser]) -> list[Operation]:
    """``lfadmin user diff``: how the database differs from ``desired`` (no password needed)."""
    with target.session(write=False) as s:
        return plan(s, desired, need_passwords=False)


def apply(target: Target, desired: list[DesiredUser], *, dry_run: bool = False) -> list[Operation]:
    """``lfadmin user apply``: make the database match ``desired`` in one transaction."""
    moves: list[tuple[users.KbFolder, str]] = []
    with target.session(write=not dry_run) as s:
        ops = plan(s, desired)
        if not dry_run:
            moves = carry_out(s, ops)
    for folder, new in moves:  # after the commit, as `user rename` moves it
        users.move_kb_folder(folder, new)
    return ops
