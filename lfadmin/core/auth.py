"""Who is running lfadmin: the invoking superuser, by Langflow's auto-login rules.

docs/langflow/auth.md §1-§3 and the seed page:
- AUTO_LOGIN=True: "all users are effectively superusers"; Langflow's CLI acts as the configured
  superuser (``LANGFLOW_SUPERUSER``, forced to ``langflow`` by 1.6.x) without credentials.
- AUTO_LOGIN=False: a superuser must prove who they are - an API key (it "adopts the privileges
  of the user who created it"), or a username and password checked against the database: the
  user exists, is active, is a superuser, and the bcrypt hash verifies.
The effective AUTO_LOGIN (and the superuser's name and password) is what ``langflow run`` ends up
with (``LangflowSettings.served``: ``LANGFLOW_X``, then the second pass, so an unprefixed ``X``
counts, the last in environ order winning), else the default of the Langflow release
that made the database (True up to 1.12, False from 1.13.0) - the stricter of the release the
columns prove and a ``--langflow-version`` pin: no option relaxes authentication.

Authentication rests only on what the server itself would check, and says what it proved
(``Actor.evidence``, written to every audit record):
- Under AUTO_LOGIN the acting account must exist and be an active superuser (Langflow creates a
  missing one when the server starts and its ``/auto_login`` falls back to any superuser;
  lfadmin creates nobody and falls back to nobody). First-time setup is ``lfadmin superuser``'s.
- A failed password never says which check failed (unknown user, wrong password, inactive, not
  a superuser): a message that differed would confirm a right password. bcrypt runs in every
  case, against a dummy hash when there is no user, so the time taken does not tell either.
  API keys fail the same way.
- ``LANGFLOW_API_KEY_SOURCE=env``'s static key is refused: lfadmin reads it from the invoker's
  own environment, so presenting it proves nothing.
We never fall back to the insecure default ``langflow``/``langflow``.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from lfadmin.core import user_rows
from lfadmin.core.actor import Actor, Credentials
from lfadmin.core.session import Session
from lfadmin.db import execute
from lfadmin.errors import AuthFailed
from lfadmin.langflow.codec import utcnow
from lfadmin.langflow.crypto import api_key_hash, decrypt, looks_encrypted, verify_password
from lfadmin.langflow.env import Value
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LEGACY_DEFAULT_PASSWORD


def effective_auto_login(s: Session) -> tuple[bool, str]:
    return s.settings.effective_auto_login(s.schema)


def auto_login_superuser(s: Session) -> str:
    if s.schema.superuser_forced_under_auto_login:
        return DEFAULT_SUPERUSER  # 1.6.x validator forces it (docs/langflow/settings.md §10)
    return s.settings.login_superuser(s.schema).raw


def authenticate(s: Session, creds: Credentials) -> Actor:
    """The invoker, proven; ``AuthFailed`` otherwise. Who was claimed (name, method) is noted
    for the audit record first, so a failed attempt is recorded under the name it used."""
    auto, why = effective_auto_login(s)
    if auto:
        s.audit_note.claimed = (auto_login_superuser(s), "auto-login")
        return _by_auto_login(s, why)
    rule = f"LANGFLOW_AUTO_LOGIN=False ({why})"

    if creds.api_key is not None:
        s.audit_note.claimed = (None, "api-key")
        return _by_api_key(s, creds.api_key, f"{rule}; API key from --api-key-stdin", "--api-key-stdin")

    configured = s.settings.login_superuser(s.schema).raw
    username = creds.username or configured
    password, source = creds.password, "--auth-password-stdin"
    if password is None and username == configured:
        env_pw = s.settings.login_superuser_password(s.schema)
        if env_pw is not None:
            password, source = env_pw.raw, env_pw.describe()
    if password is None:
        env_key = s.settings.env.exact("LANGFLOW_API_KEY")
        if env_key is not None and creds.username is None:
            s.audit_note.claimed = (None, "api-key")
            where = env_key.describe()
            return _by_api_key(s, env_key.raw, f"{rule}; API key from {where}", where)
    s.audit_note.claimed = (username, "password")
    if password is None and creds.prompt is not None:
        password, source = creds.prompt(f"Password for superuser {username!r}"), "prompt"
    if password is None:
        if user_rows.count_active_superusers(s) == 0:
            raise AuthFailed(
                f"{rule}: no active superuser exists yet",
                hint="create the first one with: lfadmin superuser --username NAME",
            )
        raise AuthFailed(
            f"{rule}: a superuser must authenticate",
            hint="set LANGFLOW_SUPERUSER and LANGFLOW_SUPERUSER_PASSWORD (env or --env-file), "
            "or pipe a password to --auth-password-stdin (with --as NAME), "
            "or a superuser's API key to --api-key-stdin",
        )
    return _by_password(s, username, password, f"{rule}; password for {username!r} from {source}", source)


def _by_auto_login(s: Session, why: str) -> Actor:
    """The server's auto-login account, which must be there: an active superuser."""
    name = auto_login_superuser(s)
    rule = f"LANGFLOW_AUTO_LOGIN=True ({why})"
    row = user_rows.find_user(s, name)
    if row is None:
        raise AuthFailed(
            f"{rule}: the auto-login superuser {name!r} does not exist in this database "
            "(Langflow creates it when the server starts; lfadmin does not)",
            hint="start Langflow once with these settings, or set LANGFLOW_AUTO_LOGIN=false and authenticate",
        )
    if not (row.is_active and row.is_superuser):
        flaws = [("inactive", not row.is_active), ("not a superuser", not row.is_superuser)]
        what = " and ".join(word for word, bad in flaws if bad)
        raise AuthFailed(
            f"{rule}: the auto-login account {name!r} is {what}, so it cannot act as a superuser",
            hint=(
                "set LANGFLOW_AUTO_LOGIN=false and authenticate"
                if s.schema.superuser_forced_under_auto_login  # 1.6 ignores LANGFLOW_SUPERUSER here
                else "set LANGFLOW_SUPERUSER to an active superuser, or set LANGFLOW_AUTO_LOGIN=false and authenticate"
            ),
        )
    return Actor(
        row.username,
        row.id,
        "auto-login",
        f"{rule}: acting as superuser {name!r} without credentials",
        f"no credential checked: LANGFLOW_AUTO_LOGIN=True ({why}) lets anyone act as the server's "
        f"auto-login account; {name!r} exists and is an active superuser",
    )


