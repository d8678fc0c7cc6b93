"""Maskinporten token client for consumers (sync and async, caching)."""

from portvakt.client.client import AsyncMaskinportenClient, MaskinportenClient, TokenResponse
from portvakt.client.errors import DiscoveryError, TokenRequestError
from portvakt.client.grant import GrantBuilder, TokenRequest
from portvakt.client.keys import KeyConfigError, SigningKey

__all__ = [
    "AsyncMaskinportenClient",
    "DiscoveryError",
    "GrantBuilder",
    "KeyConfigError",
    "MaskinportenClient",
    "SigningKey",
    "TokenRequest",
    "TokenRequestError",
    "TokenResponse",
]
