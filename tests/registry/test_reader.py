"""The token endpoint's cached registry reader: hits, expiry, negative answers, and propagation of changes
within PORTVAKT_REGISTRY_CACHE_SECONDS (selvbetjening.md §9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.ports import DelegationSource, RegistryReader
from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import ClientSettings
from portvakt.registry.reader import CachedRegistryReader, TtlCache
from portvakt.registry.service import RegistryService
from portvakt.storage.engine import Database
from tests.registry.conftest import CONSUMER, PROVIDER, SCOPE, acting_as

pytestmark = pytest.mark.db

TTL = 5.0


@pytest.fixture
def queries(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(database.engine.sync_engine, "before_cursor_execute", count)


@pytest.fixture
def reader(database: Database, clock: FixedClock) -> CachedRegistryReader:
    return CachedRegistryReader(database, clock, TTL)


async def new_client(platform: RegistryService) -> str:
    settings = ClientSettings(
        client_name="Klient", integration_type="maskinporten", description="d", scopes=(SCOPE,)
    )
    created = await acting_as(platform, PROVIDER).create_client(settings, generate_key=True)
    return created.client.client_id


def test_is_a_registry_reader(reader: CachedRegistryReader) -> None:
    port: RegistryReader = reader
    assert port is reader


async def test_a_hit_is_answered_without_a_query(
    platform: RegistryService, reader: CachedRegistryReader, queries: list[str]
) -> None:
    client_id = await new_client(platform)
    queries.clear()
    first = await reader.client(client_id)
    assert len(queries) == 1
    assert first is not None
    assert (first.client_orgno, first.scopes, len(first.keys)) == (PROVIDER, frozenset({SCOPE}), 1)
    assert await reader.client(client_id) is first
    assert await reader.scopes([SCOPE]) == await reader.scopes([SCOPE])
    assert await reader.has_approved_access(SCOPE, CONSUMER) is False
    assert await reader.has_approved_access(SCOPE, CONSUMER) is False
    assert await reader.delegation_source("altinn") == DelegationSource(
        "altinn", "http://localhost:8080/altinn/"
    )
    assert await reader.delegation_source("altinn") is not None
    assert len(queries) == 4  # one per method, none for the hits


async def test_scopes_query_only_the_missing_names_and_cache_absence(
    platform: RegistryService, reader: CachedRegistryReader, queries: list[str]
) -> None:
    queries.clear()
    first = await reader.scopes([SCOPE, "test:ukjent"])
    assert set(first) == {SCOPE}
    assert (first[SCOPE].owner_orgno, first[SCOPE].active) == (PROVIDER, True)
    second = await reader.scopes([SCOPE, "test:ukjent", "portvakt:admin", "portvakt:admin"])
    assert set(second) == {SCOPE, "portvakt:admin"}
    assert second["portvakt:admin"].allowed_integration_types == ("maskinporten",)
    assert len(queries) == 2
    assert await reader.scopes(["test:ukjent"]) == {}
    assert len(queries) == 2


async def test_a_change_is_visible_once_the_cache_period_is_over(
    platform: RegistryService, reader: CachedRegistryReader, clock: FixedClock
) -> None:
    provider = acting_as(platform, PROVIDER)
    assert (await reader.scopes([SCOPE]))[SCOPE].active is True
    assert await reader.has_approved_access(SCOPE, CONSUMER) is False
    await provider.grant_access(SCOPE, CONSUMER)
    await provider.deactivate_scope(SCOPE)
    clock.advance(TTL - 0.001)
    assert (await reader.scopes([SCOPE]))[SCOPE].active is True  # still the cached answer
    assert await reader.has_approved_access(SCOPE, CONSUMER) is False
    clock.advance(0.001)
    assert (await reader.scopes([SCOPE]))[SCOPE].active is False
    assert await reader.has_approved_access(SCOPE, CONSUMER) is True
    await provider.revoke_access(SCOPE, CONSUMER)
    clock.advance(TTL)
    assert await reader.has_approved_access(SCOPE, CONSUMER) is False


async def test_an_unknown_client_is_cached_as_unknown_until_expiry(
    platform: RegistryService, database: Database, clock: FixedClock
) -> None:
    reader = CachedRegistryReader(database, clock, TTL)
    assert await reader.client("ukjent") is None
    client_id = await new_client(platform)
    assert await reader.client(client_id) is not None  # another id: not cached yet
    assert await reader.delegation_source("ny") is None
    await platform.add_delegation_source("ny", "https://ny.example.no/")
    assert await reader.delegation_source("ny") is None
    clock.advance(TTL)
    assert await reader.delegation_source("ny") == DelegationSource("ny", "https://ny.example.no/")


async def test_new_keys_reach_the_reader_within_the_period(
    platform: RegistryService, reader: CachedRegistryReader, clock: FixedClock
) -> None:
    client_id = await new_client(platform)
    before = await reader.client(client_id)
    assert before is not None
    assert len(before.keys) == 1
    jwk = dict((await acting_as(platform, PROVIDER).client_keys(client_id))[0].jwk)
    await acting_as(platform, PROVIDER).replace_client_keys(client_id, [jwk, generate_rsa_key().public_jwk])
    clock.advance(TTL)
    after = await reader.client(client_id)
    assert after is not None
    assert len(after.keys) == 2
    assert after.key(jwk["kid"]) is not None


async def test_zero_seconds_means_no_cache(
    platform: RegistryService, database: Database, clock: FixedClock, queries: list[str]
) -> None:
    reader = CachedRegistryReader(database, clock, 0)
    queries.clear()
    await reader.has_approved_access(SCOPE, CONSUMER)
    await reader.has_approved_access(SCOPE, CONSUMER)
    assert len(queries) == 2


def test_the_cache_stays_bounded(clock: FixedClock) -> None:
    cache: TtlCache[int, int] = TtlCache(clock, 5, max_entries=3)
    now = cache.now()
    for number in range(3):
        cache.put(number, number, now)
    cache.put(3, 3, now + 1)  # full and nothing expired: start afresh
    assert [cache.get(number, now + 1)[0] for number in range(4)] == [False, False, False, True]
    cache.put(4, 4, now + 2)
    cache.put(5, 5, now + 2)
    cache.put(6, 6, now + 6.5)  # full: the expired entry (3) goes, the live ones stay
    assert [cache.get(number, now + 6.5)[0] for number in (3, 4, 5, 6)] == [False, True, True, True]
