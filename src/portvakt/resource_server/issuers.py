"""Accepted issuers: each with its own key set source and, for ID-porten, introspection (RFC 8414, OIDC)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from portvakt.resource_server.introspection import ClientCredentials
from portvakt.resource_server.token import IssuerKind

#: An in-process key source, e.g. the platform signer's `public_jwks`: returns a JWKS dict.
KeyProvider = Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]
#: An in-process introspection (idporten.md §7.2): token → the RFC 7662 answer.
Introspector = Callable[[str], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True)
class Issuer:
    """One accepted issuer. `kind` by default: trailing slash → Maskinporten, else ID-porten.

    Keys come from `key_provider` if given, else `jwks_uri`, else the issuer's metadata document. Opaque
    tokens are introspected (ID-porten issuers only) with `introspector` if given, else over HTTP at
    `introspection_endpoint` (default: from the OpenID metadata) authenticated with `introspection_client`.
    """

    issuer: str
    kind: IssuerKind | None = None
    jwks_uri: str | None = None
    key_provider: KeyProvider | None = None
    introspection_endpoint: str | None = None
    introspection_client: ClientCredentials | None = None
    introspector: Introspector | None = None

    def __post_init__(self) -> None:
        if self.kind is None:
            object.__setattr__(self, "kind", "maskinporten" if self.issuer.endswith("/") else "idporten")
        if self.kind == "maskinporten" and (self.introspector or self.introspection_client):
            raise ValueError("Maskinporten tokens are never introspected (maskinporten.md §2)")

    @property
    def issuer_kind(self) -> IssuerKind:
        return "maskinporten" if self.kind == "maskinporten" else "idporten"

    @property
    def metadata_url(self) -> str:
        if self.issuer_kind == "maskinporten":
            base = self.issuer if self.issuer.endswith("/") else self.issuer + "/"
            return base + ".well-known/oauth-authorization-server"
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def introspects(self) -> bool:
        return self.introspector is not None or self.introspection_client is not None


@dataclass(frozen=True)
class Metadata:
    jwks_uri: str
    introspection_endpoint: str | None


def parse_metadata(issuer: Issuer, body: object) -> Metadata:
    """The discovery document must name this issuer exactly (RFC 8414 §3.3) and give a `jwks_uri`."""
    if not isinstance(body, dict) or body.get("issuer") != issuer.issuer:
        raise ValueError("metadata document does not name this issuer")
    jwks_uri = body.get("jwks_uri")
    if not isinstance(jwks_uri, str):
        raise ValueError("metadata document has no jwks_uri")
    endpoint = body.get("introspection_endpoint")
    return Metadata(jwks_uri, endpoint if isinstance(endpoint, str) else None)
