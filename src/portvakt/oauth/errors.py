"""OAuth 2.0 error model (RFC 6749 §5.2): each error a small class with `error`, `status_code`, description.

`description` is safe to return to the client; `hint` is specific, for logs only. Services render
these errors in one place (their own error family) and may translate them to their own catalogue.
"""

from __future__ import annotations

from portvakt.domain.errors import PortvaktError


class OAuthError(PortvaktError):
    """Base of the OAuth errors. `code` (the PortvaktError field) carries the RFC 6749 `error` value."""

    code = "invalid_request"

    def __init__(self, description: str, *, hint: str | None = None) -> None:
        super().__init__(description, detail=hint)

    @property
    def error(self) -> str:
        return self.code

    @property
    def description(self) -> str:
        return self.message

    @property
    def hint(self) -> str | None:
        return self.detail


class InvalidRequest(OAuthError):
    code = "invalid_request"


class InvalidGrant(OAuthError):
    code = "invalid_grant"


class InvalidScope(OAuthError):
    code = "invalid_scope"


class UnauthorizedClient(OAuthError):
    code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"


class AccessDenied(OAuthError):
    code = "access_denied"


class ServerError(OAuthError):
    status_code = 500
    code = "server_error"


class TemporarilyUnavailable(OAuthError):
    status_code = 503
    code = "temporarily_unavailable"
