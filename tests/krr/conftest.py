"""KRR fixtures: one app per test module (maskinporten + idporten + krr, on the run's database), the KRR
register emptied before each test, tokens signed by the platform's Maskinporten and ID-porten keys."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.domain.identifiers import iso6523
from portvakt.krr import store
from portvakt.krr.model import PersonRecord
from portvakt.krr.service import KrrService
from portvakt.settings import Settings
from portvakt.storage.engine import null_pool_sync_engine
from tests.conftest import truncate_all

NOW = datetime(2026, 1, 15, 11, 0, 0, tzinfo=UTC)  # 12:00 in Oslo (CET)
CONSUMER = "310000035"
SUPPLIER = "310000027"
KONTAKT = "krr:global/kontaktinformasjon.read"
DIGITALPOST = "krr:global/digitalpost.read"
KONTAKTINFO = "krr:global/kontaktinfo.read"
POSTKASSE = "krr:global/postkasse.read"
HENTENDRING = "krr:global/hentendring.read"
USER_KONTAKT = "krr:user/kontaktinformasjon.read"
USER_POST = "krr:user/digitalpost.read"
SPRAAK_WRITE = "krr:user/spraak.write"
V1 = "/krr/rest/v1/personer"
V2 = "/krr/rest/v2/personer"
PERSON = "/krr/rest/v1/person"
FEED = "/krr/rest/v2/krr/hentEndringer"
REGISTER_TABLES = (
    "lookup_audit_subject",
    "lookup_audit_event",
    "krr_endring",
    "krr_person",
    "krr_consumer_block",
)

INGRID = "17868633026"
OLA = "07878223351"
UNKNOWN = "01817005140"

Mint = Callable[..., str]


def empty_register(url: str) -> None:
    """Empty the register, the feed, the blocks and the lookup audit (its triggers lifted on SQLite)."""
    engine = null_pool_sync_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(REGISTER_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name, _sql in triggers:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
            for table in REGISTER_TABLES:
                connection.execute(text(f'DELETE FROM "{table}"'))
            for _name, sql in triggers:
                connection.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="module")
def krr_clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(scope="module")
def krr_settings(migrated_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    truncate_all(migrated_database_url)
    return Settings(
        database_url=migrated_database_url,
        data_dir=tmp_path_factory.mktemp("krr") / "data",
        _env_file=None,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def krr_app(krr_settings: Settings, krr_clock: FixedClock) -> AsyncIterator[PortvaktApp]:
    krr_clock.set(NOW - timedelta(days=30))  # keys and certificates valid before every test's moment
    application = create_app(
        krr_settings, only=("maskinporten", "idporten", "krr"), clock=krr_clock, configure_logs=False
    )
    async with application.lifespan():
        yield application


@pytest.fixture
def app(krr_app: PortvaktApp, krr_clock: FixedClock, migrated_database_url: str) -> Iterator[PortvaktApp]:
    """The module's app with an empty register and the clock at NOW."""
    empty_register(migrated_database_url)
    krr_clock.set(NOW)
    return krr_app


@pytest.fixture
def clock(app: PortvaktApp, krr_clock: FixedClock) -> FixedClock:
    return krr_clock


@pytest_asyncio.fixture(loop_scope="module")
async def client(app: PortvaktApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=app.platform.settings.public_base) as http:
        yield http


@pytest.fixture
def service(app: PortvaktApp) -> KrrService:
    found: KrrService = app.platform.components["krr.service"]
    return found


@pytest.fixture
def settings(app: PortvaktApp) -> Settings:
    return app.platform.settings


@pytest.fixture
def token(app: PortvaktApp, krr_clock: FixedClock) -> Mint:
    """A Maskinporten access token (maskinporten.md §3.4 claims) signed with the platform keys."""
    signer = app.platform.components["maskinporten.signer"]

    def mint(
        scope: str = f"{KONTAKT} {DIGITALPOST}",
        *,
        consumer: str = CONSUMER,
        supplier: str | None = None,
        lifetime: int = 120,
        iat_offset: int = -1,
        issuer: str | None = None,
        **extra: object,
    ) -> str:
        now = krr_clock.timestamp()
        claims: dict[str, object] = {
            "iss": issuer or app.platform.settings.maskinporten_issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": "krr-test-client",
            "scope": scope,
            "consumer": iso6523(consumer),
        }
        if supplier is not None:
            claims["supplier"] = iso6523(supplier)
        claims |= {"iat": now + iat_offset, "exp": now + lifetime, "jti": secrets.token_urlsafe(12)}
        claims |= extra
        signed: str = signer.sign(claims)
        return signed

    return mint


@pytest.fixture
def citizen(app: PortvaktApp, krr_clock: FixedClock) -> Mint:
    """An ID-porten access token (idporten.md §7.1 claims) for `pid`, signed with the ID-porten keys."""
    signer = app.platform.components["idporten.signer"]

    def mint(pid: str | None = INGRID, scope: str = f"{USER_KONTAKT} {USER_POST}", **extra: object) -> str:
        now = krr_clock.timestamp()
        claims: dict[str, object] = {
            "iss": app.platform.settings.idporten_issuer,
            "sub": secrets.token_urlsafe(32)[:43],
            "client_id": "krr-api-klient",
            "client_amr": "client_secret_basic",
            "consumer": iso6523(CONSUMER),
            "scope": scope,
            "acr": "idporten-loa-substantial",
            "iat": now - 1,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(32)[:43],
        }
        if pid is not None:
            claims["pid"] = pid
        claims |= extra
        signed: str = signer.sign(claims)
        return signed

    return mint


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def ago(days: float = 0, *, seconds: float = 0) -> datetime:
    return NOW - timedelta(days=days, seconds=seconds)


def active(pid: str, **values: object) -> PersonRecord:
    """An AKTIV person, not reserved; `both=True` gives e-mail and mobile updated and verified 90 days ago."""
    both = values.pop("both", False)
    record = PersonRecord(pid, "AKTIV", "NEI")
    if both:
        record = record.changed(
            epostadresse=f"p{pid}@example.com",
            epostadresse_oppdatert=ago(90),
            epostadresse_sist_verifisert=ago(90),
            mobiltelefonnummer="+4791234567",
            mobiltelefonnummer_oppdatert=ago(90),
            mobiltelefonnummer_sist_verifisert=ago(90),
        )
    return record.changed(**values)


@pytest.fixture
def seed(service: KrrService) -> Callable[..., object]:
    async def write(*records: PersonRecord) -> None:
        async with service.writing() as connection:
            for record in records:
                exists = await store.load_person(connection, record.personidentifikator) is not None
                await store.save_person(connection, record, aarsak="TEST", now=NOW, exists=exists)

    return write


@pytest.fixture
def data_dir(settings: Settings) -> Path:
    return settings.data_dir
