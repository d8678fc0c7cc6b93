"""Routing by path prefix, and by Host when services have hosts of their own (maskinporten.md §1.1)."""

from __future__ import annotations

import httpx
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from portvakt.web.dispatch import ServiceDispatcher, ServiceRoute


def named(name: str):  # type: ignore[no-untyped-def]
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(f"{name} {scope['root_path']} {scope['path']}")(scope, receive, send)

    return app


def dispatcher(*bases: tuple[str, str]) -> ServiceDispatcher:
    routes = [ServiceRoute.from_base_url(name, base, named(name)) for name, base in bases]
    return ServiceDispatcher(routes, {})


async def fetch(app: ServiceDispatcher, url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        return await http.get(url)


async def test_same_host_routes_on_longest_prefix() -> None:
    app = dispatcher(("krr", "http://localhost:8080/krr"), ("rrh", "http://localhost:8080/rrh"))
    assert (
        await fetch(app, "http://localhost:8080/krr/rest/v1/person")
    ).text == "krr /krr /krr/rest/v1/person"
    assert (await fetch(app, "http://127.0.0.1/rrh/api")).text == "rrh /rrh /rrh/api"
    assert (await fetch(app, "http://localhost:8080/krrx")).status_code == 404


async def test_bare_prefix_is_served_as_the_service_root() -> None:
    app = dispatcher(("maskinporten", "http://localhost:8080/maskinporten"))
    assert (
        await fetch(app, "http://localhost:8080/maskinporten")
    ).text == "maskinporten /maskinporten /maskinporten/"


async def test_services_on_their_own_hosts_share_a_path() -> None:
    app = dispatcher(
        ("maskinporten", "https://maskinporten.example.no"),
        ("idporten", "https://idporten.example.no"),
    )
    assert (await fetch(app, "https://maskinporten.example.no/token")).text.startswith("maskinporten")
    assert (await fetch(app, "https://idporten.example.no/token")).text.startswith("idporten")
