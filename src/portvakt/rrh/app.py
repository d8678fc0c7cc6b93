"""Composition of the rrh service's HTTP app (rrh.md): token validation, routes, audit keys, bootstrap and
the totalbestand scheduler."""

from __future__ import annotations

from typing import Final

import orjson
import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from portvakt.audit.keys import load_audit_keys
from portvakt.resource_server import AsyncTokenValidator, Issuer
from portvakt.rrh.errors import rrh_renderer
from portvakt.rrh.openapi import openapi_document, swagger_page
from portvakt.rrh.registry_bootstrap import ensure_rrh_registry
from portvakt.rrh.routes import RrhContext, WriteGate, build_router
from portvakt.rrh.scheduler import TotalbestandScheduler
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "rrh"
SIGNER_COMPONENT: Final = "maskinporten.signer"
SCHEDULER_COMPONENT: Final = "rrh.totalbestand"
LEGAL_BASIS_COMPONENT: Final = "rrh.legal_basis"


def token_validator(platform: Platform) -> AsyncTokenValidator:
    """Issuers from PORTVAKT_RRH_MASKINPORTEN_ISSUERS; the platform's own issuer uses the in-process keys
    when Maskinporten is co-located (it is built before rrh), else its published metadata."""
    settings = platform.settings
    signer = platform.components.get(SIGNER_COMPONENT)
    issuers = [
        Issuer(issuer, key_provider=signer.public_jwks)
        if signer is not None and issuer == settings.maskinporten_issuer
        else Issuer(issuer)
        for issuer in settings.maskinporten_issuers_for(SERVICE)
    ]
    return AsyncTokenValidator(issuers, clock=platform.clock)


def build(platform: Platform) -> FastAPI:
    from portvakt.rrh.legal_basis import record_legal_basis

    settings = platform.settings
    app = new_service_app(
        SERVICE, render=rrh_renderer(platform.clock), title="Register over reelle rettighetshavere"
    )
    validator = token_validator(platform)
    context = RrhContext(
        database=platform.database,
        validator=validator,
        clock=platform.clock,
        directory=settings.rrh_totalbestand_directory,
        write_gate=WriteGate(serialize=platform.database.backend == "sqlite"),
    )
    scheduler = TotalbestandScheduler(
        settings.database_url, context.directory, platform.clock, settings.rrh_totalbestand_time
    )
    platform.components[SCHEDULER_COMPONENT] = scheduler
    platform.components[LEGAL_BASIS_COMPONENT] = record_legal_basis

    async def start() -> None:
        context.keys = load_audit_keys(settings)
        await ensure_rrh_registry(settings, platform.database, platform.clock)
        await scheduler.start()

    async def stop() -> None:
        await scheduler.stop()
        await validator.aclose()

    platform.startup.append(start)
    platform.shutdown.append(stop)

    document = orjson.dumps(openapi_document(settings.base_url(SERVICE)))

    @app.get("/v3/api-docs", include_in_schema=False)
    async def api_docs() -> Response:
        return Response(document, media_type="application/json")

    @app.get("/swagger-ui/index.html", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger_page(request.scope.get("root_path", "")))

    app.include_router(build_router(context))
    app.mount("/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    return app
