"""§6 for what the routes do not handle themselves: unknown paths (404), methods (405, with every routed
method in `Allow`), trailing slashes and the phase-2 routes — always the §6 body with `no-store`."""

from __future__ import annotations

import pytest

from tests.selvbetjening.conftest import CONSUMER, World, error_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOT_FOUND = (404, "not_found", "Not found")
NOT_ALLOWED = (405, "invalid_request", "Method not allowed")


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/finnes-ikke", id="unknown-path"),
        pytest.param("GET", "/clients/", id="trailing-slash"),
        pytest.param("GET", "/clients/a/b", id="too-deep"),
        pytest.param("POST", "/clients/x/onbehalfof", id="onbehalfof-is-phase-2"),
        pytest.param("GET", "", id="api-root"),
    ],
)
async def test_unknown_paths_are_404(world: World, method: str, path: str) -> None:
    token = await world.token(CONSUMER)
    assert error_body(await world.call(method, path, token)) == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        pytest.param("PATCH", "/clients", "GET, POST", id="clients"),
        pytest.param("PATCH", "/clients/x", "DELETE, GET, PUT", id="client"),
        pytest.param("GET", "/clients/x/secret", "POST", id="secret"),
        pytest.param("PATCH", "/clients/x/jwks", "DELETE, GET, POST, PUT", id="jwks"),
        pytest.param("POST", "/scopes/all", "GET", id="all-scopes"),
        pytest.param("PATCH", "/scopes", "DELETE, GET, POST, PUT", id="scopes"),
        pytest.param("POST", "/scopes/access", "GET", id="access"),
        pytest.param("POST", "/delegationsources", "GET", id="delegation-sources"),
    ],
)
async def test_unrouted_methods_are_405_with_allow(world: World, method: str, path: str, allow: str) -> None:
    token = await world.token(CONSUMER)
    response = await world.call(method, path, token)
    assert error_body(response) == NOT_ALLOWED
    assert response.headers["allow"] == allow


async def test_success_responses_are_json_utf8_and_not_cached(world: World) -> None:
    response = await world.call("GET", "/scopes/all")
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["cache-control"] == "no-store"
