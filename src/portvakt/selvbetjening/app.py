"""Composition of the selvbetjening service's HTTP app: the self-service API under `{S}/api/v1`
(selvbetjening.md §5) with its OpenAPI document and Swagger UI, the admin API (§7) when present, and the
§6 error format for every error of the service."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Final

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from portvakt.portal.app import install as install_portal
from portvakt.portal.app import new_portal, portal_or
from portvakt.selvbetjening import api, docs
from portvakt.selvbetjening.auth import ApiAuth
from portvakt.selvbetjening.errors import api_error_renderer
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "selvbetjening"
AUTH_COMPONENT: Final = "selvbetjening.api_auth"
ADMIN_MODULE: Final = "portvakt.selvbetjening.admin_api"


def admin_router(platform: Platform) -> APIRouter | None:
    """`portvakt.selvbetjening.admin_api.build_admin_router(platform)`, when that module is installed."""
    if importlib.util.find_spec(ADMIN_MODULE) is None:
        return None
    router: APIRouter = importlib.import_module(ADMIN_MODULE).build_admin_router(platform)
    return router


def build(platform: Platform) -> FastAPI:
    routes: list[BaseRoute] = []
    portal = new_portal(platform)  # Samarbeidsportalen at `{S}/` (selvbetjening.md §8)
    app = new_service_app(
        SERVICE,
        render=portal_or(api_error_renderer(routes), portal),
        openapi_url=f"{api.API_PREFIX}/openapi.json",
        title="portvakt selvbetjening API",
        version="1",
    )
    app.router.redirect_slashes = False  # `/clients/` is an unknown path (404), not a redirect
    auth = ApiAuth(platform)
    platform.components[AUTH_COMPONENT] = auth
    routers = [api.build_router(platform, auth), docs.build_router(api.API_PREFIX)]
    admin = admin_router(platform)
    if admin is not None:
        routers.insert(1, admin)
    for router in routers:
        app.include_router(router)
        routes.extend(router.routes)
    install_portal(app, portal)
    return app
