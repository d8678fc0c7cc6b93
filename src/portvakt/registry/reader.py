"""The token endpoint's view of the registry (maskinporten.md §3): `RegistryReader` with a per-answer cache.

Every answer, negative ones included, is kept for at most `PORTVAKT_REGISTRY_CACHE_SECONDS` measured
with the injected clock, so a change made through the service layer reaches the token endpoint within
that period. A hit is a dict lookup; a miss is one query per method call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.domain.clock import Clock
from portvakt.maskinporten.ports import Client, DelegationSource, RegistryReader, Scope
from portvakt.registry.repository import (
    read_client,
    read_delegation_source,
    read_has_approved_access,
    read_scopes,
)
from portvakt.storage.engine import Database

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_MAX_ENTRIES = 50_000


class TtlCache(Generic[K, V]):
    """Entries expire `ttl` seconds after they were stored (clock time); bounded in size."""

    def __init__(self, clock: Clock, ttl: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def now(self) -> float:
        return self.clock.now().timestamp()

    def get(self, key: K, now: float) -> tuple[bool, V | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            return False, None
        return True, entry[1]

    def put(self, key: K, value: V, now: float) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._evict(now)
        self._entries[key] = (now + self.ttl, value)

    def _evict(self, now: float) -> None:
        self._entries = {key: entry for key, entry in self._entries.items() if entry[0] > now}
        if len(self._entries) >= self.max_entries:
            self._entries.clear()

    def clear(self) -> None:
        self._entries.clear()


class CachedRegistryReader(RegistryReader):
    def __init__(
        self,
        database: Database,
        clock: Clock,
        ttl_seconds: float,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.database = database
        self._clients: TtlCache[str, Client | None] = TtlCache(clock, ttl_seconds, max_entries)
        self._scopes: TtlCache[str, Scope | None] = TtlCache(clock, ttl_seconds, max_entries)
        self._access: TtlCache[tuple[str, str], bool] = TtlCache(clock, ttl_seconds, max_entries)
        self._sources: TtlCache[str, DelegationSource | None] = TtlCache(clock, ttl_seconds, max_entries)

    async def _query(self, read: Callable[[AsyncConnection], Awaitable[V]]) -> V:
        async with self.database.engine.connect() as connection:
            return await read(connection)

    async def client(self, client_id: str) -> Client | None:
        now = self._clients.now()
        hit, cached = self._clients.get(client_id, now)
        if hit:
            return cached
        found = await self._query(lambda connection: read_client(connection, client_id))
        self._clients.put(client_id, found, now)
        return found

    async def scopes(self, names: Sequence[str]) -> Mapping[str, Scope]:
        now = self._scopes.now()
        result: dict[str, Scope] = {}
        missing: list[str] = []
        for name in dict.fromkeys(names):
            hit, cached = self._scopes.get(name, now)
            if not hit:
                missing.append(name)
            elif cached is not None:
                result[name] = cached
        if missing:
            found = await self._query(lambda connection: read_scopes(connection, missing))
            for name in missing:
                scope = found.get(name)
                self._scopes.put(name, scope, now)
                if scope is not None:
                    result[name] = scope
        return result

    async def has_approved_access(self, scope: str, consumer_orgno: str) -> bool:
        key = (scope, consumer_orgno)
        now = self._access.now()
        hit, cached = self._access.get(key, now)
        if hit:
            return bool(cached)
        found = await self._query(
            lambda connection: read_has_approved_access(connection, scope, consumer_orgno)
        )
        self._access.put(key, found, now)
        return found

    async def delegation_source(self, name: str) -> DelegationSource | None:
        now = self._sources.now()
        hit, cached = self._sources.get(name, now)
        if hit:
            return cached
        found = await self._query(lambda connection: read_delegation_source(connection, name))
        self._sources.put(name, found, now)
        return found

    def clear(self) -> None:
        """Forget every cached answer (tests, or after a bulk change in this process)."""
        for cache in (self._clients, self._scopes, self._access, self._sources):
            cache.clear()
