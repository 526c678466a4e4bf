"""Langflow's settings fields, per release: which exist, their defaults, how a value is parsed.

The table behind ``lfadmin.langflow.settings`` (the model every part of lfadmin reads):

- defaults per release come from docs/langflow/settings.md §10: three columns (from 1.6.0, 1.10.0,
  1.13.0) and, where a default moves between them, ``Spec.since`` keyed by the first release
  that has it, so any 1.6.0-1.13.x is looked up right; a field a release does not have is
  ``ABSENT`` there. ``default(name, version)`` is the one place a
  default is looked up (AUTO_LOGIN's among them: on up to 1.12, off from 1.13.0 -
  ``lfx/services/settings/auth.py`` ``AuthSettings.AUTO_LOGIN`` ``default=True`` in lfx 1.12.0 and
  langflow's own ``services/settings/auth.py`` in 1.6.9, ``False`` in 1.13.0);
- ``is_auth_name``: the ``AuthSettings`` attributes ``langflow run``'s second pass assigns again
  (docs/langflow/settings.md §4);
- ``parse_value``: a raw value parsed as Langflow (pydantic) parses it, or why Langflow refuses it
  (docs/langflow/settings.md §6).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

from lfadmin.langflow.env import parse_bool
from lfadmin.langflow.schema import Version
from lfadmin.redact import quote_value


class _Absent:
    """The setting does not exist in that release."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Spec:
    kind: str  # bool | int | str | secret | literal | algorithm | origins | corslist | dict
    defaults: tuple[Any, Any, Any]  # from 1.6.0, 1.10.0, 1.13.0 (docs/langflow/settings.md §10); ABSENT = no such field
    auth: bool = False  # an AuthSettings attribute run's second pass assigns (§1.4)
    choices: tuple[str, ...] = ()
    # Where the default moves inside those ranges: {first release with it: default}.
    since: tuple[tuple[Version, Any], ...] = ()


