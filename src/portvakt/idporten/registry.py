"""ID-porten's view of the registry (idporten.md §3): full client registrations, their keys, scopes and
approved accesses, each answer cached for at most `PORTVAKT_REGISTRY_CACHE_SECONDS` (negative ones too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from portvakt.domain.clock import Clock
from portvakt.registry.model import ApiScope, ClientRegistration, RegisteredKey
from portvakt.registry.reader import TtlCache
from portvakt.registry.repository import SqlAccesses, SqlClients, SqlScopes
from portvakt.storage.engine import Database


@dataclass(frozen=True)
class OidcClient:
    registration: ClientRegistration
    keys: tuple[RegisteredKey, ...]


class IdportenRegistry:
    def __init__(self, database: Database, clock: Clock, ttl_seconds: float) -> None:
        self.database = database
        self._clients: TtlCache[str, OidcClient | None] = TtlCache(clock, ttl_seconds)
        self._scopes: TtlCache[str, ApiScope | None] = TtlCache(clock, ttl_seconds)
        self._approved: TtlCache[tuple[str, str], bool] = TtlCache(clock, ttl_seconds)

    async def client(self, client_id: str) -> OidcClient | None:
        now = self._clients.now()
        hit, cached = self._clients.get(client_id, now)
        if hit:
            return cached
        async with self.database.engine.connect() as connection:
            repository = SqlClients(connection)
            registration = await repository.get(client_id)
            keys = tuple(await repository.keys(client_id)) if registration is not None else ()
        found = OidcClient(registration, keys) if registration is not None else None
        self._clients.put(client_id, found, now)
        return found

    async def scopes(self, names: Sequence[str]) -> Mapping[str, ApiScope]:
        now = self._scopes.now()
        result: dict[str, ApiScope] = {}
        missing: list[str] = []
        for name in dict.fromkeys(names):
            hit, cached = self._scopes.get(name, now)
            if not hit:
                missing.append(name)
            elif cached is not None:
                result[name] = cached
        if missing:
            async with self.database.engine.connect() as connection:
                found = await SqlScopes(connection).get_many(missing)
            for name in missing:
                self._scopes.put(name, found.get(name), now)
                if name in found:
                    result[name] = found[name]
        return result

    async def approved(self, orgno: str, names: Sequence[str]) -> set[str]:
        now = self._approved.now()
        result: set[str] = set()
        missing: list[str] = []
        for name in dict.fromkeys(names):
            hit, cached = self._approved.get((name, orgno), now)
            if not hit:
                missing.append(name)
            elif cached:
                result.add(name)
        if missing:
            async with self.database.engine.connect() as connection:
                found = await SqlAccesses(connection).approved_scopes(orgno, missing)
            for name in missing:
                self._approved.put((name, orgno), name in found, now)
            result |= found
        return result

    def clear(self) -> None:
        for cache in (self._clients, self._scopes, self._approved):
            cache.clear()
