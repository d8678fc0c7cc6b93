"""§4.1–§4.3 and §5 through `{S}/api/v1/scopes…`: own scopes, deactivation and reactivation, accesses and
the consumer's view, the open lists — status, body and stored state."""

from __future__ import annotations

from typing import Any

from portvakt.registry.model import format_timestamp
from tests.selvbetjening.conftest import CONSUMER, JSON, OTHER, PROVIDER, SCOPE, World


async def stored_scope(world: World, name: str) -> dict[str, Any]:
    return next(row for row in (await world.snapshot())["scopes"] if row["name"] == name)


def names(response: Any) -> list[str]:
    return [item["name"] if "name" in item else item["scope"] for item in response.json()]


async def test_create_read_and_list_own_scopes(world: World) -> None:
    token = await world.token(PROVIDER)
    body = {
        "prefix": "test:",
        "subscope": "api/skriv",
        "description": "Skriv data",
        "long_description": "Lang **tekst**",
        "visibility": "PRIVATE",
        "at_max_age": 300,
        "allowed_integration_types": ["maskinporten"],
        "delegation_source": "altinn",
        "owner_orgno": "ignored (read-only)",
    }
    response = await world.call("POST", "/scopes", token, json=body)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSON
    now = format_timestamp(world.clock.now())
    assert response.json() == {
        "name": "test:api/skriv",
        "prefix": "test",
        "subscope": "api/skriv",
        "description": "Skriv data",
        "long_description": "Lang **tekst**",
        "active": True,
        "visibility": "PRIVATE",
        "token_type": "SELF_CONTAINED",
        "at_max_age": 300,
        "authorization_max_lifetime": 0,
        "requires_user_consent": False,
        "requires_user_authentication": False,
        "requires_pseudonymous_tokens": False,
        "accessible_for_all": False,
        "allowed_integration_types": ["maskinporten"],
        "delegation_source": "altinn",
        "enforced_aud_for_introspection": [],
        "owner_orgno": PROVIDER,
        "created": now,
        "last_updated": now,
    }
    row = await stored_scope(world, "test:api/skriv")
    assert (row["owner_orgno"], row["visibility"], row["at_max_age"]) == (PROVIDER, "PRIVATE", 300)
    one = await world.call("GET", "/scopes", token, params={"scope": "test:api/skriv"})
    assert one.json() == response.json()
    listed = await world.call("GET", "/scopes", token)
    assert names(listed) == ["test:api/les", "test:api/skriv"]


async def test_a_single_enforced_audience_is_normalised_to_a_list(world: World) -> None:
    token = await world.token(PROVIDER)
    client = await world.api_client(PROVIDER, ["idporten:dcr.read"])
    body = {
        "prefix": "test",
        "subscope": "aud",
        "description": "A",
        "enforced_aud_for_introspection": client.client_id,
    }
    response = await world.call("POST", "/scopes", token, json=body)
    assert response.json()["enforced_aud_for_introspection"] == [client.client_id]


async def test_put_replaces_settings_and_round_trips_a_get_result(world: World) -> None:
    token = await world.token(PROVIDER)
    current = (await world.call("GET", "/scopes", token, params={"scope": SCOPE})).json()
    world.clock.advance(30)
    same = await world.call("PUT", "/scopes", token, params={"scope": SCOPE}, json=current)
    assert same.status_code == 200, same.text
    assert same.json() == {**current, "last_updated": format_timestamp(world.clock.now())}
    changed = await world.call(
        "PUT",
        "/scopes",
        token,
        params={"scope": SCOPE},
        json={**current, "accessible_for_all": True, "at_max_age": 60},
    )
    assert (changed.json()["accessible_for_all"], changed.json()["at_max_age"]) == (True, 60)
    reset = await world.call("PUT", "/scopes", token, params={"scope": SCOPE}, json={"description": "Kort"})
    body = reset.json()
    assert (body["description"], body["accessible_for_all"], body["at_max_age"], body["active"]) == (
        "Kort",
        False,
        0,
        True,
    )
    row = await stored_scope(world, SCOPE)
    assert (row["description"], row["accessible_for_all"]) == ("Kort", False)


async def test_deactivation_hides_the_scope_and_put_restores_it(world: World) -> None:
    provider = await world.token(PROVIDER)
    consumer = await world.token(CONSUMER)
    granted = await world.call("PUT", f"/scopes/access/{CONSUMER}", provider, params={"scope": SCOPE})
    assert granted.status_code == 200
    assert SCOPE in names(await world.call("GET", "/scopes/all"))
    assert SCOPE in names(await world.call("GET", "/scopes/access/all", consumer))

    deleted = await world.call("DELETE", "/scopes", provider, params={"scope": SCOPE})
    assert (deleted.status_code, deleted.json()["active"]) == (200, False)
    again = await world.call("DELETE", "/scopes", provider, params={"scope": SCOPE})
    assert (again.status_code, again.json()["active"]) == (200, False)
    assert (await stored_scope(world, SCOPE))["active"] is False
    assert SCOPE not in names(await world.call("GET", "/scopes/all"))
    assert SCOPE not in names(await world.call("GET", "/scopes/access/all", consumer))
    assert SCOPE not in names(await world.call("GET", "/scopes", provider))
    assert SCOPE in names(await world.call("GET", "/scopes", provider, params={"inactive": "true"}))
    still = await world.call("GET", "/scopes", provider, params={"scope": SCOPE})
    assert still.json()["active"] is False
    access_rows = (await world.snapshot())["scope_access"]
    assert [(row["consumer_orgno"], row["state"]) for row in access_rows if row["scope"] == SCOPE] == [
        (CONSUMER, "APPROVED")
    ]

    restored = await world.call(
        "PUT", "/scopes", provider, params={"scope": SCOPE}, json={**still.json(), "active": True}
    )
    assert (restored.status_code, restored.json()["active"]) == (200, True)
    assert SCOPE in names(await world.call("GET", "/scopes/access/all", consumer))


