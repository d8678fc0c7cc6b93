"""RFC 6750 §3 `WWW-Authenticate: Bearer` challenges for TokenErrors (optional: APIs pick their statuses)."""

from __future__ import annotations

from collections.abc import Sequence

from portvakt.resource_server.errors import InsufficientScope, TokenError

RFC6750_ERROR_URI = "https://tools.ietf.org/html/rfc6750#section-3.1"


def _quoted(value: str) -> str:
    # RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only.
    safe = "".join(c for c in value if 0x20 <= ord(c) <= 0x7E and c not in '"\\')
    return f'"{safe}"'


def bearer_challenge(
    *,
    realm: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
    error_uri: str | None = None,
    scope: Sequence[str] = (),
) -> str:
    """`Bearer` followed by the given auth-params, in RFC 6750 order."""
    params = [
        (name, value)
        for name, value in (
            ("realm", realm),
            ("scope", " ".join(scope) or None),
            ("error", error),
            ("error_description", error_description),
            ("error_uri", error_uri),
        )
        if value is not None
    ]
    if not params:
        return "Bearer"
    return "Bearer " + ", ".join(f"{name}={_quoted(value)}" for name, value in params)


def www_authenticate(
    exc: TokenError,
    *,
    realm: str | None = None,
    describe: bool = True,
    error_uri: str | None = None,
) -> tuple[int, str]:
    """The RFC 6750 status (401 or 403) and `WWW-Authenticate` value for an error.

    A missing token gets no error attributes (§3.1); InsufficientScope names the required scopes.
    """
    if exc.rfc6750_error is None:
        return exc.rfc6750_status, bearer_challenge(realm=realm)
    return exc.rfc6750_status, bearer_challenge(
        realm=realm,
        error=exc.rfc6750_error,
        error_description=exc.reason if describe else None,
        error_uri=error_uri,
        scope=exc.required if isinstance(exc, InsufficientScope) else (),
    )
