"""§4.4–§4.7 through `{S}/api/v1/clients`: create, read, list, replace, deactivate, secrets, keys, and the
supplier rules of §2 — status, body and stored state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import format_timestamp
from tests.selvbetjening.conftest import (
    CONSUMER,
    CUSTOMER,
    DCR_READ,
    DCR_SUPPLIER,
    DCR_WRITE,
    JSON,
    PROVIDER,
    SCOPE,
    World,
    error_body,
)

MASKINPORTEN = {
    "client_name": "Oppslag",
    "integration_type": "maskinporten",
    "description": "Henter data",
    "scopes": [],
}
IDPORTEN = {
    "client_name": "Innlogging",
    "integration_type": "idporten",
    "redirect_uris": ["https://app.example.no/callback"],
}


async def stored_client(world: World, client_id: str) -> dict[str, Any]:
    rows = [row for row in (await world.snapshot())["clients"] if row["client_id"] == client_id]
    assert len(rows) == 1
    return rows[0]


async def test_create_a_maskinporten_client_with_defaults(world: World) -> None:
    token = await world.token(CONSUMER)
    response = await world.call("POST", "/clients", token, json={**MASKINPORTEN, "unknown": "ignored"})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSON
    body = response.json()
    now = format_timestamp(world.clock.now())
    assert body | {"client_id": "x"} == {
        "client_id": "x",
        "client_name": "Oppslag",
        "description": "Henter data",
        "client_orgno": CONSUMER,
        "supplier_orgno": None,
        "integration_type": "maskinporten",
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        "scopes": [],
        "redirect_uris": [],
        "post_logout_redirect_uris": [],
        "frontchannel_logout_uri": None,
        "frontchannel_logout_session_required": False,
        "sso_disabled": False,
        "client_uri": None,
        "access_token_lifetime": 0,
        "refresh_token_lifetime": 0,
        "authorization_lifetime": 0,
        "refresh_token_usage": "ONETIME",
        "code_challenge_method": "S256",
        "active": True,
        "created": now,
        "last_updated": now,
    }
    row = await stored_client(world, body["client_id"])
    assert (row["client_orgno"], row["active"], row["client_secret_hash"]) == (CONSUMER, True, None)
    read = await world.call("GET", f"/clients/{body['client_id']}", token)
    assert (read.status_code, read.json()) == (200, body)


async def test_a_secret_client_gets_its_secret_once_and_it_is_stored_hashed(world: World) -> None:
    token = await world.token(CONSUMER)
    response = await world.call("POST", "/clients", token, json=IDPORTEN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["scopes"] == ["openid", "profile"]
    assert len(body["client_secret"]) == 43
    expires = world.clock.now() + timedelta(days=360)
    assert body["client_secret_expires_at"] == int(expires.timestamp())
    row = await stored_client(world, body["client_id"])
    assert row["client_secret_hash"] is not None
    assert body["client_secret"] not in row["client_secret_hash"]
    read = (await world.call("GET", f"/clients/{body['client_id']}", token)).json()
    assert "client_secret" not in read


async def test_list_shows_own_clients_and_deactivated_ones_on_request(world: World) -> None:
    token = await world.token(CONSUMER)
    kept = (await world.call("POST", "/clients", token, json=MASKINPORTEN)).json()["client_id"]
    gone = (await world.call("POST", "/clients", token, json=MASKINPORTEN)).json()["client_id"]
    assert (await world.call("DELETE", f"/clients/{gone}", token)).status_code == 200
    own = await world.call("GET", "/clients", token)
    assert own.status_code == 200
    ids = {client["client_id"] for client in own.json()}
    assert kept in ids
    assert gone not in ids
    everything = await world.call("GET", "/clients", token, params={"inactive": "true"})
    assert {kept, gone} <= {client["client_id"] for client in everything.json()}
    other = await world.call("GET", "/clients", await world.token(PROVIDER))
    assert kept not in {client["client_id"] for client in other.json()}


async def test_put_replaces_the_client_and_keeps_what_is_immutable(world: World) -> None:
    token = await world.token(CONSUMER)
    created = (await world.call("POST", "/clients", token, json=IDPORTEN)).json()
    client_id = created["client_id"]
    world.clock.advance(60)
    sent = {**created, "client_name": "Nytt navn", "client_uri": "https://example.no", "sso_disabled": True}
    response = await world.call("PUT", f"/clients/{client_id}", token, json=sent)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["client_name"], body["client_uri"], body["sso_disabled"]) == (
        "Nytt navn",
        "https://example.no",
        True,
    )
    assert body["created"] == created["created"]
    assert body["last_updated"] == format_timestamp(world.clock.now())
    assert "client_secret" not in body  # still the same secret method: no new secret
    row = await stored_client(world, client_id)
    assert (row["client_name"], row["sso_disabled"]) == ("Nytt navn", True)

    # full replacement: an omitted member goes back to its default
    reset = await world.call("PUT", f"/clients/{client_id}", token, json={**IDPORTEN})
    assert (reset.json()["client_uri"], reset.json()["sso_disabled"]) == (None, False)


async def test_switching_auth_method_deletes_or_issues_the_secret(world: World) -> None:
    token = await world.token(CONSUMER)
    client_id = (await world.call("POST", "/clients", token, json=IDPORTEN)).json()["client_id"]
    keyed = {**IDPORTEN, "token_endpoint_auth_method": "private_key_jwt"}
    response = await world.call("PUT", f"/clients/{client_id}", token, json=keyed)
    assert response.status_code == 200
    assert (await stored_client(world, client_id))["client_secret_hash"] is None
    back = await world.call("PUT", f"/clients/{client_id}", token, json=IDPORTEN)
    assert len(back.json()["client_secret"]) == 43
    assert (await stored_client(world, client_id))["client_secret_hash"] is not None


async def test_secret_rotation_replaces_the_secret(world: World) -> None:
    token = await world.token(CONSUMER)
    created = (await world.call("POST", "/clients", token, json=IDPORTEN)).json()
    old_hash = (await stored_client(world, created["client_id"]))["client_secret_hash"]
    response = await world.call("POST", f"/clients/{created['client_id']}/secret", token)
    assert response.status_code == 200
    assert response.json()["client_secret"] != created["client_secret"]
    assert (await stored_client(world, created["client_id"]))["client_secret_hash"] != old_hash


async def test_deactivation_is_final_and_idempotent(world: World) -> None:
    token = await world.token(CONSUMER)
    created = (await world.call("POST", "/clients", token, json=IDPORTEN)).json()
    client_id = created["client_id"]
    first = await world.call("DELETE", f"/clients/{client_id}", token)
    assert (first.status_code, first.json()["active"]) == (200, False)
    again = await world.call("DELETE", f"/clients/{client_id}", token)
    assert (again.status_code, again.json()["active"]) == (200, False)
    assert (await stored_client(world, client_id))["active"] is False
    assert (await world.call("GET", f"/clients/{client_id}", token)).json()["active"] is False
    before = await world.snapshot()
    for method, path in (("PUT", f"/clients/{client_id}"), ("POST", f"/clients/{client_id}/secret")):
        refused = await world.call(method, path, token, json=IDPORTEN)
        assert error_body(refused) == (409, "conflict", "Client is deactivated")
    assert await world.snapshot() == before


async def test_key_set_replace_read_and_delete(world: World) -> None:
    token = await world.token(CONSUMER)
    client_id = (await world.call("POST", "/clients", token, json=MASKINPORTEN)).json()["client_id"]
    empty = await world.call("GET", f"/clients/{client_id}/jwks", token)
    assert empty.json() == {"keys": [], "created": None, "last_updated": None}
    first, second = generate_rsa_key(), generate_rsa_key()
    posted = await world.call(
        "POST", f"/clients/{client_id}/jwks", token, json={"keys": [dict(first.public_jwk)]}
    )
    assert posted.status_code == 200, posted.text
    exp = int((world.clock.now() + timedelta(days=365)).timestamp())
    now = format_timestamp(world.clock.now())
    assert posted.json() == {
        "keys": [{**first.public_jwk, "exp": exp}],
        "created": now,
        "last_updated": now,
    }
    world.clock.advance(3600)
    token = await world.token(CONSUMER)
    put = await world.call(
        "PUT", f"/clients/{client_id}/jwks", token, json={"keys": [dict(second.public_jwk)]}
    )
    assert [key["kid"] for key in put.json()["keys"]] == [second.kid]
    assert put.json()["keys"][0]["exp"] == exp + 3600
    assert (await world.call("GET", f"/clients/{client_id}/jwks", token)).json() == put.json()
    stored = [row["kid"] for row in (await world.snapshot())["client_keys"] if row["client_id"] == client_id]
    assert stored == [second.kid]
    deleted = await world.call("DELETE", f"/clients/{client_id}/jwks", token)
    assert (deleted.status_code, deleted.content) == (204, b"")
    after = [row for row in (await world.snapshot())["client_keys"] if row["client_id"] == client_id]
    assert after == []


async def test_a_kid_in_use_by_another_client_is_refused(world: World) -> None:
    token = await world.token(CONSUMER)
    key = dict(generate_rsa_key().public_jwk)
    first = (await world.call("POST", "/clients", token, json=MASKINPORTEN)).json()["client_id"]
    second = (await world.call("POST", "/clients", token, json=MASKINPORTEN)).json()["client_id"]
    assert (
        await world.call("POST", f"/clients/{first}/jwks", token, json={"keys": [key]})
    ).status_code == 200
    refused = await world.call("POST", f"/clients/{second}/jwks", token, json={"keys": [key]})
    assert error_body(refused) == (
        400,
        "invalid_client_metadata",
        f"kid '{key['kid']}' is already in use by another client",
    )


async def test_a_scope_is_registrable_once_it_is_shared(world: World) -> None:
    token = await world.token(CONSUMER)
    body = {**MASKINPORTEN, "scopes": [SCOPE]}
    refused = await world.call("POST", "/clients", token, json=body)
    assert error_body(refused) == (
        400,
        "invalid_client_metadata",
        f"Scope '{SCOPE}' is not shared with organisation {CONSUMER} in this environment. "
        "Contact the API provider.",
    )
    provider = await world.token(PROVIDER)
    granted = await world.call("PUT", f"/scopes/access/{CONSUMER}", provider, params={"scope": SCOPE})
    assert granted.status_code == 200
    created = await world.call("POST", "/clients", token, json=body)
    assert (created.status_code, created.json()["scopes"]) == (201, [SCOPE])


async def test_a_supplier_manages_clients_for_a_customer_with_the_supplier_scope(world: World) -> None:
    supplier = await world.token(CONSUMER, [DCR_READ, DCR_WRITE, DCR_SUPPLIER])
    response = await world.call("POST", "/clients", supplier, json={**MASKINPORTEN, "client_orgno": CUSTOMER})
    assert response.status_code == 201, response.text
    client = response.json()
    assert (client["client_orgno"], client["supplier_orgno"]) == (CUSTOMER, CONSUMER)
    listed = await world.call("GET", "/clients", supplier)
    assert client["client_id"] in {item["client_id"] for item in listed.json()}

    only_own = await world.token(CONSUMER, [DCR_READ, DCR_WRITE])
    unlisted = await world.call("GET", "/clients", only_own)
    assert client["client_id"] not in {item["client_id"] for item in unlisted.json()}
    before = await world.snapshot()
    for method, path in (
        ("GET", f"/clients/{client['client_id']}"),
        ("DELETE", f"/clients/{client['client_id']}"),
    ):
        refused = await world.call(method, path, only_own)
        assert error_body(refused) == (
            403,
            "insufficient_scope",
            f"Token lacks required scope: {DCR_SUPPLIER}",
        )
    created = await world.call("POST", "/clients", only_own, json={**MASKINPORTEN, "client_orgno": CUSTOMER})
    assert error_body(created)[:2] == (403, "insufficient_scope")
    assert await world.snapshot() == before

    gone = await world.call("DELETE", f"/clients/{client['client_id']}", supplier)
    assert (gone.status_code, gone.json()["active"]) == (200, False)
