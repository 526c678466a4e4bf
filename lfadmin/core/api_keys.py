"""Langflow API keys (``apikey`` table), checked and stored as the detected release does.

Storage per release (docs/langflow/crypto.md §4, docs/langflow/releases.md §3): plaintext in ``api_key`` up to 1.7;
a Fernet token from 1.8 (which has no ``api_key_hash`` column yet and finds a key by decrypting
every row); Fernet token plus unsalted SHA-256 hash from 1.9, with hashes kept unique because
Langflow refuses a hash that matches more than one active key.
``is_active``/``expires_at`` are honoured only from 1.10.0, so revoking always deletes the row.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from lfadmin.core import ids
from lfadmin.core.session import Progress, Session
from lfadmin.core.target import Target
from lfadmin.core.user_rows import find_user_by_id, get_user
from lfadmin.db import execute
from lfadmin.errors import Conflict, InvalidInput, NotFound, Refused
from lfadmin.langflow.codec import iso, utcnow
from lfadmin.langflow.crypto import (
    api_key_hash,
    decrypt,
    encrypt,
    generate_api_key,
    looks_encrypted,
    mask_api_key,
)

if TYPE_CHECKING:
    from lfadmin.langflow.settings import SecretKey


# -- durations and expiry ---------------------------------------------------------------------

PRUNE_BATCH = 1000  # rows a DELETE names (SQLite allows 32766 bound values; PostgreSQL 65535)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)([smhdw])")


def parse_duration(text: str, option: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``1d12h`` (s, m, h, d, w) -> a positive timedelta."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InvalidInput(f"{option} {text!r} is not a duration like 90d, 12h, 2w or 1d12h (units: s, m, h, d, w)")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise InvalidInput(f"{option} {text!r} must be longer than zero")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise InvalidInput(f"{option} {text!r} is too long") from None


def parse_time(text: str, option: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is UTC (as Langflow reads
    ``expires_at``)."""
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in {"Z", "z"} else raw)
    except ValueError:
        raise InvalidInput(f"{option} {text!r} is not a date or time like 2027-01-31 or 2027-01-31T18:00:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def resolve_expiry(expires_in: str | None, expires_at: str | None) -> datetime | None:
    """The expiry the options ask for (checked before the database is opened)."""
    if expires_in is not None and expires_at is not None:
        raise InvalidInput("use either --expires-in or --expires-at, not both")
    if expires_in is not None:
        try:
            return utcnow() + parse_duration(expires_in, "--expires-in")
        except OverflowError:
            raise InvalidInput(f"--expires-in {expires_in!r} is too long") from None
    if expires_at is not None:
        when = parse_time(expires_at, "--expires-at")
        if when <= utcnow():
            raise InvalidInput(f"--expires-at {expires_at!r} is in the past")
        return when
    return None


# -- reading keys -----------------------------------------------------------------------------

# Status codes (stable, for --json) in the order they win when several apply.
EXPIRED = "expired"
INACTIVE = "inactive"
OWNER_INACTIVE = "owner inactive"
AMBIGUOUS = "ambiguous"
UNDECRYPTABLE = "undecryptable"
LEGACY_PLAINTEXT = "legacy plaintext"
OK = "ok"


@dataclass(frozen=True)
class ApiKeyRecord:
    id: uuid.UUID
    name: str | None
    owner: str | None  # None when the owner row is gone (SQLite enforces no foreign key)
    owner_id: uuid.UUID
    owner_active: bool
    masked: str  # as Langflow's listing shows it
    created_at: datetime | None
    last_used_at: datetime | None
    total_uses: int
    is_active: bool
    expires_at: datetime | None
    storage: str  # "plaintext" | "encrypted"
    status: str
    detail: str  # one sentence explaining the status
    authenticates: bool  # would the detected release accept this key today

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "owner": self.owner,
            "owner_id": str(self.owner_id),
            "owner_active": self.owner_active,
            "masked_key": self.masked,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "total_uses": self.total_uses,
            "is_active": self.is_active,
            "expires_at": iso(self.expires_at),
            "storage": self.storage,
            "status": self.status,
            "status_detail": self.detail,
            "authenticates": self.authenticates,
        }


def _key_select(s: Session) -> str:
    extra = (", k.api_key_hash" if s.schema.api_keys_hashed else ", NULL") + (
        ", k.expires_at" if s.schema.api_key_expiry else ", NULL"
    )
    return (
        "SELECT k.id, k.name, k.user_id, u.username, u.is_active, k.api_key, k.created_at, "
        f"k.last_used_at, k.total_uses, k.is_active{extra} "
        'FROM apikey k LEFT JOIN "user" u ON u.id = k.user_id'
    )


