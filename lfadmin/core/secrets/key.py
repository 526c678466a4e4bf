"""The secret key: make one, judge one, and install one in the files Langflow reads it from.

Langflow keeps one secret string (``LANGFLOW_SECRET_KEY``, else ``<config dir>/secret_key``) and
derives every Fernet key from it (``lfadmin.langflow.crypto``). This module is what lfadmin knows
of that string as a string: how Langflow generates one, what makes one unusable or risky, the
report ``secrets check`` prints of the key in effect, and the one key-file install that both
``secrets generate`` and ``secrets rotate`` write with (env file first, then the config dir's
``secret_key``). It never touches the database; the values a key encrypts are
``lfadmin.core.secrets.variables`` and ``lfadmin.core.secrets.rotation``'s.

No report, warning or error carries a key: only its fingerprint (its SHA-256, shortened).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets as _secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfadmin.core import envfile
from lfadmin.errors import InvalidInput, LfadminError, Refused
from lfadmin.files import SECRET_FILE, check_config_dir, read_text
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, fingerprint

if TYPE_CHECKING:
    from lfadmin.core.target import Target
    from lfadmin.langflow.schema import Schema
    from lfadmin.langflow.settings import LangflowSettings

JOURNAL_NAME = "secret_key.lfadmin-rotation"  # <config dir>/<this>: lfadmin.core.secrets.rotation
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


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
    cfg = config_key_file(settings)
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



# == the key files ==============================================================================


def current_file_key(path: Path) -> str | None:
    """The key in a ``secret_key`` file (None: none there); a link, a non-regular, oversized or
    non-UTF-8 file is one clear error (``lfadmin.files``)."""
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


def config_key_file(settings: LangflowSettings) -> Path:
    """``<config dir>/secret_key``: where Langflow keeps the key when no variable sets it."""
    return settings.config_dir / "secret_key"


KeyFile = dict[str, str | None]
"""A key file written: ``{"path": ..., "backup": ... or None}`` (the receipts' JSON shape)."""


def install(
    settings: LangflowSettings,
    key: str,
    *,
    write_env: Path | None,
    write_config_dir: bool,
    after_env: Callable[[], None] | None = None,
) -> list[KeyFile]:
    """Write ``key`` to the env file (``LANGFLOW_SECRET_KEY``), then to ``<config dir>/secret_key``.

    The env file first: it wins over the config-dir file at Langflow's start. Each write is
    atomic with a backup of the old file (``lfadmin.core.envfile``). ``after_env`` runs between
    the two (rotation's crash test point). The callers check the files before they call this.
    """
    written = []
    if write_env is not None:
        written.append(envfile.set_variable(write_env, envfile.SECRET_KEY_VAR, key))
        if after_env is not None:
            after_env()
    if write_config_dir:
        written.append(envfile.write_secret_file(config_key_file(settings), key))
    return [{"path": str(w.path), "backup": str(w.backup) if w.backup else None} for w in written]


@dataclass(frozen=True)
class NewKey:
    """``secrets generate``'s result: the key, and the files it went to (none: show it)."""

    key: str
    files: list[KeyFile]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "files": self.files}


def generate(target: Target, *, write_env: Path | None, write_config_dir: bool, force: bool) -> NewKey:
    """``secrets generate``: a new key, written to the key files asked for.

    A file that already holds another key is refused unless ``force`` (replacing it would make
    every stored credential unreadable: that is ``secrets rotate``'s job). Without files the
    settings are not even read: the key is the whole result.
    """
    key = generate_key()
    if write_env is None and not write_config_dir:
        return NewKey(key, [])
    settings = target.settings
    cfg = config_key_file(settings)
    if write_env is not None:
        refuse_overwriting_key(str(write_env), envfile.check_writable(write_env), key, force)
    if write_config_dir:
        refuse_overwriting_key(str(cfg), current_file_key(cfg), key, force)
    files = [f"env file {write_env}"] if write_env is not None else []
    files += [f"key file {cfg}"] if write_config_dir else []
    # Nobody authenticates and no database is involved: the record names the OS user, and a
    # refusal (nothing written) leaves no file behind in the server's config dir.
    with target.audited(*files, database=False, failures=False):
        new = NewKey(key, install(settings, key, write_env=write_env, write_config_dir=write_config_dir))
        target.on_commit()  # written: a failure to record it must say so
        return new
