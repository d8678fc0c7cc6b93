"""Seed 001's flows through the API, from an empty database, as docs/selvbetjening-api.md shows them: the
platform administrator registers two organisations (admin use cases, as `portvakt admin org add
--api-access`), the provider creates a scope and shares it, the consumer creates a Maskinporten client,
uploads its key, adds the scope and gets a token from the real token endpoint; the provider deactivates
the scope and, once the registry cache period has passed, the consumer's next token request fails
with MP-200. Every API call uses a real Maskinporten token of the same app."""

from __future__ import annotations

import json

import httpx
import jwt

from portvakt.app import PortvaktApp
from portvakt.domain.clock import FixedClock
from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.repository import bootstrap_platform
from tests.selvbetjening.conftest import API_SCOPES, ApiClient, World, new_world

PROVIDER = "310000108"  # the API provider of the walkthrough
CONSUMER = "310000116"  # the consumer
SCOPE = "eksempel:kunde/les"


async def test_seed_001_through_the_api(
    app: PortvaktApp, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    world: World = new_world(app, client, clock)
    platform = app.platform
    start = await world.snapshot()  # an empty database (services seed only their own organisations)
    assert not {PROVIDER, CONSUMER} & {row["orgno"] for row in start["organisations"]}
    assert start["clients"] == start["scope_access"] == []

    # The platform administrator: bootstrap, two organisations with API access, a prefix.
    await bootstrap_platform(platform.settings, platform.database, clock)
    await world.organisation(PROVIDER, "REGISTERET")
    await world.organisation(CONSUMER, "BANKEN")
    await world.admin.assign_prefix("eksempel", PROVIDER)

    # Provider: create the scope ("Nytt scope") and grant the consumer access ("Legg til tilgang").
    provider = await world.token(PROVIDER, API_SCOPES)
    created = await world.call(
        "POST",
        "/scopes",
        provider,
        json={"prefix": "eksempel", "subscope": "kunde/les", "description": "Les kundedata"},
    )
    assert created.status_code == 201, created.text
    granted = await world.call("PUT", f"/scopes/access/{CONSUMER}", provider, params={"scope": SCOPE})
    assert (granted.status_code, granted.json()["state"]) == (200, "APPROVED")

    # Consumer: the scope is shared with it; create a client ("Ny integrasjon", "Maskinporten").
    consumer = await world.token(CONSUMER, API_SCOPES)
    shared = await world.call("GET", "/scopes/access/all", consumer)
    assert SCOPE in [row["scope"] for row in shared.json()]
    integration = await world.call(
        "POST",
        "/clients",
        consumer,
        json={
            "client_name": "Kundekontroll",
            "integration_type": "maskinporten",
            "description": "Kundekontroll",
        },
    )
    assert integration.status_code == 201, integration.text
    client_id = integration.json()["client_id"]

    # Upload the public key, add the scope (a GET result sent back with PUT).
    key = generate_rsa_key()
    uploaded = await world.call(
        "POST", f"/clients/{client_id}/jwks", consumer, json={"keys": [key.public_jwk]}
    )
    assert uploaded.status_code == 200, uploaded.text
    current = (await world.call("GET", f"/clients/{client_id}", consumer)).json()
    updated = await world.call("PUT", f"/clients/{client_id}", consumer, json={**current, "scopes": [SCOPE]})
    assert (updated.status_code, updated.json()["scopes"]) == (200, [SCOPE])

    # The consumer's system gets a token for the scope.
    system = ApiClient(client_id, key.kid, key.private_pem)
    issued = await world.token_response(system, [SCOPE])
    assert issued.status_code == 200, issued.text
    claims = jwt.decode(issued.json()["access_token"], options={"verify_signature": False})
    assert (claims["scope"], claims["consumer"]["ID"]) == (SCOPE, f"0192:{CONSUMER}")

    # Provider deactivates the scope ("Deaktiver"); it is gone from the consumer's view at once …
    deactivated = await world.call("DELETE", "/scopes", provider, params={"scope": SCOPE})
    assert (deactivated.status_code, deactivated.json()["active"]) == (200, False)
    after = (await world.call("GET", "/scopes/access/all", consumer)).json()
    assert SCOPE not in [row["scope"] for row in after]

    # … and the token endpoint refuses it once the registry cache period has passed.
    clock.advance(platform.settings.registry_cache_seconds)
    refused = await world.token_response(system, [SCOPE])
    assert refused.status_code == 400, refused.text
    body = json.loads(refused.text)
    assert body["error"] == "invalid_scope"
    assert body["error_uri"].endswith("/MP-200")
    assert SCOPE in body["error_description"]