def _duplicate_hashes(s: Session) -> set[str]:
    """Hashes shared by more than one key Langflow would consider (it refuses them all)."""
    if not s.schema.api_keys_hashed:
        return set()
    active = " AND is_active = :t" if s.schema.api_key_expiry else ""
    rows = execute(
        s.conn,
        f"SELECT api_key_hash FROM apikey WHERE api_key_hash IS NOT NULL{active} "
        "GROUP BY api_key_hash HAVING COUNT(*) > 1",
        t=s.codec.boolean(True),
    )
    return {r[0] for r in rows}


def _records(s: Session, where: str = "", **params: Any) -> list[ApiKeyRecord]:
    rows = execute(s.conn, _key_select(s) + where + " ORDER BY k.created_at, k.name", **params).all()
    secret = s.settings.secret_key()
    dupes = _duplicate_hashes(s) if rows else set()
    now = utcnow()
    return [_record(s, r, secret, dupes, now) for r in rows]


def _record(s: Session, row: Any, secret: SecretKey | None, dupes: set[str], now: datetime) -> ApiKeyRecord:
    c, schema = s.codec, s.schema
    stored: str = row[5] or ""
    hashed: str | None = row[10]
    expires = c.read_datetime(row[11])
    owner_active = row[4] is not None and c.read_bool(row[4])
    is_active = c.read_bool(row[9])
    release = schema.release_label

    plaintext: str | None = None
    encrypted = looks_encrypted(stored)
    if not encrypted:
        plaintext = stored
    elif secret is not None:
        opened = decrypt(secret.value, stored, schema.read_derivations(secret.value))
        plaintext = opened.plaintext if opened is not None else None
    # Langflow masks the decrypted key, or the stored value when it cannot decrypt it.
    masked = mask_api_key(plaintext if plaintext is not None else stored)

    status, detail, works = OK, f"accepted by Langflow {release}", True
    if schema.api_key_expiry and expires is not None and expires <= now:
        status, detail, works = EXPIRED, f"expired at {expires:%Y-%m-%d %H:%M} UTC", False
    elif schema.api_key_expiry and not is_active:
        status, detail, works = INACTIVE, "deactivated (is_active is off)", False
    elif row[3] is None:
        status, detail, works = OWNER_INACTIVE, "its owner no longer exists", False
    elif not owner_active:
        status, detail, works = (
            OWNER_INACTIVE,
            f"its owner {row[3]!r} is inactive; Langflow rejects the owner's keys",
            False,
        )
    elif hashed is not None and hashed in dupes:
        status, detail, works = (
            AMBIGUOUS,
            "another active key has the same hash; Langflow refuses both",
            False,
        )
    elif encrypted and plaintext is None:
        why = (
            "no secret key is configured"
            if secret is None
            else f"it does not decrypt under the current secret key ({secret.source})"
        )
        if hashed is not None:
            detail, works = f"{why}; it still authenticates by its SHA-256 hash on 1.9+", True
        else:
            detail, works = f"{why}; with no hash stored, Langflow {release} rejects it", False
        status = UNDECRYPTABLE
    elif not encrypted and schema.api_keys_encrypted:
        status = LEGACY_PLAINTEXT
        detail = (
            "stored in plaintext by Langflow 1.7 or older; it still authenticates "
            "(encrypt it with: lfadmin api-key encrypt-legacy)"
        )
    if status == OK and not schema.api_key_expiry and not is_active:
        detail = f"is_active is off, but Langflow {release} ignores it: the key still works"

    return ApiKeyRecord(
        id=c.read_uuid(row[0]),
        name=row[1],
        owner=row[3],
        owner_id=c.read_uuid(row[2]),
        owner_active=owner_active,
        masked=masked,
        created_at=c.read_datetime(row[6]),
        last_used_at=c.read_datetime(row[7]),
        total_uses=int(row[8] or 0),
        is_active=is_active,
        expires_at=expires,
        storage="encrypted" if encrypted else "plaintext",
        status=status,
        detail=detail,
        authenticates=works,
    )


def usage_tracking(s: Session) -> tuple[bool, str | None]:
    """Whether the server updates ``total_uses``/``last_used_at``, and the setting saying no."""
    val = s.settings.env.setting("DISABLE_TRACK_APIKEY_USAGE")
    if val is not None and val.boolean():  # the default (False in every release) tracks
        return False, val.describe()
    return True, None


