"""The admin API (selvbetjening.md §7) under `{S}/api/v1/admin`: scope `portvakt:admin`, acting org = the
platform organisation, errors in the §6 format (rendered by the service's `render_api_error`).

Authentication is the self-service API's (`ApiAuth.authenticate`, §2 steps 1–3); the admin rule on top is
one check here: the acting organisation must be the platform organisation. The routes are thin: each calls
one `portvakt.registry.admin.AdminService` use case acting as `Actor(channel="admin-api", admin=True)`, so
every change lands in the change log (§9) like the CLI's.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.responses import JSONResponse

from portvakt.registry.admin import KEEP, AdminService, admin_service, checked_domains
from portvakt.registry.errors import AccessDenied, InvalidRequest
from portvakt.registry.model import organisation_json
from portvakt.registry.service import Actor
from portvakt.registry.users import user_json
from portvakt.selvbetjening.auth import ADMIN, ApiAuth, bearer_scheme
from portvakt.selvbetjening.bodies import flag, json_object
from portvakt.selvbetjening.errors import JSON_MEDIA_TYPE
from portvakt.web.service import Platform

ADMIN_PREFIX: Final = "/api/v1/admin"
AUTH_COMPONENT: Final = "selvbetjening.api_auth"  # where the service app registers its ApiAuth


def _json(document: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(document, status_code=status_code, media_type=JSON_MEDIA_TYPE)


def _flag_of(body: dict[str, Any], member: str, default: bool) -> bool:
    value = body.get(member, default)
    if not isinstance(value, bool):
        raise InvalidRequest(f"Invalid value for {member}")
    return value


def _domains_of(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("email_domains")
    return () if value is None else checked_domains(value)


def build_admin_router(platform: Platform) -> APIRouter:
    """The §7 routes; uses the service's `ApiAuth` when registered (else builds one)."""
    registered = platform.components.get(AUTH_COMPONENT)
    auth: ApiAuth = registered if isinstance(registered, ApiAuth) else ApiAuth(platform)
    router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin"])

    async def administrator(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> AdminService:
        caller = await auth.authenticate(request, change=False, scopes=(ADMIN,))
        if caller.orgno != platform.settings.platform_orgno:
            raise AccessDenied("Admin API requires the platform organisation")
        actor = Actor(
            channel="admin-api", name=caller.token.client_id or "unknown", orgno=caller.orgno, admin=True
        )
        return admin_service(platform.settings, platform.database, platform.clock, actor)

    # Evaluated here (no `from __future__ import annotations` in this module): FastAPI reads route
    # signatures at definition time, and this alias is local to the router.
    Admin = Annotated[AdminService, Depends(administrator)]

    # -- organisations -----------------------------------------------------------------------------

    @router.get("/organisations")
    async def list_organisations(service: Admin, inactive: str | None = None) -> JSONResponse:
        found = await service.list_organisations(include_inactive=bool(flag("inactive", inactive)))
        return _json([organisation_json(organisation) for organisation in found])

    @router.post("/organisations", status_code=201)
    async def create_organisation(service: Admin, request: Request) -> JSONResponse:
        body = await json_object(request)
        orgno = body.get("orgno")
        if not isinstance(orgno, str):
            raise InvalidRequest(f"Invalid organisation number: {orgno}")
        organisation = await service.add_organisation(
            orgno,
            body.get("name"),  # type: ignore[arg-type]  # checked by the use case
            email_domains=_domains_of(body),
            terms_signed=_flag_of(body, "terms_signed", False),
            mercantile=body.get("mercantile"),
        )
        return _json(organisation_json(organisation), 201)

    @router.get("/organisations/{orgno}")
    async def get_organisation(service: Admin, orgno: str) -> JSONResponse:
        return _json(organisation_json(await service.get_organisation(orgno)))

    @router.put("/organisations/{orgno}")
    async def replace_organisation(service: Admin, orgno: str, request: Request) -> JSONResponse:
        """Full replacement of `name`, `email_domains`, `terms_signed` and `mercantile` (§1)."""
        body = await json_object(request)
        organisation = await service.update_organisation(
            orgno,
            name=body.get("name"),  # type: ignore[arg-type]  # checked by the use case
            email_domains=_domains_of(body),
            terms_signed=_flag_of(body, "terms_signed", False),
            mercantile=body.get("mercantile"),
        )
        return _json(organisation_json(organisation))

    @router.delete("/organisations/{orgno}")
    async def deactivate_organisation(service: Admin, orgno: str) -> JSONResponse:
        return _json(organisation_json(await service.deactivate_organisation(orgno)))

    @router.put("/organisations/{orgno}/prefixes/{prefix}")
    async def assign_prefix(service: Admin, orgno: str, prefix: str) -> JSONResponse:
        return _json(organisation_json(await service.assign_prefix_to(prefix, orgno)))

    @router.delete("/organisations/{orgno}/prefixes/{prefix}")
    async def unassign_prefix(service: Admin, orgno: str, prefix: str) -> JSONResponse:
        await service.unassign_prefix(prefix, orgno=orgno)
        return _json(organisation_json(await service.get_organisation(orgno)))

    # -- portal users ------------------------------------------------------------------------------

    @router.get("/users")
    async def list_users(service: Admin, orgno: str | None = None) -> JSONResponse:
        return _json([user_json(user) for user in await service.list_users(orgno=orgno)])

    @router.get("/users/{user_id}")
    async def get_user(service: Admin, user_id: str) -> JSONResponse:
        return _json(user_json(await service.get_user(user_id)))

    @router.put("/users/{user_id}")
    async def update_user(service: Admin, user_id: str, request: Request) -> JSONResponse:
        """Sets the members sent of `orgno`, `pid` (null unbinds), `rights` and `active`."""
        body = await json_object(request)
        orgno = body.get("orgno", KEEP)
        if orgno is not KEEP and not isinstance(orgno, str):
            raise InvalidRequest(f"Invalid organisation number: {orgno}")
        user = await service.update_user(
            user_id,
            orgno=orgno,
            pid=body.get("pid", KEEP),
            rights=body.get("rights", KEEP),
            active=body.get("active", KEEP),
        )
        return _json(user_json(user))

    @router.delete("/users/{user_id}")
    async def deactivate_user(service: Admin, user_id: str) -> JSONResponse:
        return _json(user_json(await service.deactivate_user(user_id)))

    return router
