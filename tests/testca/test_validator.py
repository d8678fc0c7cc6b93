"""The token endpoint's CertificateValidator: test CA + trust store, revocation sources, prod rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.certificates import PlatformCertificateValidator
from portvakt.maskinporten.ports import CertificateValidator
from portvakt.oauth.x509_chain import UntrustedCertificate
from portvakt.settings import Settings, SettingsError
from portvakt.storage.engine import Database
from portvakt.storage.testca import BuiltinCaStore, build_enterprise_certificate
from tests.testca import pki

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FOREIGN_CRL = "http://crl.example.no/foreign.crl"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database.connect(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def settings_for(database_url: str, tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path, _env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def store(database: Database, database_url: str, tmp_path: Path, clock: FixedClock) -> BuiltinCaStore:
    return BuiltinCaStore(database, settings_for(database_url, tmp_path), clock)


def test_implements_the_port(store: BuiltinCaStore, clock: FixedClock) -> None:
    validator: CertificateValidator = PlatformCertificateValidator(store.settings, clock, store)
    assert validator is not None


async def test_test_ca_certificate_is_valid_until_revoked_without_caching(
    store: BuiltinCaStore, clock: FixedClock
) -> None:
    validator = PlatformCertificateValidator(store.settings, clock, store)
    issued = await store.issue(orgno="310000019", name="Eksempel AS", seid=2)
    result = await validator.validate(issued.x5c())
    assert result.orgno == "310000019"
    assert result.serial_hex == issued.record.serial_hex
    await store.revoke(issued.record.serial_hex, "superseded")
    with pytest.raises(UntrustedCertificate, match="revoked by the test CA"):
        await validator.validate(issued.x5c())


async def test_leaf_plus_ca_in_x5c_is_accepted(store: BuiltinCaStore, clock: FixedClock) -> None:
    validator = PlatformCertificateValidator(store.settings, clock, store)
    issued = await store.issue(orgno="310000019", name="Eksempel AS")
    assert (await validator.validate([*issued.x5c(), *pki.x5c(issued.ca_certificate)])).orgno == "310000019"


async def test_certificate_signed_by_the_test_ca_but_not_recorded_is_refused(
    store: BuiltinCaStore, clock: FixedClock
) -> None:
    validator = PlatformCertificateValidator(store.settings, clock, store)
    ca = await store.ensure()
    stray = build_enterprise_certificate(
        ca,
        pki.rsa_key(2048, 3).public_key(),
        orgno="310000019",
        name="Stray AS",
        seid=1,
        days=10,
        crl_url=store.crl_url,
        now=NOW,
    )
    with pytest.raises(UntrustedCertificate, match="unknown to the test CA"):
        await validator.validate(pki.x5c(stray))


async def test_expired_test_certificate_is_refused(store: BuiltinCaStore, clock: FixedClock) -> None:
    validator = PlatformCertificateValidator(store.settings, clock, store)
    issued = await store.issue(orgno="310000019", name="Eksempel AS", days=1)
    clock.advance(timedelta(days=1, seconds=1))
    with pytest.raises(UntrustedCertificate, match="not valid at validation time"):
        await validator.validate(issued.x5c())


async def test_trust_store_ca_is_checked_through_its_crl(
    database_url: str, database: Database, tmp_path: Path, clock: FixedClock
) -> None:
    root = pki.root("Foreign Root CA", NOW, slot=21)
    leaf = pki.leaf(root, NOW, crl_url=FOREIGN_CRL)
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(root.certificate.public_bytes(Encoding.PEM))
    settings = settings_for(database_url, tmp_path, maskinporten_trust_store=bundle)
    fetched: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        crl = pki.crl(root, (), this_update=NOW, next_update=NOW + timedelta(hours=1))
        return httpx.Response(200, content=crl)

    validator = PlatformCertificateValidator(
        settings, clock, BuiltinCaStore(database, settings, clock), crl_transport=httpx.MockTransport(serve)
    )
    assert (await validator.validate(pki.x5c(leaf))).orgno == "310000019"
    assert fetched == [FOREIGN_CRL]


async def test_prod_refuses_a_chain_to_the_test_ca_even_from_the_trust_store(
    store: BuiltinCaStore, database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    issued = await store.issue(orgno="310000019", name="Eksempel AS")
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(issued.ca_certificate.public_bytes(Encoding.PEM))
    prod = settings_for(database_url, tmp_path, env="prod", maskinporten_trust_store=bundle)
    validator = PlatformCertificateValidator(prod, clock, store)
    with pytest.raises(UntrustedCertificate, match="test CA in the prod environment"):
        await validator.validate(issued.x5c())


async def test_prod_does_not_trust_the_test_ca_by_itself(
    store: BuiltinCaStore, database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    issued = await store.issue(orgno="310000019", name="Eksempel AS")
    validator = PlatformCertificateValidator(settings_for(database_url, tmp_path, env="prod"), clock, store)
    with pytest.raises(UntrustedCertificate, match="no trust anchors"):
        await validator.validate(issued.x5c())


@pytest.mark.parametrize(
    "content",
    [pytest.param(None, id="missing-file"), pytest.param(b"no certificates here", id="not-pem")],
)
async def test_unusable_trust_store_is_a_settings_error(
    database_url: str, tmp_path: Path, clock: FixedClock, content: bytes | None
) -> None:
    bundle = tmp_path / "trust.pem"
    if content is not None:
        bundle.write_bytes(content)
    settings = settings_for(database_url, tmp_path, env="prod", maskinporten_trust_store=bundle)
    with pytest.raises(SettingsError, match="PORTVAKT_MASKINPORTEN_TRUST_STORE"):
        await PlatformCertificateValidator(settings, clock, None).load()
