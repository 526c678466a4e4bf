"""Component credentials (Langflow's global variables): list, show, reveal, set, delete.

A variable's value is stored the way the release's variable service stores it (Credential:
Fernet under the secret key; Generic: in clear from 1.8) and judged as ``secrets check`` judges
it (``lfadmin.core.secrets.inventory.classify``). The secret key itself is
``lfadmin.core.secrets.key``; rotating it, ``lfadmin.core.secrets.rotation``.
Values never leave this module except as return values the CLI prints on request
(``show --reveal``, audited here first): no exception message, warning or report carries one —
only a fingerprint keyed by the secret key (``Session.fingerprint``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.core import audit
from lfadmin.core.secrets.inventory import classify, generic_plaintext
from lfadmin.core.secrets.key import key_problems
from lfadmin.core.secrets.keyring import Keyring
from lfadmin.core.secrets.status import Status
from lfadmin.core.secrets.stores import STORES, Cell, Row
from lfadmin.core.user_rows import UserRecord, get_user
from lfadmin.db import execute
from lfadmin.errors import Conflict, InvalidInput, NotFound, Undecryptable
from lfadmin.langflow.codec import iso, utcnow
from lfadmin.langflow.crypto import encrypt, looks_encrypted

if TYPE_CHECKING:
    from lfadmin.core.session import Session
    from lfadmin.core.target import Target

CREDENTIAL = "Credential"
GENERIC = "Generic"


# == global variables ===========================================================================


@dataclass(frozen=True)
class VariableInfo:
    id: uuid.UUID
    name: str
    owner: str
    type: str | None
    default_fields: list[str]
    created_at: datetime | None
    updated_at: datetime | None
    environment_managed: bool | None
    status: str  # Status value
    fingerprint: str | None  # of the plaintext, when it decrypts

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "owner": self.owner,
            "type": self.type,
            "default_fields": self.default_fields,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "environment_managed": self.environment_managed,
            "status": self.status,
            "fingerprint": self.fingerprint,
        }


_TYPES = {"credential": CREDENTIAL, "generic": GENERIC}


def parse_type(value: str | None) -> str | None:
    """``--type``'s spelling (any case) as Langflow stores it; None: not given."""
    if value is None:
        return None
    try:
        return _TYPES[value.lower()]
    except KeyError:
        raise InvalidInput(f"--type must be credential or generic, not {value!r}") from None


def _keys(s: Session) -> Keyring:
    key = s.settings.secret_key()
    secret = key.value if key else ""
    return Keyring(secret, s.schema.encrypt_derivation(secret) if secret else None)


def _var_select(s: Session) -> str:
    env = ", v.is_environment_managed" if s.schema.has("variable", "is_environment_managed") else ", NULL"
    return (
        "SELECT v.id, v.name, u.username, v.type, v.default_fields, v.created_at, v.updated_at, "
        f"v.value{env} FROM variable v JOIN \"user\" u ON u.id = v.user_id"
    )


def _var_info(s: Session, row: Any, keys: Keyring) -> VariableInfo:
    c = s.codec
    value = row[7] or ""
    vtype = row[3]
    fields = row[4]
    if isinstance(fields, str):
        try:
            fields = json.loads(fields)
        except ValueError:
            fields = []
    status, plain = _judge_variable(s, vtype, value, keys)
    return VariableInfo(
        id=c.read_uuid(row[0]),
        name=row[1],
        owner=row[2],
        type=vtype,
        default_fields=list(fields or []),
        created_at=c.read_datetime(row[5]),
        updated_at=c.read_datetime(row[6]),
        environment_managed=None if row[8] is None else bool(row[8]),
        status=status.value,
        fingerprint=s.fingerprint(plain) if plain is not None else None,
    )


def _judge_variable(s: Session, vtype: str | None, value: str, keys: Keyring) -> tuple[Status, str | None]:
    """Status (as ``secrets check`` judges it) and the plaintext when it opens."""
    status, _ = classify(s, STORES[0], Row(None, value, None, {"type": vtype}), Cell(value), keys)
    if not looks_encrypted(value):
        return status, value
    opened = keys.open(value) if keys.usable and status is not Status.UNDECRYPTABLE else None
    return status, opened[0] if opened else None


def list_variables(
    target: Target, *, username: str | None = None, vtype: str | None = None
) -> list[VariableInfo]:
    """``secrets list``: global variables (``username``'s only; of type ``vtype``, as
    ``parse_type`` reads it) with their status and a fingerprint of the value, never the value."""
    with target.session(write=False) as s:
        return _list(s, username, parse_type(vtype))