# A bcrypt hash (cost 12, as Langflow's) of a random string nobody knows: verified when there is
# no real hash to verify, so an unknown user costs the same time as a wrong password.
_DUMMY_HASH = "$2b$12$V4DFcJDXhILIAi3JQJF3Uuq32Xpw6Sr5eOGrrv0IIz791eHlJ41PS"


def _by_password(s: Session, username: str, password: str, rule: str, source: str) -> Actor:
    if (
        s.schema.refuses_legacy_password
        and password == LEGACY_DEFAULT_PASSWORD
        and username in {DEFAULT_SUPERUSER, s.settings.login_superuser(s.schema).raw}
    ):
        # Decided by what was typed alone: it says nothing about the account.
        proven = (s.schema.proven_lo or s.schema.lo) >= (1, 10, 0)
        raise AuthFailed(
            f"{rule}: Langflow {s.schema.proven_label if proven else s.schema.release_label} refuses "
            f"the legacy default password for {username!r}"
        )
    row = user_rows.find_user(s, username)
    stored = user_rows.password_hash(s, row.id) if row is not None else None
    real = bool(stored) and str(stored).startswith("$2")
    verified = verify_password(password, stored if real else _DUMMY_HASH) and real
    if row is None or not verified or not row.is_active or not row.is_superuser:
        # One message whatever failed (Langflow's login says "Incorrect username or password").
        raise AuthFailed(
            f"{rule}: authentication as {username!r} failed: wrong password, or not an existing "
            "active superuser (lfadmin does not say which)"
        )
    return Actor(
        row.username,
        row.id,
        "password",
        rule,
        f"the password from {source} verifies against {row.username!r}'s bcrypt hash in the "
        "database; the account is an active superuser",
    )


