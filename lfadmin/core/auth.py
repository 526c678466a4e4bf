"""Who is running lfadmin: the invoking superuser, by Langflow's auto-login rules.

docs/langflow/auth.md §1-§3 and the seed page:
- AUTO_LOGIN=True: "all users are effectively superusers"; Langflow's CLI acts as the configured
  superuser (``LANGFLOW_SUPERUSER``, forced to ``langflow`` by 1.6.x) without credentials.
- AUTO_LOGIN=False: a superuser must prove who they are - an API key (it "adopts the privileges
  of the user who created it"), or a username and password checked against the database: the
  user exists, is active, is a superuser, and the bcrypt hash verifies.
The effective AUTO_LOGIN is the env/env-file value, else the default of the Langflow release
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

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from lfadmin.errors import AuthFailed
from lfadmin.langflow.crypto import verify_password
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LEGACY_DEFAULT_PASSWORD

if TYPE_CHECKING:
    from lfadmin.core.target import Session


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: UUID | None
    method: str  # "auto-login" | "password" | "api-key" | "first-setup" | "break-glass"
    rule: str  # one sentence: which rule made this the actor
    evidence: str = ""  # what was checked against the database (audited), not what was assumed

    def describe(self) -> str:
        return f"{self.username} ({self.method})"


@dataclass
class Credentials:
    """What the invoker supplied; ``prompt`` asks on a terminal (None when there is none)."""

    username: str | None = None  # --as
    password: str | None = None  # --auth-password-stdin
    api_key: str | None = None  # --api-key-stdin
    prompt: Callable[[str], str] | None = None


def effective_auto_login(s: Session) -> tuple[bool, str]:
    val = s.settings.env.setting("AUTO_LOGIN")
    if val is not None:
        return s.settings.env.boolean("AUTO_LOGIN", False), f"set in {val.origin.where()}"
    default = s.schema.auto_login_default
    if default != (s.schema.hi < (1, 13, 0)):  # a pin that would have relaxed it
        return default, (
            f"the default of Langflow {s.schema.proven_label}, which this database's schema proves; "
            "--langflow-version does not relax authentication"
        )
    return default, f"the default of Langflow {s.schema.release_label}"


def auto_login_superuser(s: Session) -> str:
    if s.schema.superuser_forced_under_auto_login:
        return DEFAULT_SUPERUSER  # 1.6.x validator forces it (docs/langflow/settings.md §10)
    return s.settings.superuser_name().raw


def authenticate(s: Session, creds: Credentials) -> Actor:
    auto, why = effective_auto_login(s)
    if auto:
        return _by_auto_login(s, why)
    rule = f"LANGFLOW_AUTO_LOGIN=False ({why})"

    if creds.api_key is not None:
        return _by_api_key(s, creds.api_key, f"{rule}; API key from --api-key-stdin", "--api-key-stdin")

    configured = s.settings.superuser_name().raw
    username = creds.username or configured
    password, source = creds.password, "--auth-password-stdin"
    if password is None and username == configured:
        env_pw = s.settings.superuser_password()
        if env_pw is not None:
            password, source = env_pw.raw, env_pw.describe()
    if password is None:
        env_key = s.settings.env.exact("LANGFLOW_API_KEY")
        if env_key is not None and creds.username is None:
            where = env_key.describe()
            return _by_api_key(s, env_key.raw, f"{rule}; API key from {where}", where)
    if password is None and creds.prompt is not None:
        password, source = creds.prompt(f"Password for superuser {username!r}"), "prompt"
    if password is None:
        from lfadmin.core import users

        if users.count_active_superusers(s) == 0:
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
    from lfadmin.core import users

    name = auto_login_superuser(s)
    rule = f"LANGFLOW_AUTO_LOGIN=True ({why})"
    row = users.find_user(s, name)
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
    from lfadmin.core import users

    if (
        s.schema.refuses_legacy_password
        and password == LEGACY_DEFAULT_PASSWORD
        and username in {DEFAULT_SUPERUSER, s.settings.superuser_name().raw}
    ):
        # Decided by what was typed alone: it says nothing about the account.
        proven = (s.schema.proven_lo or s.schema.lo) >= (1, 10, 0)
        raise AuthFailed(
            f"{rule}: Langflow {s.schema.proven_label if proven else s.schema.release_label} refuses "
            f"the legacy default password for {username!r}"
        )
    row = users.find_user(s, username)
    stored = users.password_hash(s, row.id) if row is not None else None
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
    from lfadmin.core import api_keys, users

    key = key.strip()
    match = api_keys.authenticate_key(s, key)
    if match is None:
        static = api_keys.static_env_key(s, key)
        if static is not None:
            raise AuthFailed(
                f"{rule}: with LANGFLOW_API_KEY_SOURCE=env the server's API key is "
                f"{static.describe()} itself, a value given to lfadmin by whoever runs it, so "
                "presenting it proves nothing",
                hint="authenticate with a superuser's password, or a superuser's API key stored in the database",
            )
    row = users.find_user_by_id(s, match.user_id) if match is not None else None
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
