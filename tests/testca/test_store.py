"""The built-in test CA in the database (§6.3): shared creation, sealing, issuance, revocation, CRL.

The shared-creation and sealing contract runs on SQLite and PostgreSQL in every run (`empty_database_url`);
the rest uses the run's database (PostgreSQL with PORTVAKT_TEST_DATABASE=postgresql).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from portvakt.domain.clock import FixedClock
from portvakt.domain.errors import Conflict, EnvironmentRefusal, NotFound, ValidationError
from portvakt.oauth.sealing import SealingError, is_sealed
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables.platform import platform_facts
from portvakt.storage.tables.testca import testca_authority
from portvakt.storage.testca import BuiltinCaStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEK = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()

StoreFactory = Callable[..., BuiltinCaStore]


@asynccontextmanager
async def store_factory(url: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Each call: a store on its own connection pool (as another process would have)."""
    databases: list[Database] = []

    def make(*, kek: str | None = None, env: str = "test", clock: FixedClock | None = None) -> BuiltinCaStore:
        settings = Settings(
            database_url=url,
            data_dir=tmp_path,
            key_encryption_key=kek,
            env=env,
            _env_file=None,
        )
        database = Database.connect(url)
        databases.append(database)
        return BuiltinCaStore(database, settings, clock or FixedClock(NOW))

    try:
        yield make
    finally:
        for database in databases:
            await database.dispose()


@pytest.fixture
async def stores(database_url: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    async with store_factory(database_url, tmp_path) as make:
        yield make


@pytest.fixture
async def stores_on_each_backend(empty_database_url: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    upgrade(empty_database_url)
    async with store_factory(empty_database_url, tmp_path) as make:
        yield make


async def _count_cas(store: BuiltinCaStore) -> int:
    async with store.database.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(testca_authority))).scalar_one()


async def test_concurrent_first_starts_share_one_ca(stores_on_each_backend: StoreFactory) -> None:
    first, second, third = stores_on_each_backend(), stores_on_each_backend(), stores_on_each_backend()
    cas = await asyncio.gather(first.ensure(), second.ensure(), third.ensure())
    assert len({ca.certificate.fingerprint(hashes.SHA256()) for ca in cas}) == 1
    assert await _count_cas(first) == 1
    again = await stores_on_each_backend().ensure()
    assert again.certificate == cas[0].certificate


async def test_ca_certificate_fields(stores: StoreFactory) -> None:
    store = stores()
    ca = await store.ensure()
    installation_id = await store.installation_id()
    certificate = ca.certificate
    assert certificate.subject.rfc4514_string() == f"CN=portvakt TEST CA {installation_id},O=portvakt,C=NO"
    assert certificate.issuer == certificate.subject
    key = certificate.public_key()
    assert key.key_size == 3072  # type: ignore[union-attr]
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc >= timedelta(days=3652)
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    async with store.database.engine.connect() as connection:
        stored = (
            await connection.execute(
                select(platform_facts.c.value).where(platform_facts.c.name == "installation_id")
            )
        ).scalar_one()
    assert stored == installation_id


async def test_concurrent_installation_ids_agree(stores_on_each_backend: StoreFactory) -> None:
    ids = await asyncio.gather(*(stores_on_each_backend().installation_id() for _ in range(4)))
    assert len(set(ids)) == 1


async def test_private_key_is_sealed_when_a_kek_is_set(stores_on_each_backend: StoreFactory) -> None:
    store = stores_on_each_backend(kek=KEK)
    ca = await store.ensure()
    async with store.database.engine.connect() as connection:
        sealed = (await connection.execute(select(testca_authority.c.private_key_sealed))).scalar_one()
    assert is_sealed(sealed)
    assert b"PRIVATE KEY" not in sealed.encode()
    reloaded = await stores_on_each_backend(kek=KEK).load()
    assert reloaded is not None
    assert reloaded.private_key.private_numbers() == ca.private_key.private_numbers()
    with pytest.raises(SealingError):
        await stores_on_each_backend(kek=None).load()


async def test_private_key_without_kek_is_plain(stores: StoreFactory) -> None:
    store = stores()
    await store.ensure()
    async with store.database.engine.connect() as connection:
        sealed = (await connection.execute(select(testca_authority.c.private_key_sealed))).scalar_one()
    assert sealed.startswith("plain.")


