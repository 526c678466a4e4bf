"""A keyring that answers "was this token made with the key?" without decrypting it.

``lfadmin secrets check`` opens every Fernet token (HMAC check, then AES). The doctor only needs
to know which tokens the key in effect can open, and a Fernet token opens under a key exactly when
its HMAC-SHA256 (first 16 bytes of the key, over everything but the last 32 bytes) verifies and
its version byte is 0x80 — the AES step cannot fail for a token that passed. Verifying the HMAC
alone is about three times faster, which is most of the doctor's time on 100k API keys.
Everything else (stores, classification, counts) is ``lfadmin.core.secrets.inventory.inventory`` itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from lfadmin.core.secrets.keyring import Keyring
from lfadmin.langflow.crypto import Derivation, derive_key

_VERSION = 0x80
_MIN_TOKEN = 1 + 8 + 16 + 16 + 32  # version, timestamp, IV, one AES block, HMAC


class VerifyingKeyring(Keyring):
    def __init__(self, secret: str, write: Derivation | None = None) -> None:
        super().__init__(secret, write)
        self._signing = [
            (derivation, base64.urlsafe_b64decode(derive_key(secret, derivation))[:16])
            for derivation, _ in self._fernets
        ]

    def open(self, token: str) -> tuple[str, Derivation] | None:
        """``("", derivation)`` when the token verifies under a derivation of the key (no plaintext)."""
        try:
            data = base64.urlsafe_b64decode(token)
        except (binascii.Error, ValueError):
            return None
        if len(data) < _MIN_TOKEN or data[0] != _VERSION:
            return None
        body, tag = data[:-32], data[-32:]
        for derivation, key in self._signing:
            if hmac.compare_digest(hmac.new(key, body, hashlib.sha256).digest(), tag):
                return "", derivation
        return None
