"""HMAC keys of the lookup audit (krr.md §11).

`PORTVAKT_AUDIT_HMAC_KEYS` = `id:base64(≥32 bytes),…`, the first is active.

In test a key is created at first start in `<data dir>/audit-hmac.key` (mode 0600, never in the database);
prod refuses to start without configured keys.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from portvakt.domain.errors import EnvironmentRefusal, ValidationError
from portvakt.settings import Settings

KEY_FILE_NAME = "audit-hmac.key"
MIN_KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class InvalidAuditKeys(ValidationError):
    """PORTVAKT_AUDIT_HMAC_KEYS (or the key file) cannot be used."""


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes = b""

    def digest(self, identifier: str) -> str:
        """Lowercase hex HMAC-SHA256 of the ASCII identifier."""
        return hmac.digest(self.secret, identifier.encode("ascii"), "sha256").hex()

    def __repr__(self) -> str:
        return f"AuditKey(key_id={self.key_id!r})"


@dataclass(frozen=True)
class AuditKeys:
    """All configured keys; `active` (the first) hashes new rows, the others keep old rows searchable."""

    keys: tuple[AuditKey, ...]

    @property
    def active(self) -> AuditKey:
        return self.keys[0]

    def digests(self, identifier: str) -> list[str]:
        return [key.digest(identifier) for key in self.keys]


def parse_audit_keys(value: str) -> AuditKeys:
    keys: list[AuditKey] = []
    for part in (item.strip() for item in value.split(",")):
        if not part:
            continue
        key_id, sep, encoded = part.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise InvalidAuditKeys("PORTVAKT_AUDIT_HMAC_KEYS: each entry must be id:base64")
        try:
            secret = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=False)
        except (binascii.Error, ValueError) as exc:
            raise InvalidAuditKeys(f"PORTVAKT_AUDIT_HMAC_KEYS: key {key_id} is not base64") from exc
        if len(secret) < MIN_KEY_BYTES:
            raise InvalidAuditKeys(f"PORTVAKT_AUDIT_HMAC_KEYS: key {key_id} must be at least 32 bytes")
        if any(existing.key_id == key_id for existing in keys):
            raise InvalidAuditKeys(f"PORTVAKT_AUDIT_HMAC_KEYS: duplicate key id {key_id}")
        keys.append(AuditKey(key_id, secret))
    if not keys:
        raise InvalidAuditKeys("PORTVAKT_AUDIT_HMAC_KEYS is empty")
    return AuditKeys(tuple(keys))


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = f"k{secrets.token_hex(4)}:{base64.b64encode(secrets.token_bytes(32)).decode('ascii')}\n"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; read theirs
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def load_audit_keys(settings: Settings) -> AuditKeys:
    """The configured keys; in test, the data-directory key file (created on first use)."""
    if settings.audit_hmac_keys:
        return parse_audit_keys(settings.audit_hmac_keys)
    if settings.is_prod:
        raise EnvironmentRefusal("PORTVAKT_ENV=prod requires PORTVAKT_AUDIT_HMAC_KEYS")
    path = settings.data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return parse_audit_keys(path.read_text(encoding="ascii").strip())
