"""Composition of the krr service's HTTP app (krr.md): token gates, routes, audit keys, signing, bootstrap."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

import orjson
import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from portvakt.audit.keys import load_audit_keys
from portvakt.krr.access import TokenGate
from portvakt.krr.errors import krr_renderer
from portvakt.krr.openapi import openapi_document, swagger_page
from portvakt.krr.registry_bootstrap import ensure_krr_registry
from portvakt.krr.routes import KrrContext, build_router, response_headers
from portvakt.krr.service import KrrService
from portvakt.krr.signing import signing_material
from portvakt.resource_server import AsyncTokenValidator, ClientCredentials, Issuer
from portvakt.settings import Settings
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "krr"
MASKINPORTEN_SIGNER: Final = "maskinporten.signer"
IDPORTEN_SIGNER: Final = "idporten.signer"
IDPORTEN_INTROSPECTION: Final = "idporten.introspection"
SERVICE_COMPONENT: Final = "krr.service"


def maskinporten_validator(platform: Platform) -> AsyncTokenValidator:
    """`PORTVAKT_KRR_MASKINPORTEN_ISSUERS`; the platform issuer uses the in-process keys when co-located."""
    settings = platform.settings
    signer = platform.components.get(MASKINPORTEN_SIGNER)
    issuers = [
        Issuer(issuer, kind="maskinporten", key_provider=signer.public_jwks)
        if signer is not None and issuer == settings.maskinporten_issuer
        else Issuer(issuer, kind="maskinporten")
        for issuer in settings.maskinporten_issuers_for(SERVICE)
    ]
    return AsyncTokenValidator(issuers, clock=platform.clock)


def idporten_issuer(settings: Settings) -> str:
    return settings.krr_idporten_issuer or settings.idporten_issuer


def idporten_validator(platform: Platform) -> AsyncTokenValidator:
    """`PORTVAKT_KRR_IDPORTEN_ISSUER`; opaque tokens introspected in-process when mounted, else over HTTP."""
    settings = platform.settings
    issuer = idporten_issuer(settings)
    own = issuer == settings.idporten_issuer
    signer = platform.components.get(IDPORTEN_SIGNER) if own else None
    introspector = platform.components.get(IDPORTEN_INTROSPECTION) if own else None
    client = None
    if (
        introspector is None
        and settings.krr_introspection_client_id
        and settings.krr_introspection_client_secret
    ):
        client = ClientCredentials(
            settings.krr_introspection_client_id, client_secret=settings.krr_introspection_client_secret
        )
    return AsyncTokenValidator(
        Issuer(
            issuer,
            kind="idporten",
            key_provider=signer.public_jwks if signer is not None else None,
            introspector=introspector,
            introspection_client=client,
        ),
        clock=platform.clock,
    )


def build(platform: Platform) -> FastAPI:
    settings = platform.settings
    https = urlsplit(settings.base_url(SERVICE)).scheme == "https"
    app = new_service_app(
        SERVICE, render=krr_renderer(platform.clock, https=https), title="Kontakt- og reservasjonsregisteret"
    )
    maskinporten = maskinporten_validator(platform)
    idporten = idporten_validator(platform)
    service = KrrService.create(platform.database, platform.clock)
    platform.components[SERVICE_COMPONENT] = service
    context = KrrContext(
        service=service,
        maskinporten=TokenGate(maskinporten, require_pid=False),
        idporten=TokenGate(idporten, require_pid=True),
        feed_page_size=settings.krr_feed_page_size,
        https=https,
        headers=response_headers(https),
    )

    async def start() -> None:
        context.keys = load_audit_keys(settings)
        context.signing = await signing_material(platform.database, settings, platform.clock)
        await ensure_krr_registry(settings, platform.database, platform.clock)

    async def stop() -> None:
        await maskinporten.aclose()
        await idporten.aclose()

    platform.startup.append(start)
    platform.shutdown.append(stop)

    document = orjson.dumps(openapi_document(settings.base_url(SERVICE)))

    @app.get("/v3/api-docs", include_in_schema=False)
    async def api_docs() -> Response:
        return Response(document, media_type="application/json", headers=context.headers)

    @app.get("/swagger-ui/index.html", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger_page(request.scope.get("root_path", "")))

    app.include_router(build_router(context))
    app.mount("/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    return app
