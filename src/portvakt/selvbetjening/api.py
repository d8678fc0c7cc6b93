"""The self-service REST API, `{S}/api/v1` (selvbetjening.md §5): thin routes over the registry's use cases.

Each route: authorise (§2, `portvakt.selvbetjening.auth`), parse (`portvakt.selvbetjening.bodies`), call
one use case, render with the registry's JSON renderers. Errors leave through the service's renderer (§6).
"""

# No `from __future__ import annotations`: FastAPI resolves the routes' local dependency aliases.
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from portvakt.registry.model import (
    INTEGRATION_TYPES,
    ApiScope,
    CreatedClient,
    ScopeAccess,
    access_json,
    client_json,
    delegation_source_json,
    format_timestamp,
    key_set_json,
    scope_json,
)
from portvakt.registry.repository import registry_service
from portvakt.registry.service import Actor, RegistryService, valid_orgno
from portvakt.selvbetjening.auth import (
    DCR_MODIFY,
    DCR_READ,
    DCR_SUPPLIER,
    DCR_WRITE,
    SCOPES_WRITE,
    ApiAuth,
    Caller,
)
from portvakt.selvbetjening.bodies import (
    ClientBody,
    KeySetBody,
    ScopeBody,
    client_settings,
    flag,
    json_object,
    key_set,
    request_body,
    required,
    scope_settings,
)
from portvakt.selvbetjening.errors import JSON_MEDIA_TYPE, InvalidQueryParameter
from portvakt.web.service import Platform

API_PREFIX: Final = "/api/v1"


class ApiResponse(JSONResponse):
    media_type = JSON_MEDIA_TYPE

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(content, status_code=status_code, headers={"Cache-Control": "no-store"})


def _created_client(created: CreatedClient, status_code: int = 200) -> ApiResponse:
    return ApiResponse(client_json(created.client, client_secret=created.client_secret), status_code)


def consumer_access_json(access: ScopeAccess, scope: ApiScope) -> dict[str, Any]:
    """One item of `GET /scopes/access/all` (§5)."""
    return {
        "scope": access.scope,
        "state": access.state.value,
        "consumer_orgno": access.consumer_orgno,
        "owner_orgno": access.owner_orgno,
        "description": scope.settings.description,
        "active": scope.active,
        "allowed_integration_types": list(scope.settings.allowed_integration_types),
        "accessible_for_all": scope.settings.accessible_for_all,
        "created": format_timestamp(access.created),
        "last_updated": format_timestamp(access.last_updated),
    }


