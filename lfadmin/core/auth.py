"""Who is running lfadmin: the invoking superuser, by Langflow's auto-login rules.

SETTINGS.md §6 and the seed page:
- AUTO_LOGIN=True: "all users are effectively superusers"; Langflow's CLI acts as the configured
  superuser (``LANGFLOW_SUPERUSER``, forced to ``langflow`` by 1.6.x) without credentials.
- AUTO_LOGIN=False: a superuser must prove who they are - an API key (it "adopts the privileges
  of the user who created it"), or a username and password checked against the database: the
  user exists, is active, is a superuser, and the bcrypt hash verifies.
The effective AUTO_LOGIN is the env/env-file value, else the default of the Langflow release
that made the database (True up to 1.12, False from 1.13.0).
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
    from lfadmin.core.session import Session


@dataclass(frozen=True)
class Actor:
    username: str
    user_id: UUID | None
    method: str  # "auto-login" | "password" | "api-key" | "first-setup"
    rule: str  # one sentence: which rule made this the actor

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
    return default, f"the default of Langflow {s.schema.release_label}"


def auto_login_superuser(s: Session) -> str:
    if s.schema.superuser_forced_under_auto_login:
        return DEFAULT_SUPERUSER  # 1.6.x validator forces it (SETTINGS.md §3)
    return s.settings.superuser_name().raw


def authenticate(s: Session, creds: Credentials) -> Actor:
    from lfadmin.core import users

    auto, why = effective_auto_login(s)
    if auto:
        name = auto_login_superuser(s)
        row = users.find_user(s, name)
        return Actor(
            name,
            row.id if row else None,
            "auto-login",
            f"LANGFLOW_AUTO_LOGIN=True ({why}): acting as superuser {name!r} without credentials",
        )
    rule = f"LANGFLOW_AUTO_LOGIN=False ({why})"

    if creds.api_key is not None:
        return _by_api_key(s, creds.api_key, f"{rule}; API key from --api-key-stdin")

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
            return _by_api_key(s, env_key.raw, f"{rule}; API key from {env_key.describe()}")
    if password is None and creds.prompt is not None:
        password, source = creds.prompt(f"Password for superuser {username!r}"), "prompt"
    if password is None:
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
    return _by_password(s, username, password, f"{rule}; password for {username!r} from {source}")


def _by_password(s: Session, username: str, password: str, rule: str) -> Actor:
    from lfadmin.core import users

    row = users.find_user(s, username)
    if row is None:
        raise AuthFailed(f"{rule}: no user {username!r} in the database")
    if (
        s.schema.refuses_legacy_password
        and password == LEGACY_DEFAULT_PASSWORD
        and username in {DEFAULT_SUPERUSER, s.settings.superuser_name().raw}
    ):
        raise AuthFailed(
            f"{rule}: Langflow {s.schema.release_label} refuses the legacy default password "
            f"for {username!r}"
        )
    if not verify_password(password, users.password_hash(s, row.id)):
        raise AuthFailed(f"{rule}: wrong password for {username!r}")
    if not row.is_active:
        raise AuthFailed(f"{rule}: superuser {username!r} is inactive")
    if not row.is_superuser:
        raise AuthFailed(f"{rule}: {username!r} is not a superuser")
    return Actor(row.username, row.id, "password", rule)


def _by_api_key(s: Session, key: str, rule: str) -> Actor:
    from lfadmin.core import api_keys, users

    match = api_keys.authenticate_key(s, key.strip())
    if match is None:
        raise AuthFailed(f"{rule}: the API key is not valid for Langflow {s.schema.release_label}")
    row = users.find_user_by_id(s, match.user_id)
    if row is None:
        raise AuthFailed(f"{rule}: the API key's owner no longer exists")
    if not row.is_active:
        raise AuthFailed(f"{rule}: the API key belongs to {row.username!r}, who is inactive")
    if not row.is_superuser:
        raise AuthFailed(
            f"{rule}: the API key belongs to {row.username!r}, who is not a superuser "
            "(an API key has its owner's privileges)"
        )
    return Actor(row.username, row.id, "api-key", rule)
