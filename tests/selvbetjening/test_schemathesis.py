"""A bounded, deterministic schemathesis run over the API's own OpenAPI document, authenticated with real
Maskinporten tokens of two organisations: no request may end in a server error (5xx)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portvakt.app import create_app
from portvakt.domain.clock import FixedClock
from portvakt.registry.model import ClientSettings
from portvakt.settings import Settings
from tests.selvbetjening.conftest import (
    ALL_SCOPES,
    API,
    API_SCOPES,
    CONSUMER,
    PROVIDER,
    World,
    new_world,
    populate,
)


@dataclass
class Running:
    portal: BlockingPortal
    world: World
    base_url: str


@pytest.fixture
def running(database_url: str, tmp_path: Path) -> Iterator[Running]:
    """The app on an event loop of its own (a blocking portal), started and populated."""
    app_settings = Settings(database_url=database_url, data_dir=tmp_path / "data", _env_file=None)
    clock = FixedClock()
    application = create_app(app_settings, clock=clock, configure_logs=False)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(application.lifespan()):

        async def prepare() -> World:
            transport = httpx.ASGITransport(app=application)
            http = httpx.AsyncClient(transport=transport, base_url=app_settings.public_base)
            world = await populate(new_world(application, http, clock))
            await world.admin.create_client(
                ClientSettings(client_name="x", integration_type="maskinporten", description="d"),
                orgno=CONSUMER,
            )
            return world

        world = portal.call(prepare)
        try:
            yield Running(portal, world, f"{app_settings.public_base}/selvbetjening")
        finally:
            portal.call(world.http.aclose)


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors(running: Running) -> None:
    portal, world = running.portal, running.world
    tokens = [portal.call(world.token, CONSUMER, ALL_SCOPES), portal.call(world.token, PROVIDER, API_SCOPES)]
    document = portal.call(world.http.get, f"{API}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 19
    failures: list[str] = []

    def send(kwargs: dict[str, Any]) -> httpx.Response:
        async def request() -> httpx.Response:
            return await world.http.request(
                kwargs["method"],
                kwargs["url"],
                params=kwargs.get("params"),
                headers=kwargs.get("headers"),
                json=kwargs.get("json"),
                content=kwargs.get("data") if isinstance(kwargs.get("data"), bytes | str) else None,
            )

        return portal.call(request)

    for operation in operations:

        @settings(
            max_examples=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), token=st.sampled_from(tokens))
        def check(case: Any, token: str) -> None:
            kwargs = case.as_transport_kwargs(base_url=running.base_url)
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}
            response = send(kwargs)
            if response.status_code >= 500:
                failures.append(f"{kwargs['method']} {kwargs['url']}: {response.status_code} {response.text}")

        check()
    assert failures == []
