"""Composition of the altinn service's HTTP app (altinn.md): token validation, routes, bootstrap, the
in-process Maskinporten delegation port."""

from __future__ import annotations

from typing import Final

import orjson
import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from portvakt.altinn.errors import render
from portvakt.altinn.mp_delegations import InProcessDelegationChecker
from portvakt.altinn.openapi import openapi_document, swagger_page
from portvakt.altinn.registry_bootstrap import ensure_altinn_registry
from portvakt.altinn.routes import AltinnContext, build_router
from portvakt.resource_server import AsyncTokenValidator, Issuer
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "altinn"
SIGNER_COMPONENT: Final = "maskinporten.signer"
DELEGATIONS_COMPONENT: Final = "altinn.delegations"


def token_validator(platform: Platform) -> AsyncTokenValidator:
    """Issuers from PORTVAKT_ALTINN_MASKINPORTEN_ISSUERS; the platform's own issuer uses the in-process keys
    when Maskinporten is co-located, else its published metadata."""
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
    settings = platform.settings
    base_url = settings.base_url(SERVICE)
    app = new_service_app(SERVICE, render=render, title="Altinn authorization")
    validator = token_validator(platform)
    context = AltinnContext(
        database=platform.database,
        validator=validator,
        clock=platform.clock,
        base_url=base_url,
        altinn_issuer=base_url + "/",
        env=settings.env.value,
        max_pdp_requests=settings.altinn_max_pdp_requests,
    )
    platform.components[DELEGATIONS_COMPONENT] = InProcessDelegationChecker(platform.database, platform.clock)

    async def start() -> None:
        await ensure_altinn_registry(settings, platform.database, platform.clock)

    platform.startup.append(start)
    platform.shutdown.append(validator.aclose)

    document = orjson.dumps(openapi_document(base_url))

    @app.get("/v3/api-docs", include_in_schema=False)
    async def api_docs() -> Response:
        return Response(document, media_type="application/json")

    @app.get("/swagger-ui/index.html", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger_page(request.scope.get("root_path", "")))

    app.include_router(build_router(context))
    app.mount("/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    return app
