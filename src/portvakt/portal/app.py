"""Mounting the portal into the selvbetjening service app: pages at `{S}/`, static files at `{S}/static/`,
and the HTML error page for every path outside the REST API (`{S}/api/...`)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from portvakt.domain.errors import PortvaktError
from portvakt.portal import idporten_login, routes
from portvakt.portal.web import Portal
from portvakt.web.errors import ErrorRenderer
from portvakt.web.logging import get_logger
from portvakt.web.service import Platform

STATIC_DIR: Final = Path(__file__).parent / "static"
COMPONENT: Final = "selvbetjening.portal"

log = get_logger("portvakt.portal")


def is_portal_path(request: Request) -> bool:
    """Whether the request is for the portal (not the REST API, its docs or the health check)."""
    root: str = request.scope.get("root_path", "")
    path: str = request.scope["path"]
    relative = path[len(root) :] if root and path.startswith(root) else path
    return not (relative.startswith("/api/") or relative in {"/api", "/health"})


def portal_or(api_renderer: ErrorRenderer, portal: Portal) -> ErrorRenderer:
    """HTML error pages for portal paths, the API's JSON errors everywhere else."""

    def render(request: Request, error: PortvaktError) -> Response:
        if is_portal_path(request):
            return portal.error_page(request, error)
        return api_renderer(request, error)

    return render


def new_portal(platform: Platform) -> Portal:
    portal = Portal(platform)
    platform.components[COMPONENT] = portal
    return portal


def install(app: FastAPI, portal: Portal) -> None:
    """Add the portal's routes and static files to the service app, and its client bootstrap to startup."""
    platform = portal.platform
    app.include_router(routes.build_router(portal))
    app.include_router(idporten_login.build_router(portal))
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="portal-static")

    async def register_client() -> None:
        try:
            await idporten_login.ensure_portal_client(portal)
        except PortvaktError as exc:  # the portal still serves; only "Logg inn med ID-porten" fails
            log.warning("portal_client_not_registered", error=exc.message)

    platform.startup.append(register_client)
