"""Private keys at rest: AES-256-GCM under PORTVAKT_KEY_ENCRYPTION_KEY (maskinporten.md §1.2).

A sealed value is `v1.<nonce b64url>.<ciphertext+tag b64url>`; without a key-encryption key (test only)
the value is stored as `plain.<b64url>`. The associated data binds a sealed key to its row.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_SEALED = "v1"
_PLAIN = "plain"


class SealingError(ValueError):
    """A sealed value cannot be opened: wrong key, tampered data, or a key is needed and missing."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(plaintext: bytes, kek: bytes | None, *, aad: bytes) -> str:
    if kek is None:
        return f"{_PLAIN}.{_b64(plaintext)}"
    nonce = secrets.token_bytes(12)
    return f"{_SEALED}.{_b64(nonce)}.{_b64(AESGCM(kek).encrypt(nonce, plaintext, aad))}"


def unseal(sealed: str, kek: bytes | None, *, aad: bytes) -> bytes:
    kind, _, rest = sealed.partition(".")
    if kind == _PLAIN:
        return _unb64(rest)
    if kind != _SEALED:
        raise SealingError("unknown sealing format")
    if kek is None:
        raise SealingError("this value is encrypted: PORTVAKT_KEY_ENCRYPTION_KEY is required")
    nonce, _, ciphertext = rest.partition(".")
    try:
        return AESGCM(kek).decrypt(_unb64(nonce), _unb64(ciphertext), aad)
    except (InvalidTag, ValueError) as exc:
        raise SealingError("cannot decrypt: wrong PORTVAKT_KEY_ENCRYPTION_KEY or tampered value") from exc


def is_sealed(value: str) -> bool:
    return value.startswith(f"{_SEALED}.")
