"""Langflow's settings as the server would resolve them: the one model lfadmin reads them from.

Two levels, because most commands need only what no release changes:

- ``LangflowSettings(env, database_url_option)``: the config dir, the secret key, the
  knowledge-bases dir, the bootstrap superuser, the database URL and its precedence
  (docs/langflow/settings.md §7-§9), and what lfadmin's own authentication goes by as the server
  would (``served``: AUTO_LOGIN, SUPERUSER, SUPERUSER_PASSWORD with ``run``'s second pass;
  ``effective_auto_login(schema)``).
- ``ReleaseSettings(settings, version, label)``: every setting (``fields.SPECS``) as ``langflow run``
  ends up with it for one release - that release's defaults, ``LANGFLOW_<FIELD>`` in any case,
  ``run``'s second pass, values parsed like Langflow and refused values recorded. The doctor
  checks this; ``fields`` holds the per-release table it is built from.

Nothing here writes anything: Langflow creates the config dir and writes ``secret_key`` whenever
it builds its settings, lfadmin deliberately does neither (only ``secrets`` commands write keys, on
request).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfadmin import redact
from lfadmin.errors import DatabaseUnavailable
from lfadmin.files import SECRET_FILE, check_config_dir, read_text
from lfadmin.langflow.env import DEFAULT, PREFIX, Environment, Origin, Value
from lfadmin.langflow.schema import Schema, Version
from lfadmin.langflow.settings.fields import (
    ABSENT,
    SECRET_FIELDS,
    SPECS,
    SQLITE_SCHEMES,
    default,
    is_auth_name,
    is_loopback,
    parse_value,
    tier,
)

DEFAULT_SUPERUSER = "langflow"
# The legacy default password: 1.6.x creates and accepts it; 1.10+ refuses it for the
# bootstrap accounts (docs/langflow/crypto.md §1).
LEGACY_DEFAULT_PASSWORD = "langflow"  # noqa: S105 - a known-insecure value we check for
# ``Settings.knowledge_bases_dir`` default, identical in 1.6.9, 1.10.3 and 1.13.0
# (``langflow/services/settings/base.py:71``, ``lfx/services/settings/groups/paths.py:13``).
DEFAULT_KNOWLEDGE_BASES_DIR = "~/.langflow/knowledge_bases"


@dataclass(frozen=True)
class SecretKey:
    value: str
    source: str  # human description: "LANGFLOW_SECRET_KEY (.env:3)" or "<dir>/secret_key"
    origin: Origin
    path: Path | None = None  # the config-dir file when that is where it came from


@dataclass
class LangflowSettings:
    """What every command reads of Langflow's settings: nothing here depends on the release."""

    env: Environment
    database_url_option: str | None = None
    _config_dir: tuple[Path, Origin] | None = field(default=None, init=False, repr=False)

    # -- config dir ---------------------------------------------------------------------------
    @property
    def config_dir(self) -> Path:
        return self._resolve_config_dir()[0]

    @property
    def config_dir_origin(self) -> Origin:
        return self._resolve_config_dir()[1]

    def _resolve_config_dir(self) -> tuple[Path, Origin]:
        if self._config_dir is None:
            val = self.env.setting("CONFIG_DIR")
            if val is not None and val.raw:
                # 1.10+ resolve() it; a relative value means the same directory either way
                # when lfadmin runs from the server's working directory.
                self._config_dir = (Path(val.raw).expanduser().resolve(), val.origin)
            else:
                from platformdirs import user_cache_dir  # lazy: only when CONFIG_DIR is unset

                self._config_dir = (Path(user_cache_dir("langflow", "langflow")), DEFAULT)
        return self._config_dir

    # -- secret key ---------------------------------------------------------------------------
    def secret_key(self) -> SecretKey | None:
        """The key Langflow would use, or None when it would generate a new one."""
        val = self.env.setting("SECRET_KEY")
        if val is not None and val.raw:
            return SecretKey(val.raw, val.describe(), val.origin)
        path = self.config_dir / "secret_key"
        # Langflow reads the file verbatim with read_text(): no strip, so a trailing
        # newline becomes part of the key (docs/langflow/crypto.md §2 explains what that breaks).
        text = self.config_file_key()
        if not text:
            return None
        redact.register(text)
        return SecretKey(text, str(path), Origin("file", str(path), 1), path)

    def config_file_key(self) -> str | None:
        """``<config dir>/secret_key`` verbatim; None when there is none (or it cannot be read).

        Never through a symbolic link (whoever owns the config dir could otherwise make a root
        run use any file as the key, and a rotation replace it), only a regular file of at most
        64 KiB, strict UTF-8: each of those is one clear error naming the file, as is a config
        dir that is not a directory. A file we may not read is taken as absent, as before."""
        check_config_dir(self.config_dir)
        return read_text(self.config_dir / "secret_key", SECRET_FILE, missing_ok=True, unreadable_ok=True)

    # -- knowledge bases ----------------------------------------------------------------------
    def knowledge_bases_dir(self) -> tuple[Path, Origin] | None:
        """Where Langflow keeps knowledge bases, and where that came from; None when disabled.

        ``LANGFLOW_KNOWLEDGE_BASES_DIR`` (pydantic setting: prefix, any case), else
        ``~/.langflow/knowledge_bases``. Every release expands it with ``Path(...).expanduser()``
        (``~`` is the home of the user Langflow runs as; lfadmin expands its own). Set to an
        empty value, Langflow refuses every knowledge-base operation ("Knowledge bases
        directory is not set in the settings."), so there is nothing there: None. A relative
        value is relative to the server's working directory; lfadmin reads it from its own.
        """
        val = self.env.setting("KNOWLEDGE_BASES_DIR")
        if val is None:
            return Path(DEFAULT_KNOWLEDGE_BASES_DIR).expanduser(), DEFAULT
        if not val.raw:
            return None
        return Path(val.raw).expanduser().absolute(), val.origin

    # -- simple settings ----------------------------------------------------------------------
    def superuser_name(self) -> Value:
        val = self.env.setting("SUPERUSER")
        return val if val is not None and val.raw else Value("LANGFLOW_SUPERUSER", DEFAULT_SUPERUSER, DEFAULT)

    def superuser_password(self) -> Value | None:
        val = self.env.setting("SUPERUSER_PASSWORD")
        return val if val is not None and val.raw else None

    def value(self, name: str, version: Version) -> Any:
        """Setting ``name`` as every command but ``run`` reads it: ``LANGFLOW_<name>`` (any case, the
        last wins), a boolean parsed like Langflow (a value it refuses is an error, exit 4), else
        the default of ``version`` (``fields.default``: the one table; ``ABSENT`` when that
        release has no such setting)."""
        val = self.env.setting(name)
        if val is None:
            return default(name, version)
        return val.boolean() if SPECS[name].kind == "bool" else val.raw

    # -- what the server itself goes by (``langflow run``, second pass included) -----------------
    def second_pass(self, name: str, version: Version) -> list[Value]:
        """The variables ``run``'s second pass assigns to ``AuthSettings.<name>``, in environ order
        (the last one wins): every name that is ``name`` once ``LANGFLOW_`` is removed, exact case,
        when ``name`` is an ``AuthSettings`` attribute of ``version``. Every release 1.6.9-1.13.0
        runs it (``langflow/__main__.py`` ``run()``: 1.6.9 :288-291, 1.7.3/1.8.4 :299-302,
        1.9.6 :303-306, 1.13.0 :573-576)."""
        if not is_auth_name(name, version):
            return []
        return [val for val in self.env if val.name.replace(PREFIX, "") == name]

    def served(self, name: str, version: Version) -> Value | None:
        """The variable the server ends up taking ``name`` from: the second pass's last one, else
        ``LANGFLOW_<name>`` in any case (pydantic); None when neither is set."""
        assigned = self.second_pass(name, version)
        return assigned[-1] if assigned else self.env.setting(name)

    def served_boolean(self, name: str, version: Version) -> bool | None:
        """``served`` for a boolean, parsed: None when unset; any value the server would refuse on
        the way (pydantic's, or one the second pass assigns) is an error, exit 4."""
        for val in [self.env.setting(name), *self.second_pass(name, version)]:
            if val is not None:
                val.boolean()
        val = self.served(name, version)
        return None if val is None else val.boolean()

    def login_superuser(self, schema: Schema) -> Value:
        """The superuser the server takes as ``SUPERUSER``: ``superuser_name`` with the second pass
        (an unprefixed ``SUPERUSER`` counts), empty is unset."""
        val = self.served("SUPERUSER", schema.hi)
        return val if val is not None and val.raw else Value("LANGFLOW_SUPERUSER", DEFAULT_SUPERUSER, DEFAULT)

    def login_superuser_password(self, schema: Schema) -> Value | None:
        """The server's ``SUPERUSER_PASSWORD``, second pass included; None when unset or empty."""
        val = self.served("SUPERUSER_PASSWORD", schema.hi)
        if val is None or not val.raw:
            return None
        redact.register(val.raw)  # an unprefixed one from the invoker's environment too
        return val

    # -- AUTO_LOGIN -----------------------------------------------------------------------------
    def effective_auto_login(self, schema: Schema) -> tuple[bool, str]:
        """AUTO_LOGIN as lfadmin's authentication goes by it, and a phrase saying why.

        The value ``langflow run`` ends up with (``served_boolean``: ``LANGFLOW_AUTO_LOGIN`` in any
        case, then the second pass, so an unprefixed ``AUTO_LOGIN`` counts and the last in environ
        order wins; a value Langflow refuses is an error, exit 4). Else the release default
        (``fields.default``) of the stricter of the release the schema proves and a
        ``--langflow-version`` pin: no option relaxes authentication."""
        auto = self.served_boolean("AUTO_LOGIN", schema.hi)
        val = self.served("AUTO_LOGIN", schema.hi)
        if auto is not None and val is not None:
            return auto, f"set in {val.origin.where()}"
        pinned = bool(default("AUTO_LOGIN", schema.hi))
        if pinned and not default("AUTO_LOGIN", schema.proven_hi or schema.hi):  # a pin would relax it
            return False, (
                f"the default of Langflow {schema.proven_label}, which this database's schema proves; "
                "--langflow-version does not relax authentication"
            )
        return pinned, f"the default of Langflow {schema.release_label}"

    # -- database URL -------------------------------------------------------------------------
    def configured_database_url(self) -> tuple[str, str] | None:
        """``--database-url``, else ``LANGFLOW_DATABASE_URL``, with where it came from; None when
        neither is set. Exact case, empty is unset: Langflow reads it with ``os.getenv``."""
        if self.database_url_option:
            return self.database_url_option, "--database-url"
        val = self.env.exact("LANGFLOW_DATABASE_URL")
        return (val.raw, val.describe()) if val is not None else None

    def database_url(self) -> tuple[str, str]:
        """The URL and where it came from: as configured, else Langflow's default SQLite file
        (docs/langflow/settings.md §8)."""
        configured = self.configured_database_url()
        if configured is not None:
            return configured
        tried: list[str] = []
        for path in self.default_sqlite_paths():
            if path.exists():
                return f"sqlite:///{path}", f"Langflow's default location {path}"
            tried.append(str(path))
        looked = ", ".join(tried) if tried else "nowhere (no langflow package installed beside lfadmin)"
        raise DatabaseUnavailable(
            f"no Langflow database found: LANGFLOW_DATABASE_URL is not set and looked in {looked}",
            hint="pass --database-url URL, set LANGFLOW_DATABASE_URL, or --env-file the server's .env",
        )

    def configured_sqlite_file(self) -> Path | None:
        """The file a configured SQLite URL names; None for no URL, another database, no file or
        ``:memory:``. Read with ``redact.split_url``, not SQLAlchemy: the doctor's settings part
        runs without it."""
        configured = self.configured_database_url()
        parts = redact.split_url(configured[0]) if configured is not None else None
        if parts is None or parts[0] not in SQLITE_SCHEMES or not parts[2].startswith("/"):
            return None
        path = parts[2][1:]
        return Path(path) if path and path != ":memory:" else None

    def default_sqlite_paths(self) -> list[Path]:
        """Where Langflow puts its SQLite file when LANGFLOW_DATABASE_URL is unset."""
        name = "langflow-pre.db" if _langflow_is_prerelease() else "langflow.db"
        if self.env.boolean("SAVE_DB_IN_CONFIG_DIR", False):
            return [self.config_dir / name]
        pkg = _langflow_package_dir()
        return [pkg / name] if pkg is not None else []


