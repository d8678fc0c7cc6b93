"""The platform's own endpoints and the headers every response carries."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from portvakt.settings import SERVICES
from portvakt.storage.engine import null_pool_sync_engine

pytestmark = pytest.mark.db


async def test_healthz_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}


async def test_readyz_reports_database_and_migrations(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "checks": {"database": "UP", "migrations": "UP"}}


async def test_readyz_is_503_when_migrations_are_behind(client: httpx.AsyncClient, database_url: str) -> None:
    engine = null_pool_sync_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001_platform'"))
    try:
        response = await client.get("/readyz")
    finally:
        from portvakt.storage.migrate import head_revision

        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
        engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "DOWN"
    assert body["checks"]["database"] == "UP"
    assert body["checks"]["migrations"].startswith("DOWN (at 0001_platform")


async def test_platform_endpoints_refuse_other_methods(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


async def test_metrics_are_prometheus_text_and_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/maskinporten/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'portvakt_http_requests_total{method="GET",service="maskinporten",status="200"} 1.0' in response.text
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_is_mounted_under_its_base_path(client: httpx.AsyncClient, service: str) -> None:
    response = await client.get(f"/{service}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "service": service}


async def test_every_response_carries_security_headers_and_a_trace_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/krr/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert len(response.headers["x-trace-id"]) == 32
    assert "strict-transport-security" not in response.headers  # http base URL


async def test_trace_id_is_taken_from_a_valid_traceparent(client: httpx.AsyncClient) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.get("/healthz", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    assert response.headers["x-trace-id"] == trace
    bad = await client.get("/healthz", headers={"traceparent": "00-xyz-00f067aa0ba902b7-01"})
    assert bad.headers["x-trace-id"] != trace
    assert len(bad.headers["x-trace-id"]) == 32


async def test_unknown_path_outside_every_service_is_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "error_description": "No service at this path"}


# Every service's API paths; the portal owns the rest of `/selvbetjening/` and answers browsers in HTML.
API_PATHS = {service: f"/{service}" for service in SERVICES} | {"selvbetjening": "/selvbetjening/api/v1"}


@pytest.mark.parametrize("service", SERVICES)
async def test_unknown_path_inside_a_service_is_its_own_404_not_a_framework_page(
    client: httpx.AsyncClient, service: str
) -> None:
    response = await client.get(f"{API_PATHS[service]}/nowhere/at/all")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/")
    assert "json" in response.headers["content-type"]
    assert response.json() != {"detail": "Not Found"}
    assert "Traceback" not in response.text


async def test_unknown_portal_page_is_the_portals_own_html_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/selvbetjening/nowhere/at/all")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nb"' in response.text
    assert "Not Found" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("path", "member", "expected"),
    [
        ("/maskinporten/health", "error", "method_not_allowed"),  # OAuth-style JSON errors
        ("/altinn/health", "status", 405),  # Altinn 3 answers with RFC 7807 ProblemDetails
    ],
)
async def test_wrong_method_inside_a_service_is_405_with_allow(
    client: httpx.AsyncClient, path: str, member: str, expected: object
) -> None:
    response = await client.post(path)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()[member] == expected
