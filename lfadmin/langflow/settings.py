"""Langflow's settings as the server would resolve them, for what lfadmin needs.

Sources: docs/langflow/settings.md §7-§9 (config dir, database URL, secret key). Nothing here
writes anything: Langflow creates the config dir and writes ``secret_key`` whenever it builds
its settings, lfadmin deliberately does neither (only ``secrets`` commands write keys, on request).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from lfadmin import redact
from lfadmin.errors import DatabaseUnavailable
from lfadmin.langflow.env import DEFAULT, Environment, Origin, Value

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
                from platformdirs import user_cache_dir

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
        from lfadmin.files import SECRET_FILE, check_config_dir, read_text

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

    # -- database URL -------------------------------------------------------------------------
    def database_url(self) -> tuple[str, str]:
        """The URL and a description of where it came from (docs/langflow/settings.md §8)."""
        if self.database_url_option:
            return self.database_url_option, "--database-url"
        val = self.env.exact("LANGFLOW_DATABASE_URL")
        if val is not None:
            return val.raw, val.describe()
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

    def default_sqlite_paths(self) -> list[Path]:
        """Where Langflow puts its SQLite file when LANGFLOW_DATABASE_URL is unset."""
        name = "langflow-pre.db" if _langflow_is_prerelease() else "langflow.db"
        if self.env.boolean("SAVE_DB_IN_CONFIG_DIR", False):
            return [self.config_dir / name]
        pkg = _langflow_package_dir()
        return [pkg / name] if pkg is not None else []


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
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("langflow", "langflow-base"):
        try:
            ver = version(dist)
        except PackageNotFoundError:
            continue
        return any(tag in ver for tag in ("a", "b", "rc", "dev"))
    return False
