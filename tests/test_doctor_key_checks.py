"""The doctor's verifying keyring agrees with `secrets check`'s decrypting one, token for token."""

from __future__ import annotations

import pytest

from lfadmin.core.doctor.key_checks import VerifyingKeyring
from lfadmin.core.secrets.keyring import Keyring
from lfadmin.langflow.crypto import Derivation, encrypt

LONG = "0Yrsve58l0Aw_aDs0xGJy8qySwRCYUpk7rQ4EqRhvTo"


@pytest.mark.parametrize(
    ("secret", "made_with", "write"),
    [
        (LONG, Derivation.DIRECT, Derivation.DIRECT),
        (LONG, Derivation.DIRECT_ALWAYS_PAD, Derivation.DIRECT_ALWAYS_PAD),
        ("short-secret", Derivation.LEGACY_RANDOM, Derivation.SHA256),  # a 1.6 token read by 1.13
        ("short-secret", Derivation.SHA256, Derivation.SHA256),
    ],
)
def test_same_verdicts_as_decrypting(secret: str, made_with: Derivation, write: Derivation) -> None:
    token = encrypt(secret, "sk-some-plaintext", made_with)
    decrypting, verifying = Keyring(secret, write), VerifyingKeyring(secret, write)
    opened = decrypting.open(token)
    assert opened is not None
    assert verifying.open(token) == ("", opened[1])
    other = VerifyingKeyring("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", Derivation.DIRECT)
    assert other.open(token) is None and Keyring(other.secret, Derivation.DIRECT).open(token) is None


@pytest.mark.parametrize("garbage", ["", "gAAAAA", "gAAAAAnot-base64!!", "plain-text-value", "gAAAAA" + "A" * 100])
def test_garbage_does_not_open(garbage: str) -> None:
    assert VerifyingKeyring(LONG, Derivation.DIRECT).open(garbage) is None
    assert Keyring(LONG, Derivation.DIRECT).open(garbage) is None


def test_tampered_token_does_not_open() -> None:
    token = encrypt(LONG, "x", Derivation.DIRECT)
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    assert VerifyingKeyring(LONG, Derivation.DIRECT).open(tampered) is None
