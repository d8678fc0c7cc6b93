"""The token path's method rule, the JSON error family, the error pages (maskinporten.md §2, §10.3)."""

from __future__ import annotations

import re

import pytest

from tests.maskinporten.conftest import ISSUER, World

TRACE_SUFFIX = re.compile(r" \(trace_id: [0-9a-f]{32}\)$")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_token_path_refuses_other_methods(world: World, method: str) -> None:
    response = await world.http.request(method, "/maskinporten/token")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "method_not_allowed"
    assert TRACE_SUFFIX.search(body["error_description"])


async def test_unknown_path_is_a_json_404(world: World) -> None:
    response = await world.http.get("/maskinporten/nothing-here")
    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "not_found"
    assert TRACE_SUFFIX.search(body["error_description"])


async def test_error_page_html(world: World) -> None:
    response = await world.http.get("/maskinporten/errors/MP-121")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "style-src 'self'" in csp
    assert "script-src" not in csp
    assert "default-src 'none'" in csp
    html = response.text
    assert '<html lang="en">' in html
    assert 'lang="nb"' in html
    assert "Nøkkelen er utløpt." in html
    assert "MP-121" in html
    assert "invalid_grant" in html
    assert "Invalid assertion. Client authentication failed. Expired key" in html
    assert (
        "Keys expire one year after upload. Upload a new key, or upload the same key again to renew it."
        in html
    )
    assert "style=" not in html
    assert "<script" not in html


async def test_error_page_json(world: World) -> None:
    response = await world.http.get("/maskinporten/errors/MP-250", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json() == {
        "code": "MP-250",
        "error": "forbidden",
        "description": "Consumer has not been granted access to the scope <scope>",
        "meaning": response.json()["meaning"],
        "fix": "Ask the API provider to grant your organisation access to the scope in this environment.",
    }


async def test_error_page_json_for_a_code_with_variants(world: World) -> None:
    response = await world.http.get("/maskinporten/errors/MP-010", headers={"Accept": "application/json"})
    body = response.json()
    assert body["error"] == "invalid_request / unsupported_grant_type"
    assert "Invalid request. Missing parameter <name>" in body["description"]
    assert "Unsupported grant type <value>" in body["description"]


EXPECTED_CODES = [
    "MP-010", "MP-011", "MP-012", "MP-100", "MP-101", "MP-110", "MP-120", "MP-121", "MP-122", "MP-123",
    "MP-124", "MP-125", "MP-126", "MP-130", "MP-131", "MP-132", "MP-200", "MP-201", "MP-250", "MP-251",
    "MP-252", "MP-301", "MP-302", "MP-303", "MP-900", "MP-901",
]  # fmt: skip


async def test_error_list_json(world: World) -> None:
    response = await world.http.get("/maskinporten/errors/", headers={"Accept": "application/json"})
    assert [entry["code"] for entry in response.json()] == EXPECTED_CODES
    assert all(set(entry) == {"code", "error", "description", "meaning", "fix"} for entry in response.json())


async def test_error_list_html_links_every_code(world: World) -> None:
    response = await world.http.get("/maskinporten/errors/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    for code in EXPECTED_CODES:
        assert f'<a href="{code}">{code}</a>' in response.text


async def test_error_page_stylesheet(world: World) -> None:
    response = await world.http.get("/maskinporten/errors/errors.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("code", ["MP-999", "MP-10", "nothing"])
async def test_unknown_error_code_is_404(world: World, code: str) -> None:
    response = await world.http.get(f"/maskinporten/errors/{code}")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found"
    assert TRACE_SUFFIX.search(body["error_description"])


async def test_error_uri_resolves_to_its_page(world: World) -> None:
    response = await world.post(world.grant(iss="nobody"))
    uri = response.json()["error_uri"]
    assert uri == f"{ISSUER}errors/MP-100"
    page = await world.http.get(
        uri.removeprefix("http://localhost:8080"), headers={"Accept": "application/json"}
    )
    assert page.json()["code"] == "MP-100"


async def test_traceparent_trace_id_is_used_in_the_description(world: World) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await world.http.post(
        "/maskinporten/token",
        data={"grant_type": "x"},
        headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    assert response.json()["error_description"] == f"Unsupported grant type x (trace_id: {trace})"
