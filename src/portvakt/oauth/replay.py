"""Replay keys and retention for JWT grants and client assertions (maskinporten.md §11).

The caller of `ReplayStore.first_use(key, expires_at)` computes `expires_at` with `replay_expiry`, which
adds the 10 s skew; the stores keep a key exactly until the `expires_at` they are given.
"""

from __future__ import annotations

import hashlib

from portvakt.domain.errors import PortvaktError

MASKINPORTEN_PREFIX = "mp"
IDPORTEN_PREFIX = "idp"
RETENTION_SKEW = 10  # seconds after `exp`
MIN_RETENTION = 1  # seconds from now


class ReplayStoreUnavailable(PortvaktError):
    """The replay store cannot answer (e.g. Redis unreachable). Never treated as "not seen": → MP-900."""

    status_code = 500
    code = "server_error"

    def __init__(self, detail: str) -> None:
        super().__init__("Internal server error", detail=detail)


def replay_key(client_id: str, jti: str | None, assertion: str, *, prefix: str = MASKINPORTEN_PREFIX) -> str:
    """`<prefix>:<client_id>:<jti>`, or `<prefix>:<client_id>:sha256:<hex>` of the assertion without `jti`."""
    if jti:
        return f"{prefix}:{client_id}:{jti}"
    digest = hashlib.sha256(assertion.encode("utf-8")).hexdigest()
    return f"{prefix}:{client_id}:sha256:{digest}"


def replay_expiry(exp: int, now: int) -> int:
    """Keep the key until `exp + 10 s`, and at least 1 s from now (epoch seconds)."""
    return max(exp + RETENTION_SKEW, now + MIN_RETENTION)
