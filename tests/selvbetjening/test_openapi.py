"""§5: the API's OpenAPI document and Swagger UI (self-hosted assets only, with a CSP that says so)."""

from __future__ import annotations

import pytest

from portvakt.selvbetjening.docs import DOCS_CSP
from tests.selvbetjening.conftest import API, CONSUMER, World

pytestmark = pytest.mark.asyncio(loop_scope="module")

SECTION_5 = {
    "/api/v1/clients": {"get", "post"},
    "/api/v1/clients/{client_id}": {"get", "put", "delete"},
    "/api/v1/clients/{client_id}/secret": {"post"},
    "/api/v1/clients/{client_id}/jwks": {"get", "post", "put", "delete"},
    "/api/v1/scopes/all": {"get"},
    "/api/v1/scopes": {"get", "post", "put", "delete"},
    "/api/v1/scopes/access": {"get"},
    "/api/v1/scopes/access/{consumer_orgno}": {"put", "delete"},
    "/api/v1/scopes/access/all": {"get"},
    "/api/v1/delegationsources": {"get"},
}


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


async def test_the_openapi_document_describes_every_endpoint_of_section_5(world: World) -> None:
    response = await world.http.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "portvakt selvbetjening API"
    assert document["servers"] == [{"url": "/selvbetjening"}]
    for path, methods in SECTION_5.items():
        assert methods <= set(document["paths"][path]), path
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    create = document["paths"]["/api/v1/clients"]["post"]
    assert "client_name" in create["requestBody"]["content"]["application/json"]["schema"]["properties"]


async def test_swagger_ui_is_served_from_this_service_only(world: World) -> None:
    page = await world.http.get(f"{API}/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == DOCS_CSP
    assert "script-src 'self'" in DOCS_CSP
    assert "https://" not in page.text
    assert "http://" not in page.text
    for asset, media_type in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("swagger-init.js", "text/javascript"),
        ("favicon-32x32.png", "image/png"),
    ):
        assert f'"docs/{asset}"' in page.text
        response = await world.http.get(f"{API}/docs/{asset}")
        assert response.status_code == 200, asset
        assert response.headers["content-type"].startswith(media_type)
        assert response.headers["content-security-policy"] == DOCS_CSP
        assert len(response.content) > 0
    init = (await world.http.get(f"{API}/docs/swagger-init.js")).text
    assert "validatorUrl: null" in init


async def test_unknown_docs_assets_are_404(world: World) -> None:
    response = await world.http.get(f"{API}/docs/index.html")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


async def test_the_admin_api_is_part_of_the_service(world: World) -> None:
    document = (await world.http.get(f"{API}/openapi.json")).json()
    assert "/api/v1/admin/organisations" in document["paths"]
    token = await world.token(CONSUMER)
    response = await world.call("GET", "/admin/organisations", token)
    assert response.status_code == 403
    assert set(response.json()) == {"error", "error_description"}
