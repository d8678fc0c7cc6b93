"""Authentication and access (krr.md §2): Maskinporten tokens for `personer`/`hentEndringer`, ID-porten
tokens for `person`; token problems → 401 with the §10 descriptions, gates → 403."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from starlette.requests import HTTPConnection

from portvakt.krr.errors import AccessDenied, InvalidBearer, MissingBearer
from portvakt.resource_server import (
    AsyncTokenValidator,
    ExpiredToken,
    MissingToken,
    PidMismatch,
    TokenError,
    ValidatedToken,
)
from portvakt.resource_server.dependency import bearer_token

MALFORMED: Final = "Token is malformed"
BAD_SIGNATURE: Final = "Token signature is invalid"
EXPIRED: Final = "Token has expired"
NOT_YET_VALID: Final = "Token is not yet valid"
WRONG_ISSUER: Final = "Token issuer is not accepted for this endpoint"
NO_PID: Final = "Token has no pid claim"
NOT_ACTIVE: Final = "Token is not active"


def describe(error: TokenError) -> str:
    """The §10 `<description>` of a validation failure."""
    reason = error.reason
    if isinstance(error, ExpiredToken):
        return EXPIRED
    if isinstance(error, PidMismatch):
        return NO_PID
    if "signature" in reason or "not a known signing key" in reason:
        return BAD_SIGNATURE
    if "issued in the future" in reason:
        return NOT_YET_VALID
    if "issuer" in reason:
        return WRONG_ISSUER
    if "not active" in reason or "introspection" in reason.lower():
        return NOT_ACTIVE
    return MALFORMED


def _unverified_issuer(token: str) -> object:
    """The `iss` of a compact JWS before verification (only to tell "another issuer" apart)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return claims.get("iss") if isinstance(claims, dict) else None


@dataclass(frozen=True)
class Caller:
    token: ValidatedToken

    @property
    def scopes(self) -> frozenset[str]:
        return self.token.scopes


class TokenGate:
    """Validates the bearer token against one group of issuers (§2.1)."""

    def __init__(self, validator: AsyncTokenValidator, *, require_pid: bool) -> None:
        self.validator = validator
        self.require_pid = require_pid
        self.issuers = frozenset(i.issuer for i in validator.issuers)

    async def authenticate(self, connection: HTTPConnection) -> Caller:
        try:
            token = bearer_token(connection)
        except MissingToken:
            raise MissingBearer() from None
        if "." in token:
            issuer = _unverified_issuer(token)
            if isinstance(issuer, str) and issuer not in self.issuers:
                raise InvalidBearer(WRONG_ISSUER, detail="issuer not accepted here")
        try:
            validated = await self.validator.validate(token, (), "any", require_pid=self.require_pid)
        except MissingToken:
            raise MissingBearer() from None
        except TokenError as exc:
            raise InvalidBearer(describe(exc), detail=f"{type(exc).__name__}: {exc.reason}") from None
        if self.require_pid and validated.pid is None:
            raise InvalidBearer(NO_PID)
        return Caller(validated)


def require_any(caller: Caller, scopes: Collection[str]) -> None:
    if caller.scopes.isdisjoint(scopes):
        raise AccessDenied("missing scope")


def parties(token: ValidatedToken) -> list[str]:
    return [orgno for orgno in (token.consumer_orgno, token.supplier_orgno) if orgno is not None]
