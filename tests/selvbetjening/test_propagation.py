"""§4.2/§9: a scope deactivated through the API is refused by the token endpoint of the same app (MP-200)
once `PORTVAKT_REGISTRY_CACHE_SECONDS` have passed on the clock."""

from __future__ import annotations

from portvakt.registry.jwk import generate_rsa_key
from tests.selvbetjening.conftest import CONSUMER, PROVIDER, SCOPE, ApiClient, World


async def test_a_deactivated_scope_is_refused_after_the_cache_period(world: World) -> None:
    provider = await world.token(PROVIDER)
    consumer = await world.token(CONSUMER)
    await world.call("PUT", f"/scopes/access/{CONSUMER}", provider, params={"scope": SCOPE})
    key = generate_rsa_key()
    body = {"client_name": "c", "integration_type": "maskinporten", "description": "d", "scopes": [SCOPE]}
    client_id = (await world.call("POST", "/clients", consumer, json=body)).json()["client_id"]
    await world.call("PUT", f"/clients/{client_id}/jwks", consumer, json={"keys": [key.public_jwk]})
    system = ApiClient(client_id, key.kid, key.private_pem)
    assert (await world.token_response(system, [SCOPE])).status_code == 200  # the reader caches the scope

    assert (await world.call("DELETE", "/scopes", provider, params={"scope": SCOPE})).status_code == 200
    world.clock.advance(world.app.platform.settings.registry_cache_seconds)
    refused = await world.token_response(system, [SCOPE])
    assert refused.status_code == 400
    assert (refused.json()["error"], refused.json()["error_uri"].rsplit("/", 1)[1]) == (
        "invalid_scope",
        "MP-200",
    )
