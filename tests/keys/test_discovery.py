"""`{I}.well-known/oauth-authorization-server` and `{I}jwk` (maskinporten.md §12.1, §12.2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.discovery import build_router
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.replay import RedisReplayStore, SqlReplayStore
from portvakt.storage.signing_keys import SigningKeyManager
from portvakt.web.metrics import Metrics
from portvakt.web.service import Platform, new_service_app

pytestmark = pytest.mark.db

EXPECTED_METADATA = (
    b'{"issuer":"http://localhost:8080/maskinporten/",'
    b'"token_endpoint":"http://localhost:8080/maskinporten/token",'
    b'"jwks_uri":"http://localhost:8080/maskinporten/jwk",'
    b'"token_endpoint_auth_methods_supported":["private_key_jwt"],'
    b'"grant_types_supported":["urn:ietf:params:oauth:grant-type:jwt-bearer"],'
    b'"token_endpoint_auth_signing_alg_values_supported":["RS256","RS384","RS512"],'
    b'"authorization_details_types_supported":[]}'
)


def platform_for(settings: Settings, clock: FixedClock) -> Platform:
    return Platform(
        settings=settings, database=Database.connect(settings.database_url), clock=clock, metrics=Metrics()
    )


async def serve(platform: Platform) -> AsyncIterator[tuple[Platform, httpx.AsyncClient]]:
    app: FastAPI = new_service_app("maskinporten")
    app.include_router(build_router(platform))
    for hook in platform.startup:
        await hook()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8080") as http:
            yield platform, http
    finally:
        for hook in reversed(platform.shutdown):
            await hook()
        await platform.database.dispose()


@pytest.fixture
async def served(settings: Settings, clock: FixedClock) -> AsyncIterator[tuple[Platform, httpx.AsyncClient]]:
    async for pair in serve(platform_for(settings, clock)):
        yield pair


async def test_metadata_document_is_exactly_the_spec(served: tuple[Platform, httpx.AsyncClient]) -> None:
    _, http = served
    response = await http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.content == EXPECTED_METADATA
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=3600"


async def test_metadata_follows_the_issuer_setting(
    database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        maskinporten_base_url="https://maskinporten.example.no",
        _env_file=None,
    )
    async for _, http in serve(platform_for(settings, clock)):
        document = (await http.get("/.well-known/oauth-authorization-server")).json()
        assert document["issuer"] == "https://maskinporten.example.no/"
        assert document["token_endpoint"] == "https://maskinporten.example.no/token"
        assert document["jwks_uri"] == "https://maskinporten.example.no/jwk"


async def test_jwks_lists_the_published_keys(served: tuple[Platform, httpx.AsyncClient]) -> None:
    platform, http = served
    signer = platform.components["maskinporten.signer"]
    assert isinstance(signer, SigningKeyManager)
    response = await http.get("/jwk")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=3600"
    body = response.json()
    assert list(body) == ["keys"]
    [key] = body["keys"]
    assert list(key) == ["kty", "kid", "use", "alg", "n", "e"]
    assert key["kid"] == signer.active_kid
    assert (key["kty"], key["use"], key["alg"], key["e"]) == ("RSA", "sig", "RS256", "AQAB")

    rotation = await signer.rotate()
    assert [entry["kid"] for entry in (await http.get("/jwk")).json()["keys"]] == [
        key["kid"],
        rotation.key.kid,
    ]


@pytest.mark.parametrize(
    "path",
    [pytest.param("/jwk", id="jwk"), pytest.param("/.well-known/oauth-authorization-server", id="metadata")],
)
async def test_wrong_method_is_405_with_allow(served: tuple[Platform, httpx.AsyncClient], path: str) -> None:
    _, http = served
    response = await http.post(path)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


async def test_signer_and_replay_store_are_shared_components(
    served: tuple[Platform, httpx.AsyncClient],
) -> None:
    platform, _ = served
    assert isinstance(platform.components["maskinporten.signer"], SigningKeyManager)
    assert isinstance(platform.components["replay"], SqlReplayStore)


async def test_redis_url_selects_the_redis_replay_store(
    database_url: str, tmp_path: Path, clock: FixedClock, redis_url: str
) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, redis_url=redis_url, _env_file=None)
    async for platform, _ in serve(platform_for(settings, clock)):
        store = platform.components["replay"]
        assert isinstance(store, RedisReplayStore)
        assert await store.first_use("mp:c:j", clock.timestamp() + 60) is True


async def test_an_existing_replay_store_is_reused(settings: Settings, clock: FixedClock) -> None:
    platform = platform_for(settings, clock)
    existing = SqlReplayStore(platform.database, clock)
    platform.components["replay"] = existing
    build_router(platform)
    assert platform.components["replay"] is existing
    assert len(platform.startup) == 1  # only the signer: the owner of the store starts it
    await platform.database.dispose()


async def test_the_platform_serves_both_documents_under_the_issuer(client: httpx.AsyncClient) -> None:
    metadata = await client.get("/maskinporten/.well-known/oauth-authorization-server")
    assert metadata.status_code == 200
    assert metadata.content == EXPECTED_METADATA
    assert metadata.headers["cache-control"] == "public, max-age=3600"
    jwks = await client.get(metadata.json()["jwks_uri"].removeprefix("http://localhost:8080"))
    assert jwks.status_code == 200
    assert jwks.headers["content-type"] == "application/json"
    assert jwks.headers["cache-control"] == "public, max-age=3600"
    assert len(jwks.json()["keys"]) == 1
