"""Typed validation errors (maskinporten.md §14). Each API maps them to its own status codes."""

from __future__ import annotations

from collections.abc import Iterable


class TokenError(Exception):
    """Base of every validation failure. `reason` is safe to show; it never contains the token."""

    #: RFC 6750 §3.1 error code suggested for a `WWW-Authenticate` challenge (None: no error attribute).
    rfc6750_error: str | None = "invalid_token"
    #: RFC 6750 status suggested for the error (APIs may map differently, e.g. RRH: 403 for all).
    rfc6750_status: int = 401

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MissingToken(TokenError):
    rfc6750_error = None

    def __init__(self, reason: str = "Missing bearer token") -> None:
        super().__init__(reason)


class InvalidToken(TokenError):
    pass


class ExpiredToken(TokenError):
    def __init__(self, reason: str = "The access token has expired") -> None:
        super().__init__(reason)


class AudienceMismatch(TokenError):
    def __init__(self, reason: str = "The access token is not intended for this audience") -> None:
        super().__init__(reason)


class InsufficientScope(TokenError):
    rfc6750_error = "insufficient_scope"
    rfc6750_status = 403

    def __init__(self, required: Iterable[str], mode: str = "any") -> None:
        self.required = tuple(required)
        self.mode = mode
        listed = " ".join(self.required)
        if len(self.required) == 1:
            super().__init__(f"The access token needs the scope {listed}")
        else:
            super().__init__(
                f"The access token needs {'one' if mode == 'any' else 'all'} of the scopes {listed}"
            )


class PidMismatch(TokenError):
    rfc6750_error = "insufficient_scope"
    rfc6750_status = 403

    def __init__(self, reason: str = "The access token is for another person") -> None:
        super().__init__(reason)
