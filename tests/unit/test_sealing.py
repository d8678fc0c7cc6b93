"""Private keys at rest are AES-256-GCM sealed when a key-encryption key is set."""

from __future__ import annotations

import secrets

import pytest

from portvakt.oauth.sealing import SealingError, is_sealed, seal, unseal

KEK = secrets.token_bytes(32)


def test_sealed_value_round_trips_and_hides_the_plaintext() -> None:
    sealed = seal(b"-----BEGIN PRIVATE KEY-----", KEK, aad=b"signing_keys:abc")
    assert is_sealed(sealed)
    assert b"PRIVATE" not in sealed.encode()
    assert unseal(sealed, KEK, aad=b"signing_keys:abc") == b"-----BEGIN PRIVATE KEY-----"


def test_without_a_key_the_value_is_stored_plain_and_marked() -> None:
    stored = seal(b"secret", None, aad=b"x")
    assert not is_sealed(stored)
    assert unseal(stored, None, aad=b"x") == b"secret"


@pytest.mark.parametrize(
    ("kek", "aad", "message"),
    [
        pytest.param(secrets.token_bytes(32), b"row:1", "cannot decrypt", id="wrong-key"),
        pytest.param(KEK, b"row:2", "cannot decrypt", id="moved-to-another-row"),
        pytest.param(None, b"row:1", "is required", id="key-missing"),
    ],
)
def test_sealed_value_refuses_to_open(kek: bytes | None, aad: bytes, message: str) -> None:
    sealed = seal(b"secret", KEK, aad=b"row:1")
    with pytest.raises(SealingError, match=message):
        unseal(sealed, kek, aad=aad)


def test_tampered_ciphertext_is_refused() -> None:
    sealed = seal(b"secret", KEK, aad=b"a")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SealingError):
        unseal(tampered, KEK, aad=b"a")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(SealingError, match="unknown"):
        unseal("v9.x.y", KEK, aad=b"a")
