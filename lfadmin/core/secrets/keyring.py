"""A secret key as the Fernets it derives, built once: what every decrypt and encrypt uses.

A key can derive more than one Fernet key (docs/langflow/crypto.md §2: short keys changed derivation in
1.10.1; a key with a trailing newline was padded by 1.6-1.8): ``Keyring.open`` tries each,
``Keyring.seal`` writes with the derivation the detected release writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lfadmin.langflow.crypto import Derivation, candidate_derivations, derive_key

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


class Keyring:
    """One secret string with a Fernet per distinct derivation, built once (rotation speed)."""

    def __init__(self, secret: str, write: Derivation | None = None) -> None:
        import base64

        from cryptography.fernet import Fernet, InvalidToken

        self.secret = secret
        self.write = write
        self._fernets: list[tuple[Derivation, Fernet]] = []
        self._unopened = (InvalidToken, ValueError, UnicodeDecodeError)
        seen: set[bytes] = set()
        order = list(candidate_derivations(secret))
        if write is not None and write in order:
            order.remove(write)
            order.insert(0, write)
        for derivation in order:
            try:
                raw = derive_key(secret, derivation)
                f = Fernet(raw)
            except (ValueError, TypeError):
                continue
            decoded = base64.urlsafe_b64decode(raw)
            if decoded in seen:  # DIRECT and DIRECT_ALWAYS_PAD are one key when the key is valid
                continue
            seen.add(decoded)
            self._fernets.append((derivation, f))
        self._seal = self._fernets[0][1].encrypt if self.can_write else None

    @property
    def usable(self) -> bool:
        return bool(self._fernets)

    @property
    def can_write(self) -> bool:
        return bool(self._fernets) and self._fernets[0][0] is self.write

    def open(self, token: str) -> tuple[str, Derivation] | None:
        data = token.encode()
        for derivation, f in self._fernets:
            try:
                return f.decrypt(data).decode(), derivation
            except self._unopened:
                continue
        return None

    def seal(self, plaintext: str) -> str:
        if self._seal is None:
            raise AssertionError("keyring has no usable write derivation")
        return self._seal(plaintext.encode()).decode()


def open_first(keys: list[Keyring], token: str) -> tuple[str, bool] | None:
    """``token`` opened with the first of ``keys`` that can: (plaintext, True when only a
    derivation other than that key's write derivation opened it - legacy, to heal)."""
    for k in keys:
        opened = k.open(token)
        if opened is not None:
            return opened[0], k.write is not None and opened[1] is not k.write
    return None
