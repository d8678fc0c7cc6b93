"""The JWT grant a Maskinporten client sends (maskinporten.md §5): one builder for both clients."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from portvakt.client.keys import SigningKey

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_GRANT_LIFETIME = 120
DEFAULT_GRANT_LIFETIME = 60


def _dedupe(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True)
class TokenRequest:
    """What a token is asked for; also the token cache key."""

    scopes: tuple[str, ...]
    resource: tuple[str, ...] = ()
    consumer_org: str | None = None
    pid: str | None = None

    @classmethod
    def of(
        cls,
        scopes: str | Sequence[str],
        *,
        resource: str | Sequence[str] | None = None,
        consumer_org: str | None = None,
        pid: str | None = None,
    ) -> TokenRequest:
        words = scopes.split() if isinstance(scopes, str) else [w for s in scopes for w in s.split()]
        if not words:
            raise ValueError("At least one scope is required")
        resources = (resource,) if isinstance(resource, str) else tuple(resource or ())
        return cls(_dedupe(words), _dedupe(resources), consumer_org, pid)

    @property
    def cache_key(self) -> tuple[frozenset[str], tuple[str, ...], str | None, str | None]:
        return frozenset(self.scopes), self.resource, self.consumer_org, self.pid


@dataclass(frozen=True)
class GrantBuilder:
    """Builds and signs grants: `aud` = issuer, `iss` = client_id, `exp` = `iat` + lifetime (≤ 120 s)."""

    issuer: str
    client_id: str
    key: SigningKey
    lifetime: int = DEFAULT_GRANT_LIFETIME

    def __post_init__(self) -> None:
        if not 1 <= self.lifetime <= MAX_GRANT_LIFETIME:
            raise ValueError(f"Grant lifetime must be 1..{MAX_GRANT_LIFETIME} seconds")

    def claims(self, request: TokenRequest, now: int) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "aud": self.issuer,
            "iss": self.client_id,
            "iat": now,
            "exp": now + self.lifetime,
            "jti": secrets.token_urlsafe(32),
            "scope": " ".join(request.scopes),
        }
        if request.resource:
            claims["resource"] = request.resource[0] if len(request.resource) == 1 else list(request.resource)
        if request.consumer_org is not None:
            claims["consumer_org"] = request.consumer_org
        if request.pid is not None:
            claims["pid"] = request.pid
        return claims

    def build(self, request: TokenRequest, now: int) -> str:
        return self.key.sign(self.claims(request, now))

    def form(self, request: TokenRequest, now: int) -> dict[str, str]:
        """The token request body (§4)."""
        return {"grant_type": GRANT_TYPE, "assertion": self.build(request, now)}
