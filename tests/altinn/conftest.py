"""Altinn fixtures: the app, a small generated population with the §10.3 scenario, the seeded API keys and
Maskinporten tokens signed by the platform's in-process keys."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from portvakt.altinn.apikeys import NewKey
from portvakt.altinn.testdata_stages import OWNERS, seeded_api_keys
from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.domain.identifiers import iso6523
from portvakt.settings import Settings
from portvakt.storage.migrate import upgrade
from portvakt.testdata.generate import GenerateOptions, generate
from tests.conftest import BACKEND, create_postgres_database, drop_postgres_database

SEED = 3
AS_OF = date(2026, 1, 1)
P03 = "23916011989"
P11 = "11907837388"
P12 = "05849221916"
S01 = "399900018"
S02 = "399900026"
S27 = "399900298"
S30 = "399900336"
S31 = "399900344"
DIGDIR = "991825827"
APPRIGHTS = "/altinn/api/serviceowner/authorization/apprights"
AUTHORIZE = "/altinn/authorization/api/v1/authorize"
PARTIES = "/altinn/accessmanagement/api/v1/resourceowner/authorizedparties"
DELEGATIONS = "/altinn/accessmanagement/api/v1/maskinporten/delegations"

Mint = Callable[..., str]


def _options() -> GenerateOptions:
    return GenerateOptions(persons=600, entities=150, seed=SEED, as_of=AS_OF, workers=1, progress=False)


@pytest.fixture(scope="session")
def world_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own with the generated population, shared by the read-only tests of the run."""
    if BACKEND == "postgresql":
        url = create_postgres_database()
        upgrade(url)
        generate(url, _options(), env="test")
        yield url
        drop_postgres_database(url)
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('altinn-world') / 'world.db'}"
    upgrade(url)
    generate(url, _options(), env="test")
    yield url


@pytest.fixture
async def world(world_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[PortvaktApp]:
    settings = Settings(database_url=world_url, data_dir=tmp_path / "data", _env_file=None)
    application = create_app(settings, only=("maskinporten", "altinn"), clock=clock, configure_logs=False)
    async with application.lifespan():
        yield application


@pytest.fixture
async def world_client(world: PortvaktApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=world)
    async with httpx.AsyncClient(transport=transport, base_url=world.platform.settings.public_base) as http:
        yield http


@pytest.fixture
def keys() -> dict[str, NewKey]:
    return seeded_api_keys(SEED, OWNERS)


@pytest.fixture
def population(app: PortvaktApp, database_url: str) -> dict[str, NewKey]:
    """Generated after the app started (its bootstrap ran); returns the seeded API key per owner code."""
    generate(database_url, _options(), env="test")
    return seeded_api_keys(SEED, OWNERS)


def minter(app: PortvaktApp, clock: FixedClock) -> Mint:
    signer = app.platform.components["maskinporten.signer"]

    def mint(scope: str, *, consumer: str = S01, lifetime: int = 120, issuer: str | None = None) -> str:
        now = clock.timestamp()
        claims: dict[str, object] = {
            "iss": issuer or app.platform.settings.maskinporten_issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": "altinn-test-client",
            "scope": scope,
            "consumer": iso6523(consumer),
            "iat": now - 1,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(12),
        }
        minted: str = signer.sign(claims)
        return minted

    return mint


@pytest.fixture
def token(app: PortvaktApp, clock: FixedClock) -> Mint:
    return minter(app, clock)


@pytest.fixture
def world_token(world: PortvaktApp, clock: FixedClock) -> Mint:
    return minter(world, clock)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
