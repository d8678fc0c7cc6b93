"""OpenAPI 3.1, the self-hosted Swagger UI, and a schemathesis run against a real server (no 5xx, responses
conform to the document)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portvakt.app import PortvaktApp, create_app
from portvakt.settings import Settings
from portvakt.storage.engine import null_pool_sync_engine
from tests.e2e.serving import free_port
from tests.rrh.builders import World, at, not_reported
from tests.rrh.conftest import OFFENTLIG, Entities

pytestmark = pytest.mark.db


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/rrh/v3/api-docs")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/api/virksomheter/{organisasjonsnummer}", "/api/virksomheter/json"}
    assert document["servers"] == [{"url": "http://localhost:8080/rrh"}]
    lookup = document["paths"]["/api/virksomheter/{organisasjonsnummer}"]["get"]["responses"]["200"][
        "content"
    ]
    assert set(lookup) == {"application/vnd.brreg.reelle.virksomheter.v1+json", "application/json"}


async def test_swagger_ui_is_self_hosted(client: httpx.AsyncClient) -> None:
    page = await client.get("/rrh/swagger-ui/index.html")
    assert page.status_code == 200
    assert "https://" not in page.text
    assert 'src="/rrh/swagger-ui/swagger-ui-bundle.js"' in page.text
    assert 'url: "/rrh/v3/api-docs"' in page.text
    script = await client.get("/rrh/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert (await client.get("/rrh/swagger-ui/swagger-ui.css")).status_code == 200


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, PortvaktApp]]:
    """`create_app` under uvicorn in a thread of its own (its own event loop), on 127.0.0.1."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    application = create_app(
        Settings(database_url=database_url, data_dir=tmp_path / "data", public_base=base, _env_file=None),
        only=("maskinporten", "altinn", "rrh"),
        configure_logs=False,
    )
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield base, application
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_schemathesis_finds_no_server_errors(served: tuple[str, PortvaktApp], database_url: str) -> None:
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    base, application = served
    engine = null_pool_sync_engine(database_url)
    world = World(engine)
    world.entity(Entities.unreported)
    world.rrh(Entities.unreported, [not_reported(at("2024-10-03T08:01:12"))])
    engine.dispose()
    signer = application.platform.components["maskinporten.signer"]
    now = int(time.time())
    token = signer.sign(
        {
            "iss": application.platform.settings.maskinporten_issuer,
            "client_id": "schemathesis",
            "scope": OFFENTLIG,
            "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:310000035"},
            "iat": now,
            "exp": now + 600,
            "jti": "schemathesis",
        }
    )
    schema = schemathesis.openapi.from_url(f"{base}/rrh/v3/api-docs")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(), authorized=st.booleans())
        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case, authorized: bool) -> None:
            headers = {"Authorization": f"Bearer {token}"} if authorized else {}
            case.call_and_validate(base_url=f"{base}/rrh", headers=headers, checks=checks)

        run()
        tested += 1
    assert tested == 2
    explicit = httpx.get(
        f"{base}/rrh/api/virksomheter/{Entities.unreported}", headers={"Authorization": f"Bearer {token}"}
    )
    assert explicit.status_code == 200
