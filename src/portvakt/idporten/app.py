"""Composition of the idporten service's HTTP app (idporten.md §2): discovery, login UI and endpoints.

Registers in `platform.components`: "idporten.signer" (the signing keys, for co-located resource
servers) and "idporten.introspection" (an in-process `resource_server` introspector, §7.2 steps 3–5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI

from portvakt.idporten.authenticators import AuthenticatorContext, load_authenticators
from portvakt.idporten.clientauth import ClientAuthenticator
from portvakt.idporten.pages import Pages
from portvakt.idporten.registry import IdportenRegistry
from portvakt.idporten.routes import IdportenRoutes, build_router, idporten_renderer
from portvakt.idporten.service import Config, IdportenService
from portvakt.idporten.store import IdportenStore
from portvakt.maskinporten.ports import CertificateValidator
from portvakt.periodic import PeriodicJob
from portvakt.settings import Settings
from portvakt.storage.replay import shared_replay_store
from portvakt.storage.signing_keys import SigningKeyManager, create_signing_key_manager
from portvakt.web.logging import get_logger
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "idporten"
#: The ID-porten signing keys, registered so co-located resource services (KRR) validate in-process.
SIGNER_COMPONENT: Final = "idporten.signer"
#: `resource_server.Issuer(..., introspector=...)`: token → RFC 7662 answer, without HTTP.
INTROSPECTION_COMPONENT: Final = "idporten.introspection"
SERVICE_COMPONENT: Final = "idporten.service"
CERTIFICATES_COMPONENT: Final = "maskinporten.certificates"

PURGE_SECONDS: Final = 300.0
MAX_ACCESS_TOKEN_LIFETIME: Final = 7200  # the highest client access_token_lifetime (selvbetjening.md §3.5)
log = get_logger("portvakt.idporten")

AUTH_METHODS: Final = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


def discovery_document(settings: Settings) -> dict[str, Any]:
    """§2."""
    issuer = settings.idporten_issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "pushed_authorization_request_endpoint": f"{issuer}/par",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "introspection_endpoint": f"{issuer}/token/introspect",
        "revocation_endpoint": f"{issuer}/token/revoke",
        "end_session_endpoint": f"{issuer}/logout",
        "jwks_uri": f"{issuer}/jwks.json",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS[:3],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": ["idporten-loa-substantial", "idporten-loa-high"],
        "ui_locales_supported": ["nb", "nn", "en", "se"],
        "prompt_values_supported": ["login", "none"],
        "scopes_supported": ["openid", "profile"],
        "subject_types_supported": ["pairwise"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "iat",
            "exp",
            "jti",
            "acr",
            "amr",
            "auth_time",
            "nonce",
            "pid",
            "locale",
            "sid",
            "given_name",
            "family_name",
        ],
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
        "require_pushed_authorization_requests": False,
        "backchannel_logout_supported": False,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
    }


def register_signer(platform: Platform) -> SigningKeyManager:
    signer = create_signing_key_manager(platform.settings, platform.database, platform.clock, SERVICE)
    platform.components[SIGNER_COMPONENT] = signer
    platform.startup.append(signer.start)
    platform.shutdown.append(signer.stop)
    return signer


class InProcessIntrospector:
    """§7.2 steps 3–5 for a co-located resource server (no client authentication: same process).

    `caller` is the client id checked against `enforced_aud_for_introspection` (None: such scopes make
    the token inactive)."""

    def __init__(self, service: IdportenService, caller: str | None = None) -> None:
        self.service = service
        self.caller = caller

    async def __call__(self, token: str) -> Mapping[str, Any]:
        return await self.service.introspection_answer(token, self.caller)


def build_service(platform: Platform, signer: SigningKeyManager) -> IdportenService:
    settings = platform.settings
    registry = IdportenRegistry(platform.database, platform.clock, settings.registry_cache_seconds)
    components = platform.components

    def certificates() -> CertificateValidator | None:
        validator: CertificateValidator | None = components.get(CERTIFICATES_COMPONENT)
        return validator

    clients = ClientAuthenticator(
        settings.idporten_issuer, registry, shared_replay_store(platform), certificates, platform.clock
    )
    config = Config(
        issuer=settings.idporten_issuer,
        env=settings.env.value,
        sso_idle=settings.idporten_sso_idle_seconds,
        sso_max=settings.idporten_sso_max_seconds,
    )
    store = IdportenStore(platform.database)

    async def purge() -> None:
        removed = await store.purge(
            platform.clock.timestamp(), config.sso_idle, config.sso_max, MAX_ACCESS_TOKEN_LIFETIME + 10
        )
        if removed:
            log.debug("idporten_purged", rows=removed)

    job = PeriodicJob("idporten-purge", PURGE_SECONDS, purge)

    async def start() -> None:
        job.start()

    platform.startup.append(start)
    platform.shutdown.append(job.stop)
    return IdportenService(config, store, registry, signer, clients, platform.clock)


def build(platform: Platform) -> FastAPI:
    signer = register_signer(platform)
    settings = platform.settings
    pages = Pages(settings.idporten_issuer)
    service = build_service(platform, signer)
    platform.components[SERVICE_COMPONENT] = service
    platform.components[INTROSPECTION_COMPONENT] = InProcessIntrospector(service)
    authenticators = load_authenticators(
        settings.idporten_authenticators,
        AuthenticatorContext(settings, platform.database, platform.clock, pages),
    )
    app = new_service_app(SERVICE, render=idporten_renderer(pages))
    routes = IdportenRoutes(service, pages, authenticators, discovery_document(settings))
    app.include_router(build_router(routes))
    return app