_B, _I, _S = "bool", "int", "str"
# Boundaries inside the three columns, read in the wheels of every patch release that matters
# (lfx's ``services/settings/auth.py`` and ``base.py``; langflow 1.7.x needs lfx 0.2.x, 1.8.x
# 0.3.x, 1.9.N lfx~=0.4.N, 1.10+ the lfx of its own number): 1.7 (there is no 1.7.0; lfx 0.2.0)
# adds API_KEY_SOURCE, WEBHOOK_AUTH_ENABLE=False, ssrf_protection_enabled=False and
# ssrf_allowed_hosts; 1.8 (lfx 0.3.0) developer_api_enabled; 1.9.0 (lfx 0.4.0)
# allow_custom_components; 1.9.1 (lfx 0.4.1) turns WEBHOOK_AUTH_ENABLE on, 1.9.3 (lfx 0.4.3)
# ssrf_protection_enabled; 1.11.0 adds EXTERNAL_AUTH_*; 1.11.1 makes the refresh cookie
# SameSite=lax, not Secure; 1.12.3 turns restrict_local_file_access on.
_V7, _V11, _V11_1 = (1, 7, 0), (1, 11, 0), (1, 11, 1)
_COLUMNS = ((1, 0, 0), (1, 10, 0), (1, 13, 0))
SPECS: dict[str, Spec] = {
    # AuthSettings (A.1)
    "AUTO_LOGIN": Spec(_B, (True, True, False), auth=True),  # lfadmin's one AUTO_LOGIN default
    "SKIP_AUTH_AUTO_LOGIN": Spec(_B, (False, False, False)),  # lower-case attribute: no 2nd pass
    "ENABLE_SUPERUSER_CLI": Spec(_B, (True, True, True), auth=True),
    "NEW_USER_IS_ACTIVE": Spec(_B, (False, False, False), auth=True),
    "SUPERUSER": Spec(_S, ("langflow", "langflow", "langflow"), auth=True),
    "SUPERUSER_PASSWORD": Spec("secret", ("langflow", "", ""), auth=True),
    "SECRET_KEY": Spec("secret", ("", "", ""), auth=True),
    "ALGORITHM": Spec("algorithm", ("HS256", "HS256", "HS256"), auth=True),
    "ACCESS_TOKEN_EXPIRE_SECONDS": Spec(_I, (3600, 3600, 3600), auth=True),
    "REFRESH_TOKEN_EXPIRE_SECONDS": Spec(_I, (604800, 604800, 604800), auth=True),
    "REFRESH_SAME_SITE": Spec("literal", ("none", "none", "lax"), True, ("lax", "strict", "none"), ((_V11_1, "lax"),)),
    "REFRESH_SECURE": Spec(_B, (True, True, False), auth=True, since=((_V11_1, False),)),
    "REFRESH_HTTPONLY": Spec(_B, (True, True, True), auth=True),
    "ACCESS_SAME_SITE": Spec("literal", ("lax", "lax", "lax"), True, ("lax", "strict", "none")),
    "ACCESS_SECURE": Spec(_B, (False, False, False), auth=True),
    "ACCESS_HTTPONLY": Spec(_B, (False, True, True), auth=True),
    "API_KEY_SOURCE": Spec("literal", (ABSENT, "db", "db"), True, ("db", "env"), ((_V7, "db"),)),
    "WEBHOOK_AUTH_ENABLE": Spec(_B, (ABSENT, True, True), auth=True, since=((_V7, False), ((1, 9, 1), True))),
    "ENABLE_SIGNUP": Spec(_B, (ABSENT, True, True), auth=True),
    "EXTERNAL_AUTH_ENABLED": Spec(_B, (ABSENT, ABSENT, False), auth=True, since=((_V11, False),)),
    "EXTERNAL_AUTH_TRUSTED_JWT_DECODE": Spec(_B, (ABSENT, ABSENT, False), auth=True, since=((_V11, False),)),
    "EXTERNAL_AUTH_JWKS_URL": Spec("https", (ABSENT, ABSENT, None), auth=True, since=((_V11, None),)),
    # Settings (A.2)
    "HOST": Spec(_S, ("localhost", "localhost", "localhost")),
    "PORT": Spec(_I, (7860, 7860, 7860)),
    "WORKERS": Spec(_I, (1, 1, 1)),
    "CORS_ORIGINS": Spec("origins", ("*", "*", "*")),
    "CORS_ALLOW_CREDENTIALS": Spec(_B, (True, True, True)),
    "CORS_ALLOW_METHODS": Spec("corslist", ("*", "*", "*")),
    "CORS_ALLOW_HEADERS": Spec("corslist", ("*", "*", "*")),
    "SSL_CERT_FILE": Spec(_S, (None, None, None)),
    "SSL_KEY_FILE": Spec(_S, (None, None, None)),
    "DEV": Spec(_B, (False, False, False)),
    "REMOVE_API_KEYS": Spec(_B, (False, False, False)),
    "DISABLE_TRACK_APIKEY_USAGE": Spec(_B, (False, False, False)),
    "SAVE_DB_IN_CONFIG_DIR": Spec(_B, (False, False, False)),
    "FALLBACK_TO_ENV_VAR": Spec(_B, (True, True, True)),
    "ALLOW_CUSTOM_COMPONENTS": Spec(_B, (ABSENT, True, True), since=(((1, 9, 0), True),)),
    "CUSTOM_COMPONENT_ADMIN_ONLY": Spec(_B, (ABSENT, False, False)),
    "RESTRICT_LOCAL_FILE_ACCESS": Spec(_B, (ABSENT, False, True), since=(((1, 12, 3), True),)),
    "SSRF_PROTECTION_ENABLED": Spec(_B, (ABSENT, True, True), since=((_V7, False), ((1, 9, 3), True))),
    "SSRF_ALLOWED_HOSTS": Spec("list", (ABSENT, [], []), since=((_V7, []),)),
    "CONNECTOR_SSRF_VALIDATION_ENABLED": Spec(_B, (ABSENT, True, True)),
    "RATE_LIMIT_ENABLED": Spec(_B, (ABSENT, True, True)),
    "RATE_LIMIT_TRUST_PROXY": Spec(_B, (ABSENT, False, False)),
    "DEVELOPER_API_ENABLED": Spec(_B, (ABSENT, False, False), since=(((1, 8, 0), False),)),
    "MAX_TRANSACTIONS_TO_KEEP": Spec(_I, (3000, 3000, 3000)),  # docs/langflow/run-history.md §2
    "MAX_VERTEX_BUILDS_TO_KEEP": Spec(_I, (3000, 3000, 3000)),
    "MAX_VERTEX_BUILDS_PER_VERTEX": Spec(_I, (2, 50, 50), since=(((1, 8, 0), 50),)),
    "SQLITE_PRAGMAS": Spec("dict", (None, None, None)),
    "DB_CONNECTION_SETTINGS": Spec("dict", (None, None, None)),
    "DB_DRIVER_CONNECTION_SETTINGS": Spec("dict", (None, None, None)),
}

# AuthSettings attributes with no check of their own that the second pass still assigns
# (docs/langflow/settings.md §4 names CONFIG_DIR; SSO_*/AUTHZ_* are matched by prefix below).
_OTHER_AUTH_NAMES = frozenset({"CONFIG_DIR", "PRIVATE_KEY", "PUBLIC_KEY", "COOKIE_DOMAIN", "API_KEY_ALGORITHM"})
SECRET_FIELDS = frozenset({"SECRET_KEY", "SUPERUSER_PASSWORD", "PRIVATE_KEY", "CACHE_SIGNING_KEY"})