def _list(s: Session, username: str | None, vtype: str | None) -> list[VariableInfo]:
    where, params = [], {}
    if username is not None:
        user = get_user(s, username)
        where.append("v.user_id = :u")
        params["u"] = s.codec.uuid(user.id)
    if vtype is not None:
        where.append("v.type = :t")
        params["t"] = vtype
    sql = _var_select(s) + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY u.username, v.name"
    keys = _keys(s)
    return [_var_info(s, r, keys) for r in execute(s.conn, sql, **params)]


def _find_variable(s: Session, name: str, username: str) -> tuple[UserRecord, Sequence[Any]]:
    user = get_user(s, username)
    rows = execute(
        s.conn, _var_select(s) + " WHERE v.user_id = :u AND v.name = :n ORDER BY v.created_at",
        u=s.codec.uuid(user.id), n=name,
    ).all()
    return user, rows


def show_variable(target: Target, name: str, username: str) -> VariableInfo:
    """``secrets show``: a variable's metadata, never its value."""
    with target.session(write=False) as s:
        return _get(s, name, username)[0]


def _get(s: Session, name: str, username: str) -> tuple[VariableInfo, str | None]:
    """Metadata and the decrypted value (None when it does not decrypt). The caller guards it.

    The value opens as ``secrets check`` judges it: with a long key, only by a derivation the
    release reads (a token another derivation of the same string happens to open is
    ``undecryptable``, as it is for Langflow)."""
    _, rows = _find_variable(s, name, username)
    if not rows:
        raise NotFound(f"user {username!r} has no global variable {name!r}")
    if len(rows) > 1:
        raise Conflict(
            f"user {username!r} has {len(rows)} variables named {name!r} (Langflow's API forbids "
            "that; the database does not)",
            hint="delete the extra ones with `lfadmin secrets delete`",
        )
    keys = _keys(s)
    info = _var_info(s, rows[0], keys)
    _, plain = _judge_variable(s, info.type, rows[0][7] or "", keys)
    return info, plain  # None exactly when ``secrets check`` calls it undecryptable


# What ``show --reveal`` adds when the value it prints is not what Langflow reads.
_NOT_AS_LANGFLOW_READS = {
    "legacy": "it opens only with the other short-key derivation, which not every Langflow release "
    "reads; `lfadmin secrets rotate` re-encrypts it the way this release writes",
    "encrypted-generic": "a Generic variable still encrypted from Langflow 1.6/1.7; this release hides it "
    "or passes its ciphertext to flows, and `lfadmin secrets rotate` stores it in clear as 1.8+ does",
}


@dataclass(frozen=True)
class Revealed:
    """``secrets show --reveal``: the value, and what must be said with it (the audit line)."""

    info: VariableInfo
    value: str
    trail: Path  # the audit trail the reveal was recorded in
    warnings: list[str]  # for stderr, before the value


def reveal_variable(target: Target, name: str, username: str) -> Revealed:
    """The decrypted value for ``secrets show --reveal``, recorded in the audit trail first
    (inside the command's transaction: if the record cannot be written, nothing is revealed).
    The warnings say who revealed what and where it is recorded, and when the value is not
    what this release reads."""
    with target.session(write=False) as s:
        info, value = _get(s, name, username)
        if value is None:
            raise Undecryptable(f"variable {name!r} of {username!r} does not decrypt under the secret key in effect")
        loc = audit.secret_revealed(s, name, info.owner, str(info.id))
        actor = s.actor.describe() if s.actor else "?"
    warnings = []
    if info.status in _NOT_AS_LANGFLOW_READS:
        warnings.append(f"variable {name!r} is {info.status}: {_NOT_AS_LANGFLOW_READS[info.status]}")
    warnings.append(f"audit: {actor} revealed variable {name!r} of user {username!r}; recorded in {loc.path}")
    return Revealed(info, value, loc.path, warnings)


@dataclass(frozen=True)
class SetResult:
    info: VariableInfo
    created: bool


def set_variable(
    target: Target,
    name: str,
    username: str,
    value: str,
    *,
    vtype: str | None = None,
    fields: list[str] | None = None,
) -> SetResult:
    """``secrets set``: create or update ``username``'s variable ``name`` (``vtype`` as
    ``parse_type`` reads it) in one write transaction (``_set``)."""
    with target.session(write=True) as s:
        s.subject(f"variable {name} of {username}")
        return _set(s, name, username, value, vtype=parse_type(vtype), fields=fields)


