"""Self-contained JWT access tokens of the Maskinporten kind (maskinporten.md §7.4, §9.2, §9.3)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from portvakt.domain.identifiers import iso6523

TOKEN_TYPE: Final = "Bearer"  # noqa: S105
PRIVATE_KEY_JWT: Final = "private_key_jwt"
BUSINESS_CERTIFICATE: Final = "virksomhetssertifikat"  # enterprise certificate


def new_jti() -> str:
    """32 CSPRNG bytes, base64url without padding: 43 characters (§1.4)."""
    return secrets.token_urlsafe(32)


def token_lifetime(default: int, scope_max_ages: Iterable[int | None], client_lifetime: int | None) -> int:
    """§9.3: the smallest of the default, every positive `at_max_age`, and a positive client lifetime."""
    candidates = [default, *(age for age in scope_max_ages if age is not None and age > 0)]
    if client_lifetime is not None and client_lifetime > 0:
        candidates.append(client_lifetime)
    return min(candidates)


def audience(resources: Sequence[str]) -> str | list[str] | None:
    """§7.4: `resource` as `aud`: one distinct value → string, several → array (order kept), none → absent."""
    distinct = list(dict.fromkeys(resources))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else distinct


@dataclass(frozen=True, slots=True)
class Delegation:
    supplier_orgno: str
    source_issuer: str


@dataclass(frozen=True, slots=True)
class AccessTokenContent:
    issuer: str
    client_amr: str
    client_id: str
    scopes: tuple[str, ...]
    consumer_orgno: str
    issued_at: int
    lifetime: int
    delegation: Delegation | None = None
    resources: tuple[str, ...] = ()
    pid: str | None = None

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.lifetime

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


def access_token_claims(content: AccessTokenContent, jti: str) -> dict[str, Any]:
    """The claims of §9.2; nothing else (no `client_orgno`, no `"aud":"unspecified"`)."""
    claims: dict[str, Any] = {
        "iss": content.issuer,
        "client_amr": content.client_amr,
        "token_type": TOKEN_TYPE,
        "client_id": content.client_id,
        "scope": content.scope,
        "consumer": iso6523(content.consumer_orgno),
    }
    if content.delegation is not None:
        claims["supplier"] = iso6523(content.delegation.supplier_orgno)
        claims["delegation_source"] = content.delegation.source_issuer
    aud = audience(content.resources)
    if aud is not None:
        claims["aud"] = aud
    if content.pid is not None:
        claims["pid"] = content.pid
    claims["iat"] = content.issued_at
    claims["exp"] = content.expires_at
    claims["jti"] = jti
    return claims
