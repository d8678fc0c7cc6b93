"""Token validation for resource servers (maskinporten.md §14): ours and API providers'.

The core needs only httpx and cryptography; the Starlette/FastAPI dependency is in
`portvakt.resource_server.dependency`.
"""

from portvakt.resource_server.challenge import bearer_challenge, www_authenticate
from portvakt.resource_server.errors import (
    AudienceMismatch,
    ExpiredToken,
    InsufficientScope,
    InvalidToken,
    MissingToken,
    PidMismatch,
    TokenError,
)
from portvakt.resource_server.introspection import ClientCredentials
from portvakt.resource_server.issuers import Introspector, Issuer, KeyProvider
from portvakt.resource_server.token import ScopeMode, ValidatedToken
from portvakt.resource_server.validator import AsyncTokenValidator, Clock, TokenValidator

__all__ = [
    "AsyncTokenValidator",
    "AudienceMismatch",
    "ClientCredentials",
    "Clock",
    "ExpiredToken",
    "InsufficientScope",
    "Introspector",
    "InvalidToken",
    "Issuer",
    "KeyProvider",
    "MissingToken",
    "PidMismatch",
    "ScopeMode",
    "TokenError",
    "TokenValidator",
    "ValidatedToken",
    "bearer_challenge",
    "www_authenticate",
]