def list_keys(s: Session, *, owner: str | None = None, all_users: bool = False) -> list[ApiKeyRecord]:
    """Keys of ``owner``, of every user (``all_users``), or of the invoking superuser."""
    if owner is not None and all_users:
        raise InvalidInput("use either --user or --all, not both")
    if all_users:
        return _records(s)
    user_id = get_user(s, owner).id if owner is not None else _actor_id(s)
    return _records(s, " WHERE k.user_id = :u", u=s.codec.uuid(user_id))


def _actor_id(s: Session) -> uuid.UUID:
    actor = s.actor
    if actor is None or actor.user_id is None:
        name = actor.username if actor is not None else "the invoking superuser"
        raise NotFound(
            f"superuser {name!r} is not in the database",
            hint="name the key's owner with --user NAME",
        )
    return actor.user_id


def get_key(s: Session, ref: str, *, owner: str | None = None) -> ApiKeyRecord:
    """One key by id (with or without dashes), by name, or by a unique prefix of its id (a name
    wins over a prefix, as a ref does in git), optionally of one owner."""
    where, params = [], {}
    if owner is not None:
        where.append("k.user_id = :u")
        params["u"] = s.codec.uuid(get_user(s, owner).id)
    key_id = _as_uuid(ref)
    if key_id is not None:
        found = _records(s, " WHERE " + " AND ".join([*where, "k.id = :i"]), i=s.codec.uuid(key_id), **params)
        if found:
            return found[0]
    found = _records(s, " WHERE " + " AND ".join([*where, "k.name = :n"]), n=ref, **params)
    whose = f" of {owner!r}" if owner is not None else ""
    if not found:  # a short id, as the listing shows it
        rows = execute(
            s.conn, "SELECT k.id FROM apikey k" + (" WHERE " + " AND ".join(where) if where else ""), **params
        )
        prefixed = ids.match(ref, (s.codec.read_uuid(r[0]) for r in rows), what="API key")
        if prefixed is not None:
            return _records(s, " WHERE k.id = :i", i=s.codec.uuid(prefixed))[0]
        raise NotFound(
            f"no API key{whose} with id or name {ref!r}",
            hint="see the keys with: lfadmin api-key list --all",
        )
    if len(found) > 1:
        listed = ", ".join(f"{k.id} ({k.owner})" for k in found)
        raise InvalidInput(f"{len(found)} API keys{whose} are named {ref!r}: {listed}", hint="revoke by id")
    return found[0]


def _as_uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref.strip())
    except ValueError:
        return None


# -- writing keys -----------------------------------------------------------------------------

DEFAULT_KEY_NAME = "lfadmin"
_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class CreatedKey:
    record: ApiKeyRecord
    key: str  # the plaintext: shown once, never stored by lfadmin


def _secret_for_writing(s: Session) -> SecretKey:
    secret = s.settings.secret_key()
    if secret is None:
        raise InvalidInput(
            f"no secret key: Langflow {s.schema.release_label} encrypts API keys with it, and "
            f"neither LANGFLOW_SECRET_KEY nor {s.settings.config_dir / 'secret_key'} is set",
            hint="set LANGFLOW_SECRET_KEY to the server's key, --env-file the server's .env, "
            "or point LANGFLOW_CONFIG_DIR at the server's config dir",
        )
    if s.schema.short_key_ambiguous(secret.value):
        s.warn(
            f"the secret key is short and Langflow {s.schema.release_label} derives it "
            "differently before and after 1.10.1; the key will authenticate by its hash, but "
            "the listing may not decrypt it (pin the release with --langflow-version)"
        )
    return secret


def _encrypt(s: Session, secret: SecretKey, plaintext: str) -> str:
    return encrypt(secret.value, plaintext, s.schema.encrypt_derivation(secret.value))


def _taken(s: Session, plaintext: str) -> bool:
    """Would this key collide with a stored one (its hash, or a plaintext row)?"""
    if s.schema.api_keys_hashed:
        hit = execute(
            s.conn,
            "SELECT 1 FROM apikey WHERE api_key_hash = :h OR api_key = :k",
            h=api_key_hash(plaintext),
            k=plaintext,
        ).first()
    else:
        hit = execute(s.conn, "SELECT 1 FROM apikey WHERE api_key = :k", k=plaintext).first()
    return hit is not None


