"""Component credentials (global variables) and the secret key: list/set/show/delete, check, generate.

Rotation lives in ``lfadmin.core.secrets.rotation``; the store inventory in ``lfadmin.core.secrets.inventory``.
Secrets never leave this module except as return values the CLI prints on request
(``show --reveal``, ``generate``): no exception message, warning or report carries one — only
fingerprints: of a value keyed by the secret key (``Session.fingerprint``), of a key its SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets as _secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.core.secrets.inventory import Status, StoreReport, counted, generic_plaintext, inventory
from lfadmin.core.secrets.keyring import Keyring
from lfadmin.errors import Conflict, InvalidInput, LfadminError, NotFound, Refused
from lfadmin.langflow.codec import iso, utcnow
from lfadmin.langflow.crypto import (
    MINIMUM_KEY_LENGTH,
    encrypt,
    fingerprint,
    looks_encrypted,
)

if TYPE_CHECKING:

    from lfadmin.core.session import Progress, Session
    from lfadmin.langflow.schema import Schema
    from lfadmin.langflow.settings import LangflowSettings

CREDENTIAL = "Credential"
GENERIC = "Generic"
JOURNAL_NAME = "secret_key.lfadmin-rotation"  # see lfadmin.core.secrets.rotation
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


# == the key itself =============================================================================


def generate_key() -> str:
    """A new secret key exactly like Langflow makes one: ``secrets.token_urlsafe(32)``."""
    return _secrets.token_urlsafe(32)


def key_problems(secret: str | None) -> list[str]:
    """Why Langflow 1.10+ could not use ``secret`` as a Fernet key at all (empty list: fine).

    Short keys (< 32 characters) are usable but derived differently per release; that is a
    warning (``key_warnings``), not a problem.
    """
    if secret is None or secret == "":
        return ["the secret key is empty"]
    problems = []
    if secret != secret.rstrip("\r\n"):
        problems.append(
            "it ends with a newline (a `secret_key` file written with `echo`?): Langflow reads the "
            "file verbatim and 1.10+ then fail on every encrypt and decrypt"
        )
    elif secret != secret.strip() or any(ch.isspace() for ch in secret):
        problems.append("it contains white space")
    if len(secret.rstrip("\r\n")) >= MINIMUM_KEY_LENGTH and not _is_fernet_key(secret.rstrip("\r\n")):
        problems.append(
            f"it is {len(secret.rstrip())} characters but not urlsafe base64 of exactly 32 bytes, "
            "so every encrypt and decrypt fails (keys of 32+ characters are used as the Fernet "
            "key itself)"
        )
    return problems


def key_warnings(secret: str, schema: Schema | None = None) -> list[str]:
    warnings = []
    if 0 < len(secret) < MINIMUM_KEY_LENGTH:
        warnings.append(
            f"it is short ({len(secret)} < {MINIMUM_KEY_LENGTH} characters): Langflow derives "
            "its Fernet key differently before and after 1.10.1, and 1.10.1–1.10.3 cannot read "
            "values written under it by older releases; rotate to a generated key"
        )
        if schema is not None and schema.short_key_ambiguous(secret):
            warnings.append(
                f"the schema matches Langflow {schema.release_label}, which spans both short-key "
                "derivations; pass --langflow-version to say which release runs"
            )
    return warnings


def _is_fernet_key(secret: str) -> bool:
    if not _URLSAFE.match(secret):
        return False
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 32


def validate_new_key(new: str, old: list[str]) -> None:
    """Refuse a key we would not rotate to: one line each, exit code 4 (INVALID_INPUT)."""
    if not new:
        raise InvalidInput("the new secret key is empty")
    if "\n" in new or "\r" in new:
        raise InvalidInput("the new secret key contains a newline")
    if any(ch.isspace() for ch in new):
        raise InvalidInput("the new secret key contains white space")
    if len(new) < MINIMUM_KEY_LENGTH:
        raise InvalidInput(
            f"the new secret key is {len(new)} characters; lfadmin rotates only to keys of at "
            f"least {MINIMUM_KEY_LENGTH} (short keys are derived differently per release)",
            hint="use --generate, or `lfadmin secrets generate`",
        )
    if not _is_fernet_key(new):
        raise InvalidInput(
            f"the new secret key ({len(new)} characters) is not urlsafe base64 of exactly 32 "
            "bytes, which Langflow requires of keys of 32+ characters",
            hint="use --generate, or `lfadmin secrets generate`",
        )
    if new in old:
        raise InvalidInput(
            f"the new secret key equals the old one (fingerprint {fingerprint(new)}); nothing to rotate"
        )


@dataclass
class KeyReport:
    source: str | None
    fingerprint: str | None
    length: int
    derivation: str | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config_file: str | None = None
    config_file_fingerprint: str | None = None
    env_file_disagrees: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "length": self.length,
            "derivation": self.derivation,
            "problems": self.problems,
            "warnings": self.warnings,
            "config_file": self.config_file,
            "config_file_fingerprint": self.config_file_fingerprint,
            "env_and_config_file_disagree": self.env_file_disagrees,
        }


def key_report(settings: LangflowSettings, schema: Schema | None) -> tuple[KeyReport, str | None]:
    """The key in effect, judged; and the key itself (for the caller's decryption only)."""
    key = settings.secret_key()
    cfg = settings.config_dir / "secret_key"
    file_problem = None
    try:
        file_value = key.value if key is not None and key.path is not None else settings.config_file_key() or None
    except LfadminError as exc:  # a file Langflow ignores while the variable is set: a warning
        file_value, file_problem = None, str(exc)
    if key is None:
        rep = KeyReport(None, None, 0, None, ["no secret key is configured: Langflow would generate "
                                             "a new random one and nothing stored would decrypt"])
        return rep, None
    rep = KeyReport(
        key.source,
        fingerprint(key.value),
        len(key.value),
        schema.encrypt_derivation(key.value).value if schema else None,
        key_problems(key.value),
        key_warnings(key.value, schema),
        str(cfg) if file_value is not None else None,
        fingerprint(file_value) if file_value is not None else None,
    )
    if file_problem is not None:
        rep.warnings.append(f"{file_problem}; it is not used while LANGFLOW_SECRET_KEY is set")
    if key.path is None and file_value is not None and file_value != key.value:
        rep.env_file_disagrees = True
        rep.warnings.append(
            f"LANGFLOW_SECRET_KEY ({key.source}, {rep.fingerprint}) differs from {cfg} "
            f"({rep.config_file_fingerprint}); Langflow uses the variable and overwrites the file "
            "at its next start — a server started without the variable uses the file's key"
        )
    return rep, key.value


# == secrets check ==============================================================================


@dataclass
class SecretsCheck:
    key: KeyReport
    stores: list[StoreReport]
    pending_rotation: str | None = None
    release: str = ""

    def total(self, status: Status) -> int:
        """Across the stores the release reads (``inventory.counted``)."""
        return sum(r.counts[status.value] for r in counted(self.stores))

    @property
    def undecryptable(self) -> int:
        return self.total(Status.UNDECRYPTABLE)

    @property
    def server_unreadable(self) -> int:
        return sum(r.server_unreadable for r in counted(self.stores))

    @property
    def failed(self) -> bool:
        """Something does not decrypt for the release (exit code 11)."""
        return self.undecryptable > 0 or self.server_unreadable > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "key": self.key.to_json(),
            "pending_rotation": self.pending_rotation,
            "totals": {st.value: self.total(st) for st in Status},
            "server_unreadable": self.server_unreadable,
            "stores": [r.to_json() for r in self.stores],
        }


