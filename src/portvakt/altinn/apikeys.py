"""Service-owner API keys (altinn.md §2.2): `pvak_<8-char id>_<43-char base64url secret>`, SHA-256 at rest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from typing import Final

KEY_PATTERN: Final = re.compile(r"^pvak_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$")
_ID_ALPHABET: Final = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    key: str  # shown once, never stored
    sha256: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(key_id: str | None = None, secret: bytes | None = None) -> NewKey:
    """A fresh key; the generator passes a seed-derived id and secret (test data only)."""
    key_id = key_id or "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
    raw = secret if secret is not None else secrets.token_bytes(32)
    key = f"pvak_{key_id}_{_b64(raw)}"
    return NewKey(key_id, key, key_hash(key))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def key_id_of(key: str) -> str | None:
    """The id of a well-formed key; None for any other format (simply invalid)."""
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


def key_matches(key: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(key_hash(key), stored_sha256)