def create_key(
    s: Session,
    *,
    owner: str | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> CreatedKey:
    """Generate and store a key exactly as the detected release does (docs/langflow/crypto.md §6)."""
    schema, c = s.schema, s.codec
    if expires_at is not None and not schema.api_key_expiry:
        raise InvalidInput(
            f"Langflow {schema.release_label} has no API key expiry (apikey.expires_at arrived "
            "in 1.10.0): a key cannot expire on this server",
            hint="drop --expires-in/--expires-at and revoke the key when it is no longer needed",
        )
    if name is not None and not name.strip():
        raise InvalidInput("--name is empty")
    user = get_user(s, owner) if owner is not None else None
    user_id = user.id if user is not None else _actor_id(s)
    if user is None:
        user = find_user_by_id(s, user_id)
        if user is None:
            raise NotFound(f"the invoking superuser (id {user_id}) is not in the database")
    if not user.is_active:
        s.warn(f"{user.username!r} is inactive: Langflow rejects this key until the user is activated")
    secret = _secret_for_writing(s) if schema.api_keys_encrypted else None

    for _ in range(_MAX_ATTEMPTS):
        plaintext = generate_api_key()
        if not _taken(s, plaintext):
            break
    else:  # pragma: no cover - 2**256 keys
        raise Conflict("could not generate an API key that is not already stored")

    key_id = uuid.uuid4()
    stored = plaintext if secret is None else _encrypt(s, secret, plaintext)
    cols: dict[str, Any] = {
        "id": c.uuid(key_id),
        "name": name if name is not None else DEFAULT_KEY_NAME,
        "created_at": c.datetime(utcnow()),
        "last_used_at": None,
        "total_uses": 0,
        "is_active": c.boolean(True),
        "api_key": stored,
        "user_id": c.uuid(user_id),
    }
    if schema.api_keys_hashed:
        cols["api_key_hash"] = api_key_hash(plaintext)
    if schema.api_key_expiry:
        cols["expires_at"] = c.datetime(expires_at)
    names = ", ".join(cols)
    values = ", ".join(f":{k}" for k in cols)
    execute(s.conn, f"INSERT INTO apikey ({names}) VALUES ({values})", **cols)
    s.subject(f"api-key {key_id} of {user.username}")
    return CreatedKey(get_key(s, str(key_id)), plaintext)


def key_subject(k: ApiKeyRecord) -> str:
    """How the audit trail names a key: its id and owner, never the key."""
    return f"api-key {k.id} of {k.owner or k.owner_id}"


def revoke_key(s: Session, ref: str, *, owner: str | None = None) -> ApiKeyRecord:
    """Delete the row: the only revocation every release honours (≤ 1.9 ignore is_active)."""
    record = get_key(s, ref, owner=owner)
    s.subject(key_subject(record))
    execute(s.conn, "DELETE FROM apikey WHERE id = :i", i=s.codec.uuid(record.id))
    return record


def prune_keys(
    s: Session,
    unused_for: timedelta,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[ApiKeyRecord]:
    """Revoke keys not used (or, if never used, created) more than ``unused_for`` ago.

    Deletes in batches of ``PRUNE_BATCH`` rows, reporting each batch to ``progress``.
    """
    tracked, setting = usage_tracking(s)
    if not tracked and not dry_run and not force:
        raise Refused(
            f"{setting} is true: Langflow does not record key usage, so lfadmin cannot tell which keys are unused",
            hint="see the candidates with --dry-run; pass --force to prune by these figures anyway",
        )
    cutoff = utcnow() - unused_for
    stale = [k for k in _records(s) if _last_activity(k) < cutoff]
    if not dry_run:
        from sqlalchemy import bindparam, text

        delete = text("DELETE FROM apikey WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
        for start in range(0, len(stale), PRUNE_BATCH):
            batch = stale[start : start + PRUNE_BATCH]
            for k in batch:
                s.subject(key_subject(k))
            s.conn.execute(delete, {"ids": [s.codec.uuid(k.id) for k in batch]})
            if progress:
                progress("API keys", start + len(batch), len(stale))
    return stale


def _last_activity(k: ApiKeyRecord) -> datetime:
    seen = k.last_used_at or k.created_at
    return seen if seen is not None else datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class LegacyResult:
    encrypted: list[ApiKeyRecord]
    skipped: list[tuple[ApiKeyRecord, str]]


def encrypt_legacy_keys(s: Session, *, dry_run: bool = False) -> LegacyResult:
    """Turn plaintext keys left by ≤ 1.7 into a Fernet token (+ SHA-256 on 1.9+, docs/langflow/crypto.md §5).

    No Langflow release does this: 1.9+ only backfill the hash and keep the plaintext. 1.8 has no
    hash column; its check decrypts every stored token, so the token alone is what 1.8 writes.
    A key whose stored hash is not its own is left alone (it does not authenticate today, and
    we will not revive it); so is one whose hash another key already has (Langflow would refuse
    both - revoke one first).
    """
    schema = s.schema
    if not schema.api_keys_encrypted:
        raise Refused(
            f"Langflow {schema.release_label} stores API keys in plaintext and cannot read "
            "encrypted ones; nothing to do until the server runs 1.8 or newer"
        )
    hashed = schema.api_keys_hashed
    legacy = [k for k in _records(s) if k.storage == "plaintext"]
    secret = _secret_for_writing(s) if legacy else None
    done: list[ApiKeyRecord] = []
    skipped: list[tuple[ApiKeyRecord, str]] = []
    for k in legacy:
        column = "api_key_hash" if hashed else "NULL"
        row = execute(s.conn, f"SELECT api_key, {column} FROM apikey WHERE id = :i", i=s.codec.uuid(k.id)).one()
        plaintext, stored_hash = row[0], row[1]
        digest = api_key_hash(plaintext)
        if stored_hash is not None and stored_hash != digest:
            skipped.append((k, "its stored hash is not the hash of its key; left alone"))
            continue
        twin = (
            execute(
                s.conn,
                "SELECT id FROM apikey WHERE api_key_hash = :h AND id <> :i",
                h=digest,
                i=s.codec.uuid(k.id),
            ).first()
            if hashed
            else None
        )
        if twin is not None:
            skipped.append((k, f"key {s.codec.read_uuid(twin[0])} has the same hash; revoke one first"))
            continue
        if not dry_run:
            assert secret is not None
            sets = {"api_key": _encrypt(s, secret, plaintext)} | ({"api_key_hash": digest} if hashed else {})
            assign = ", ".join(f"{name} = :{name}" for name in sets)
            execute(s.conn, f"UPDATE apikey SET {assign} WHERE id = :i", i=s.codec.uuid(k.id), **sets)
            s.subject(key_subject(k))
        done.append(k)
    if not dry_run and done:
        fresh = {k.id: k for k in _records(s)}
        done = [fresh.get(k.id, k) for k in done]
    return LegacyResult(done, skipped)


# -- the commands: each opens (and authenticates) its own transaction on the target -----------


def create(
    target: Target,
    *,
    owner: str | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
    show: Callable[[CreatedKey], None],
) -> CreatedKey:
    """``create_key`` in a transaction of its own. The key exists nowhere but in this result:
    ``show`` hands it over before the transaction commits, so a key that could not be shown
    (its output failed) is rolled back instead of stored unseen."""
    with target.session(write=True) as s:
        made = create_key(s, owner=owner, name=name, expires_at=expires_at)
        show(made)
        return made


@dataclass(frozen=True)
class Listing:
    keys: list[ApiKeyRecord]
    usage_tracked: bool  # False: the server does not update total_uses/last_used_at
    setting: str | None  # the setting that says so


def listing(target: Target, *, owner: str | None = None, all_users: bool = False) -> Listing:
    """``list_keys``, and whether their usage figures are kept up to date."""
    with target.session(write=False) as s:
        keys = list_keys(s, owner=owner, all_users=all_users)
        return Listing(keys, *usage_tracking(s))


def revoke(target: Target, ref: str, *, owner: str | None = None) -> ApiKeyRecord:
    with target.session(write=True) as s:
        return revoke_key(s, ref, owner=owner)


def prune(
    target: Target,
    unused_for: timedelta,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> list[ApiKeyRecord]:
    """``prune_keys`` in a transaction of its own; warns when usage is not tracked."""
    with target.session(write=True, dry_run=dry_run) as s:
        tracked, setting = usage_tracking(s)
        if not tracked:
            s.warn(f"{setting} is true: last-used times are frozen, so 'unused' may be wrong")
        return prune_keys(s, unused_for, dry_run=dry_run, force=force, progress=progress)


def encrypt_legacy(target: Target, *, dry_run: bool = False) -> LegacyResult:
    with target.session(write=True, dry_run=dry_run) as s:
        return encrypt_legacy_keys(s, dry_run=dry_run)