def check(
    s: Session,
    secret: str | None = None,
    *,
    progress: Progress | None = None,
) -> SecretsCheck:
    """``secrets check``: the key in effect (or ``secret``) against every encrypted store.

    This is the entry point ``config doctor`` uses. Read-only; never raises for findings — the
    caller decides (``SecretsCheck.failed`` means something does not decrypt).
    """
    rep, in_effect = key_report(s.settings, s.schema)
    if secret is not None:
        rep = KeyReport("given key", fingerprint(secret), len(secret),
                        s.schema.encrypt_derivation(secret).value, key_problems(secret),
                        key_warnings(secret, s.schema))
        in_effect = secret
    keys = Keyring(in_effect or "", s.schema.encrypt_derivation(in_effect) if in_effect else None)
    if in_effect and not keys.usable and not rep.problems:
        rep.problems.append("no Fernet key can be derived from it")
    stores = inventory(s, keys, progress=progress)
    journal = s.settings.config_dir / JOURNAL_NAME
    pending = str(journal) if journal.exists() else None
    return SecretsCheck(rep, stores, pending, s.schema.release_label)


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


def _exec(s: Session, sql: str, **params: Any) -> Any:
    from sqlalchemy import text

    return s.conn.execute(text(sql), params)


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
    import json

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
    from lfadmin.core.secrets.inventory import classify
    from lfadmin.core.secrets.stores import STORES, Cell, Row

    status, _ = classify(s, STORES[0], Row(None, value, None, {"type": vtype}), Cell(value), keys)
    if not looks_encrypted(value):
        return status, value
    opened = keys.open(value) if keys.usable and status is not Status.UNDECRYPTABLE else None
    return status, opened[0] if opened else None


