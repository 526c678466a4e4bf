"""File permissions of the env file, the key files and the SQLite database (LF-FILE-*)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lfadmin.core.doctor.context import EnvContext
from lfadmin.core.doctor.env_checks._registry import H, check
from lfadmin.core.doctor.model import Evidence, Finding, register
from lfadmin.langflow.env import PREFIX
from lfadmin.redact import url_secrets

FILE_ENV = register(
    "LF-FILE-001",
    H,
    "The env file holding secrets is readable by other users",
    """The .env holds the superuser password, the secret key or database credentials; it should
    be readable by the server's user only (chmod 600).""",
    references=("docs/langflow/settings.md §9",),
)
FILE_KEY = register(
    "LF-FILE-002",
    H,
    "A key file in the config dir is readable by other users",
    """CONFIG_DIR/secret_key and private_key.pem are written 0600 by Langflow; wider modes let
    other local users decrypt credentials and forge sessions.""",
    references=("docs/langflow/settings.md §9",),
)
FILE_DB = register(
    "LF-FILE-003",
    H,
    "The SQLite database is readable by other users",
    """The SQLite file holds password hashes, API keys (plaintext on 1.6) and encrypted
    credentials; it should be readable by the server's user only.""",
    references=("docs/langflow/settings.md §9",),
)


def _secrets_in_file(ctx: EnvContext, path: str) -> list[str]:
    names = []
    for v in ctx.env:
        if v.origin.path != path or not v.raw:
            continue
        bare = v.name.upper().replace(PREFIX, "")
        if bare in ("SECRET_KEY", "SUPERUSER_PASSWORD", "API_KEY", "PRIVATE_KEY", "CACHE_SIGNING_KEY") or (
            bare == "DATABASE_URL" and bool(url_secrets(v.raw))
        ):
            names.append(v.name)
    return names


def file_mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None


@check
def permissions(ctx: EnvContext) -> Iterator[Finding]:
    if ctx.env.env_file is not None:
        path = ctx.env.env_file
        mode = file_mode(path)
        secrets = _secrets_in_file(ctx, str(path))
        if mode is not None and mode & 0o077 and secrets:
            yield Finding(
                FILE_ENV,
                H,
                f"{path} is mode {mode:04o} (readable beyond its owner) and holds {', '.join(secrets)}",
                [Evidence(str(path), f"mode {mode:04o}", str(path), str(path), 1)],
                hint=f"chmod 600 {path}",
            )
    config_dir = ctx.settings.config_dir
    for name in ("secret_key", "private_key.pem"):
        p = config_dir / name
        mode = file_mode(p)
        if mode is not None and mode & 0o077:
            yield Finding(
                FILE_KEY,
                H,
                f"{p} is mode {mode:04o}; Langflow writes it 0600",
                [Evidence(str(p), f"mode {mode:04o}", str(p))],
                hint=f"chmod 600 {p}",
            )
    db_path = ctx.settings.configured_sqlite_file()
    if db_path is not None:
        mode = file_mode(db_path)
        if mode is not None and mode & 0o077:
            yield Finding(
                FILE_DB,
                H,
                f"the SQLite database {db_path} is mode {mode:04o}",
                [Evidence(str(db_path), f"mode {mode:04o}", str(db_path))],
                hint=f"chmod 600 {db_path} (and its -wal/-shm files)",
            )
