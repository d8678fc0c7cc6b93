"""Database engines for SQLite (embedded default) and PostgreSQL (production), with identical behaviour.

SQLite runs with WAL, a busy timeout and foreign keys on; both backends use the same schema (Alembic).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

Backend = Literal["sqlite", "postgresql"]
SQLITE_BUSY_TIMEOUT_MS = 10_000


class UnsupportedDatabase(ValueError):
    pass


def backend_of(url: str) -> Backend:
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name in ("postgresql", "postgres"):
        return "postgresql"
    raise UnsupportedDatabase(f"unsupported database URL scheme {name!r}: use sqlite:/// or postgresql://")


def _normalise(url: str, *, is_async: bool) -> URL:
    parsed = make_url(
        url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url
    )
    backend = backend_of(url)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite" if is_async else "sqlite+pysqlite")
    return parsed.set(drivername="postgresql+psycopg")


def async_url(url: str) -> URL:
    return _normalise(url, is_async=True)


def sync_url(url: str) -> URL:
    return _normalise(url, is_async=False)


def sqlite_path(url: str) -> Path | None:
    """File path of a SQLite URL, or None for in-memory databases and other backends."""
    if backend_of(url) != "sqlite":
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _prepare_sqlite_dir(url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def create_sync_engine(url: str, **kwargs: Any) -> Engine:
    """A synchronous engine (migrations, the test-data generator, CLI batch jobs)."""
    _prepare_sqlite_dir(url)
    if backend_of(url) == "sqlite":
        engine = create_engine(
            sync_url(url), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(sync_url(url), pool_pre_ping=True, **kwargs)


def create_async_db_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """The request-serving engine."""
    _prepare_sqlite_dir(url)
    if backend_of(url) == "sqlite":
        engine = create_async_engine(
            async_url(url),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(async_url(url), pool_pre_ping=True, **kwargs)


@dataclass
class Database:
    """The process's handle on the shared store: one async engine and its session factory."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, **kwargs: Any) -> Database:
        engine = create_async_db_engine(url, **kwargs)
        return cls(url=url, engine=engine, sessions=async_sessionmaker(engine, expire_on_commit=False))

    @property
    def backend(self) -> Backend:
        return backend_of(self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()


def null_pool_sync_engine(url: str) -> Engine:
    """A sync engine that holds no connections between uses (CLI one-shots)."""
    return create_sync_engine(url, poolclass=NullPool)


__all__ = [
    "Backend",
    "Database",
    "UnsupportedDatabase",
    "async_url",
    "backend_of",
    "create_async_db_engine",
    "create_sync_engine",
    "null_pool_sync_engine",
    "sqlite_path",
    "sync_url",
]