def list_variables(
    s: Session, *, username: str | None = None, vtype: str | None = None
) -> list[VariableInfo]:
    """Global variables with their status and a fingerprint of the value, never the value."""
    from lfadmin.core.user_rows import get_user

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
    return [_var_info(s, r, keys) for r in _exec(s, sql, **params)]


def _find_variable(s: Session, name: str, username: str) -> tuple[Any, list[Any]]:
    from lfadmin.core.user_rows import get_user

    user = get_user(s, username)
    rows = _exec(
        s, _var_select(s) + " WHERE v.user_id = :u AND v.name = :n ORDER BY v.created_at",
        u=s.codec.uuid(user.id), n=name,
    ).all()
    return user, rows


def get_variable(s: Session, name: str, username: str) -> tuple[VariableInfo, str | None]:
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


def reveal_variable(s: Session, name: str, username: str) -> tuple[VariableInfo, str, Path]:
    """The decrypted value for ``secrets show --reveal``, recorded in the audit trail first
    (inside the command's transaction: if the record cannot be written, nothing is revealed).
    Returns the metadata, the value and the audit trail's path."""
    from lfadmin.core import audit
    from lfadmin.errors import Undecryptable

    info, value = get_variable(s, name, username)
    if value is None:
        raise Undecryptable(f"variable {name!r} of {username!r} does not decrypt under the secret key in effect")
    loc = audit.secret_revealed(s, name, info.owner, str(info.id))
    return info, value, loc.path


@dataclass(frozen=True)
class SetResult:
    info: VariableInfo
    created: bool


def set_variable(
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
    if vtype not in (None, CREDENTIAL, GENERIC):
        raise InvalidInput(f"--type must be credential or generic, not {vtype!r}")
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
        _exec(s, f"INSERT INTO variable ({names}) VALUES ({binds})", **cols)
        created = True
    else:
        vid = c.read_uuid(existing[0])
        sets = {"value": stored, "type": final_type, "updated_at": c.datetime(utcnow())}
        if fields is not None:
            sets["default_fields"] = c.json(list(fields))
        if has_env:
            sets["is_environment_managed"] = c.boolean(False)
        assign = ", ".join(f"{k} = :{k}" for k in sets)
        _exec(s, f"UPDATE variable SET {assign} WHERE id = :id", id=c.uuid(vid), **sets)
        created = False
    row = _exec(s, _var_select(s) + " WHERE v.id = :i", i=c.uuid(vid)).one()
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


def delete_variable(s: Session, name: str, username: str) -> VariableInfo:
    _, rows = _find_variable(s, name, username)
    if not rows:
        raise NotFound(f"user {username!r} has no global variable {name!r}")
    if len(rows) > 1:
        raise Conflict(
            f"user {username!r} has {len(rows)} variables named {name!r}; refusing to guess which",
        )
    info = _var_info(s, rows[0], _keys(s))
    _exec(s, "DELETE FROM variable WHERE id = :i", i=s.codec.uuid(info.id))
    return info


# == files ======================================================================================


def current_file_key(path: Path) -> str | None:
    """The key in a ``secret_key`` file (None: none there); a link, a non-regular, oversized or
    non-UTF-8 file is one clear error (``lfadmin.files``)."""
    from lfadmin.files import SECRET_FILE, check_config_dir, read_text

    check_config_dir(path.parent)
    return read_text(path, SECRET_FILE, missing_ok=True, unreadable_ok=True) or None


def refuse_overwriting_key(where: str, current: str | None, new: str, force: bool) -> None:
    """``generate`` must not silently replace a key that may encrypt data (issue: #5942...)."""
    if current and current != new and not force:
        raise Refused(
            f"{where} already holds a secret key ({fingerprint(current)}); replacing it makes every "
            "stored credential unreadable",
            hint="use `lfadmin secrets rotate --generate` to re-encrypt and switch, or --force",
        )
