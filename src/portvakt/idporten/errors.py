"""ID-porten's errors (idporten.md §10): redirect errors, HTML error pages, JSON endpoint errors."""

from __future__ import annotations

from portvakt.domain.errors import PortvaktError
from portvakt.oauth.errors import OAuthError


class AuthorizeError(Exception):
    """§10.2: sent back to the client's `redirect_uri` (with `state` when it was valid, and `iss`)."""

    def __init__(
        self, error: str, description: str, *, redirect_uri: str, state: str | None, mode: str
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state
        self.mode = mode


class PageError(PortvaktError):
    """§10.1: an HTML error page; the redirect target is unknown or untrusted."""

    status_code = 400

    def __init__(self, code: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.status_code = status_code


class TransactionExpired(PageError):
    def __init__(self) -> None:
        super().__init__("invalid_request", "The login has expired. Go back to the service and try again.")


class EndpointError(OAuthError):
    """§10.3: a JSON error of the token, PAR, introspection and revocation endpoints."""

    def __init__(
        self, error: str, description: str, *, status_code: int = 400, hint: str | None = None
    ) -> None:
        super().__init__(description, hint=hint)
        self.code = error
        self.status_code = status_code
        self.www_authenticate: str | None = None


def invalid_request(description: str) -> EndpointError:
    return EndpointError("invalid_request", description)


def invalid_client(reason: str, *, basic: bool = False) -> EndpointError:
    error = EndpointError("invalid_client", f"Client authentication failed: {reason}", status_code=401)
    if basic:
        error.www_authenticate = 'Basic realm="idporten"'
    return error


def invalid_assertion(reason: str) -> EndpointError:
    return invalid_client(f"invalid client assertion ({reason})")


def invalid_grant(description: str, *, hint: str | None = None) -> EndpointError:
    return EndpointError("invalid_grant", description, hint=hint)
