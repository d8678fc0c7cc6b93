"""The cached key set of one issuer (maskinporten.md §14): max age, rate-limited refetch on an unknown kid,
and a failed fetch keeps what was cached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from portvakt.resource_server.issuers import Issuer, Metadata
from portvakt.resource_server.jws import rsa_keys


@dataclass(frozen=True)
class CachePolicy:
    max_age: int = 86400
    min_refresh: int = 60


@dataclass
class KeySet:
    issuer: Issuer
    keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    fetched_at: int | None = None
    attempted_at: int | None = None
    metadata: Metadata | None = None

    def wants_fetch(self, kid: str, now: int, policy: CachePolicy) -> bool:
        stale = self.fetched_at is None or now - self.fetched_at >= policy.max_age
        if not stale and kid in self.keys:
            return False
        return self.attempted_at is None or now - self.attempted_at >= policy.min_refresh

    def store(self, jwks: Mapping[str, Any], now: int) -> None:
        self.attempted_at = now
        self.keys = rsa_keys(jwks)
        self.fetched_at = now

    def failed(self, now: int) -> None:
        self.attempted_at = now

    def key(self, kid: str) -> rsa.RSAPublicKey | None:
        return self.keys.get(kid)
