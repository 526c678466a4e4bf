"""What a settings check reads: Langflow's settings for one release, plus what the database part found.

Built on ``lfadmin.langflow.env.Environment`` (values in environ order, each with its origin):

- ``LANGFLOW_<FIELD>`` is matched case-insensitively, the last one in environ order wins
  (pydantic-settings, docs/langflow/settings.md §1);
- then ``run``'s second pass (docs/langflow/settings.md §4): for every variable in environ order whose name,
  with ``LANGFLOW_`` removed, is exactly an ``AuthSettings`` attribute (``AUTO_LOGIN``,
  ``SUPERUSER``, ...), that value is assigned again, so the last of ``X``/``LANGFLOW_X`` wins and
  unprefixed names count. ``skip_auth_auto_login`` is a lower-case attribute and is not reached;
- values are parsed like Langflow (§1.7); a value Langflow refuses is recorded in ``refused``
  (the doctor turns each into a "Langflow will not start" finding) and the default is used so the
  other checks can still run;
- defaults per release come from docs/langflow/settings.md §10 (1.6.9, 1.10.3, 1.13.0 columns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lfadmin.core.doctor.model import Evidence
from lfadmin.langflow.env import PREFIX, Environment, Origin, Value, parse_bool
from lfadmin.redact import quote_value, showable, url_secrets

Version = tuple[int, int, int]
NEWEST: Version = (1, 13, 0)


class _Absent:
    """The setting does not exist in that release."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Spec:
    kind: str  # bool | int | str | secret | literal | algorithm | origins | corslist | dict
    defaults: tuple[Any, Any, Any]  # 1.6.9, 1.10.3, 1.13.0 (docs/langflow/settings.md §10); ABSENT = no such field
    auth: bool = False  # an AuthSettings attribute run's second pass assigns (§1.4)
    choices: tuple[str, ...] = ()


_B, _I, _S = "bool", "int", "str"
SPECS: dict[str, Spec] = {
    # AuthSettings (A.1)
    "AUTO_LOGIN": Spec(_B, (True, True, False), auth=True),
    "SKIP_AUTH_AUTO_LOGIN": Spec(_B, (False, False, False)),  # lower-case attribute: no 2nd pass
    "ENABLE_SUPERUSER_CLI": Spec(_B, (True, True, True), auth=True),
    "NEW_USER_IS_ACTIVE": Spec(_B, (False, False, False), auth=True),
    "SUPERUSER": Spec(_S, ("langflow", "langflow", "langflow"), auth=True),
    "SUPERUSER_PASSWORD": Spec("secret", ("langflow", "", ""), auth=True),
    "SECRET_KEY": Spec("secret", ("", "", ""), auth=True),
    "ALGORITHM": Spec("algorithm", ("HS256", "HS256", "HS256"), auth=True),
    "ACCESS_TOKEN_EXPIRE_SECONDS": Spec(_I, (3600, 3600, 3600), auth=True),
    "REFRESH_TOKEN_EXPIRE_SECONDS": Spec(_I, (604800, 604800, 604800), auth=True),
    "REFRESH_SAME_SITE": Spec("literal", ("none", "none", "lax"), True, ("lax", "strict", "none")),
    "REFRESH_SECURE": Spec(_B, (True, True, False), auth=True),
    "REFRESH_HTTPONLY": Spec(_B, (True, True, True), auth=True),
    "ACCESS_SAME_SITE": Spec("literal", ("lax", "lax", "lax"), True, ("lax", "strict", "none")),
    "ACCESS_SECURE": Spec(_B, (False, False, False), auth=True),
    "ACCESS_HTTPONLY": Spec(_B, (False, True, True), auth=True),
    "API_KEY_SOURCE": Spec("literal", (ABSENT, "db", "db"), True, ("db", "env")),
    "WEBHOOK_AUTH_ENABLE": Spec(_B, (ABSENT, True, True), auth=True),
    "ENABLE_SIGNUP": Spec(_B, (ABSENT, True, True), auth=True),
    "EXTERNAL_AUTH_ENABLED": Spec(_B, (ABSENT, ABSENT, False), auth=True),
    "EXTERNAL_AUTH_TRUSTED_JWT_DECODE": Spec(_B, (ABSENT, ABSENT, False), auth=True),
    "EXTERNAL_AUTH_JWKS_URL": Spec("https", (ABSENT, ABSENT, None), auth=True),
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
    "ALLOW_CUSTOM_COMPONENTS": Spec(_B, (ABSENT, True, True)),
    "CUSTOM_COMPONENT_ADMIN_ONLY": Spec(_B, (ABSENT, False, False)),
    "RESTRICT_LOCAL_FILE_ACCESS": Spec(_B, (ABSENT, False, True)),
    "SSRF_PROTECTION_ENABLED": Spec(_B, (ABSENT, True, True)),
    "SSRF_ALLOWED_HOSTS": Spec("list", (ABSENT, [], [])),
    "CONNECTOR_SSRF_VALIDATION_ENABLED": Spec(_B, (ABSENT, True, True)),
    "RATE_LIMIT_ENABLED": Spec(_B, (ABSENT, True, True)),
    "RATE_LIMIT_TRUST_PROXY": Spec(_B, (ABSENT, False, False)),
    "DEVELOPER_API_ENABLED": Spec(_B, (ABSENT, False, False)),
    "SQLITE_PRAGMAS": Spec("dict", (None, None, None)),
    "DB_CONNECTION_SETTINGS": Spec("dict", (None, None, None)),
    "DB_DRIVER_CONNECTION_SETTINGS": Spec("dict", (None, None, None)),
}

