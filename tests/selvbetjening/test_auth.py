"""§2: bearer token (401 `invalid_token`), acting organisation (403 `access_denied`), endpoint scope
(403 `insufficient_scope` with its challenge); reading is free of the terms of use, changing is not."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.selvbetjening.conftest import (
    API_SCOPES,
    CONSUMER,
    DCR_MODIFY,
    DCR_READ,
    DCR_SUPPLIER,
    DCR_WRITE,
    SCOPES_WRITE,
    UNREGISTERED,
    UNSIGNED,
    World,
    error_body,
)

INVALID = ("invalid_token", "Invalid or expired token")

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def world(shared_world: World) -> World:
    return shared_world


async def test_a_missing_token_is_401_with_a_bare_challenge(world: World) -> None:
    response = await world.call("GET", "/clients")
    assert error_body(response) == (401, "invalid_token", "Missing bearer token")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not-a-jwt", id="not-a-jws"),
        pytest.param("Bearer a.b.c", id="garbage-parts"),
    ],
)
async def test_an_unreadable_token_is_401_invalid_token(world: World, authorization: str) -> None:
    response = await world.call("GET", "/clients", headers={"Authorization": authorization})
    assert error_body(response) == (401, *INVALID)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_another_scheme_counts_as_missing(world: World) -> None:
    token = await world.token(CONSUMER)
    response = await world.call("GET", "/clients", headers={"Authorization": f"Basic {token}"})
    assert error_body(response) == (401, "invalid_token", "Missing bearer token")


async def test_an_expired_token_is_401(world: World) -> None:
    token = await world.token(CONSUMER)
    world.clock.advance(600 + 11)
    response = await world.call("GET", "/clients", token)
    assert error_body(response) == (401, *INVALID)


async def test_a_token_signed_by_another_key_is_401(world: World) -> None:
    genuine = await world.token(CONSUMER)
    header = jwt.get_unverified_header(genuine)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, forger, algorithm="RS256", headers={"kid": header["kid"]})
    response = await world.call("GET", "/clients", forged)
    assert error_body(response) == (401, *INVALID)


async def test_a_token_of_an_unregistered_organisation_is_403(world: World) -> None:
    # The organisation had a client, then its registration went away (simulated: a token for an org
    # that the registry does not know is minted by the platform's own signer).
    token = await world.token(CONSUMER)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["consumer"] = {"authority": "iso6523-actorid-upis", "ID": f"0192:{UNREGISTERED}"}
    signer = world.app.platform.components["maskinporten.signer"]
    response = await world.call("GET", "/clients", signer.sign(claims))
    assert error_body(response) == (
        403,
        "access_denied",
        f"Organisation {UNREGISTERED} is not registered on the platform",
    )


async def test_an_organisation_without_signed_terms_may_read_but_not_change(world: World) -> None:
    token = await world.token(UNSIGNED)
    assert (await world.call("GET", "/clients", token)).status_code == 200
    before = await world.snapshot()
    response = await world.call(
        "POST",
        "/clients",
        token,
        json={"client_name": "x", "integration_type": "maskinporten", "description": "d", "scopes": []},
    )
    assert error_body(response) == (
        403,
        "access_denied",
        f"Organisation {UNSIGNED} has not signed the terms of use",
    )
    assert await world.snapshot() == before


# Every protected endpoint with the scope it names when the token has none of its scopes.
ENDPOINTS = [
    pytest.param("GET", "/clients", DCR_READ, id="list-clients"),
    pytest.param("POST", "/clients", DCR_WRITE, id="create-client"),
    pytest.param("GET", "/clients/x", DCR_READ, id="get-client"),
    pytest.param("PUT", "/clients/x", DCR_MODIFY, id="update-client"),
    pytest.param("DELETE", "/clients/x", DCR_WRITE, id="deactivate-client"),
    pytest.param("POST", "/clients/x/secret", DCR_MODIFY, id="rotate-secret"),
    pytest.param("GET", "/clients/x/jwks", DCR_READ, id="get-keys"),
    pytest.param("POST", "/clients/x/jwks", DCR_WRITE, id="post-keys"),
    pytest.param("PUT", "/clients/x/jwks", DCR_WRITE, id="put-keys"),
    pytest.param("DELETE", "/clients/x/jwks", DCR_WRITE, id="delete-keys"),
    pytest.param("GET", "/scopes", SCOPES_WRITE, id="list-scopes"),
    pytest.param("POST", "/scopes", SCOPES_WRITE, id="create-scope"),
    pytest.param("PUT", "/scopes?scope=test:api/les", SCOPES_WRITE, id="update-scope"),
    pytest.param("DELETE", "/scopes?scope=test:api/les", SCOPES_WRITE, id="deactivate-scope"),
    pytest.param("GET", "/scopes/access?scope=test:api/les", SCOPES_WRITE, id="list-access"),
    pytest.param("PUT", "/scopes/access/310000035?scope=test:api/les", SCOPES_WRITE, id="grant"),
    pytest.param("DELETE", "/scopes/access/310000035?scope=test:api/les", SCOPES_WRITE, id="revoke"),
    pytest.param("GET", "/scopes/access/all", DCR_READ, id="consumer-access"),
]


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
async def test_a_token_without_the_endpoint_scope_is_403_insufficient_scope(
    world: World, method: str, path: str, scope: str
) -> None:
    token = await world.token(CONSUMER, ["idporten:token.introspection"])
    before = await world.snapshot()
    response = await world.call(method, path, token, json={})
    assert error_body(response) == (403, "insufficient_scope", f"Token lacks required scope: {scope}")
    assert response.headers["www-authenticate"] == f'Bearer error="insufficient_scope", scope="{scope}"'
    assert await world.snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/scopes/all", id="all-scopes"),
        pytest.param("/delegationsources", id="delegation-sources"),
    ],
)
async def test_open_endpoints_need_no_token(world: World, path: str) -> None:
    response = await world.call("GET", path)
    assert response.status_code == 200


async def test_consumer_view_accepts_any_of_its_scopes(world: World) -> None:
    for scope in (DCR_READ, DCR_WRITE, SCOPES_WRITE):
        token = await world.token(CONSUMER, [scope])
        assert (await world.call("GET", "/scopes/access/all", token)).status_code == 200


async def test_the_full_api_scope_set_reaches_every_own_endpoint(world: World) -> None:
    token = await world.token(CONSUMER, API_SCOPES)
    for path in ("/clients", "/scopes", "/scopes/access/all"):
        assert (await world.call("GET", path, token)).status_code == 200
    assert DCR_SUPPLIER not in API_SCOPES
