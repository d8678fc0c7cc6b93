"""Altinn HTTP routes (altinn.md §1): thin — authenticate, parse, call the use case, render."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from portvakt.altinn import apprights, authorized_parties, mp_delegations, pdp
from portvakt.altinn.errors import Forbidden, LegacyError, Unauthorized, bad_request
from portvakt.altinn.facts import Facts
from portvakt.altinn.registry_bootstrap import (
    SCOPE_AUTHORIZE,
    SCOPE_AUTHORIZE_LEGACY,
    SCOPE_AUTHORIZED_PARTIES,
)
from portvakt.altinn.store import service_owner_by_orgnr
from portvakt.domain.clock import Clock
from portvakt.resource_server import AsyncTokenValidator, MissingToken, TokenError
from portvakt.resource_server.dependency import bearer_token
from portvakt.storage.engine import Database

JSON: Final = "application/json; charset=utf-8"
HAL_JSON: Final = "application/hal+json; charset=utf-8"
MAX_BODY: Final = 1024 * 1024
NOT_RESOURCE_OWNER: Final = "The organization is not a registered resource owner"


@dataclass
class AltinnContext:
    database: Database
    validator: AsyncTokenValidator
    clock: Clock
    base_url: str
    altinn_issuer: str
    env: str
    max_pdp_requests: int


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


@dataclass(frozen=True)
class Caller:
    consumer_orgno: str
    client_id: str
    scopes: frozenset[str]


async def authenticate(context: AltinnContext, request: Request, accepted: Collection[str]) -> Caller:
    """§8: missing token → 401 `Bearer`; invalid → 401 `invalid_token`; no accepted scope → 403."""
    try:
        token = await context.validator.validate(bearer_token(request))
    except MissingToken:
        raise Unauthorized("Bearer") from None
    except TokenError as exc:
        raise Unauthorized(
            'Bearer error="invalid_token"', detail=f"{type(exc).__name__}: {exc.reason}"
        ) from None
    if token.consumer_orgno is None:
        raise Unauthorized('Bearer error="invalid_token"', detail="token without consumer")
    if token.scopes.isdisjoint(accepted):
        raise Forbidden(f"Missing scope {next(iter(accepted))}")
    return Caller(token.consumer_orgno, token.client_id or "", token.scopes)


async def json_body(request: Request) -> object:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise bad_request("body", "The request body is larger than 1 MiB.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("body", "The request body is not valid JSON.") from None


def _wants_plain_json(accept: str | None) -> bool:
    if not accept:
        return False
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "application/json" in types and "application/hal+json" not in types


def build_router(context: AltinnContext) -> APIRouter:
    router = APIRouter()

    @router.get(apprights.PATH, include_in_schema=False)
    async def app_rights(request: Request) -> Response:
        now = context.clock.now()
        async with context.database.engine.begin() as connection:
            owner = await apprights.service_owner_for_key(connection, request.headers.get("apikey"), now)
        if "authorization" in request.headers:
            try:
                token = await context.validator.validate(bearer_token(request))
            except TokenError as exc:
                raise LegacyError(403, apprights.WRONG_ORGANISATION, detail=type(exc).__name__) from None
            if token.consumer_orgno != owner.orgnr:
                raise LegacyError(403, apprights.WRONG_ORGANISATION)
        parameters = apprights.query_parameters(request.query_params.multi_items())
        async with context.database.engine.connect() as connection:
            result = await apprights.app_rights_for(connection, owner, parameters, context.env)
        plain = _wants_plain_json(request.headers.get("accept"))
        body = apprights.render(result, context.base_url, hal=not plain)
        return Response(orjson.dumps(body), media_type=JSON if plain else HAL_JSON)

    @router.post("/authorization/api/v1/authorize", include_in_schema=False)
    async def authorize(request: Request) -> Response:
        await authenticate(context, request, (SCOPE_AUTHORIZE, SCOPE_AUTHORIZE_LEGACY))
        body = await json_body(request)
        async with context.database.engine.connect() as connection:
            answer = await pdp.authorize(Facts(connection), body, context.max_pdp_requests)
        return json_response(answer)

    @router.post("/accessmanagement/api/v1/resourceowner/authorizedparties", include_in_schema=False)
    async def authorized(request: Request) -> Response:
        token = await authenticate(context, request, (SCOPE_AUTHORIZED_PARTIES,))
        async with context.database.engine.connect() as connection:
            owner = await service_owner_by_orgnr(connection, token.consumer_orgno)
            if owner is None or not owner.active:
                raise Forbidden(NOT_RESOURCE_OWNER)
            flags = authorized_parties.parse_flags(request.query_params.multi_items())
            lookup = authorized_parties.parse_body(await json_body(request), context.env)
            parties = await authorized_parties.authorized_parties(connection, owner.code, lookup, flags)
        return json_response(parties)

    def _parameters(request: Request) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, value in request.query_params.multi_items():
            found.setdefault(name, value)
        return found

    @router.get(mp_delegations.PATH, include_in_schema=False)
    async def delegations(request: Request) -> Response:
        token = await authenticate(context, request, (mp_delegations.SCOPE_READ, mp_delegations.SCOPE_ADMIN))
        caller = mp_delegations.Caller(token.consumer_orgno, token.scopes)
        async with context.database.engine.connect() as connection:
            found = await mp_delegations.lookup(connection, caller, _parameters(request))
        return json_response(found)

    @router.post(mp_delegations.PATH, include_in_schema=False)
    async def delegate(request: Request) -> Response:
        token = await authenticate(context, request, (mp_delegations.SCOPE_WRITE,))
        body = await json_body(request)
        async with context.database.engine.begin() as connection:
            created, document = await mp_delegations.create(
                connection,
                token.consumer_orgno,
                body,
                altinn_issuer=context.altinn_issuer,
                created_by=f"client:{token.client_id}",
                now=context.clock.now(),
            )
        location = (
            f"{context.base_url}{mp_delegations.PATH}?supplierOrg={document['supplier_org']}"
            f"&consumerOrg={document['consumer_org']}"
        )
        return json_response(document, 201 if created else 200, {"Location": location})

    @router.delete(mp_delegations.PATH, include_in_schema=False)
    async def revoke(request: Request) -> Response:
        token = await authenticate(context, request, (mp_delegations.SCOPE_WRITE,))
        async with context.database.engine.begin() as connection:
            await mp_delegations.revoke(
                connection, token.consumer_orgno, _parameters(request), context.clock.now()
            )
        return Response(status_code=204)

    return router
