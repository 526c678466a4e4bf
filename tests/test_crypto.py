"""Langflow's crypto, checked against values Langflow itself produced (docs/langflow/crypto.md §1-§4)."""

from __future__ import annotations

import pytest

from lfadmin.errors import InvalidInput
from lfadmin.langflow import crypto
from lfadmin.langflow.crypto import Derivation

# bcrypt hashes of "correct horse battery staple" written by each release (docs/langflow/crypto.md §1).
LANGFLOW_HASHES = {
    "1.6.9": "$2b$12$DfbIdQBBQRFW7iDselsMaOz7aUn8ItEuzcbznKGiu0vnFHjrHPf9a",
    "1.10.3": "$2b$12$Pf2hgzlwZNMwlVsv.wY1Ku9BCVdEaEw2vxxD79jBydeyodBOH8ut6",
    "1.13.0": "$2b$12$AqKahqWei6SPGLOwMHdY3eD0cllCHkaLGV2SJPDUqnooALfE8mtTm",
}


@pytest.mark.parametrize("release", sorted(LANGFLOW_HASHES))
def test_verifies_every_releases_hash(release: str) -> None:
    assert crypto.verify_password("correct horse battery staple", LANGFLOW_HASHES[release])
    assert not crypto.verify_password("correct horse battery stapl", LANGFLOW_HASHES[release])


def test_hash_is_bcrypt_cost_12_2b() -> None:
    hashed = crypto.hash_password("s3cret")
    assert hashed.startswith("$2b$12$") and len(hashed) == 60
    assert crypto.verify_password("s3cret", hashed)


def test_only_first_72_bytes_count_like_langflow() -> None:
    long = "é" * 40  # 80 UTF-8 bytes
    hashed = crypto.hash_password(long)
    assert crypto.password_truncated(long)
    assert crypto.verify_password(long.encode()[:72].decode(), hashed)
    assert crypto.verify_password(long + "anything", hashed)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("a\x00b", "passwords cannot contain NUL bytes (Langflow refuses them)"),
        ("x" * 4097, "password is 4097 characters; Langflow refuses more than 4096"),
        ("", "password is empty"),
    ],
)
def test_refuses_what_langflow_refuses(password: str, message: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        crypto.hash_password(password)
    assert str(exc.value) == message


def test_verify_never_raises() -> None:
    assert not crypto.verify_password("x", "not-a-hash")
    assert not crypto.verify_password("x", None)
    assert not crypto.verify_password("a\x00", LANGFLOW_HASHES["1.13.0"])


def test_api_key_shape_and_hash() -> None:
    key = crypto.generate_api_key()
    assert key.startswith("sk-") and len(key) == 46
    # sha256 hex, as apikey.api_key_hash stores it
    assert crypto.api_key_hash("sk-abc") == "1460db1b6902f8b1fc2a40d9381a24d0fd22c3bc1b2c6f999c521da73776fbe0"
    assert crypto.mask_api_key("sk-AHPLJabcdef") == "sk-AHPLJ******"


# Fernet keys Langflow derived for the short secret "short-secret" (docs/langflow/crypto.md §2).
def test_short_secret_derivations_match_langflow() -> None:
    assert crypto.derive_key("short-secret", Derivation.LEGACY_RANDOM) == b"yLFy5lEvfnypCxYQl1Q27si0_XNkYFVXl4QIUcvNqNA="
    assert crypto.derive_key("short-secret", Derivation.SHA256) == b"TM4CZRrf5oZxouzp85UlsCTmFRQ0QSLOk7E_HMWZgsw="


def test_long_key_padding_rules() -> None:
    aligned = "A" * 43 + "="  # 44 chars, already a multiple of 4
    assert crypto.derive_key(aligned, Derivation.DIRECT) == aligned.encode()
    assert crypto.derive_key(aligned, Derivation.DIRECT_ALWAYS_PAD) == (aligned + "====").encode()
    unaligned = "A" * 43
    assert crypto.derive_key(unaligned, Derivation.DIRECT) == (unaligned + "=").encode()
    assert crypto.derive_key(unaligned, Derivation.DIRECT_ALWAYS_PAD) == (unaligned + "=").encode()


def test_roundtrip_and_fallback_across_derivations() -> None:
    token = crypto.encrypt("short-secret", "v", Derivation.LEGACY_RANDOM)
    opened = crypto.decrypt("short-secret", token)
    assert opened is not None and opened.plaintext == "v" and opened.derivation is Derivation.LEGACY_RANDOM
    assert crypto.decrypt("other-secret", token) is None


def test_unusable_long_key_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="not a usable Fernet key"):
        crypto.fernet("a" * 64, Derivation.DIRECT)
    with pytest.raises(InvalidInput, match="ends with a newline"):
        crypto.fernet("A" * 43 + "\n", Derivation.DIRECT)
