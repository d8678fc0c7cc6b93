"""The HTTP adapter of the Altinn delegation port (maskinporten.md §7.3)."""

from __future__ import annotations

import httpx
import pytest

from portvakt.domain.errors import Unavailable
from portvakt.maskinporten.delegation import HttpDelegationChecker, PreferInProcessDelegationChecker

ALTINN = "http://altinn.test/altinn"


def checker(handler: httpx.MockTransport) -> HttpDelegationChecker:
    return HttpDelegationChecker(ALTINN, client=httpx.AsyncClient(transport=handler))


async def test_request_shape_and_non_empty_array_means_delegated() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[{"id": "d1"}])

    assert await checker(httpx.MockTransport(handle)).has_maskinporten_delegation(
        "123456785", "889640782", "a:b"
    )
    (request,) = seen
    assert request.method == "GET"
    assert request.url.path == "/altinn/accessmanagement/api/v1/maskinporten/delegations"
    assert dict(request.url.params) == {
        "supplierOrg": "889640782",
        "consumerOrg": "123456785",
        "scope": "a:b",
    }


async def test_empty_array_means_not_delegated() -> None:
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=[]))
    assert not await checker(transport).has_maskinporten_delegation("123456785", "889640782", "a:b")


def _raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _raise_connect(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


@pytest.mark.parametrize(
    "handle",
    [
        pytest.param(lambda _request: httpx.Response(500), id="5xx"),
        pytest.param(lambda _request: httpx.Response(503), id="503"),
        pytest.param(lambda _request: httpx.Response(200, content=b"<html>"), id="not-json"),
        pytest.param(lambda _request: httpx.Response(200, json={"delegated": True}), id="not-an-array"),
        pytest.param(_raise_timeout, id="timeout"),
        pytest.param(_raise_connect, id="unreachable"),
    ],
)
async def test_failures_are_unavailable(handle: object) -> None:
    transport = httpx.MockTransport(handle)  # type: ignore[arg-type]
    with pytest.raises(Unavailable):
        await checker(transport).has_maskinporten_delegation("123456785", "889640782", "a:b")


async def test_in_process_port_is_preferred_when_registered() -> None:
    class InProcess:
        async def has_maskinporten_delegation(self, consumer: str, supplier: str, scope: str) -> bool:
            return scope == "yes"

    components: dict[str, object] = {}
    adapter = PreferInProcessDelegationChecker(components, "http://127.0.0.1:9/altinn")
    with pytest.raises(Unavailable):
        await adapter.has_maskinporten_delegation("123456785", "889640782", "yes")
    components["altinn.delegations"] = InProcess()
    assert await adapter.has_maskinporten_delegation("123456785", "889640782", "yes")
    assert not await adapter.has_maskinporten_delegation("123456785", "889640782", "no")
    await adapter.aclose()
