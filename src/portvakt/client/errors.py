"""Errors of the consumer token client."""

from __future__ import annotations


class TokenRequestError(Exception):
    """The token endpoint refused the request, or could not be reached (`status` None).

    `error`, `error_description` and `error_uri` are the server's JSON members (maskinporten.md §10.1);
    `invalid_response` when the answer was not the expected JSON, `request_failed` when no answer came.
    """

    def __init__(
        self,
        status: int | None,
        error: str,
        error_description: str | None = None,
        error_uri: str | None = None,
    ) -> None:
        super().__init__(f"{error}: {error_description}" if error_description else error)
        self.status = status
        self.error = error
        self.error_description = error_description
        self.error_uri = error_uri


class DiscoveryError(TokenRequestError):
    """The issuer's metadata document could not be read or does not name this issuer."""
