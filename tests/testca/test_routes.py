"""`{I}testca/ca.pem` and `{I}testca/crl` (maskinporten.md §2): served in test, 404 in prod."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from portvakt.app import PortvaktApp
from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.certificates import PlatformCertificateValidator
from portvakt.maskinporten.testca_routes import build_router
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.testca import BuiltinCaStore
from portvakt.web.metrics import Metrics
from portvakt.web.service import Platform, new_service_app

Mounted = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, Platform]]]


@pytest.fixture
def mounted(database_url: str, tmp_path: Path, clock: FixedClock) -> Mounted:
    @asynccontextmanager
    async def mount(env: str = "test") -> AsyncIterator[tuple[httpx.AsyncClient, Platform]]:
        settings = Settings(database_url=database_url, data_dir=tmp_path, env=env, _env_file=None)
        platform = Platform(settings, Database.connect(database_url), clock, Metrics())
        app = new_service_app("maskinporten")
        app.include_router(build_router(platform))
        try:
            for hook in platform.startup:
                await hook()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http, platform
        finally:
            await platform.database.dispose()

    return mount


async def test_ca_pem_is_served_in_test(mounted: Mounted) -> None:
    async with mounted() as (http, platform):
        response = await http.get("/testca/ca.pem")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-pem-file"
        certificate = x509.load_pem_x509_certificate(response.content)
        assert certificate.subject.rfc4514_string().startswith("CN=portvakt TEST CA ")
        store = platform.components["maskinporten.testca"]
        assert isinstance(store, BuiltinCaStore)
        assert certificate == await store.certificate()
        assert isinstance(platform.components["maskinporten.certificates"], PlatformCertificateValidator)


async def test_crl_is_served_and_lists_a_revoked_serial(mounted: Mounted) -> None:
    async with mounted() as (http, platform):
        store: BuiltinCaStore = platform.components["maskinporten.testca"]
        issued = await store.issue(orgno="310000019", name="Eksempel AS")
        empty = await http.get("/testca/crl")
        assert empty.status_code == 200
        assert empty.headers["content-type"] == "application/pkix-crl"
        assert (
            x509.load_der_x509_crl(empty.content).get_revoked_certificate_by_serial_number(
                issued.certificate.serial_number
            )
            is None
        )
        await store.revoke(issued.record.serial_hex, "cessationOfOperation")
        response = await http.get("/testca/crl")
        crl = x509.load_der_x509_crl(response.content)
        assert crl.is_signature_valid(issued.ca_certificate.public_key())  # type: ignore[arg-type]
        assert crl.issuer == issued.ca_certificate.subject
        revoked = crl.get_revoked_certificate_by_serial_number(issued.certificate.serial_number)
        assert revoked is not None


@pytest.mark.parametrize("path", ["/testca/ca.pem", "/testca/crl"])
async def test_prod_answers_404(mounted: Mounted, path: str) -> None:
    async with mounted(env="prod") as (http, platform):
        response = await http.get(path)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert "maskinporten.testca" not in platform.components
        assert isinstance(platform.components["maskinporten.certificates"], PlatformCertificateValidator)


async def test_wrong_method_is_405(mounted: Mounted) -> None:
    async with mounted() as (http, _platform):
        response = await http.post("/testca/crl")
        assert response.status_code == 405
        assert "GET" in response.headers["allow"]


async def test_served_under_the_issuer_by_the_platform(app: PortvaktApp, client: httpx.AsyncClient) -> None:
    issuer = app.platform.settings.maskinporten_issuer
    pem = await client.get(f"{issuer}testca/ca.pem")
    crl = await client.get(f"{issuer}testca/crl")
    assert (pem.status_code, crl.status_code) == (200, 200)
    assert x509.load_der_x509_crl(crl.content).issuer == x509.load_pem_x509_certificate(pem.content).subject
