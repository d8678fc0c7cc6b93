"""Shared fixtures.

The database backend of the whole run is chosen by PORTVAKT_TEST_DATABASE (`sqlite`, the default, or
`postgresql`). On PostgreSQL each run gets a database of its own, dropped at the end. Tests that need a
service that is not running are skipped with a reason that says so (`-ra` lists them).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.settings import Settings
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables import metadata

POSTGRES_ADMIN_URL = os.environ.get(
    "PORTVAKT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PORTVAKT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKEND = os.environ.get("PORTVAKT_TEST_DATABASE", "sqlite")


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(
            make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg"),
            connect_args={"connect_timeout": 3},
        )
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        where = make_url(POSTGRES_ADMIN_URL).render_as_string()
        return f"PostgreSQL not reachable at {where}: {type(exc).__name__}"
    return None


def create_postgres_database() -> str:
    """Create an empty database of this run's own; returns its URL."""
    problem = _postgres_problem()
    if problem:
        pytest.skip(problem)
    name = f"portvakt_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(
        make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(
        make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url_factory() -> Iterator[list[str]]:
    created: list[str] = []
    yield created
    for url in created:
        drop_postgres_database(url)


@pytest.fixture
def empty_postgres_url(postgres_url_factory: list[str]) -> str:
    """A new, empty PostgreSQL database (for tests that must run on PostgreSQL whatever the backend)."""
    url = create_postgres_database()
    postgres_url_factory.append(url)
    return url


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend: for storage contract and migration tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'contract.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


@pytest.fixture(scope="session")
def migrated_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This run's database (backend per PORTVAKT_TEST_DATABASE), migrated once."""
    if BACKEND == "postgresql":
        url = create_postgres_database()
        upgrade(url)
        yield url
        drop_postgres_database(url)
        return
    if BACKEND != "sqlite":
        raise pytest.UsageError(f"PORTVAKT_TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'portvakt-test.db'}"
    upgrade(url)
    yield url


def truncate_all(url: str) -> None:
    engine = null_pool_sync_engine(url)
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            if tables:
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            # Append-only tables refuse DELETE by trigger: lift the triggers while emptying.
            triggers = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for trigger_name, _sql in triggers:
                connection.execute(text(f'DROP TRIGGER "{trigger_name}"'))
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))
            for _name, trigger_sql in triggers:
                connection.execute(text(trigger_sql))
    engine.dispose()


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    """The run's migrated database, emptied before the test."""
    truncate_all(migrated_database_url)
    return migrated_database_url


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
        client.flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", _env_file=None)


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[PortvaktApp]:
    application = create_app(settings, clock=clock, configure_logs=False)
    async with application.lifespan():
        yield application


@pytest.fixture
async def client(app: PortvaktApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=app.platform.settings.public_base) as http:
        yield http


DB_FIXTURES = {"database_url", "migrated_database_url", "settings", "app", "client"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the run's database, so the PostgreSQL pass can select them (-m db).

    The browser tests run last: Playwright's sync API keeps an event loop running on the main thread until
    the session ends, after which no other test could start an event loop of its own."""
    for item in items:
        if DB_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
