"""Langflow's cryptography, reimplemented with ``bcrypt`` and ``cryptography`` only.

Every rule cites where it comes from (docs/langflow/crypto.md; O=1.6.9, M=1.10.3, N=1.13.0).
Heavy modules (bcrypt, cryptography) are imported inside the functions that need them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from lfadmin import redact
from lfadmin.errors import InvalidInput

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

# -- passwords ------------------------------------------------------------------------------

BCRYPT_ROUNDS = 12  # passlib default_rounds=12 (O, M); bcrypt.gensalt(rounds=12) (N)
BCRYPT_MAX_BYTES = 72  # bcrypt only reads 72 bytes; all releases truncate silently (N does it explicitly)
MAX_PASSWORD_CHARS = 4096  # passlib PasswordSizeError (O, M); ValueError in N's PasswordContext


def check_password_acceptable(password: str) -> None:
    """Refuse what every Langflow release refuses to hash (docs/langflow/crypto.md §1)."""
    redact.register(password)  # every new password passes here: never printed from now on
    if "\x00" in password:
        raise InvalidInput("passwords cannot contain NUL bytes (Langflow refuses them)")
    try:
        password.encode("utf-8")  # bytes from a non-UTF-8 environment arrive surrogate-escaped
    except UnicodeEncodeError:
        raise InvalidInput("the password is not UTF-8 text (Langflow could not hash it)") from None
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"password is {len(password)} characters; Langflow refuses more than {MAX_PASSWORD_CHARS}"
        )
    if not password:
        raise InvalidInput("password is empty")


def password_truncated(password: str) -> bool:
    """True when bcrypt will only use the first 72 bytes (documented, as Langflow does)."""
    return len(password.encode("utf-8")) > BCRYPT_MAX_BYTES


def hash_password(password: str) -> str:
    """``$2b$12$...`` of the first 72 UTF-8 bytes; verified by 1.6.9, 1.10.3 and 1.13.0."""
    import bcrypt

    check_password_acceptable(password)
    hashed: bytes = bcrypt.hashpw(
        password.encode("utf-8")[:BCRYPT_MAX_BYTES], bcrypt.gensalt(BCRYPT_ROUNDS)
    )
    return hashed.decode("ascii")


def verify_password(password: str, hashed: str | None) -> bool:
    """Langflow 1.13's verify: False (never an exception) for NUL, oversize or garbage hashes."""
    import bcrypt

    redact.register(password)
    if not hashed or "\x00" in password or len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return bool(bcrypt.checkpw(password.encode("utf-8")[:BCRYPT_MAX_BYTES], hashed.encode("ascii")))
    except (ValueError, UnicodeEncodeError):
        return False


# -- API keys -------------------------------------------------------------------------------


def generate_api_key() -> str:
    """``"sk-" + secrets.token_urlsafe(32)`` in every release (docs/langflow/crypto.md §4)."""
    return "sk-" + secrets.token_urlsafe(32)


def api_key_hash(plaintext: str) -> str:
    """Unsalted SHA-256 hex of the plaintext: ``apikey.api_key_hash`` (1.9.0+)."""
    redact.register(plaintext)  # a presented or new key: printed only on request
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def mask_api_key(value: str) -> str:
    """``ApiKeyRead.mask_api_key``: first 8 characters, then one ``*`` per remaining one."""
    return value[:8] + "*" * max(len(value) - 8, 0)


# -- Fernet key derivation (docs/langflow/crypto.md §2) --------------------------------------------------

MINIMUM_KEY_LENGTH = 32


class Derivation(str, Enum):
    """How a secret string becomes a Fernet key."""

    # >= 32 chars, 1.6.0-1.8.4: secret + "=" * (4 - len % 4), i.e. four "=" when already aligned
    # (O:langflow/services/auth/utils.py:447-450).
    DIRECT_ALWAYS_PAD = "direct-always-pad"
    # >= 32 chars, 1.9.0+: padded only when needed (M:…/auth/utils.py:317-326).
    DIRECT = "direct"
    # < 32 chars, <= 1.10.0: random.seed(secret); 32 x getrandbits(8) (O:…/auth/utils.py:453-463).
    LEGACY_RANDOM = "legacy-random"
    # < 32 chars, 1.10.1+: urlsafe_b64encode(sha256(secret)) (M:…/auth/utils.py:329-353).
    SHA256 = "sha256"


def derive_key(secret: str, derivation: Derivation) -> bytes:
    redact.register(secret)  # every secret key lfadmin encrypts or decrypts with
    if derivation is Derivation.DIRECT_ALWAYS_PAD:
        return (secret + "=" * (4 - len(secret) % 4)).encode()
    if derivation is Derivation.DIRECT:
        padding = (4 - len(secret) % 4) % 4
        return (secret + "=" * padding).encode()
    if derivation is Derivation.LEGACY_RANDOM:
        rng = random.Random(secret)  # noqa: S311 - reproducing Langflow's legacy derivation
        return base64.urlsafe_b64encode(bytes(rng.getrandbits(8) for _ in range(32)))
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


