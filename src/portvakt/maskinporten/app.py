"""Composition of the maskinporten service's HTTP app: error family, routes, token pipeline and its ports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from fastapi import APIRouter
from starlette.types import ASGIApp

from portvakt.maskinporten import discovery, testca_routes
from portvakt.maskinporten.delegation import PreferInProcessDelegationChecker, SelfIssuedToken
from portvakt.maskinporten.routes import TokenFastPath, build_router, maskinporten_renderer, token_endpoint
from portvakt.maskinporten.service import TokenEndpointConfig, TokenPorts, TokenService
from portvakt.registry.reader import CachedRegistryReader
from portvakt.settings import Settings
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "maskinporten"
TOKEN_SERVICE_COMPONENT: Final = "maskinporten.token_service"  # noqa: S105


def token_endpoint_config(settings: Settings) -> TokenEndpointConfig:
    return TokenEndpointConfig(
        issuer=settings.maskinporten_issuer,
        env=settings.env.value,
        default_lifetime=settings.maskinporten_default_token_lifetime,
        altinn_issuer=settings.base_url("altinn") + "/",
    )


def assemble(platform: Platform, service: TokenService, routers: Iterable[APIRouter] = ()) -> ASGIApp:
    """The service app around a token pipeline (tests pass one built on in-memory ports); `POST token`
    goes past FastAPI's routing (`TokenFastPath`), everything else through the service's FastAPI app."""
    render = maskinporten_renderer(platform.settings.maskinporten_issuer)
    app = new_service_app(SERVICE, render=render)
    for router in routers:
        app.include_router(router)
    platform.components[TOKEN_SERVICE_COMPONENT] = service
    app.include_router(build_router(service, platform.metrics, render))
    return TokenFastPath(app, token_endpoint(service, platform.metrics, render), render)


def build(platform: Platform) -> ASGIApp:
    routers = [discovery.build_router(platform), testca_routes.build_router(platform)]
    settings = platform.settings
    lookup_token = SelfIssuedToken(
        platform.components[discovery.SIGNER_COMPONENT],
        settings.maskinporten_issuer,
        settings.platform_orgno or "",
        platform.clock,
    )
    delegations = PreferInProcessDelegationChecker(
        platform.components, settings.base_url("altinn"), lookup_token
    )
    platform.shutdown.append(delegations.aclose)
    ports = TokenPorts(
        registry=CachedRegistryReader(
            platform.database, platform.clock, platform.settings.registry_cache_seconds
        ),
        signer=platform.components[discovery.SIGNER_COMPONENT],
        replay=platform.components[discovery.REPLAY_COMPONENT],
        certificates=platform.components[testca_routes.CERTIFICATES_COMPONENT],
        delegations=delegations,
    )
    service = TokenService(token_endpoint_config(platform.settings), ports, platform.clock)
    return assemble(platform, service, routers)
