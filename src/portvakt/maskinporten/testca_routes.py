"""`{I}testca/ca.pem` and `{I}testca/crl` (maskinporten.md §2, §6.3): test only, 404 in prod.

`build_router` also wires the certificate validator and the test CA into the platform.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter
from starlette.responses import Response

from portvakt.domain.errors import NotFound
from portvakt.maskinporten.certificates import PlatformCertificateValidator
from portvakt.storage.testca import BuiltinCaStore
from portvakt.web.service import Platform

CERTIFICATES_COMPONENT = "maskinporten.certificates"
TEST_CA_COMPONENT = "maskinporten.testca"
PEM_MEDIA_TYPE = "application/x-pem-file"
CRL_MEDIA_TYPE = "application/pkix-crl"


def build_router(platform: Platform) -> APIRouter:
    settings = platform.settings
    store = BuiltinCaStore(platform.database, settings, platform.clock)
    validator = PlatformCertificateValidator(settings, platform.clock, None if settings.is_prod else store)
    platform.components[CERTIFICATES_COMPONENT] = validator
    if not settings.is_prod:
        platform.components[TEST_CA_COMPONENT] = store

    async def startup() -> None:
        await validator.load()  # in test this creates the shared test CA on first start

    platform.startup.append(startup)
    router = APIRouter()

    def refuse_in_prod() -> None:
        if settings.is_prod:
            raise NotFound("Not found")

    @router.get("/testca/ca.pem", include_in_schema=False)
    async def ca_pem() -> Response:
        refuse_in_prod()
        certificate = await store.certificate() or (await store.ensure()).certificate
        return Response(
            certificate.public_bytes(Encoding.PEM),
            media_type=PEM_MEDIA_TYPE,
            headers={"Cache-Control": "no-cache"},
        )

    @router.get("/testca/crl", include_in_schema=False)
    async def crl() -> Response:
        refuse_in_prod()
        der = await store.crl()
        if der is None:
            await store.ensure()
            der = await store.crl()
        assert der is not None
        return Response(der, media_type=CRL_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})

    return router