def candidate_derivations(secret: str) -> list[Derivation]:
    """Every derivation some release could have used for this secret, for reading."""
    if len(secret) >= MINIMUM_KEY_LENGTH:
        return [Derivation.DIRECT, Derivation.DIRECT_ALWAYS_PAD]
    return [Derivation.SHA256, Derivation.LEGACY_RANDOM]


def fernet(secret: str, derivation: Derivation) -> Fernet:
    from cryptography.fernet import Fernet

    try:
        return Fernet(derive_key(secret, derivation))
    except (ValueError, TypeError):
        raise InvalidInput(
            f"the secret key is {len(secret)} characters but not a usable Fernet key: a key of "
            "32 or more characters must be urlsafe base64 of exactly 32 bytes "
            "(e.g. `lfadmin secrets generate`)"
            + (" - it ends with a newline" if secret.endswith("\n") else "")
        ) from None


def key_usable(secret: str, derivation: Derivation) -> bool:
    try:
        fernet(secret, derivation)
    except InvalidInput:
        return False
    return True


def looks_encrypted(value: str | None) -> bool:
    """Langflow's own test for a Fernet token (``startswith("gAAAAA")``, docs/langflow/crypto.md §7)."""
    return bool(value) and str(value).startswith("gAAAAA")


@dataclass(frozen=True)
class Decrypted:
    plaintext: str
    derivation: Derivation

    def __post_init__(self) -> None:
        redact.register(self.plaintext)  # a decrypted value is printed only on request (--reveal)


def decrypt(secret: str, token: str, derivations: Iterable[Derivation] | None = None) -> Decrypted | None:
    """Decrypt ``token`` trying each plausible derivation; None when none opens it."""
    from cryptography.fernet import InvalidToken

    for derivation in derivations or candidate_derivations(secret):
        try:
            f = fernet(secret, derivation)
        except InvalidInput:
            continue
        try:
            return Decrypted(f.decrypt(token.encode()).decode(), derivation)
        except (InvalidToken, ValueError, UnicodeDecodeError):
            continue
    return None


def encrypt(secret: str, plaintext: str, derivation: Derivation) -> str:
    return fernet(secret, derivation).encrypt(plaintext.encode()).decode()


# -- fingerprints ---------------------------------------------------------------------------


def fingerprint(value: str) -> str:
    """First 12 hex digits of SHA-256: tells secret keys apart in output (which key is in which
    file). Only for keys, which are long and random: a stored *value* may be a short password,
    and an unkeyed hash of it can be checked against guesses offline (``value_fingerprint``)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]


FINGERPRINT_LABEL = b"lfadmin value fingerprint v1"


def fingerprint_key(secret_key: str | None) -> bytes:
    """The key of value fingerprints on one server: HMAC-SHA256(secret key, fixed label).

    Without a secret key nothing ties fingerprints to the server: a random key, so they compare
    within one run only and still reveal nothing."""
    if not secret_key:
        return secrets.token_bytes(32)
    return hmac.new(secret_key.encode("utf-8", "surrogatepass"), FINGERPRINT_LABEL, hashlib.sha256).digest()


def value_fingerprint(key: bytes, value: str) -> str:
    """First 12 hex digits of HMAC-SHA256(``fingerprint_key``, value): equal values show equal
    fingerprints on one server, across runs (until the secret key is rotated); without the
    secret key a fingerprint cannot be checked against a guessed value."""
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:12]


# -- the SSO client-secret envelope (1.13; docs/langflow/crypto.md §7) ---------------------------------------
# N:langflow/services/database/models/auth/sso_secret.py: AES-256-GCM under
# HKDF-SHA256(ikm = the raw secret string's UTF-8 bytes, salt/info below); AAD = the header.
# No Fernet derivation is involved: the key is the secret itself, whatever its length.

SSO_HEADER = "lf-sso:v1:hkdf-sha256-v1:aes-256-gcm"
_SSO_SALT = b"langflow/sso/client-secret/hkdf-salt/v1"
_SSO_INFO = b"langflow/sso/client-secret/encryption"


def is_sso_envelope(value: str | None) -> bool:
    return bool(value) and str(value).startswith(SSO_HEADER + ":")


def _sso_key(secret: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    redact.register(secret)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SSO_SALT, info=_SSO_INFO).derive(
        secret.encode()
    )


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sso_encrypt(secret: str, plaintext: str) -> str:
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    ct = AESGCM(_sso_key(secret)).encrypt(nonce, plaintext.encode(), SSO_HEADER.encode())
    return f"{SSO_HEADER}:{_b64u(nonce)}:{_b64u(ct)}"


def sso_decrypt(secret: str, envelope: str) -> str | None:
    """The plaintext, or None when the envelope is malformed or ``secret`` does not open it."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    parts = envelope.split(":")
    if len(parts) != 6 or ":".join(parts[:4]) != SSO_HEADER or not secret:
        return None
    try:
        nonce, ct = _unb64u(parts[4]), _unb64u(parts[5])
        if len(nonce) != 12 or len(ct) < 16:
            return None
        plaintext = AESGCM(_sso_key(secret)).decrypt(nonce, ct, SSO_HEADER.encode()).decode()
        redact.register(plaintext)
        return plaintext
    except (InvalidTag, ValueError, UnicodeDecodeError):
        return None
