"""`{I}.well-known/oauth-authorization-server` and `{I}jwk` (maskinporten.md §12.1, §12.2).

`build_router` also creates the Maskinporten signing keys and the platform's replay store, registers
them in `platform.components` ("maskinporten.signer", "replay") and hooks their start/stop.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from starlette.responses import Response

from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.settings import Settings
from portvakt.storage.replay import REPLAY_COMPONENT, shared_replay_store
from portvakt.storage.signing_keys import SigningKeyManager, create_signing_key_manager
from portvakt.web.service import Platform

__all__ = ["REPLAY_COMPONENT", "SIGNER_COMPONENT", "build_router", "create_signer", "metadata_document"]

SERVICE = "maskinporten"
SIGNER_COMPONENT = "maskinporten.signer"
CACHE_CONTROL = "public, max-age=3600"
# Phase 1: no RAR types are enabled (§13 adds "urn:altinn:systemuser").
AUTHORIZATION_DETAILS_TYPES: tuple[str, ...] = ()


def metadata_document(settings: Settings) -> dict[str, Any]:
    issuer = settings.maskinporten_issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}token",
        "jwks_uri": f"{issuer}jwk",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "grant_types_supported": [JWT_BEARER],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
        "authorization_details_types_supported": list(AUTHORIZATION_DETAILS_TYPES),
    }


def create_signer(platform: Platform) -> SigningKeyManager:
    return create_signing_key_manager(platform.settings, platform.database, platform.clock, SERVICE)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json", headers={"Cache-Control": CACHE_CONTROL})


def build_router(platform: Platform) -> APIRouter:
    signer = create_signer(platform)
    platform.components[SIGNER_COMPONENT] = signer
    platform.startup.append(signer.start)
    platform.shutdown.append(signer.stop)
    shared_replay_store(platform)

    metadata = orjson.dumps(metadata_document(platform.settings))
    router = APIRouter()

    @router.get("/.well-known/oauth-authorization-server", include_in_schema=False)
    async def authorization_server_metadata() -> Response:
        return _json(metadata)

    @router.get("/jwk", include_in_schema=False)
    async def jwks() -> Response:
        return _json(orjson.dumps(signer.public_jwks()))

    return router
