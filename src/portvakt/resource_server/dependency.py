"""Starlette/FastAPI dependency: `Authorization: Bearer` → ValidatedToken, or a TokenError for the API to map.

Separate from the core so `portvakt.resource_server` imports without Starlette.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from portvakt.resource_server.errors import MissingToken
from portvakt.resource_server.token import ScopeMode, ValidatedToken
from portvakt.resource_server.validator import AsyncTokenValidator, TokenValidator


def bearer_token(connection: HTTPConnection) -> str:
    """The token of `Authorization: Bearer <token>` (any case of `Bearer`); anything else → MissingToken."""
    value = connection.headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise MissingToken()
    return token


def require_token(
    validator: TokenValidator | AsyncTokenValidator,
    required_scopes: Collection[str] = (),
    *,
    scope_mode: ScopeMode = "any",
    require_pid: bool = False,
) -> Callable[[HTTPConnection], Awaitable[ValidatedToken]]:
    """A dependency for `Depends(...)`: validates the request's bearer token and returns it.

    Errors (all TokenError) propagate; register an exception handler to map them (see `www_authenticate`).
    A sync validator runs in the thread pool, so a key-set fetch never blocks the event loop.
    """
    scopes = tuple(required_scopes)

    async def dependency(connection: HTTPConnection) -> ValidatedToken:
        token = bearer_token(connection)
        if isinstance(validator, AsyncTokenValidator):
            return await validator.validate(token, scopes, scope_mode, require_pid=require_pid)
        return await run_in_threadpool(
            partial(validator.validate, token, scopes, scope_mode, require_pid=require_pid)
        )

    return dependency