# AuthSettings attributes with no check of their own that the second pass still assigns
# (docs/langflow/settings.md §4 names CONFIG_DIR; SSO_*/AUTHZ_* are matched by prefix below).
_OTHER_AUTH_NAMES = frozenset({"CONFIG_DIR", "PRIVATE_KEY", "PUBLIC_KEY", "COOKIE_DOMAIN", "API_KEY_ALGORITHM"})
SECRET_FIELDS = frozenset({"SECRET_KEY", "SUPERUSER_PASSWORD", "PRIVATE_KEY", "CACHE_SIGNING_KEY"})


def tier(version: Version) -> int:
    """0 = behaves like 1.6.9, 1 = like 1.10.3, 2 = like 1.13.0 (docs/langflow/releases.md §1)."""
    if version < (1, 10, 0):
        return 0
    if version < (1, 13, 0):
        return 1
    return 2


def is_auth_name(name: str, version: Version) -> bool:
    """Would ``run``'s second pass assign ``name`` (already stripped of ``LANGFLOW_``)?"""
    spec = SPECS.get(name)
    if spec is not None:
        return spec.auth and spec.defaults[tier(version)] is not ABSENT
    if name in _OTHER_AUTH_NAMES:
        return True
    return tier(version) >= 1 and name.startswith(("SSO_", "AUTHZ_", "EXTERNAL_AUTH_"))


def mask(value: str) -> str:
    if value == "":
        return "(empty)"
    return f"****** ({len(value)} characters)"


def url_has_password(url: str) -> bool:
    """Does the URL carry a credential (in its user info or a query parameter such as password=)?"""
    return bool(url_secrets(url))


