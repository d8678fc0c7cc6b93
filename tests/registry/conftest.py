"""Registry fixtures: the run's migrated database, an administrator's service, a bootstrapped platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from portvakt.domain.clock import FixedClock
from portvakt.registry.model import ScopeSettings
from portvakt.registry.repository import SqlRegistryStore, registry_service
from portvakt.registry.service import Actor, RegistryService
from portvakt.settings import Settings
from portvakt.storage.engine import Database

PLATFORM = "310000019"
PROVIDER = "310000027"  # owns prefix "test" and scope "test:api/les"
CONSUMER = "310000035"
OTHER = "310000043"
SCOPE = "test:api/les"
ALTINN_ISSUER = "http://localhost:8080/altinn/"


@pytest.fixture
def registry_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def store(database: Database) -> SqlRegistryStore:
    return SqlRegistryStore(database)


@pytest.fixture
def admin(registry_settings: Settings, database: Database, clock: FixedClock) -> RegistryService:
    return registry_service(registry_settings, database, clock, Actor.cli())


def acting_as(admin: RegistryService, orgno: str) -> RegistryService:
    """The same store and clock, acting as an organisation through the self-service API."""
    return RegistryService(
        admin.store,
        admin.clock,
        Actor(channel="api", name="test-client", orgno=orgno),
        platform_orgno=admin.platform_orgno,
        prod=admin.prod,
    )


@pytest.fixture
async def platform(admin: RegistryService) -> RegistryService:
    """Bootstrapped, with a provider (prefix `test`, scope `test:api/les`) and a consumer org."""
    await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    await admin.add_organisation(PROVIDER, "TILBYDER AS", email_domains=["tilbyder.no"], terms_signed=True)
    await admin.add_organisation(CONSUMER, "KONSUMENT AS", terms_signed=True)
    await admin.add_organisation(OTHER, "ANNEN AS", terms_signed=False)
    await admin.assign_prefix("test", PROVIDER)
    await admin.create_scope("test", "api/les", ScopeSettings(description="Les data"), orgno=PROVIDER)
    return admin
