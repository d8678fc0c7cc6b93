"""Admin fixtures: the admin use cases on a module-wide SQLite database (emptied per test), and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from portvakt.domain.clock import FixedClock
from portvakt.domain.errors import PortvaktError
from portvakt.domain.identifiers import make_national_id
from portvakt.registry.admin import AdminService, admin_service
from portvakt.registry.model import ScopeSettings
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database, null_pool_sync_engine
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables.audit import audit_events
from tests.conftest import truncate_all

PLATFORM = "310000019"
PROVIDER = "310000027"  # owns prefix "test", scope "test:api/les" and e-mail domain tilbyder.no
CONSUMER = "310000035"
OTHER = "310000043"
SCOPE = "test:api/les"
ALTINN_ISSUER = "http://localhost:8080/altinn/"


def _tenor_pid(birth_date: date, individual: int) -> str:
    """A Tenor test number: valid in test, refused in prod."""
    value = make_national_id(birth_date, individual)
    assert value is not None
    return value


PID = _tenor_pid(date(1970, 1, 1), 123)
OTHER_PID = _tenor_pid(date(1975, 2, 3), 234)


@pytest.fixture(scope="module")
def use_case_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'admin-use-cases.db'}"
    upgrade(url)
    return url


@pytest.fixture
def admin_settings(use_case_database_url: str, tmp_path: Path) -> Settings:
    """The use cases run on SQLite whatever the run's backend; the contract tests cover both databases."""
    truncate_all(use_case_database_url)
    return Settings(database_url=use_case_database_url, data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
async def database(admin_settings: Settings) -> AsyncIterator[Database]:
    db = Database.connect(admin_settings.database_url)
    yield db
    await db.dispose()


@pytest.fixture
def admin(admin_settings: Settings, database: Database, clock: FixedClock) -> AdminService:
    return admin_service(admin_settings, database, clock, Actor.cli())


def acting_as(
    admin: AdminService, orgno: str, channel: str = "api", name: str = "test-client"
) -> AdminService:
    return AdminService(
        admin.admin_store,
        admin.clock,
        Actor(channel=channel, name=name, orgno=orgno),
        platform_orgno=admin.platform_orgno,
        env=admin.env,
    )


@pytest.fixture
async def platform(admin: AdminService) -> AdminService:
    """Bootstrapped, with a provider (prefix `test`, scope `test:api/les`) and a consumer org."""
    await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    await admin.add_organisation(PROVIDER, "TILBYDER AS", email_domains=["tilbyder.no"], terms_signed=True)
    await admin.add_organisation(CONSUMER, "KONSUMENT AS", email_domains=["konsument.no"], terms_signed=True)
    await admin.assign_prefix("test", PROVIDER)
    await admin.create_scope("test", "api/les", ScopeSettings(description="Les data"), orgno=PROVIDER)
    return admin


def audit_rows(url: str) -> list[dict[str, Any]]:
    engine = null_pool_sync_engine(url)
    with engine.connect() as connection:
        rows = [
            dict(row._mapping) for row in connection.execute(select(audit_events).order_by(audit_events.c.id))
        ]
    engine.dispose()
    return rows


async def expect(call: Awaitable[Any], error: type[PortvaktError], code: str, message: str) -> None:
    with pytest.raises(error) as raised:
        await call
    assert (raised.value.code, raised.value.message) == (code, message)
