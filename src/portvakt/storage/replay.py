"""Replay stores for JWT grants and client assertions (maskinporten.md §11): SQL (default) and Redis.

Both implement `portvakt.maskinporten.ports.ReplayStore`. Keys come from `portvakt.oauth.replay.replay_key`
and `expires_at` from `replay_expiry` (which adds the 10 s); a store keeps a key until that moment.
Any failure to answer raises `ReplayStoreUnavailable`: a store never reports "not seen" when it cannot tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Final, Protocol

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError
from sqlalchemy import bindparam, delete, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool

from portvakt.domain.clock import Clock, SystemClock
from portvakt.oauth.replay import MIN_RETENTION, ReplayStoreUnavailable
from portvakt.periodic import PeriodicJob
from portvakt.settings import Settings
from portvakt.storage.engine import Database, create_sync_engine
from portvakt.storage.tables.keys import jwt_replay

if TYPE_CHECKING:
    from portvakt.web.service import Platform

log = structlog.stdlib.get_logger("portvakt.storage.replay")

PURGE_SECONDS = 60.0
REDIS_PREFIX = "portvakt:replay:"
REDIS_TIMEOUT_SECONDS = 2.0
REPLAY_COMPONENT = "replay"  # key in Platform.components
MAX_BATCH = 256  # first uses the SQLite writer answers with one wake-up of the event loop


class ManagedReplayStore(Protocol):
    async def first_use(self, key: str, expires_at: int) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _sqlite_statement(statement: Any) -> str:
    return str(statement.compile(dialect=sqlite.dialect(paramstyle="named")))


_SQLITE_INSERT: Final = _sqlite_statement(
    insert(jwt_replay).values(key=bindparam("key"), expires_at=bindparam("expires_at"))
)
_SQLITE_DELETE_EXPIRED: Final = _sqlite_statement(
    delete(jwt_replay).where(jwt_replay.c.key == bindparam("key"), jwt_replay.c.expires_at < bindparam("now"))
)


_Request = tuple[str, int, "asyncio.Future[bool]", asyncio.AbstractEventLoop]
_Answer = tuple["asyncio.Future[bool]", bool | BaseException]


class _SqliteWriter:
    """The SQLite path of `SqlReplayStore.first_use`: one thread holding one connection of its own.

    A first use is a single hop off the event loop (INSERT and COMMIT together, in the thread), and the
    process's writes never queue on SQLite's lock behind each other. The thread answers every request
    it finds waiting with one wake-up of the event loop, so under load the hops cost little more than
    the INSERTs. Other processes' writes wait on busy_timeout in this thread, never on the event loop.
    """

    def __init__(self, url: str, clock: Clock) -> None:
        self._url = url
        self._clock = clock
        self._requests: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._connection: Any = None  # the engine's DBAPI connection; used only on the writer's thread

    async def first_use(self, key: str, expires_at: int) -> bool:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="replay-sqlite", daemon=True)
            self._thread.start()
        self._requests.put((key, expires_at, future, loop))
        return await future

    async def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._requests.put(None)
            await asyncio.to_thread(thread.join)

    def _run(self) -> None:
        try:
            while True:
                batch = [self._requests.get()]
                with contextlib.suppress(queue.Empty):
                    while len(batch) < MAX_BATCH:
                        batch.append(self._requests.get_nowait())
                answers: dict[asyncio.AbstractEventLoop, list[_Answer]] = {}
                for request in batch:
                    if request is None:
                        continue
                    key, expires_at, future, loop = request
                    answer: bool | BaseException
                    try:
                        answer = self._first_use(key, expires_at)
                    except Exception as exc:  # ReplayStoreUnavailable, or whatever else it raised
                        answer = exc
                    answers.setdefault(loop, []).append((future, answer))
                for loop, answered in answers.items():
                    with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting
                        loop.call_soon_threadsafe(_deliver, answered)
                if None in batch:
                    return
        finally:
            self._close()

    def _first_use(self, key: str, expires_at: int) -> bool:
        row = {"key": key, "expires_at": expires_at}
        try:
            connection = self._connect()
            try:
                connection.execute(_SQLITE_INSERT, row)
                connection.commit()
                return True
            except sqlite3.IntegrityError:
                connection.rollback()
            # Seen before; the row may have expired but not yet been purged: overwrite it atomically.
            try:
                deleted = connection.execute(
                    _SQLITE_DELETE_EXPIRED, {"key": key, "now": self._clock.timestamp()}
                )
                if deleted.rowcount == 0:
                    connection.rollback()
                    return False
                connection.execute(_SQLITE_INSERT, row)
                connection.commit()
                return True
            except sqlite3.IntegrityError:
                connection.rollback()
                return False  # another process re-inserted it first
        except sqlite3.Error as exc:
            self._close()
            raise ReplayStoreUnavailable(f"replay table: {type(exc).__name__}") from exc

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            engine = create_sync_engine(self._url, poolclass=NullPool)
            self._connection = engine.raw_connection()
            engine.dispose()
        connection: sqlite3.Connection = self._connection.driver_connection
        return connection

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sqlite3.Error):
                connection.close()


def _deliver(answers: list[_Answer]) -> None:
    for future, answer in answers:
        if future.done():  # the request was cancelled; its row is written all the same
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)


class SqlReplayStore:
    """Table `jwt_replay`: a plain INSERT; a unique-key violation is a replay."""

    def __init__(self, database: Database, clock: Clock, *, purge_seconds: float = PURGE_SECONDS) -> None:
        self.database = database
        self._clock = clock
        self._purge_job = PeriodicJob("replay-purge", purge_seconds, self._purge_and_report)
        self._on_sqlite = database.backend == "sqlite"
        self._sqlite: _SqliteWriter | None = None

    async def first_use(self, key: str, expires_at: int) -> bool:
        if self._on_sqlite:
            if self._sqlite is None:
                self._sqlite = _SqliteWriter(self.database.url, self._clock)
            return await self._sqlite.first_use(key, expires_at)
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
        self._purge_job.start()

    async def stop(self) -> None:
        await self._purge_job.stop()
        writer, self._sqlite = self._sqlite, None
        if writer is not None:
            await writer.close()

    async def _purge_and_report(self) -> None:
        removed = await self.purge()
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