def _by_api_key(s: Session, key: str, rule: str, source: str) -> Actor:
    key = key.strip()
    match = authenticate_key(s, key)
    if match is None:
        static = static_env_key(s, key)
        if static is not None:
            raise AuthFailed(
                f"{rule}: with LANGFLOW_API_KEY_SOURCE=env the server's API key is "
                f"{static.describe()} itself, a value given to lfadmin by whoever runs it, so "
                "presenting it proves nothing",
                hint="authenticate with a superuser's password, or a superuser's API key stored in the database",
            )
    row = user_rows.find_user_by_id(s, match.user_id) if match is not None else None
    if match is None or row is None or not row.is_active or not row.is_superuser:
        # One message whatever failed: a different one would confirm that the key is valid.
        raise AuthFailed(
            f"{rule}: the API key does not authenticate an active superuser of Langflow "
            f"{s.schema.release_label} (unknown, revoked or expired, or its owner is inactive or "
            "not a superuser; lfadmin does not say which)"
        )
    return Actor(
        row.username,
        row.id,
        "api-key",
        rule,
        f"the API key from {source} matches apikey row {match.key_id} in the database, owned by "
        f"{row.username!r}, an active superuser",
    )


# -- API keys: which user a presented key authenticates as ----------------------------------


@dataclass(frozen=True)
class KeyMatch:
    key_id: uuid.UUID
    user_id: uuid.UUID


def static_env_key(s: Session, presented: str) -> Value | None:
    """``LANGFLOW_API_KEY`` when ``presented`` is it and ``API_KEY_SOURCE=env`` makes it the
    server's key (``Schema.api_key_source_env``; Langflow maps it to the configured superuser).

    lfadmin reads that variable from the environment of whoever runs it, so a match proves
    nothing: ``authenticate_key`` never accepts it, and the caller says why."""
    if not s.schema.api_key_source_env or s.settings.value("API_KEY_SOURCE", s.schema.hi) != "env":
        return None
    static = s.settings.env.exact("LANGFLOW_API_KEY")
    if static is not None and hmac.compare_digest(static.raw.encode(), presented.encode()):
        return static
    return None


def authenticate_key(s: Session, presented: str) -> KeyMatch | None:
    """Which user ``presented`` authenticates as among the keys stored in the database, by the
    detected release's rules (docs/langflow/crypto.md §4).

    Read-only: unlike Langflow we neither count the use nor backfill a missing hash.
    The owner's ``is_active`` is the caller's to check (every release refuses inactive owners).
    ``API_KEY_SOURCE=env``'s static key is not looked at (``static_env_key``).
    """
    schema, c = s.schema, s.codec
    enforce_active = schema.api_key_expiry  # is_active/expires_at enforced from 1.10.0
    active = " AND is_active = :t" if enforce_active else ""
    expiry = ", expires_at" if schema.api_key_expiry else ""
    if schema.api_keys_hashed:
        rows = execute(
            s.conn,
            f"SELECT id, user_id{expiry} FROM apikey WHERE api_key_hash = :h{active}",
            h=api_key_hash(presented),
            t=c.boolean(True),
        ).all()
        if len(rows) > 1:
            return None  # Langflow refuses an ambiguous hash
        if rows:
            return _unexpired(s, rows[0])
        candidates = execute(
            s.conn,
            f"SELECT id, user_id{expiry}, api_key FROM apikey WHERE api_key_hash IS NULL{active}",
            t=c.boolean(True),
        ).all()
    else:
        candidates = execute(s.conn, "SELECT id, user_id, api_key FROM apikey").all()

    # Up to 1.7 the check is plaintext equality only; 1.8+ also decrypt each stored token.
    secret = s.settings.secret_key() if schema.api_keys_decrypted_on_check else None
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
