"""MaskinportenClient and AsyncMaskinportenClient against a fake token endpoint."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import httpx
import pytest

from portvakt.client import (
    AsyncMaskinportenClient,
    DiscoveryError,
    MaskinportenClient,
    SigningKey,
    TokenRequestError,
    TokenResponse,
)
from portvakt.domain.clock import FixedClock
from tests.client.fakes import ISSUER, TOKEN_ENDPOINT, FakeTokenEndpoint
from tests.client.grant_rules import check_grant
from tests.resource_server.fakes import rsa_key

CLIENT_ID = "0f2d7c1e-client"
KEY = SigningKey(rsa_key("client-key"), kid="my-kid")
MP_200 = "Token request contains invalid scopes for client, a:b (trace_id: 4bf92f3577b34da6a3ce929d0e0e4736)"


class Client(Protocol):
    async def get_token(self, scopes: Any, **options: Any) -> TokenResponse: ...


class SyncAdapter:
    def __init__(self, client: MaskinportenClient) -> None:
        self.client = client

    async def get_token(self, scopes: Any, **options: Any) -> TokenResponse:
        return self.client.get_token(scopes, **options)


MakeClient = Callable[..., Client]


@pytest.fixture
def endpoint() -> FakeTokenEndpoint:
    return FakeTokenEndpoint()


@pytest.fixture(params=["sync", "async"])
async def make_client(
    request: pytest.FixtureRequest, endpoint: FakeTokenEndpoint, clock: FixedClock
) -> AsyncIterator[MakeClient]:
    made: list[MaskinportenClient | AsyncMaskinportenClient] = []

    def build(**options: Any) -> Client:
        options.setdefault("clock", clock)
        options.setdefault("transport", httpx.MockTransport(endpoint))
        if request.param == "sync":
            client = MaskinportenClient(ISSUER, CLIENT_ID, KEY, **options)
            made.append(client)
            return SyncAdapter(client)
        async_client = AsyncMaskinportenClient(ISSUER, CLIENT_ID, KEY, **options)
        made.append(async_client)
        return async_client

    yield build
    for client in made:
        if isinstance(client, MaskinportenClient):
            client.close()
        else:
            await client.aclose()


async def test_token_request_form(
    make_client: MakeClient, endpoint: FakeTokenEndpoint, clock: FixedClock
) -> None:
    token = await make_client().get_token(["a:b"], resource="https://api.test/")
    assert token.access_token == "token-1"
    assert token.expires_in == 120
    assert token.obtained_at == clock.timestamp()
    (request,) = endpoint.token_requests
    assert str(request.url) == TOKEN_ENDPOINT
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = endpoint.forms()[0]
    assert set(form) == {"grant_type", "assertion"}
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    _, claims = check_grant(form["assertion"], ISSUER, CLIENT_ID, lambda kid: KEY.private_key.public_key())
    assert claims["iat"] == clock.timestamp()
    assert claims["resource"] == "https://api.test/"


async def test_token_endpoint_from_metadata(make_client: MakeClient, endpoint: FakeTokenEndpoint) -> None:
    client = make_client()
    await client.get_token("a:b")
    await client.get_token("c:d")
    assert endpoint.metadata_requests == 1
    assert len(endpoint.token_requests) == 2


async def test_explicit_token_endpoint(make_client: MakeClient, endpoint: FakeTokenEndpoint) -> None:
    await make_client(token_endpoint=TOKEN_ENDPOINT).get_token("a:b")
    assert endpoint.metadata_requests == 0


async def test_metadata_for_another_issuer(make_client: MakeClient, endpoint: FakeTokenEndpoint) -> None:
    endpoint.metadata_issuer = "https://elsewhere.test/"
    with pytest.raises(DiscoveryError) as raised:
        await make_client().get_token("a:b")
    assert raised.value.error == "invalid_response"
    assert endpoint.token_requests == []


async def test_cached_until_margin_before_expiry(
    make_client: MakeClient, endpoint: FakeTokenEndpoint, clock: FixedClock
) -> None:
    client = make_client()
    first = await client.get_token("a:b c:d")
    assert (await client.get_token(["c:d", "a:b"])) is first  # same scope set, any order
    clock.advance(120 - 30 - 1)
    assert (await client.get_token("a:b c:d")) is first
    clock.advance(1)
    second = await client.get_token("a:b c:d")
    assert second.access_token == "token-2"
    assert len(endpoint.token_requests) == 2


async def test_configurable_margin(
    make_client: MakeClient, endpoint: FakeTokenEndpoint, clock: FixedClock
) -> None:
    client = make_client(refresh_margin=5)
    await client.get_token("a:b")
    clock.advance(114)
    await client.get_token("a:b")
    assert len(endpoint.token_requests) == 1
    clock.advance(1)
    await client.get_token("a:b")
    assert len(endpoint.token_requests) == 2


async def test_cache_key_is_per_request(make_client: MakeClient, endpoint: FakeTokenEndpoint) -> None:
    client = make_client()
    variants: list[dict[str, Any]] = [
        {},
        {"resource": "https://api.test/"},
        {"resource": ["https://api.test/", "https://b.test/"]},
        {"consumer_org": "991825827"},
        {"pid": "01819012365"},
        {"consumer_org": "991825827", "pid": "01819012365"},
    ]
    tokens = [await client.get_token("a:b", **v) for v in variants]
    assert len({t.access_token for t in tokens}) == len(variants)
    again = [await client.get_token("a:b", **v) for v in variants]
    assert [t.access_token for t in again] == [t.access_token for t in tokens]
    assert await client.get_token("x:y") != tokens[0]
    assert len(endpoint.token_requests) == len(variants) + 1


async def test_force_refresh(make_client: MakeClient, endpoint: FakeTokenEndpoint) -> None:
    client = make_client()
    await client.get_token("a:b")
    assert (await client.get_token("a:b", force_refresh=True)).access_token == "token-2"


def json_reply(status: int, body: Any) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("reply", "status", "error", "description", "uri"),
    [
        pytest.param(
            json_reply(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": MP_200,
                    "error_uri": "https://maskinporten.test/errors/MP-200",
                },
            ),
            400,
            "invalid_scope",
            MP_200,
            "https://maskinporten.test/errors/MP-200",
            id="oauth-error",
        ),
        pytest.param(
            json_reply(
                503,
                {"error": "temporarily_unavailable", "error_description": "Delegation source unavailable"},
            ),
            503,
            "temporarily_unavailable",
            "Delegation source unavailable",
            None,
            id="unavailable",
        ),
        pytest.param(
            lambda request: httpx.Response(502, text="<html>bad gateway</html>"),
            502,
            "invalid_response",
            "HTTP 502 without an error body",
            None,
            id="not-json",
        ),
        pytest.param(
            json_reply(200, {"token_type": "Bearer"}),
            200,
            "invalid_response",
            "Token response lacks access_token or expires_in",
            None,
            id="no-access-token",
        ),
        pytest.param(
            json_reply(200, ["not", "an", "object"]),
            200,
            "invalid_response",
            "Token response is not a JSON object",
            None,
            id="not-an-object",
        ),
    ],
)
async def test_errors(
    make_client: MakeClient,
    endpoint: FakeTokenEndpoint,
    reply: Callable[[httpx.Request], httpx.Response],
    status: int,
    error: str,
    description: str,
    uri: str | None,
) -> None:
    endpoint.reply = reply
    client = make_client()
    with pytest.raises(TokenRequestError) as raised:
        await client.get_token("a:b")
    assert (raised.value.status, raised.value.error) == (status, error)
    assert raised.value.error_description == description
    assert raised.value.error_uri == uri
    with pytest.raises(TokenRequestError):
        await client.get_token("a:b")
    assert len(endpoint.token_requests) == 2  # failures are not cached


async def test_unreachable(make_client: MakeClient) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(TokenRequestError) as raised:
        await make_client(transport=httpx.MockTransport(refuse), token_endpoint=TOKEN_ENDPOINT).get_token("a")
    assert raised.value.status is None
    assert raised.value.error == "request_failed"


async def test_concurrent_async_callers_share_one_request(
    endpoint: FakeTokenEndpoint, clock: FixedClock
) -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return endpoint(request)

    async with AsyncMaskinportenClient(
        ISSUER,
        CLIENT_ID,
        KEY,
        token_endpoint=TOKEN_ENDPOINT,
        clock=clock,
        transport=httpx.MockTransport(slow),
    ) as client:
        callers = [asyncio.create_task(client.get_token("a:b")) for _ in range(20)]
        other = asyncio.create_task(client.get_token("c:d"))
        await asyncio.sleep(0)
        release.set()
        tokens = await asyncio.gather(*callers)
        await other
    assert {t.access_token for t in tokens} == {tokens[0].access_token}
    assert len(endpoint.token_requests) == 2  # one per key


def test_concurrent_threads_share_one_request(endpoint: FakeTokenEndpoint, clock: FixedClock) -> None:
    arrived = threading.Barrier(8, timeout=10)
    in_flight = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        in_flight.set()
        return endpoint(request)

    with MaskinportenClient(
        ISSUER,
        CLIENT_ID,
        KEY,
        token_endpoint=TOKEN_ENDPOINT,
        clock=clock,
        transport=httpx.MockTransport(slow),
    ) as client:

        def call() -> str:
            arrived.wait()
            return client.get_token("a:b").access_token

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: call(), range(8)))
    assert set(results) == {"token-1"}
    assert len(endpoint.token_requests) == 1


def test_no_scope_is_refused() -> None:
    client = MaskinportenClient(ISSUER, CLIENT_ID, KEY, token_endpoint=TOKEN_ENDPOINT)
    with client, pytest.raises(ValueError, match="scope"):
        client.get_token(" ")


async def test_expired_tokens_are_dropped_from_a_large_cache(
    endpoint: FakeTokenEndpoint, clock: FixedClock
) -> None:
    """Many pid-restricted tokens must not grow the cache without bound."""
    async with AsyncMaskinportenClient(
        ISSUER,
        CLIENT_ID,
        KEY,
        token_endpoint=TOKEN_ENDPOINT,
        clock=clock,
        transport=httpx.MockTransport(endpoint),
    ) as client:
        for n in range(300):
            await client.get_token("a:b", pid=f"{n:011d}")
        clock.advance(120)
        await client.get_token("a:b", pid="01819012365")
        assert len(client._cache) == 1
        assert len(client._locks) == 1