def _set(
    s: Session,
    name: str,
    username: str,
    value: str,
    *,
    vtype: str | None = None,
    fields: list[str] | None = None,
) -> SetResult:
    """Create or update a global variable the way the release's variable service does.

    Credential: Fernet under the key in effect with the release's derivation. Generic: plaintext
    from 1.8 (and a value starting ``gAAAAA`` is refused, as 1.10+ do), encrypted before.
    Update = a user edit: ``updated_at`` = now, ``is_environment_managed`` = False (1.13).
    Type defaults to Credential on create (the API's default) and to the row's type on update.
    """
    if not name or name != name.strip():
        raise InvalidInput(f"variable name {name!r} is empty or has surrounding white space")
    user, rows = _find_variable(s, name, username)
    if len(rows) > 1:
        raise Conflict(f"user {username!r} has {len(rows)} variables named {name!r}; delete the extras first")
    existing = rows[0] if rows else None
    final_type = vtype or (existing[3] if existing is not None else None) or CREDENTIAL
    stored = _encode_value(s, final_type, value, name)
    has_env = s.schema.has("variable", "is_environment_managed")
    c = s.codec
    if existing is None:
        vid = uuid.uuid4()
        # VariableCreate's default factories: created_at always; updated_at up to 1.7 (NULL from
        # 1.8), read from the clock a second time as Langflow does.
        created = c.datetime(utcnow())
        updated = c.datetime(utcnow()) if s.schema.variable_updated_at_on_create else None
        cols = {
            "id": c.uuid(vid),
            "name": name,
            "value": stored,
            "type": final_type,
            "created_at": created,
            "updated_at": updated,
            "user_id": c.uuid(user.id),
            "default_fields": c.json(list(fields or [])),
        }
        if has_env:
            cols["is_environment_managed"] = c.boolean(False)
        names = ", ".join(cols)
        binds = ", ".join(f":{k}" for k in cols)
        execute(s.conn, f"INSERT INTO variable ({names}) VALUES ({binds})", **cols)
        created = True
    else:
        vid = c.read_uuid(existing[0])
        sets = {"value": stored, "type": final_type, "updated_at": c.datetime(utcnow())}
        if fields is not None:
            sets["default_fields"] = c.json(list(fields))
        if has_env:
            sets["is_environment_managed"] = c.boolean(False)
        assign = ", ".join(f"{k} = :{k}" for k in sets)
        execute(s.conn, f"UPDATE variable SET {assign} WHERE id = :id", id=c.uuid(vid), **sets)
        created = False
    row = execute(s.conn, _var_select(s) + " WHERE v.id = :i", i=c.uuid(vid)).one()
    return SetResult(_var_info(s, row, _keys(s)), created)


def _encode_value(s: Session, vtype: str, value: str, name: str) -> str:
    encrypt_generic = generic_plaintext(s) is False
    if vtype == GENERIC and not encrypt_generic:
        if value.startswith("gAAAAA"):
            raise InvalidInput(
                f"Generic variable {name!r} cannot start with 'gAAAAA' (Langflow reserves it for "
                "encrypted values)"
            )
        if not s.codec.text_storable(value):
            raise InvalidInput(
                f"Generic variable {name!r}: the value contains a NUL character, which "
                f"{s.backend} cannot store in clear as Langflow {s.schema.release_label} keeps "
                "Generic variables; nothing was changed",
                hint="remove it, or store the value as --type credential (encrypted)",
            )
        return value
    key = s.settings.secret_key()
    if key is None:
        raise InvalidInput(
            "no secret key is configured, so a credential cannot be encrypted",
            hint="set LANGFLOW_SECRET_KEY (or --env-file the server's .env)",
        )
    problems = key_problems(key.value)
    if problems:
        raise InvalidInput(f"the secret key from {key.source} is unusable: {problems[0]}")
    return encrypt(key.value, value, s.schema.encrypt_derivation(key.value))


def delete_variable(target: Target, name: str, username: str) -> VariableInfo:
    """``secrets delete``: the variable is gone; returns what it was."""
    with target.session(write=True) as s:
        s.subject(f"variable {name} of {username}")
        return _delete(s, name, username)


def _delete(s: Session, name: str, username: str) -> VariableInfo:
    _, rows = _find_variable(s, name, username)
    if not rows:
        raise NotFound(f"user {username!r} has no global variable {name!r}")
    if len(rows) > 1:
        raise Conflict(
            f"user {username!r} has {len(rows)} variables named {name!r}; refusing to guess which",
        )
    info = _var_info(s, rows[0], _keys(s))
    execute(s.conn, "DELETE FROM variable WHERE id = :i", i=s.codec.uuid(info.id))
    return info
