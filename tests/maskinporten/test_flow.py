"""The token endpoint through the whole app (create_app): real registry, keys, replay store, test CA."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt
import pytest

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.registry.demo import DemoClient, ensure_demo_client
from portvakt.settings import Settings

pytestmark = pytest.mark.db

ISSUER = "http://localhost:8080/maskinporten/"


@pytest.fixture
async def demo(app: PortvaktApp, clock: FixedClock) -> DemoClient:
    client = await ensure_demo_client(app.platform.settings, app.platform.database, clock)
    assert client is not None
    return client


def demo_grant(demo: DemoClient, clock: FixedClock, **overrides: Any) -> str:
    key = jwt.PyJWK.from_json(demo.key_file.read_text())
    now = clock.timestamp()
    claims = {"aud": ISSUER, "iss": demo.client_id, "iat": now, "exp": now + 60, "scope": demo.scope}
    claims.update(overrides)
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": demo.kid})


async def post(client: httpx.AsyncClient, assertion: str) -> httpx.Response:
    return await client.post("/maskinporten/token", data={"grant_type": JWT_BEARER, "assertion": assertion})


async def test_demo_client_gets_a_token_verifiable_with_the_jwks(
    client: httpx.AsyncClient, demo: DemoClient, clock: FixedClock
) -> None:
    response = await post(client, demo_grant(demo, clock, jti="flow-1"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert body["scope"] == demo.scope
    assert body["expires_in"] == 600
    jwks = jwt.PyJWKSet.from_dict((await client.get("/maskinporten/jwk")).json())
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    claims = jwt.decode(
        body["access_token"],
        jwks[kid].key,
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == ISSUER
    assert claims["client_id"] == demo.client_id
    assert claims["client_amr"] == "private_key_jwt"
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{demo.orgno}"}
    assert claims["exp"] - claims["iat"] == 600


async def test_replay_through_the_real_store(
    client: httpx.AsyncClient, demo: DemoClient, clock: FixedClock
) -> None:
    assertion = demo_grant(demo, clock, jti="flow-replay")
    assert (await post(client, assertion)).status_code == 200
    response = await post(client, assertion)
    assert response.status_code == 400
    assert response.json()["error_uri"] == f"{ISSUER}errors/MP-012"


async def test_unknown_scope_through_the_real_registry(
    client: httpx.AsyncClient, demo: DemoClient, clock: FixedClock
) -> None:
    response = await post(client, demo_grant(demo, clock, scope=f"{demo.scope} nope:nothing"))
    assert response.status_code == 400
    description = response.json()["error_description"]
    assert re.fullmatch(
        r"Token request contains invalid scopes for client, nope:nothing \(trace_id: [0-9a-f]{32}\)",
        description,
    )


async def test_unknown_client_through_the_real_registry(client: httpx.AsyncClient, clock: FixedClock) -> None:
    response = await post(client, "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln")
    assert response.json()["error_uri"] == f"{ISSUER}errors/MP-011"


async def test_service_errors_and_pages_are_mounted(client: httpx.AsyncClient) -> None:
    response = await client.get("/maskinporten/token")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    page = await client.get("/maskinporten/errors/MP-012", headers={"Accept": "application/json"})
    assert page.json()["error"] == "invalid_grant"
    metadata = (await client.get("/maskinporten/.well-known/oauth-authorization-server")).json()
    assert metadata["token_endpoint"] == f"{ISSUER}token"


@pytest.fixture
async def certificate_client(app: PortvaktApp, demo: DemoClient, clock: FixedClock) -> str:
    from portvakt.registry.model import ClientSettings
    from portvakt.registry.repository import registry_service
    from portvakt.registry.service import Actor

    service = registry_service(
        app.platform.settings, app.platform.database, clock, Actor(channel="cli", name="test", admin=True)
    )
    created = await service.create_client(
        ClientSettings(
            client_name="Sertifikatklient",
            integration_type="maskinporten",
            description="Klient med virksomhetssertifikat",
            scopes=(demo.scope,),
        ),
        orgno=demo.orgno,
    )
    return created.client.client_id


async def test_business_certificate_from_the_test_ca(
    app: PortvaktApp, client: httpx.AsyncClient, demo: DemoClient, certificate_client: str, clock: FixedClock
) -> None:
    store = app.platform.components["maskinporten.testca"]
    issued = await store.issue(orgno=demo.orgno, name="PORTVAKT DEMO AS")
    now = clock.timestamp()

    def grant(jti: str) -> str:
        claims = {
            "aud": ISSUER,
            "iss": certificate_client,
            "iat": now,
            "exp": now + 60,
            "scope": demo.scope,
            "jti": jti,
        }
        return jwt.encode(claims, issued.private_key, algorithm="RS256", headers={"x5c": issued.x5c()})

    response = await post(client, grant("cert-1"))
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["client_amr"] == "virksomhetssertifikat"
    await store.revoke(issued.record.serial_hex)
    response = await post(client, grant("cert-2"))
    assert response.json()["error_uri"] == f"{ISSUER}errors/MP-120"


async def test_certificate_of_another_organisation(
    app: PortvaktApp, client: httpx.AsyncClient, demo: DemoClient, certificate_client: str, clock: FixedClock
) -> None:
    issued = await app.platform.components["maskinporten.testca"].issue(orgno="991825827", name="DIGDIR")
    now = clock.timestamp()
    claims = {"aud": ISSUER, "iss": certificate_client, "iat": now, "exp": now + 60, "scope": demo.scope}
    assertion = jwt.encode(claims, issued.private_key, algorithm="RS256", headers={"x5c": issued.x5c()})
    response = await post(client, assertion)
    assert response.json()["error_uri"] == f"{ISSUER}errors/MP-122"


async def test_unreachable_redis_is_an_internal_error_never_not_seen(
    settings: Settings, clock: FixedClock
) -> None:
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    application = create_app(down, clock=clock, configure_logs=False)
    async with application.lifespan():
        demo = await ensure_demo_client(down, application.platform.database, clock)
        assert demo is not None
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=down.public_base) as http:
            response = await post(http, demo_grant(demo, clock))
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "server_error"
    assert body["error_uri"] == f"{ISSUER}errors/MP-900"
    assert re.fullmatch(r"Internal server error \(trace_id: [0-9a-f]{32}\)", body["error_description"])