@dataclass
class EnvContext(ReleaseSettings):
    facts: dict[str, Any] = field(default_factory=dict)  # from the database part, when it ran
    database_url_option: str | None = None
    refused: list[Setting] = field(default_factory=list)
    _cache: dict[str, Setting] = field(default_factory=dict)

    @property
    def tier(self) -> int:
        return tier(self.version)

    # -- lookup -------------------------------------------------------------------------------
    def env_fields(self) -> list[str]:
        return [name for name in SPECS if self.exists(name)]

    def exists(self, name: str) -> bool:
        return SPECS[name].defaults[self.tier] is not ABSENT

    def get(self, name: str) -> Setting:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        spec = SPECS[name]
        default = spec.defaults[self.tier]
        if default is ABSENT:
            setting = Setting(name, None, None, version_label=self.version_label)
            self._cache[name] = setting
            return setting
        candidates = [v for v in (self.env.setting(name), self._second_pass(name)) if v is not None]
        setting = Setting(name, default, None, version_label=self.version_label)
        for val in candidates:  # pydantic's value is validated first, then the second pass's
            ok, parsed, why = self._parse(spec, val.raw)
            if not ok:
                bad = Setting(name, default, val, why, self.version_label)
                if all(r.source != val for r in self.refused):
                    self.refused.append(bad)
                continue
            setting = Setting(name, parsed, val, version_label=self.version_label)
        self._cache[name] = setting
        return setting

    def value(self, name: str) -> Any:
        return self.get(name).value

    def _second_pass(self, name: str) -> Value | None:
        if not is_auth_name(name, self.version):
            return None
        found = None
        for val in self.env:
            if val.name.replace(PREFIX, "") == name:
                found = val
        return found

    def unprefixed(self) -> list[Value]:
        """Variables only ``langflow run`` honours: AuthSettings names without the prefix."""
        return [v for v in self.env if not v.name.startswith(PREFIX) and is_auth_name(v.name, self.version)]

    def exact(self, name: str) -> Value | None:
        return self.env.exact(name)

    # -- parsing (docs/langflow/settings.md §6) -----------------------------------------------------------
    def _parse(self, spec: Spec, raw: str) -> tuple[bool, Any, str]:
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
            if self.tier == 0 or raw in ("HS256", "RS256", "RS512"):
                return True, raw, ""
            return False, None, f"{quote_value(raw)} is not one of HS256, RS256, RS512"
        if kind == "origins":
            return True, parse_origins(raw, self.tier), ""
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

    # -- derived facts ------------------------------------------------------------------------
    def auto_login(self) -> bool:
        return bool(self.value("AUTO_LOGIN"))

    def loopback(self) -> bool:
        return is_loopback(str(self.value("HOST")))

    def cors_wildcard(self) -> bool:
        origins = self.value("CORS_ORIGINS")
        return origins == "*" or (isinstance(origins, list) and "*" in origins)

    def config_dir(self) -> tuple[Path, Origin]:
        from lfadmin.langflow.settings import LangflowSettings

        settings = LangflowSettings(self.env)
        return settings.config_dir, settings.config_dir_origin

    def database_url(self) -> str | None:
        if self.database_url_option:
            return self.database_url_option
        val = self.env.exact("LANGFLOW_DATABASE_URL")
        return val.raw if val is not None else None

    def sqlite_path(self) -> Path | None:
        url = self.database_url()
        if url is None:
            return None
        for prefix in ("sqlite+aiosqlite:///", "sqlite+pysqlite:///", "sqlite:///"):
            if url.startswith(prefix):
                rest = url[len(prefix) :].split("?", 1)[0]
                return Path(rest) if rest and rest != ":memory:" else None
        return None

    def open_active_signup(self) -> bool:
        """Anyone can register an account that is active at once (D11)."""
        if not self.value("NEW_USER_IS_ACTIVE"):
            return False
        if self.tier == 0:
            return True  # 1.6.9: POST /api/v1/users/ is always open
        return bool(self.value("ENABLE_SIGNUP")) and not self.auto_login()


def evidence(s: Setting) -> Evidence:
    """A setting as a finding shows it: its variable, value (secrets masked) and where it came from."""
    if s.source is None:
        return Evidence(s.variable, s.shown(), f"default (Langflow {s.version_label})")
    origin = s.source.origin
    return Evidence(s.variable, s.shown(), str(origin), origin.path, origin.line)
