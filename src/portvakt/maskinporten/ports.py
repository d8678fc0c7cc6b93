"""What the token endpoint needs from the rest of the platform (maskinporten.md §3, §6, §11, §12).

Read models are frozen dataclasses; each port is a Protocol with a storage adapter elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class ClientKey:
    kid: str
    jwk: Mapping[str, Any]  # public JWK as registered (may carry "alg" and "x5c")
    expires_at: datetime  # one year after upload (MP-121)


@dataclass(frozen=True)
class Client:
    client_id: str
    client_orgno: str
    integration_type: str  # maskinporten, krr, api_klient, idporten, ...
    grant_types: tuple[str, ...]
    scopes: frozenset[str]
    active: bool
    supplier_orgno: str | None = None
    access_token_lifetime: int | None = None
    keys: tuple[ClientKey, ...] = ()

    def key(self, kid: str) -> ClientKey | None:
        return next((key for key in self.keys if key.kid == kid), None)


@dataclass(frozen=True)
class Scope:
    name: str
    owner_orgno: str
    active: bool
    allowed_integration_types: tuple[str, ...] = ()
    accessible_for_all: bool = False
    at_max_age: int | None = None
    delegation_source: str | None = None  # name of a delegation source


@dataclass(frozen=True)
class DelegationSource:
    name: str
    issuer: str


class RegistryReader(Protocol):
    """Registry lookups for the token endpoint; implementations cache ≤ PORTVAKT_REGISTRY_CACHE_SECONDS."""

    async def client(self, client_id: str) -> Client | None: ...

    async def scopes(self, names: Sequence[str]) -> Mapping[str, Scope]:
        """The named scopes that exist (active or not); unknown names are absent from the result."""
        ...

    async def has_approved_access(self, scope: str, consumer_orgno: str) -> bool: ...

    async def delegation_source(self, name: str) -> DelegationSource | None: ...


class TokenSigner(Protocol):
    """The service's active signing key (maskinporten.md §12.3). Never touches the database per call."""

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Compact JWS, header {"kid": <active kid>, "alg": "RS256"}."""
        ...

    def public_jwks(self) -> dict[str, Any]:
        """{"keys": [...]} with every published key (next, active, retired until removal)."""
        ...


@dataclass(frozen=True)
class ValidatedCertificate:
    """A leaf certificate whose chain, validity and revocation status have been checked (§6.2 steps 1–3)."""

    public_key: RSAPublicKey
    orgno: str | None  # SEID 2 organizationIdentifier NTRNO-…, else SEID 1 SERIALNUMBER; None if neither
    subject: str
    serial_hex: str
    chain_der: tuple[bytes, ...] = field(default=(), repr=False)


class CertificateValidator(Protocol):
    async def validate(self, x5c: Sequence[str]) -> ValidatedCertificate:
        """Raise portvakt.oauth.x509_chain.InvalidCertificateEncoding (→ MP-123) for a malformed x5c
        value, or portvakt.oauth.x509_chain.UntrustedCertificate (→ MP-120) for any chain, validity,
        key or revocation failure."""
        ...


class ReplayStore(Protocol):
    async def first_use(self, key: str, expires_at: int) -> bool:
        """Record `key` until `expires_at` (epoch seconds); False if it was already recorded (replay)."""
        ...


class DelegationChecker(Protocol):
    """The Altinn port (§7.3): in-process or HTTP adapter. Raises Unavailable on failure (→ MP-901)."""

    async def has_maskinporten_delegation(
        self, consumer_orgno: str, supplier_orgno: str, scope: str
    ) -> bool: ...
