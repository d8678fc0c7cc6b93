"""Composition of the idporten service's HTTP app."""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI

from portvakt.storage.signing_keys import SigningKeyManager, create_signing_key_manager
from portvakt.web.service import Platform, new_service_app

SERVICE: Final = "idporten"
#: The ID-porten signing keys, registered so co-located resource services (KRR) validate in-process.
SIGNER_COMPONENT: Final = "idporten.signer"


def register_signer(platform: Platform) -> SigningKeyManager:
    signer = create_signing_key_manager(platform.settings, platform.database, platform.clock, SERVICE)
    platform.components[SIGNER_COMPONENT] = signer
    platform.startup.append(signer.start)
    platform.shutdown.append(signer.stop)
    return signer


def build(platform: Platform) -> FastAPI:
    register_signer(platform)
    return new_service_app(SERVICE)
