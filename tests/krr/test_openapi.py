"""OpenAPI 3.1 (krr.md §14), the self-hosted Swagger UI, the KRR scopes of the bootstrap (§2.3), and a
schemathesis run against a real server: no 5xx, responses conform to the document."""

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
from portvakt.registry.repository import registry_service
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from tests.e2e.serving import free_port

pytestmark = [pytest.mark.db]

SCHEMAS = {
    "GetUsersRequest",
    "GetUsersRequestV2",
    "GetUsersResource",
    "UserResource",
    "ContactInfoResource",
    "DigitalPostResource",
    "PatchUserRequest",
    "ChangesRequest",
    "ChangesResource",
    "ErrorResponse",
}


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, PortvaktApp]]:
    """`create_app` under uvicorn in a thread of its own (its own event loop), on 127.0.0.1."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    application = create_app(
        Settings(database_url=database_url, data_dir=tmp_path / "data", public_base=base, _env_file=None),
        only=("maskinporten", "idporten", "krr"),
        configure_logs=False,
    )
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield base, application
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _tokens(application: PortvaktApp) -> dict[str, str]:
    now = int(time.time())
    platform = application.platform
    maskinporten = platform.components["maskinporten.signer"].sign(
        {
            "iss": platform.settings.maskinporten_issuer,
            "client_id": "schemathesis",
            "scope": " ".join(
                (
                    "krr:global/kontaktinformasjon.read",
                    "krr:global/digitalpost.read",
                    "krr:global/hentendring.read",
                )
            ),
            "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:310000035"},
            "iat": now,
            "exp": now + 600,
            "jti": "schemathesis-mp",
        }
    )
    idporten = platform.components["idporten.signer"].sign(
        {
            "iss": platform.settings.idporten_issuer,
            "client_id": "schemathesis",
            "scope": "krr:user/kontaktinformasjon.read krr:user/digitalpost.read krr:user/spraak.write",
            "pid": "17868633026",
            "iat": now,
            "exp": now + 600,
            "jti": "schemathesis-id",
        }
    )
    return {"maskinporten": maskinporten, "idporten": idporten}


def test_document_swagger_and_bootstrap(served: tuple[str, PortvaktApp]) -> None:
    base, application = served
    response = httpx.get(f"{base}/krr/v3/api-docs")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "Kontakt- og reservasjonsregisteret"
    assert set(document["components"]["securitySchemes"]) == {"maskinporten", "idporten"}
    assert set(document["components"]["schemas"]) >= SCHEMAS
    user = document["components"]["schemas"]["UserResource"]
    assert user["required"] == ["personidentifikator", "status"]
    ids = document["components"]["schemas"]["GetUsersRequest"]["properties"]["personidentifikatorer"]
    assert (ids["minItems"], ids["maxItems"]) == (1, 1000)
    assert set(document["paths"]) == {
        "/rest/v1/personer",
        "/rest/v2/personer",
        "/rest/v1/person",
        "/rest/v2/krr/hentEndringer",
    }
    page = httpx.get(f"{base}/krr/swagger-ui/index.html")
    assert page.status_code == 200
    assert "https://" not in page.text
    assert 'src="/krr/swagger-ui/swagger-ui-bundle.js"' in page.text
    assert httpx.get(f"{base}/krr/swagger-ui/swagger-ui-bundle.js").status_code == 200

    async def scopes() -> dict[str, tuple[tuple[str, ...], str | None, str]]:
        platform = application.platform
        admin = registry_service(
            platform.settings, platform.database, platform.clock, Actor(channel="cli", name="t", admin=True)
        )
        found = await admin.list_scopes(orgno=platform.settings.platform_orgno, include_inactive=True)
        return {
            s.name: (
                s.settings.allowed_integration_types,
                s.settings.delegation_source,
                s.settings.visibility,
            )
            for s in found
            if s.name.startswith("krr:")
        }

    krr_scopes = asyncio.run(scopes())
    assert krr_scopes["krr:global/kontaktinformasjon.read"] == (("krr", "maskinporten"), None, "PRIVATE")
    assert krr_scopes["krr:global/kontaktinfo.read"][1] == "altinn"
    assert krr_scopes["krr:global/postkasse.read"][1] == "altinn"
    assert krr_scopes["krr:user/spraak.write"][0] == ("api_klient",)
    assert len(krr_scopes) == 8


def test_schemathesis_finds_no_server_errors(served: tuple[str, PortvaktApp]) -> None:
    import schemathesis
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    base, application = served
    tokens = _tokens(application)
    schema = schemathesis.openapi.from_url(f"{base}/krr/v3/api-docs")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        token_kind = "idporten" if operation.path == "/rest/v1/person" else "maskinporten"

        @given(
            case=operation.as_strategy(),
            authorized=st.booleans(),
            accept=st.sampled_from(["application/json", "application/jose", "*/*", "text/html"]),
        )
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case, authorized: bool, accept: str) -> None:
            headers = {"Accept": accept}
            if authorized:
                headers["Authorization"] = f"Bearer {tokens[token_kind]}"  # noqa: B023  # run() is called at once
            case.call_and_validate(base_url=f"{base}/krr", headers=headers, checks=checks)

        run()
        tested += 1
    assert tested == 5