@pytest.mark.parametrize(
    ("seid", "expected"),
    [
        pytest.param(1, "SERIALNUMBER=310000019,CN=Eksempel AS,O=Eksempel AS,C=NO", id="seid1"),
        pytest.param(
            2, "organizationIdentifier=NTRNO-310000019,CN=Eksempel AS,O=Eksempel AS,C=NO", id="seid2"
        ),
    ],
)
async def test_issued_certificate_has_the_spec_fields(stores: StoreFactory, seid: int, expected: str) -> None:
    store = stores()
    issued = await store.issue(orgno="310000019", name="Eksempel AS", seid=seid, days=30)
    certificate = issued.certificate
    assert issued.record.subject == expected
    assert [attribute.oid for attribute in certificate.subject][:3] == [
        NameOID.COUNTRY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.COMMON_NAME,
    ]
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert (usage.value.digital_signature, usage.value.key_encipherment, usage.value.data_encipherment) == (
        True,
        True,
        True,
    )
    assert not usage.value.content_commitment
    assert not usage.value.key_cert_sign
    policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [policy.policy_identifier.dotted_string for policy in policies] == ["2.16.578.1.1.1.1.100"]
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [name.value for point in points for name in point.full_name or ()] == [
        "http://localhost:8080/maskinporten/testca/crl"
    ]
    assert certificate.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert certificate.not_valid_after_utc == NOW + timedelta(days=30)
    assert certificate.public_key().key_size == 2048  # type: ignore[union-attr]
    assert certificate.issuer == issued.ca_certificate.subject
    assert issued.x5c() == [base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()]
    key, cert, extra = pkcs12.load_key_and_certificates(issued.pkcs12(""), None)
    assert cert == certificate
    assert extra == [issued.ca_certificate]
    assert key is not None
    listed = await store.issued()
    assert [record.serial_hex for record in listed] == [issued.record.serial_hex]
    assert listed[0].status(NOW) == "valid"


async def test_revocation_regenerates_the_crl(stores: StoreFactory) -> None:
    clock = FixedClock(NOW)
    store = stores(clock=clock)
    kept = await store.issue(orgno="310000019", name="Eksempel AS")
    gone = await store.issue(orgno="310000019", name="Eksempel AS")
    clock.advance(timedelta(hours=1))
    record = await store.revoke(gone.record.serial_hex.upper(), "keyCompromise")
    assert record.revoked_at == NOW + timedelta(hours=1)
    assert record.revocation_reason == "keyCompromise"
    der = await store.crl()
    assert der is not None
    crl = x509.load_der_x509_crl(der)
    assert crl.is_signature_valid(gone.ca_certificate.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc == NOW + timedelta(hours=25)
    entry = crl.get_revoked_certificate_by_serial_number(gone.certificate.serial_number)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    assert crl.get_revoked_certificate_by_serial_number(kept.certificate.serial_number) is None
    statuses = {record.serial_hex: record.status(clock.now()) for record in await store.issued()}
    assert statuses == {kept.record.serial_hex: "valid", gone.record.serial_hex: "revoked"}


async def test_crl_is_resigned_when_it_nears_next_update(stores: StoreFactory) -> None:
    clock = FixedClock(NOW)
    store = stores(clock=clock)
    await store.ensure()
    first = x509.load_der_x509_crl(await store.crl() or b"")
    clock.advance(timedelta(hours=13))
    second = x509.load_der_x509_crl(await store.crl() or b"")
    assert second.next_update_utc == clock.now() + timedelta(hours=24)
    assert second.next_update_utc > first.next_update_utc  # type: ignore[operator]


@pytest.mark.parametrize(
    ("serial", "reason", "error"),
    [
        pytest.param("abc123", None, NotFound, id="unknown-serial"),
        pytest.param("xyz", None, ValidationError, id="not-hex"),
        pytest.param("<issued>", "because", ValidationError, id="unknown-reason"),
        pytest.param("<revoked>", None, Conflict, id="already-revoked"),
    ],
)
async def test_revoke_errors(
    stores: StoreFactory, serial: str, reason: str | None, error: type[Exception]
) -> None:
    store = stores()
    issued = await store.issue(orgno="310000019", name="Eksempel AS")
    revoked = await store.issue(orgno="310000019", name="Eksempel AS")
    await store.revoke(revoked.record.serial_hex)
    serial = {"<issued>": issued.record.serial_hex, "<revoked>": revoked.record.serial_hex}.get(
        serial, serial
    )
    with pytest.raises(error):
        await store.revoke(serial, reason)


async def test_prod_refuses_the_test_ca(stores: StoreFactory) -> None:
    store = stores(env="prod")
    for action in (store.ensure(), store.issue(orgno="310000019", name="X"), store.revoke("01")):
        with pytest.raises(
            EnvironmentRefusal, match=r"^Test certificates cannot be issued in the prod environment$"
        ):
            await action
    assert await _count_cas(store) == 0
