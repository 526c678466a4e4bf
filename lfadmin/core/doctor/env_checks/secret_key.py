"""The secret key: pinned, long enough, a Fernet key, the same as CONFIG_DIR/secret_key (LF-SECRET-*)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from lfadmin.core.doctor.context import EnvContext, evidence
from lfadmin.core.doctor.env_checks._registry import H, L, M, check
from lfadmin.core.doctor.model import Evidence, Finding, register
from lfadmin.errors import LfadminError
from lfadmin.langflow.crypto import MINIMUM_KEY_LENGTH, Derivation, derive_key
from lfadmin.redact import mask_secret

SECRET_UNPINNED = register(
    "LF-SECRET-001",
    M,
    "No fixed LANGFLOW_SECRET_KEY",
    """Without LANGFLOW_SECRET_KEY Langflow uses CONFIG_DIR/secret_key, generating it on first
    start. A new or per-replica config dir (a container without a volume, a second pod) means
    another key: sessions die and stored credentials no longer decrypt.""",
    references=("docs/langflow/settings.md §9", "seed: LANGFLOW_SECRET_KEY"),
)
SECRET_SHORT = register(
    "LF-SECRET-002",
    H,
    "The secret key is shorter than 32 characters",
    """A short key signs JWTs (brute-forceable HS256) and derives the Fernet key from it
    (predictable PRNG on 1.6-1.10.0, SHA-256 later).""",
    references=("docs/langflow/crypto.md §2",),
)
SECRET_NOT_FERNET = register(
    "LF-SECRET-003",
    H,
    "The secret key is not 32 bytes of urlsafe base64",
    """A key of 32 or more characters is used directly as the Fernet key, so it must decode to
    exactly 32 bytes (`token_urlsafe(32)`, `Fernet.generate_key()`, `openssl rand -base64 32`).
    A 64-character hex string or a passphrase breaks every encrypt/decrypt while logins work.""",
    references=("docs/langflow/crypto.md §2",),
)
SECRET_NEWLINE = register(
    "LF-SECRET-004",
    H,
    "The secret key ends with a newline or whitespace",
    """Langflow reads CONFIG_DIR/secret_key verbatim: a key written with `echo` ends with a
    newline, which 1.6 tolerates but 1.10+ rejects on every encrypt/decrypt.""",
    references=("docs/langflow/crypto.md §2",),
)
SECRET_DISAGREE = register(
    "LF-SECRET-005",
    M,
    "LANGFLOW_SECRET_KEY and CONFIG_DIR/secret_key differ",
    """Langflow copies LANGFLOW_SECRET_KEY into CONFIG_DIR/secret_key at every start, so a
    different file means the key changed since the server last started (or lfadmin sees another
    config dir): data encrypted under the old key will not decrypt.""",
    references=("docs/langflow/settings.md §9",),
)
SECRET_FILE_UNSAFE = register(
    "LF-SECRET-006",
    H,
    "CONFIG_DIR/secret_key cannot be read safely",
    """The key file is a symbolic link, not a regular file, too large or not UTF-8 text.
    Langflow follows a link and reads whatever it finds: whoever can change the link chooses
    the key a server started without LANGFLOW_SECRET_KEY uses. lfadmin never reads it.""",
    references=("README.md: Security, Files lfadmin reads and writes",),
)


EPHEMERAL_DIRS = ("/tmp/", "/var/tmp/", "/dev/shm/")  # noqa: S108 - where a config dir does not survive


def _fernet_ok(secret: str, tier_: int) -> bool:
    """What ``Fernet(key)`` accepts: urlsafe base64 decoding to exactly 32 bytes."""
    derivation = Derivation.DIRECT_ALWAYS_PAD if tier_ == 0 else Derivation.DIRECT
    try:
        return len(base64.urlsafe_b64decode(derive_key(secret, derivation))) == 32
    except (binascii.Error, ValueError):
        return False


@check
def secret_key(ctx: EnvContext) -> Iterator[Finding]:
    s = ctx.get("SECRET_KEY")
    config_dir, config_origin = ctx.settings.config_dir, ctx.settings.config_dir_origin
    path = config_dir / "secret_key"
    try:
        file_key = ctx.settings.config_file_key() or None
    except LfadminError as exc:  # the file is a finding of its own, not the end of the report
        yield Finding(
            SECRET_FILE_UNSAFE,
            H,
            str(exc),
            [Evidence("LANGFLOW_CONFIG_DIR", str(config_dir), str(config_origin))],
            hint="replace it with a regular file holding the key, or pin LANGFLOW_SECRET_KEY",
        )
        if not s.value:
            return
        file_key = None
    if s.value:
        key, ev = s.value, [evidence(s)]
        if file_key is not None and file_key != key:
            yield Finding(
                SECRET_DISAGREE,
                M,
                f"{s.variable} differs from {path}: Langflow will overwrite the file at its next start; "
                "anything encrypted under the file's key will no longer decrypt",
                [evidence(s), Evidence(str(path), mask_secret(file_key), str(path))],
                hint="find out which key your data was encrypted with (`lfadmin secrets check`) "
                "before starting the server",
            )
    elif file_key is not None:
        key, ev = file_key, [Evidence(str(path), mask_secret(file_key), str(path))]
        ephemeral = str(config_dir).startswith(EPHEMERAL_DIRS)
        explicit = config_origin.kind != "default" and not ephemeral
        yield Finding(
            SECRET_UNPINNED,
            L if explicit else M,
            f"LANGFLOW_SECRET_KEY is not set: the key lives only in {path}"
            + (" (a temporary directory)" if ephemeral else "" if explicit else " (Langflow's default cache directory)")
            + "; another replica or a fresh config dir would generate a different key",
            [evidence(s), Evidence("LANGFLOW_CONFIG_DIR", str(config_dir), str(config_origin))],
            fix="LANGFLOW_SECRET_KEY=<the contents of that file>",
            hint=f"copy the existing key: `printf 'LANGFLOW_SECRET_KEY=%s\\n' \"$(cat {path})\" >> .env`",
        )
    else:
        yield Finding(
            SECRET_UNPINNED,
            M,
            f"no secret key: LANGFLOW_SECRET_KEY is not set and {path} does not exist, so Langflow will "
            "generate one at its next start",
            [evidence(s), Evidence("LANGFLOW_CONFIG_DIR", str(config_dir), str(config_origin))],
            fix='LANGFLOW_SECRET_KEY=<output of: python3 -c "import secrets; print(secrets.token_urlsafe(32))">',
            hint="pin it in the .env so every replica and every restart uses the same key",
        )
        return
    stripped = key.rstrip()
    if stripped != key:
        yield Finding(
            SECRET_NEWLINE,
            H if ctx.tier >= 1 else L,
            "the secret key ends with whitespace/newline: "
            + (
                "Langflow 1.10+ fails every encrypt/decrypt with it"
                if ctx.tier >= 1
                else "Langflow 1.6 tolerates it, 1.10+ will fail every encrypt/decrypt"
            ),
            ev,
            hint='rewrite the file without the newline: `printf %s "$KEY" > secret_key` (and keep the same key)',
        )
        key = stripped
    if len(key) < MINIMUM_KEY_LENGTH:
        yield Finding(
            SECRET_SHORT,
            H,
            f"the secret key is {len(key)} characters (fewer than {MINIMUM_KEY_LENGTH})",
            ev,
            fix='LANGFLOW_SECRET_KEY=<output of: python3 -c "import secrets; print(secrets.token_urlsafe(32))">',
            hint="changing the key needs a rotation of stored secrets (`lfadmin secrets rotate`), not just a new line",
        )
    elif not _fernet_ok(key, ctx.tier):
        yield Finding(
            SECRET_NOT_FERNET,
            H,
            f"the secret key is {len(key)} characters but does not decode to 32 bytes of urlsafe base64: "
            "encrypting or decrypting any stored credential fails",
            ev,
            fix='LANGFLOW_SECRET_KEY=<output of: python3 -c "import secrets; print(secrets.token_urlsafe(32))">',
            hint="`openssl rand -hex 32` or a passphrase is not a Fernet key; generate one with token_urlsafe(32)",
        )
