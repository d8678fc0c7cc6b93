"""Organisation isolation (§2 step 4): for every endpoint, a token of another organisation — with every
API scope — is refused with 403 `access_denied` for an existing object of another organisation (404 for
objects that do not exist), sees nothing of it in lists, and changes nothing in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import ClientSettings
from tests.selvbetjening.conftest import ALL_SCOPES, CONSUMER, OTHER, PROVIDER, SCOPE, World, error_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

MP = {"client_name": "Oppslag", "integration_type": "maskinporten", "description": "Henter data"}
IDP = {"client_name": "Innlogging", "integration_type": "idporten", "redirect_uris": ["https://a.no/cb"]}
KEYS = {"keys": [dict(generate_rsa_key().public_jwk)]}
CLIENT_DENIED = (403, "access_denied", "Client belongs to another organisation")
SCOPE_DENIED = (403, "access_denied", "Scope belongs to another organisation")
NO_CLIENT = (404, "not_found", "Client not found")
NO_SCOPE = (404, "not_found", "Scope not found")


@dataclass(frozen=True)
class Victims:
    world: World
    keyed: str  # CONSUMER's maskinporten client, with a key
    secret: str  # CONSUMER's client_secret_basic client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def victims(shared_world: World) -> Victims:
    admin = shared_world.admin
    keyed = await admin.create_client(ClientSettings(**MP), orgno=CONSUMER, generate_key=True)  # type: ignore[arg-type]
    secret = await admin.create_client(
        ClientSettings(**{**IDP, "redirect_uris": ("https://a.no/cb",)}),  # type: ignore[arg-type]
        orgno=CONSUMER,
    )
    await admin.grant_access(SCOPE, CONSUMER)
    return Victims(shared_world, keyed.client.client_id, secret.client.client_id)


ENDPOINTS = [
    pytest.param("GET", "/clients/{keyed}", None, None, CLIENT_DENIED, id="get-client"),
    pytest.param("PUT", "/clients/{keyed}", None, MP, CLIENT_DENIED, id="update-client"),
    pytest.param("DELETE", "/clients/{keyed}", None, None, CLIENT_DENIED, id="deactivate-client"),
    pytest.param("POST", "/clients/{secret}/secret", None, None, CLIENT_DENIED, id="rotate-secret"),
    pytest.param("GET", "/clients/{keyed}/jwks", None, None, CLIENT_DENIED, id="get-keys"),
    pytest.param("POST", "/clients/{keyed}/jwks", None, KEYS, CLIENT_DENIED, id="post-keys"),
    pytest.param("PUT", "/clients/{keyed}/jwks", None, KEYS, CLIENT_DENIED, id="put-keys"),
    pytest.param("DELETE", "/clients/{keyed}/jwks", None, None, CLIENT_DENIED, id="delete-keys"),
    pytest.param("GET", "/scopes", {"scope": SCOPE}, None, SCOPE_DENIED, id="get-scope"),
    pytest.param(
        "PUT", "/scopes", {"scope": SCOPE}, {"description": "Kapret"}, SCOPE_DENIED, id="update-scope"
    ),
    pytest.param("DELETE", "/scopes", {"scope": SCOPE}, None, SCOPE_DENIED, id="deactivate-scope"),
    pytest.param(
        "POST",
        "/scopes",
        None,
        {"prefix": "test", "subscope": "kapret", "description": "x"},
        (403, "access_denied", f"Prefix 'test' is not assigned to organisation {OTHER}"),
        id="create-scope-with-their-prefix",
    ),
    pytest.param("GET", "/scopes/access", {"scope": SCOPE}, None, SCOPE_DENIED, id="list-access"),
    pytest.param("PUT", f"/scopes/access/{OTHER}", {"scope": SCOPE}, None, SCOPE_DENIED, id="grant-self"),
    pytest.param("DELETE", f"/scopes/access/{CONSUMER}", {"scope": SCOPE}, None, SCOPE_DENIED, id="revoke"),
    pytest.param("GET", "/clients/no-such-client", None, None, NO_CLIENT, id="get-unknown-client"),
    pytest.param("PUT", "/clients/no-such-client", None, MP, NO_CLIENT, id="update-unknown-client"),
    pytest.param("DELETE", "/clients/no-such-client", None, None, NO_CLIENT, id="deactivate-unknown-client"),
    pytest.param("POST", "/clients/no-such-client/secret", None, None, NO_CLIENT, id="secret-unknown-client"),
    pytest.param("PUT", "/clients/no-such-client/jwks", None, KEYS, NO_CLIENT, id="keys-unknown-client"),
    pytest.param("DELETE", "/clients/no-such-client/jwks", None, None, NO_CLIENT, id="delete-keys-unknown"),
    pytest.param("GET", "/scopes", {"scope": "test:ukjent"}, None, NO_SCOPE, id="get-unknown-scope"),
    pytest.param(
        "PUT", "/scopes", {"scope": "test:ukjent"}, {"description": "x"}, NO_SCOPE, id="put-unknown-scope"
    ),
    pytest.param(
        "PUT", f"/scopes/access/{OTHER}", {"scope": "test:ukjent"}, None, NO_SCOPE, id="grant-unknown"
    ),
]


@pytest.mark.parametrize(("method", "path", "params", "body", "expected"), ENDPOINTS)
async def test_another_organisation_is_refused_and_nothing_changes(
    victims: Victims,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: Any,
    expected: tuple[int, str, str],
) -> None:
    world = victims.world
    token = await world.token(OTHER, ALL_SCOPES)
    before = await world.snapshot()
    response = await world.call(
        method, path.format(keyed=victims.keyed, secret=victims.secret), token, params=params, json=body
    )
    assert error_body(response) == expected
    assert await world.snapshot() == before


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param("/clients", {"inactive": "true"}, id="clients"),
        pytest.param("/scopes", {"inactive": "true"}, id="scopes"),
        pytest.param("/scopes/access/all", None, id="consumer-access"),
    ],
)
async def test_lists_show_nothing_of_another_organisation(
    victims: Victims, path: str, params: dict[str, str] | None
) -> None:
    world = victims.world
    token = await world.token(OTHER, ALL_SCOPES)
    response = await world.call("GET", path, token, params=params)
    assert response.status_code == 200
    for item in response.json():
        assert CONSUMER not in (item.get("client_orgno"), item.get("consumer_orgno"))
        assert PROVIDER not in (item.get("owner_orgno"),)
        assert item.get("client_id") not in (victims.keyed, victims.secret)