# LANGFLOW_DATABASE_URL schemes Langflow starts with: those SQLAlchemy has a dialect for
# (``is_valid_database_url`` in ``set_database_url``: ``langflow/services/settings/base.py:398``
# of 1.6.9, ``lfx/services/settings/groups/database.py:93`` of 1.13.0); ``postgres://`` has none.
SQLITE_SCHEMES = frozenset({"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"})
DATABASE_SCHEMES = SQLITE_SCHEMES | {
    "postgresql",
    "postgresql+psycopg",
    "postgresql+psycopg2",
    "postgresql+asyncpg",
    "postgresql+pg8000",
    "mysql",
    "mysql+pymysql",
    "mysql+aiomysql",
}


def tier(version: Version) -> int:
    """0 = behaves like 1.6.9, 1 = like 1.10.3, 2 = like 1.13.0 (docs/langflow/releases.md §1): for
    behaviour (parsing, which checks apply), never for defaults - ``default`` is exact per release."""
    if version < (1, 10, 0):
        return 0
    if version < (1, 13, 0):
        return 1
    return 2


def default(name: str, version: Version) -> Any:
    """``name``'s default in ``version`` (``ABSENT``: that release has no such setting): the value
    of the last boundary at or before ``version``, the three columns and ``Spec.since`` together."""
    spec = SPECS[name]
    found: Any = ABSENT
    for first, value in sorted((*zip(_COLUMNS, spec.defaults, strict=True), *spec.since), key=lambda b: b[0]):
        if first <= version:
            found = value
    return found


def is_auth_name(name: str, version: Version) -> bool:
    """Would ``run``'s second pass assign ``name`` (already stripped of ``LANGFLOW_``)?"""
    spec = SPECS.get(name)
    if spec is not None:
        return spec.auth and default(name, version) is not ABSENT
    if name in _OTHER_AUTH_NAMES:
        return True
    return tier(version) >= 1 and name.startswith(("SSO_", "AUTHZ_", "EXTERNAL_AUTH_"))


def parse_value(spec: Spec, raw: str, tier_: int) -> tuple[bool, Any, str]:
    """``raw`` as Langflow parses it for ``spec`` in release tier ``tier_``: (True, value, "") or
    (False, None, why Langflow refuses it)."""
    kind = spec.kind
    if kind == "bool":
        b = parse_bool(raw)
        if b is None:
            return False, None, f"{quote_value(raw)} is not a boolean (true/false, 1/0, yes/no, on/off, t/f, y/n)"
        return True, b, ""
    if kind == "int":
        if re.fullmatch(r"\s*[+-]?\d+\s*", raw):
            return True, int(raw), ""
        return False, None, f"{quote_value(raw)} is not an integer"
    if kind == "literal":
        if raw in spec.choices:
            return True, raw, ""
        return False, None, f"{quote_value(raw)} is not one of {', '.join(spec.choices)} (case-sensitive)"
    if kind == "algorithm":
        if tier_ == 0 or raw in ("HS256", "RS256", "RS512"):
            return True, raw, ""
        return False, None, f"{quote_value(raw)} is not one of HS256, RS256, RS512"
    if kind == "origins":
        return True, parse_origins(raw, tier_), ""
    if kind == "https":  # 1.13's validator: the JWKS endpoint must be https (docs/langflow/settings.md §6)
        if raw == "" or raw.startswith("https://"):
            return True, raw or None, ""
        return False, None, f"{quote_value(raw)} is not an https:// URL"
    if kind == "list":  # list[str] fields: comma split, no strip, no JSON (§1.7)
        return True, raw.split(","), ""
    if kind == "corslist":
        try:
            decoded = json.loads(raw)
        except ValueError:
            return True, raw, ""
        return True, decoded if isinstance(decoded, list) else raw, ""
    if kind == "dict":
        try:
            decoded = json.loads(raw)
        except ValueError:
            return False, None, f"{quote_value(raw)} is not a JSON object"
        if not isinstance(decoded, dict):
            return False, None, f"{quote_value(raw)} is not a JSON object"
        return True, decoded, ""
    return True, raw, ""  # str, secret

def parse_origins(raw: str, tier_: int) -> Any:
    """``cors_origins``: JSON list, or comma list stripped; ``"*"`` stays a string."""
    if raw == "*":
        return "*"
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    items = decoded if isinstance(decoded, list) else [p.strip() for p in raw.split(",")]
    if tier_ >= 2 and items == ["*"]:
        return "*"
    return items


def is_loopback(host: str) -> bool:
    """``localhost`` or 127.0.0.0/8 / ::1. Unlike Langflow's banner, ``0.0.0.0`` is not (§9.2)."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


