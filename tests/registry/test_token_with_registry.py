"""The registry as the token endpoint sees it: the demo client gets a token, and changes made through the
use cases reach the token endpoint within PORTVAKT_REGISTRY_CACHE_SECONDS (maskinporten.md §3, §7)."""

from __future__ import annotations

import json
import secrets

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from portvakt.app import PortvaktApp
from portvakt.domain.clock import FixedClock
from portvakt.registry.demo import DemoClient, ensure_demo_client
from portvakt.registry.jwk import pem_path_for
from portvakt.registry.repository import registry_service
from portvakt.registry.service import Actor


def grant(demo: DemoClient, issuer: str, clock: FixedClock) -> str:
    private_key = load_pem_private_key(pem_path_for(demo.key_file).read_bytes(), password=None)
    now = clock.timestamp()
    claims = {
        "aud": issuer,
        "iss": demo.client_id,
        "scope": demo.scope,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(16),
    }
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": demo.kid})  # type: ignore[arg-type]


async def token(
    client: httpx.AsyncClient, app: PortvaktApp, demo: DemoClient, clock: FixedClock
) -> httpx.Response:
    issuer = app.platform.settings.maskinporten_issuer
    return await client.post(
        f"{issuer}token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": grant(demo, issuer, clock),
        },
    )


async def test_the_demo_client_gets_a_token_until_its_access_is_revoked(
    app: PortvaktApp, client: httpx.AsyncClient, clock: FixedClock
) -> None:
    platform = app.platform
    demo = await ensure_demo_client(platform.settings, platform.database, clock)
    assert demo is not None
    issued = await token(client, app, demo, clock)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["scope"] == demo.scope
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{demo.orgno}"}

    admin = registry_service(platform.settings, platform.database, clock, Actor.cli())
    await admin.revoke_access(demo.scope, demo.orgno)
    clock.advance(platform.settings.registry_cache_seconds)
    refused = await token(client, app, demo, clock)
    assert refused.status_code == 400, refused.text
    error = json.loads(refused.text)
    assert (error["error"], error["error_uri"].rsplit("/", 1)[1]) == ("forbidden", "MP-250")