@dataclass
class Setting:
    """One effective setting: the parsed value, and the variable (if any) it came from."""

    field: str
    value: Any
    source: Value | None  # None: the release's default
    refused: str | None = None  # why Langflow would refuse the raw value
    version_label: str = ""

    @property
    def is_default(self) -> bool:
        return self.source is None

    @property
    def variable(self) -> str:
        return self.source.name if self.source is not None else PREFIX + self.field

    def shown(self) -> str:
        """The value for a report: secrets masked, a refused value quoted only when harmless."""
        if self.source is not None:
            raw = self.source.raw
            if self.field in SECRET_FIELDS:
                return redact.mask_secret(raw)
            return raw if not self.refused or redact.showable(raw) else redact.quote_value(raw)
        if self.field in SECRET_FIELDS:
            return redact.mask_secret(self.value or "")
        return _show_default(self.value)


def _show_default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class ReleaseSettings:
    """Every setting as ``langflow run`` ends up with it, for one Langflow release.

    - ``LANGFLOW_<FIELD>`` is matched case-insensitively, the last one in environ order wins
      (pydantic-settings, docs/langflow/settings.md §1);
    - then ``run``'s second pass (docs/langflow/settings.md §4): for every variable in environ order whose
      name, with ``LANGFLOW_`` removed, is exactly an ``AuthSettings`` attribute (``AUTO_LOGIN``,
      ``SUPERUSER``, ...), that value is assigned again, so the last of ``X``/``LANGFLOW_X`` wins
      and unprefixed names count. ``skip_auth_auto_login`` is a lower-case attribute and is not
      reached;
    - values are parsed like Langflow (§1.7); a value Langflow refuses is recorded in
      ``refused`` (the doctor turns each into a "Langflow will not start" finding) and the
      default is used so that everything else can still be read.
    """

    settings: LangflowSettings
    version: Version
    version_label: str
    refused: list[Setting] = field(default_factory=list)
    _cache: dict[str, Setting] = field(default_factory=dict)

    @property
    def env(self) -> Environment:
        return self.settings.env

    @property
    def tier(self) -> int:
        return tier(self.version)

    # -- lookup -------------------------------------------------------------------------------
    def field_names(self) -> list[str]:
        """The settings this release has, in ``fields.SPECS`` order."""
        return [name for name in SPECS if self.exists(name)]

    def exists(self, name: str) -> bool:
        return default(name, self.version) is not ABSENT

    def get(self, name: str) -> Setting:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        spec = SPECS[name]
        default_ = default(name, self.version)
        if default_ is ABSENT:
            setting = Setting(name, None, None, version_label=self.version_label)
            self._cache[name] = setting
            return setting
        candidates = [v for v in (self.env.setting(name), self._second_pass(name)) if v is not None]
        setting = Setting(name, default_, None, version_label=self.version_label)
        for val in candidates:  # pydantic's value is validated first, then the second pass's
            ok, parsed, why = parse_value(spec, val.raw, self.tier)
            if not ok:
                bad = Setting(name, default_, val, why, self.version_label)
                if all(r.source != val for r in self.refused):
                    self.refused.append(bad)
                continue
            setting = Setting(name, parsed, val, version_label=self.version_label)
        self._cache[name] = setting
        return setting

    def value(self, name: str) -> Any:
        return self.get(name).value

    def _second_pass(self, name: str) -> Value | None:
        assigned = self.settings.second_pass(name, self.version)
        return assigned[-1] if assigned else None

    def unprefixed(self) -> list[Value]:
        """Variables only ``langflow run`` honours: AuthSettings names without the prefix."""
        return [v for v in self.env if not v.name.startswith(PREFIX) and is_auth_name(v.name, self.version)]

    # -- derived facts ------------------------------------------------------------------------
    def auto_login(self) -> bool:
        return bool(self.value("AUTO_LOGIN"))

    def loopback(self) -> bool:
        return is_loopback(str(self.value("HOST")))

    def cors_wildcard(self) -> bool:
        origins = self.value("CORS_ORIGINS")
        return origins == "*" or (isinstance(origins, list) and "*" in origins)

    def open_active_signup(self) -> bool:
        """Anyone can register an account that is active at once (D11)."""
        if not self.value("NEW_USER_IS_ACTIVE"):
            return False
        if self.tier == 0:
            return True  # 1.6.9: POST /api/v1/users/ is always open
        return bool(self.value("ENABLE_SIGNUP")) and not self.auto_login()


def _langflow_package_dir() -> Path | None:
    # find_spec on a top-level package locates it without importing it (importing Langflow
    # takes 10-20 s and would defeat the point of a standalone tool).
    try:
        spec = importlib.util.find_spec("langflow")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _langflow_is_prerelease() -> bool:
    from importlib.metadata import PackageNotFoundError, version  # lazy: slow to import, seldom needed

    for dist in ("langflow", "langflow-base"):
        try:
            ver = version(dist)
        except PackageNotFoundError:
            continue
        return any(tag in ver for tag in ("a", "b", "rc", "dev"))
    return False