def build_router(platform: Platform, auth: ApiAuth) -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, tags=["selvbetjening"])

    def anonymous() -> RegistryService:
        actor = Actor(channel="api", name="anonymous")
        return registry_service(platform.settings, platform.database, platform.clock, actor)

    Reader = Annotated[Caller, Depends(auth.requires(DCR_READ, DCR_SUPPLIER, change=False))]
    Modifier = Annotated[Caller, Depends(auth.requires(DCR_MODIFY, DCR_SUPPLIER, change=True))]
    Writer = Annotated[Caller, Depends(auth.requires(DCR_WRITE, DCR_SUPPLIER, change=True))]
    Creator = Annotated[Caller, Depends(auth.requires(DCR_WRITE, change=True))]
    ScopeReader = Annotated[Caller, Depends(auth.requires(SCOPES_WRITE, change=False))]
    ScopeWriter = Annotated[Caller, Depends(auth.requires(SCOPES_WRITE, change=True))]
    Consumer = Annotated[Caller, Depends(auth.requires(DCR_READ, DCR_WRITE, SCOPES_WRITE, change=False))]

    # -- clients (§4.4–§4.7) -----------------------------------------------------------------------

    @router.get("/clients", summary="List own and supplier-managed clients")
    async def list_clients(caller: Reader, inactive: str | None = None) -> Response:
        clients = await caller.service.list_clients(
            own=caller.has(DCR_READ),
            supplied=caller.has(DCR_SUPPLIER),
            include_inactive=bool(flag("inactive", inactive)),
        )
        return ApiResponse([client_json(client) for client in clients])

    @router.post(
        "/clients", status_code=201, summary="Create a client", openapi_extra=request_body(ClientBody)
    )
    async def create_client(caller: Creator, request: Request) -> Response:
        settings = client_settings(await json_object(request))
        if settings.client_orgno is not None and settings.client_orgno != caller.orgno:
            caller.require(DCR_SUPPLIER)
        return _created_client(await caller.service.create_client(settings), 201)

    @router.get("/clients/{client_id}", summary="Read a client")
    async def get_client(caller: Reader, client_id: str) -> Response:
        return ApiResponse(client_json(await caller.managed_client(client_id, DCR_READ)))

    @router.put("/clients/{client_id}", summary="Replace a client", openapi_extra=request_body(ClientBody))
    async def update_client(caller: Modifier, client_id: str, request: Request) -> Response:
        settings = client_settings(await json_object(request))
        await caller.managed_client(client_id, DCR_MODIFY)
        return _created_client(await caller.service.update_client(client_id, settings))

    @router.delete("/clients/{client_id}", summary="Deactivate a client")
    async def deactivate_client(caller: Writer, client_id: str) -> Response:
        await caller.managed_client(client_id, DCR_WRITE)
        return ApiResponse(client_json(await caller.service.deactivate_client(client_id)))

    @router.post("/clients/{client_id}/secret", summary="Issue a new client secret")
    async def rotate_secret(caller: Modifier, client_id: str) -> Response:
        await caller.managed_client(client_id, DCR_MODIFY)
        return _created_client(await caller.service.rotate_client_secret(client_id))

    @router.get("/clients/{client_id}/jwks", summary="Read a client's keys")
    async def get_keys(caller: Reader, client_id: str) -> Response:
        await caller.managed_client(client_id, DCR_READ)
        return ApiResponse(key_set_json(await caller.service.client_keys(client_id)))

    async def replace_keys(caller: Caller, client_id: str, request: Request) -> Response:
        keys = key_set(await json_object(request))
        await caller.managed_client(client_id, DCR_WRITE)
        return ApiResponse(key_set_json(await caller.service.replace_client_keys(client_id, keys)))

    @router.post(
        "/clients/{client_id}/jwks", summary="Replace a client's keys", openapi_extra=request_body(KeySetBody)
    )
    async def post_keys(caller: Writer, client_id: str, request: Request) -> Response:
        return await replace_keys(caller, client_id, request)

    @router.put(
        "/clients/{client_id}/jwks", summary="Replace a client's keys", openapi_extra=request_body(KeySetBody)
    )
    async def put_keys(caller: Writer, client_id: str, request: Request) -> Response:
        return await replace_keys(caller, client_id, request)

    @router.delete("/clients/{client_id}/jwks", status_code=204, summary="Remove a client's keys")
    async def delete_keys(caller: Writer, client_id: str) -> Response:
        await caller.managed_client(client_id, DCR_WRITE)
        await caller.service.delete_client_keys(client_id)
        return Response(status_code=204, headers={"Cache-Control": "no-store"})

    # -- scopes (§4.1, §4.2) -----------------------------------------------------------------------

    @router.get("/scopes/all", summary="Active public scopes of all organisations (open)")
    async def all_scopes(
        accessible_for_all: str | None = None, integration_type: str | None = None, prefix: str | None = None
    ) -> Response:
        if integration_type is not None and integration_type not in INTEGRATION_TYPES:
            raise InvalidQueryParameter("integration_type")
        found = await anonymous().public_scopes(
            accessible_for_all=flag("accessible_for_all", accessible_for_all),
            integration_type=integration_type,
            prefix=prefix,
        )
        return ApiResponse([scope_json(scope) for scope in found])

    @router.get("/scopes", summary="Own scopes, or one own scope with ?scope=")
    async def own_scopes(
        caller: ScopeReader, scope: str | None = None, inactive: str | None = None
    ) -> Response:
        include_inactive = bool(flag("inactive", inactive))
        if scope is not None:
            return ApiResponse(scope_json(await caller.service.get_scope(required("scope", scope))))
        found = await caller.service.list_scopes(include_inactive=include_inactive)
        return ApiResponse([scope_json(item) for item in found])

    @router.post("/scopes", status_code=201, summary="Create a scope", openapi_extra=request_body(ScopeBody))
    async def create_scope(caller: ScopeWriter, request: Request) -> Response:
        body = await json_object(request)
        created = await caller.service.create_scope(
            body.get("prefix"), body.get("subscope"), scope_settings(body)
        )
        return ApiResponse(scope_json(created), 201)

    @router.put("/scopes", summary="Replace a scope's settings", openapi_extra=request_body(ScopeBody))
    async def update_scope(caller: ScopeWriter, request: Request, scope: str | None = None) -> Response:
        name = required("scope", scope)
        body = await json_object(request)
        updated = await caller.service.update_scope(
            name,
            scope_settings(body),
            active=body.get("active"),
            sent_name=body.get("name"),
            sent_prefix=body.get("prefix"),
            sent_subscope=body.get("subscope"),
        )
        return ApiResponse(scope_json(updated))

    @router.delete("/scopes", summary="Deactivate a scope")
    async def deactivate_scope(caller: ScopeWriter, scope: str | None = None) -> Response:
        return ApiResponse(scope_json(await caller.service.deactivate_scope(required("scope", scope))))

    # -- scope access (§4.3) -----------------------------------------------------------------------

    @router.get("/scopes/access/all", summary="The acting organisation's accesses to active scopes")
    async def my_accesses(caller: Consumer) -> Response:
        rows = await caller.service.consumer_accesses()
        return ApiResponse([consumer_access_json(access, scope) for access, scope in rows])

    @router.get("/scopes/access", summary="Accesses to an own scope")
    async def list_accesses(
        caller: ScopeReader,
        scope: str | None = None,
        consumer_orgno: str | None = None,
        inactive: str | None = None,
    ) -> Response:
        name = required("scope", scope)
        include_denied = bool(flag("inactive", inactive))
        consumer = valid_orgno(consumer_orgno) if consumer_orgno is not None else None
        rows = await caller.service.list_accesses(
            name, consumer_orgno=consumer, include_denied=include_denied
        )
        return ApiResponse([access_json(row) for row in rows])

    @router.put("/scopes/access/{consumer_orgno}", summary="Grant an organisation access to an own scope")
    async def grant_access(caller: ScopeWriter, consumer_orgno: str, scope: str | None = None) -> Response:
        access = await caller.service.grant_access(required("scope", scope), consumer_orgno)
        return ApiResponse(access_json(access))

    @router.delete("/scopes/access/{consumer_orgno}", summary="Revoke an organisation's access")
    async def revoke_access(caller: ScopeWriter, consumer_orgno: str, scope: str | None = None) -> Response:
        access = await caller.service.revoke_access(required("scope", scope), consumer_orgno)
        return ApiResponse(access_json(access))

    # -- delegation sources (§3.6) -----------------------------------------------------------------

    @router.get("/delegationsources", summary="Known delegation sources (open)")
    async def delegation_sources() -> Response:
        sources = await anonymous().list_delegation_sources()
        return ApiResponse([delegation_source_json(source) for source in sources])

    return router