async def test_grant_revoke_and_list_accesses(world: World) -> None:
    token = await world.token(PROVIDER)
    granted = await world.call("PUT", f"/scopes/access/{CONSUMER}", token, params={"scope": SCOPE})
    now = format_timestamp(world.clock.now())
    expected = {
        "scope": SCOPE,
        "consumer_orgno": CONSUMER,
        "owner_orgno": PROVIDER,
        "state": "APPROVED",
        "created": now,
        "last_updated": now,
    }
    assert (granted.status_code, granted.json()) == (200, expected)
    assert (
        await world.call("PUT", f"/scopes/access/{CONSUMER}", token, params={"scope": SCOPE})
    ).json() == expected
    await world.call("PUT", f"/scopes/access/{OTHER}", token, params={"scope": SCOPE})
    listed = await world.call("GET", "/scopes/access", token, params={"scope": SCOPE})
    assert [row["consumer_orgno"] for row in listed.json()] == [CONSUMER, OTHER]
    one = await world.call("GET", "/scopes/access", token, params={"scope": SCOPE, "consumer_orgno": OTHER})
    assert [row["consumer_orgno"] for row in one.json()] == [OTHER]

    world.clock.advance(10)
    revoked = await world.call("DELETE", f"/scopes/access/{OTHER}", token, params={"scope": SCOPE})
    assert (revoked.status_code, revoked.json()["state"]) == (200, "DENIED")
    assert revoked.json()["last_updated"] == format_timestamp(world.clock.now())
    active = await world.call("GET", "/scopes/access", token, params={"scope": SCOPE})
    assert [row["consumer_orgno"] for row in active.json()] == [CONSUMER]
    everything = await world.call("GET", "/scopes/access", token, params={"scope": SCOPE, "inactive": "true"})
    assert [(row["consumer_orgno"], row["state"]) for row in everything.json()] == [
        (CONSUMER, "APPROVED"),
        (OTHER, "DENIED"),
    ]
    rows = {(row["consumer_orgno"], row["state"]) for row in (await world.snapshot())["scope_access"]}
    assert {(CONSUMER, "APPROVED"), (OTHER, "DENIED")} <= rows


async def test_the_consumer_view_lists_approved_accesses_to_active_scopes(world: World) -> None:
    provider = await world.token(PROVIDER)
    await world.call("PUT", f"/scopes/access/{CONSUMER}", provider, params={"scope": SCOPE})
    consumer = await world.token(CONSUMER)
    response = await world.call("GET", "/scopes/access/all", consumer)
    assert response.status_code == 200
    mine = [row for row in response.json() if row["scope"] == SCOPE]
    now = format_timestamp(world.clock.now())
    assert mine == [
        {
            "scope": SCOPE,
            "state": "APPROVED",
            "consumer_orgno": CONSUMER,
            "owner_orgno": PROVIDER,
            "description": "Les data",
            "active": True,
            "allowed_integration_types": [],
            "accessible_for_all": False,
            "created": now,
            "last_updated": now,
        }
    ]
    await world.call("DELETE", f"/scopes/access/{CONSUMER}", provider, params={"scope": SCOPE})
    assert SCOPE not in names(await world.call("GET", "/scopes/access/all", consumer))


async def test_all_scopes_lists_active_public_scopes_with_filters(world: World) -> None:
    token = await world.token(PROVIDER)
    for subscope, extra in (
        ("open", {"accessible_for_all": True}),
        ("privat", {"visibility": "PRIVATE"}),
        ("idp", {"allowed_integration_types": ["idporten"]}),
    ):
        body = {"prefix": "test", "subscope": subscope, "description": subscope, **extra}
        assert (await world.call("POST", "/scopes", token, json=body)).status_code == 201
    response = await world.call("GET", "/scopes/all")
    assert response.status_code == 200
    everything = names(response)
    assert {"test:api/les", "test:open", "test:idp", "idporten:token.introspection"} <= set(everything)
    assert "test:privat" not in everything
    assert "idporten:dcr.read" not in everything  # INTERNAL
    prefixed = names(await world.call("GET", "/scopes/all", params={"prefix": "test"}))
    assert prefixed == ["test:api/les", "test:idp", "test:open"]
    open_only = names(
        await world.call("GET", "/scopes/all", params={"prefix": "test", "accessible_for_all": "true"})
    )
    assert open_only == ["test:open"]
    closed = names(
        await world.call("GET", "/scopes/all", params={"prefix": "test", "accessible_for_all": "false"})
    )
    assert closed == ["test:api/les", "test:idp"]
    maskinporten = names(
        await world.call("GET", "/scopes/all", params={"prefix": "test", "integration_type": "maskinporten"})
    )
    assert maskinporten == ["test:api/les", "test:open"]


async def test_delegation_sources_are_listed_openly(world: World) -> None:
    response = await world.call("GET", "/delegationsources")
    assert response.status_code == 200
    now = format_timestamp(world.clock.now())
    altinn = world.app.platform.settings.base_url("altinn") + "/"
    assert response.json() == [{"name": "altinn", "issuer": altinn, "created": now, "last_updated": now}]
