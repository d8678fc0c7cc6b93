"""Replay stores for JWT grants and client assertions (maskinporten.md §11): SQL (default) and Redis.

Both implement `portvakt.maskinporten.ports.ReplayStore`. Keys come from `portvakt.oauth.replay.replay_key`
and `expires_at` from `replay_expiry` (which adds the 10 s); a store keeps a key until that moment.
Any failure to answer raises `ReplayStoreUnavailable`: a store never reports "not seen" when it cannot tell.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Protocol

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError
from sqlalchemy import delete, insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from portvakt.domain.clock import Clock, SystemClock
from portvakt.oauth.replay import MIN_RETENTION, ReplayStoreUnavailable
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.keys import jwt_replay

if TYPE_CHECKING:
    from portvakt.web.service import Platform

log = structlog.stdlib.get_logger("portvakt.storage.replay")

PURGE_SECONDS = 60.0
REDIS_PREFIX = "portvakt:replay:"
REDIS_TIMEOUT_SECONDS = 2.0
REPLAY_COMPONENT = "replay"  # key in Platform.components


class ManagedReplayStore(Protocol):
    async def first_use(self, key: str, expires_at: int) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SqlReplayStore:
    """Table `jwt_replay`: a plain INSERT; a unique-key violation is a replay."""

    def __init__(self, database: Database, clock: Clock, *, purge_seconds: float = PURGE_SECONDS) -> None:
        self.database = database
        self._clock = clock
        self._purge_seconds = purge_seconds
        self._task: asyncio.Task[None] | None = None

    async def first_use(self, key: str, expires_at: int) -> bool:
        row = {"key": key, "expires_at": expires_at}
        try:
            try:
                async with self.database.engine.begin() as connection:
                    await connection.execute(insert(jwt_replay).values(row))
                return True
            except IntegrityError:
                pass
            # Seen before; the row may have expired but not yet been purged: overwrite it atomically.
            try:
                async with self.database.engine.begin() as connection:
                    deleted = await connection.execute(
                        delete(jwt_replay).where(
                            jwt_replay.c.key == key, jwt_replay.c.expires_at < self._clock.timestamp()
                        )
                    )
                    if deleted.rowcount == 0:
                        return False
                    await connection.execute(insert(jwt_replay).values(row))
                return True
            except IntegrityError:
                return False  # a concurrent request re-inserted it first
        except DBAPIError as exc:
            raise ReplayStoreUnavailable(f"replay table: {type(exc.orig).__name__}") from exc

    async def purge(self) -> int:
        """Delete rows whose `expires_at` has passed; returns how many."""
        async with self.database.engine.begin() as connection:
            result = await connection.execute(
                delete(jwt_replay).where(jwt_replay.c.expires_at < self._clock.timestamp())
            )
        return result.rowcount

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._purge_loop(), name="replay-purge")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self._purge_seconds)
            try:
                removed = await self.purge()
            except Exception as exc:
                log.error("replay_purge_failed", error=type(exc).__name__)
            else:
                if removed:
                    log.debug("replay_purged", rows=removed)


class RedisReplayStore:
    """`SET portvakt:replay:<key> 1 NX EX <ttl>`; a nil reply is a replay."""

    def __init__(self, url: str, clock: Clock, *, timeout: float = REDIS_TIMEOUT_SECONDS) -> None:
        self._clock = clock
        self._client: aioredis.Redis[bytes] = aioredis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )

    async def first_use(self, key: str, expires_at: int) -> bool:
        ttl = max(expires_at - self._clock.timestamp(), MIN_RETENTION)
        try:
            reply = await self._client.set(REDIS_PREFIX + key, 1, nx=True, ex=ttl)
        except (RedisError, OSError) as exc:
            raise ReplayStoreUnavailable(f"redis: {type(exc).__name__}") from exc
        return reply is not None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self._client.aclose()  # type: ignore[attr-defined]  # types-redis predates aclose


def create_replay_store(
    settings: Settings, database: Database, clock: Clock | None = None
) -> SqlReplayStore | RedisReplayStore:
    """Redis when PORTVAKT_REDIS_URL is set, else the database."""
    clock = clock or SystemClock()
    if settings.redis_url:
        return RedisReplayStore(settings.redis_url, clock)
    return SqlReplayStore(database, clock)


def shared_replay_store(platform: Platform) -> ManagedReplayStore:
    """The process's one replay store (Maskinporten grants, ID-porten client assertions): created and
    hooked to start/stop by whichever service asks first, then found in `platform.components`."""
    existing: ManagedReplayStore | None = platform.components.get(REPLAY_COMPONENT)
    if existing is not None:
        return existing
    store = create_replay_store(platform.settings, platform.database, platform.clock)
    platform.components[REPLAY_COMPONENT] = store
    platform.startup.append(store.start)
    platform.shutdown.append(store.stop)
    return store
