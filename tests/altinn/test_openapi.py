"""OpenAPI 3.1 (apprights marked legacy), the self-hosted Swagger UI, and schemathesis against a real server
over the generated population: no server errors."""

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
from portvakt.domain.identifiers import iso6523
from portvakt.settings import Settings
from tests.altinn.conftest import S01, SEED
from tests.e2e.serving import free_port

pytestmark = [pytest.mark.db, pytest.mark.slow]

SCOPES = (
    "altinn:authorization/authorize altinn:accessmanagement/authorizedparties.resourceowner "
    "altinn:maskinporten/delegations.admin altinn:maskinporten/delegations.write"
)


async def test_openapi_document_and_swagger_ui(world_client: httpx.AsyncClient) -> None:
    document = (await world_client.get("/altinn/v3/api-docs")).json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://localhost:8080/altinn"}]
    legacy = document["paths"]["/api/serviceowner/authorization/apprights"]["get"]
    assert legacy["deprecated"] is True
    assert "Legacy (Altinn 2)" in legacy["tags"]
    page = await world_client.get("/altinn/swagger-ui/index.html")
    assert page.status_code == 200
    assert "https://" not in page.text
    assert 'src="/altinn/swagger-ui/swagger-ui-bundle.js"' in page.text
    assert (await world_client.get("/altinn/swagger-ui/swagger-ui-bundle.js")).status_code == 200


@pytest.fixture
def served(world_url: str, tmp_path: Path) -> Iterator[tuple[str, PortvaktApp]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    application = create_app(
        Settings(database_url=world_url, data_dir=tmp_path / "data", public_base=base, _env_file=None),
        only=("maskinporten", "altinn"),
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


def test_schemathesis_finds_no_server_errors(served: tuple[str, PortvaktApp]) -> None:
    import schemathesis
    from schemathesis.checks import content_type_conformance, not_a_server_error

    from portvakt.altinn.testdata_stages import OWNERS, seeded_api_keys

    base, application = served
    signer = application.platform.components["maskinporten.signer"]
    now = int(time.time())
    token = signer.sign(
        {
            "iss": application.platform.settings.maskinporten_issuer,
            "client_id": "schemathesis",
            "scope": SCOPES,
            "consumer": iso6523(S01),
            "iat": now,
            "exp": now + 600,
            "jti": "schemathesis",
        }
    )
    api_key = seeded_api_keys(SEED, OWNERS)["ttd"].key
    schema = schemathesis.openapi.from_url(f"{base}/altinn/v3/api-docs")
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(), authorized=st.booleans())
        @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case, authorized: bool) -> None:
            headers = {"Authorization": f"Bearer {token}", "ApiKey": api_key} if authorized else {}
            case.call_and_validate(
                base_url=f"{base}/altinn",
                headers=headers,
                checks=[not_a_server_error, content_type_conformance],
            )

        run()
        tested += 1
    assert tested == 6
