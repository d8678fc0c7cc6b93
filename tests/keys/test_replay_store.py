"""Replay-store contract (maskinporten.md §11): one suite on SQL-on-SQLite, SQL-on-PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from portvakt.domain.clock import FixedClock
from portvakt.oauth.replay import ReplayStoreUnavailable, replay_expiry, replay_key
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade
from portvakt.storage.replay import (
    REDIS_PREFIX,
    RedisReplayStore,
    SqlReplayStore,
    create_replay_store,
)
from portvakt.storage.tables.keys import jwt_replay
from tests.conftest import create_postgres_database, drop_postgres_database, truncate_all

ReplayStore = SqlReplayStore | RedisReplayStore


@dataclass
class Backend:
    name: str
    clock: FixedClock
    store: ReplayStore
    advance: Callable[[int], Awaitable[None]]
    """Let `seconds` pass for the store (the clock, and Redis TTLs)."""
    second_store: Callable[[], Awaitable[ReplayStore]]
    """Another store on its own connection pool, as in another process."""
    cleanup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@pytest.fixture(scope="module")
def sqlite_replay_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'replay.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def postgres_replay_url() -> Iterator[str]:
    url = create_postgres_database()
    upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sql-sqlite", "sql-postgresql", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    clock = FixedClock()
    if request.param == "redis":
        url: str = request.getfixturevalue("redis_url")
        store: ReplayStore = RedisReplayStore(url, clock)
        raw: aioredis.Redis[bytes] = aioredis.Redis.from_url(url)

        async def pass_time(seconds: int) -> None:
            clock.advance(seconds)
            async for name in raw.scan_iter(match=REDIS_PREFIX + "*"):
                remaining = await raw.pttl(name)
                if remaining - seconds * 1000 <= 0:
                    await raw.delete(name)
                else:
                    await raw.pexpire(name, remaining - seconds * 1000)

        async def second_redis() -> ReplayStore:
            other = RedisReplayStore(url, clock)
            result.cleanup.append(other.stop)
            return other

        result = Backend("redis", clock, store, pass_time, second_redis)
        result.cleanup.append(raw.aclose)  # type: ignore[attr-defined]
    else:
        url = request.getfixturevalue(
            "sqlite_replay_url" if request.param == "sql-sqlite" else "postgres_replay_url"
        )
        truncate_all(url)
        database = Database.connect(url)
        store = SqlReplayStore(database, clock)

        async def pass_clock(seconds: int) -> None:
            clock.advance(seconds)

        async def second_sql() -> ReplayStore:
            other = Database.connect(url)
            result.cleanup.append(other.dispose)
            return SqlReplayStore(other, clock)

        result = Backend(request.param, clock, store, pass_clock, second_sql)
        result.cleanup.append(database.dispose)
    await store.start()
    yield result
    await store.stop()
    for close in result.cleanup:
        await close()


def expiry(backend: Backend, seconds: int) -> int:
    return backend.clock.timestamp() + seconds


async def test_first_use_then_replay(backend: Backend) -> None:
    key = replay_key("client-1", "jti-1", "a.b.c")
    assert await backend.store.first_use(key, expiry(backend, 60)) is True
    assert await backend.store.first_use(key, expiry(backend, 60)) is False


async def test_keys_are_independent(backend: Backend) -> None:
    assert await backend.store.first_use("mp:client-1:jti-1", expiry(backend, 60)) is True
    assert await backend.store.first_use("mp:client-2:jti-1", expiry(backend, 60)) is True
    assert await backend.store.first_use("idp:client-1:jti-1", expiry(backend, 60)) is True
    assert await backend.store.first_use("mp:client-1:jti-2", expiry(backend, 60)) is True
    assert await backend.store.first_use("mp:client-1:jti-1", expiry(backend, 60)) is False


async def test_a_key_is_kept_until_expires_at_and_then_reusable(backend: Backend) -> None:
    now = backend.clock.timestamp()
    expires_at = replay_expiry(exp=now + 30, now=now)  # exp + 10 s
    assert await backend.store.first_use("mp:c:j", expires_at) is True
    await backend.advance(39)
    assert await backend.store.first_use("mp:c:j", expiry(backend, 60)) is False
    await backend.advance(2)
    assert await backend.store.first_use("mp:c:j", expiry(backend, 60)) is True
    assert await backend.store.first_use("mp:c:j", expiry(backend, 60)) is False


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_redis_keeps_an_already_expired_key_one_second(backend: Backend) -> None:
    assert await backend.store.first_use("mp:c:late", backend.clock.timestamp() - 5) is True
    assert await backend.store.first_use("mp:c:late", backend.clock.timestamp() - 5) is False


async def test_concurrent_first_uses_of_one_key_let_exactly_one_through(backend: Backend) -> None:
    results = await asyncio.gather(
        *(backend.store.first_use("mp:c:race", expiry(backend, 60)) for _ in range(25))
    )
    assert results.count(True) == 1


async def test_concurrent_first_uses_of_an_expired_key_let_exactly_one_through(backend: Backend) -> None:
    assert await backend.store.first_use("mp:c:again", expiry(backend, 5)) is True
    await backend.advance(10)
    results = await asyncio.gather(
        *(backend.store.first_use("mp:c:again", expiry(backend, 60)) for _ in range(25))
    )
    assert results.count(True) == 1


async def test_two_processes_let_exactly_one_through(backend: Backend) -> None:
    other = await backend.second_store()
    results = await asyncio.gather(
        *(
            store.first_use("mp:c:two-processes", expiry(backend, 60))
            for _ in range(10)
            for store in (backend.store, other)
        )
    )
    assert results.count(True) == 1


SQL_ONLY = pytest.mark.parametrize("backend", ["sql-sqlite", "sql-postgresql"], indirect=True)


@SQL_ONLY
async def test_purge_removes_only_expired_rows(backend: Backend) -> None:
    store = backend.store
    assert isinstance(store, SqlReplayStore)
    assert await store.first_use("mp:c:short", expiry(backend, 5)) is True
    assert await store.first_use("mp:c:edge", expiry(backend, 10)) is True
    assert await store.first_use("mp:c:long", expiry(backend, 100)) is True
    await backend.advance(10)
    assert await store.purge() == 1
    async with store.database.engine.connect() as connection:
        left = (await connection.execute(select(jwt_replay.c.key).order_by(jwt_replay.c.key))).scalars()
        assert list(left) == ["mp:c:edge", "mp:c:long"]
    assert await store.first_use("mp:c:long", expiry(backend, 100)) is False


@SQL_ONLY
async def test_purge_job_runs_in_the_background(backend: Backend) -> None:
    store = backend.store
    assert isinstance(store, SqlReplayStore)
    job = SqlReplayStore(store.database, backend.clock, purge_seconds=0.01)
    assert await store.first_use("mp:c:old", expiry(backend, 1)) is True
    await backend.advance(5)
    await job.start()
    try:
        async with asyncio.timeout(10):
            while True:
                async with store.database.engine.connect() as connection:
                    if (await connection.execute(select(jwt_replay.c.key))).first() is None:
                        break
                await asyncio.sleep(0.01)
    finally:
        await job.stop()


async def test_redis_key_and_ttl(redis_url: str) -> None:
    clock = FixedClock()
    store = RedisReplayStore(redis_url, clock)
    raw: aioredis.Redis[bytes] = aioredis.Redis.from_url(redis_url)
    try:
        assert await store.first_use("mp:client-1:jti-1", clock.timestamp() + 70) is True
        assert await raw.get("portvakt:replay:mp:client-1:jti-1") == b"1"
        assert 60 < await raw.ttl("portvakt:replay:mp:client-1:jti-1") <= 70
    finally:
        await store.stop()
        await raw.aclose()  # type: ignore[attr-defined]


async def test_redis_unreachable_is_an_error_never_not_seen() -> None:
    store = RedisReplayStore("redis://127.0.0.1:1/0", FixedClock(), timeout=0.5)
    try:
        with pytest.raises(ReplayStoreUnavailable) as raised:
            await store.first_use("mp:c:j", FixedClock().timestamp() + 60)
        assert raised.value.status_code == 500
        assert raised.value.message == "Internal server error"
    finally:
        await store.stop()


async def test_sql_store_unreachable_is_an_error(tmp_path: Path) -> None:
    database = Database.connect(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    try:
        with pytest.raises(ReplayStoreUnavailable):
            await SqlReplayStore(database, FixedClock()).first_use("mp:c:j", 10)
    finally:
        await database.dispose()


@pytest.mark.parametrize(
    ("redis", "expected"),
    [
        pytest.param(None, SqlReplayStore, id="database-by-default"),
        pytest.param("redis://127.0.0.1:6379/15", RedisReplayStore, id="redis-when-configured"),
    ],
)
async def test_create_replay_store_chooses_by_setting(
    tmp_path: Path, redis: str | None, expected: type[ReplayStore]
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", redis_url=redis, _env_file=None)
    database = Database.connect(settings.database_url)
    store = create_replay_store(settings, database, FixedClock())
    try:
        assert isinstance(store, expected)
    finally:
        await store.stop()
        await database.dispose()
