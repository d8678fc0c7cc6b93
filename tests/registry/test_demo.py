"""Demo data for a new test installation (`ensure_demo_client`): idempotent, usable, test only."""

from __future__ import annotations

import json
import stat

from sqlalchemy import func, select

from portvakt.domain.clock import FixedClock
from portvakt.domain.identifiers import is_valid_orgnr
from portvakt.registry.demo import DEMO_ORGNO, DEMO_SCOPE, ensure_demo_client
from portvakt.registry.reader import CachedRegistryReader
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.registry import clients


def test_demo_orgno_is_synthetic_and_outside_the_scenario_block() -> None:
    assert is_valid_orgnr(DEMO_ORGNO)
    assert DEMO_ORGNO.startswith("3")
    assert not 399900018 <= int(DEMO_ORGNO) <= 399900344


async def count_clients(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(clients)) or 0)


async def test_demo_client_is_ready_for_a_token_and_created_once(
    registry_settings: Settings, database: Database, clock: FixedClock
) -> None:
    demo = await ensure_demo_client(registry_settings, database, clock)
    assert demo is not None
    assert (demo.scope, demo.orgno, demo.key_file) == (
        DEMO_SCOPE,
        DEMO_ORGNO,
        registry_settings.data_dir / "demo-client.jwk.json",
    )
    assert stat.S_IMODE(demo.key_file.stat().st_mode) == 0o600
    private = json.loads(demo.key_file.read_text())
    assert private["kid"] == demo.kid
    reader = CachedRegistryReader(database, clock, 5)
    client = await reader.client(demo.client_id)
    assert client is not None
    assert (client.client_orgno, client.integration_type, client.scopes, client.active) == (
        DEMO_ORGNO,
        "maskinporten",
        frozenset({DEMO_SCOPE}),
        True,
    )
    registered = client.key(demo.kid)
    assert registered is not None
    assert (registered.jwk["n"], registered.jwk["e"]) == (private["n"], private["e"])
    assert "d" not in registered.jwk
    assert await reader.has_approved_access(DEMO_SCOPE, DEMO_ORGNO) is True
    assert (await reader.scopes([DEMO_SCOPE]))[DEMO_SCOPE].active is True

    again = await ensure_demo_client(registry_settings, database, clock)
    assert again == demo
    assert await count_clients(database) == 1


async def test_a_lost_key_file_gives_a_new_demo_client(
    registry_settings: Settings, database: Database, clock: FixedClock
) -> None:
    first = await ensure_demo_client(registry_settings, database, clock)
    assert first is not None
    first.key_file.unlink()
    second = await ensure_demo_client(registry_settings, database, clock)
    assert second is not None
    assert second.client_id != first.client_id
    assert json.loads(second.key_file.read_text())["kid"] == second.kid


async def test_no_demo_data_in_prod(database: Database, clock: FixedClock, database_url: str) -> None:
    prod = Settings(  # type: ignore[call-arg]
        _env_file=None, env="prod", database_url=database_url, platform_orgno="991825827"
    )
    assert await ensure_demo_client(prod, database, clock) is None
    assert await count_clients(database) == 0
