"""Access control (rrh.md §2): a Maskinporten token with a phase-1 RRH scope; every token problem is 403."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from portvakt.resource_server import AsyncTokenValidator, TokenError, ValidatedToken
from portvakt.resource_server.dependency import bearer_token
from portvakt.rrh.errors import Forbidden

SCOPE_OFFENTLIG = "brreg:reelle/offentlig"
SCOPE_RAPPORTERINGSPLIKTIG = "brreg:reelle/rapporteringspliktig"
# Most privileged first (§2: with several RRH scopes the most privileged applies).
PHASE1_SCOPES: tuple[str, ...] = (SCOPE_OFFENTLIG, SCOPE_RAPPORTERINGSPLIKTIG)


@dataclass(frozen=True)
class RrhCaller:
    """An authenticated consumer and the RRH scope that decides what it sees."""

    token: ValidatedToken
    scope: str


def effective_scope(scopes: frozenset[str]) -> str | None:
    for scope in PHASE1_SCOPES:
        if scope in scopes:
            return scope
    return None


async def authorize(validator: AsyncTokenValidator, connection: HTTPConnection) -> RrhCaller:
    """Validate the bearer token (issuer, signature, lifetime, consumer) and require an RRH scope."""
    try:
        token = await validator.validate(bearer_token(connection), PHASE1_SCOPES, "any")
    except TokenError as exc:
        raise Forbidden(f"{type(exc).__name__}: {exc.reason}") from None
    scope = effective_scope(token.scopes)
    if scope is None:
        raise Forbidden("no RRH scope")
    return RrhCaller(token=token, scope=scope)
