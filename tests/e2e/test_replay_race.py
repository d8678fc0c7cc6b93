"""Two real `portvakt serve` processes on one database: the same grant at both at once gives exactly one
token and one MP-012 (maskinporten.md §11: replay protection is correct across any number of processes)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import jwt
import pytest

from portvakt.domain.clock import SystemClock
from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.registry.demo import DemoClient, ensure_demo_client
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from tests.e2e.serving import Server, run_cli, serve

pytestmark = pytest.mark.slow

PUBLIC_BASE = "http://localhost:8080"  # the same issuer in both processes
ISSUER = f"{PUBLIC_BASE}/maskinporten/"
ROUNDS = 5


async def _setup_demo(database_url: str, data_dir: Path) -> DemoClient:
    settings = Settings(database_url=database_url, data_dir=data_dir, public_base=PUBLIC_BASE, _env_file=None)
    database = Database.connect(settings.database_url)
    try:
        demo = await ensure_demo_client(settings, database, SystemClock())
    finally:
        await database.dispose()
    assert demo is not None
    return demo


def _grant(demo: DemoClient, jti: str | None) -> str:
    key = jwt.PyJWK.from_json(demo.key_file.read_text())
    now = int(time.time())
    claims: dict[str, object] = {
        "aud": ISSUER,
        "iss": demo.client_id,
        "iat": now,
        "exp": now + 60,
        "scope": demo.scope,
    }
    if jti is not None:
        claims["jti"] = jti
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": demo.kid})


async def _race(servers: list[Server], assertion: str) -> list[httpx.Response]:
    form = {"grant_type": JWT_BEARER, "assertion": assertion}
    async with httpx.AsyncClient(timeout=30) as http:
        return list(
            await asyncio.gather(
                *(http.post(f"{server.base}/maskinporten/token", data=form) for server in servers)
            )
        )


@pytest.fixture
def two_servers_factory(tmp_path: Path) -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def _start_two(
    stack: ExitStack, tmp_path: Path, extra_env: dict[str, str]
) -> tuple[list[Server], DemoClient]:
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    data_dir = tmp_path / "data"
    env = {
        "PORTVAKT_DATABASE_URL": database_url,
        "PORTVAKT_DATA_DIR": str(data_dir),
        "PORTVAKT_PUBLIC_BASE": PUBLIC_BASE,
        **extra_env,
    }
    migrated = run_cli(["migrate"], env, tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    demo = asyncio.run(_setup_demo(database_url, data_dir))
    servers = [stack.enter_context(serve(env, tmp_path, ("--no-first-run",))) for _ in range(2)]
    return servers, demo


def _assert_one_winner(responses: list[httpx.Response]) -> None:
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 400], [response.text for response in responses]
    (loser,) = [response for response in responses if response.status_code == 400]
    assert loser.json()["error_uri"] == f"{ISSUER}errors/MP-012"
    assert loser.json()["error_description"].startswith("Grant is used before (trace_id: ")


def _check_races(servers: list[Server], demo: DemoClient) -> None:
    for round_number in range(ROUNDS):
        jti = None if round_number == ROUNDS - 1 else secrets.token_urlsafe(16)
        _assert_one_winner(asyncio.run(_race(servers, _grant(demo, jti))))


def test_replay_race_on_the_shared_database(two_servers_factory: ExitStack, tmp_path: Path) -> None:
    servers, demo = _start_two(two_servers_factory, tmp_path, {})
    _check_races(servers, demo)


def test_replay_race_on_redis(two_servers_factory: ExitStack, tmp_path: Path, redis_url: str) -> None:
    servers, demo = _start_two(two_servers_factory, tmp_path, {"PORTVAKT_REDIS_URL": redis_url})
    _check_races(servers, demo)
