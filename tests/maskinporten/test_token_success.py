"""Issued tokens (maskinporten.md §7.4, §9): response, header, claims, lifetime, audience, pid, delegation."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import httpx
import jwt
import orjson
import pytest
from structlog.testing import capture_logs

from tests.maskinporten.conftest import (
    ALTINN_ISSUER,
    CERT,
    CERT_ORG,
    CLIENT_ORG,
    CONSUMER_ORG,
    ISSUER,
    KEYED,
    LEAF,
    LOCK,
    World,
)


def decode(world: World, token: str, **options: Any) -> dict[str, Any]:
    """Verify with the signer's public JWKS; times are checked by the tests against the fixed clock."""
    jwks = jwt.PyJWKSet.from_dict(world.signer.public_jwks())
    header = jwt.get_unverified_header(token)
    key = jwks[header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        options={"verify_aud": False, "verify_exp": False, "verify_iat": False, **options},  # type: ignore[arg-type]
        leeway=0,
    )
    return claims


async def issued(world: World, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return decode(world, response.json()["access_token"])


def iso6523(orgno: str) -> dict[str, str]:
    return {"authority": "iso6523-actorid-upis", "ID": f"0192:{orgno}"}


async def test_token_response_is_exactly_as_specified(world: World) -> None:
    response = await world.post(world.grant(scope="test:api test:own"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in", "scope"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 600
    assert body["scope"] == "test:api test:own"


async def test_access_token_header_and_claims(world: World) -> None:
    response = await world.post(world.grant(scope="test:api"))
    token = response.json()["access_token"]
    header = orjson.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"kid": world.signer.kid, "alg": "RS256"}
    claims = decode(world, token)
    jti = claims.pop("jti")
    assert len(jti) == 43
    assert claims == {
        "iss": ISSUER,
        "client_amr": "private_key_jwt",
        "token_type": "Bearer",
        "client_id": KEYED,
        "scope": "test:api",
        "consumer": iso6523(CLIENT_ORG),
        "iat": world.now,
        "exp": world.now + 600,
    }


async def test_each_token_has_its_own_jti(world: World) -> None:
    first = await issued(world, await world.post(world.grant()))
    second = await issued(world, await world.post(world.grant()))
    assert first["jti"] != second["jti"]


async def test_business_certificate_token(world: World) -> None:
    claims = await issued(world, await world.post(world.cert_grant([LEAF, LEAF])))
    assert claims["client_amr"] == "virksomhetssertifikat"
    assert claims["client_id"] == CERT
    assert claims["consumer"] == iso6523(CERT_ORG)


async def test_certificate_lock_with_matching_certificate(world: World) -> None:
    claims = await issued(world, await world.post(world.grant(kid="k-locked")))
    assert claims["client_amr"] == "private_key_jwt"
    assert LOCK


async def test_kid_wins_over_x5c(world: World) -> None:
    response = await world.post(world.grant(headers={"x5c": ["garbage"]}))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("kid", "alg"),
    [
        pytest.param("k-noalg", "RS256", id="jwk-without-alg-RS256"),
        pytest.param("k-noalg", "RS384", id="jwk-without-alg-RS384"),
        pytest.param("k-rs512", "RS512", id="jwk-alg-RS512"),
    ],
)
async def test_rsa_algorithms(world: World, kid: str, alg: str) -> None:
    key = world.keys.b if kid == "k-noalg" else world.keys.a
    response = await world.post(world.grant(kid=kid, key=key, alg=alg))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("client_id", "scope", "default", "lifetime"),
    [
        pytest.param(KEYED, "test:api", 600, 600, id="default"),
        pytest.param(KEYED, "test:api", 300, 300, id="default-setting"),
        pytest.param(KEYED, "test:api test:short", 600, 60, id="scope-at_max_age"),
        pytest.param(KEYED, "test:api test:zero", 600, 600, id="scope-at_max_age-zero-ignored"),
        pytest.param("short-client", "test:api", 600, 120, id="client-lifetime"),
        pytest.param("short-client", "test:short", 600, 60, id="smallest-wins"),
        pytest.param("zero-lifetime-client", "test:api", 600, 600, id="client-lifetime-zero-ignored"),
    ],
)
async def test_lifetime(world: World, client_id: str, scope: str, default: int, lifetime: int) -> None:
    world.service.config = replace(world.service.config, default_lifetime=default)
    response = await world.post(world.grant(iss=client_id, scope=scope))
    claims = await issued(world, response)
    assert claims["exp"] - claims["iat"] == lifetime
    assert response.json()["expires_in"] == lifetime


@pytest.mark.parametrize(
    ("resource", "aud"),
    [
        pytest.param("https://api.example.no/v1", "https://api.example.no/v1", id="one-string"),
        pytest.param(["https://api.example.no/v1"], "https://api.example.no/v1", id="one-in-array"),
        pytest.param(
            ["https://b.example.no", "https://a.example.no"],
            ["https://b.example.no", "https://a.example.no"],
            id="several-order-kept",
        ),
        pytest.param(
            ["https://a.example.no", "https://a.example.no"], "https://a.example.no", id="duplicates"
        ),
        pytest.param(
            ["https://b.example.no", "https://a.example.no", "https://b.example.no"],
            ["https://b.example.no", "https://a.example.no"],
            id="duplicates-among-several",
        ),
    ],
)
async def test_resource_becomes_aud(world: World, resource: object, aud: object) -> None:
    claims = await issued(world, await world.post(world.grant(resource=resource)))
    assert claims["aud"] == aud


async def test_no_resource_no_aud(world: World) -> None:
    claims = await issued(world, await world.post(world.grant()))
    assert "aud" not in claims


@pytest.mark.parametrize(
    "pid",
    ["01019012480", "41019012393", "01819012365", "01819012373"],
    ids=["fnr", "dnr", "tenor", "k1-2032"],
)
async def test_pid_is_copied(world: World, pid: str) -> None:
    claims = await issued(world, await world.post(world.grant(pid=pid)))
    assert claims["pid"] == pid


async def test_delegated_token(world: World) -> None:
    response = await world.post(world.grant(scope="test:deleg", consumer_org=CONSUMER_ORG))
    claims = await issued(world, response)
    assert claims["consumer"] == iso6523(CONSUMER_ORG)
    assert claims["supplier"] == iso6523(CLIENT_ORG)
    assert claims["delegation_source"] == ALTINN_ISSUER
    assert world.delegations.calls == [(CONSUMER_ORG, CLIENT_ORG, "test:deleg")]


async def test_delegation_source_defaults_to_the_platform_altinn(world: World) -> None:
    world.registry.sources.clear()
    claims = await issued(world, await world.post(world.grant(scope="test:deleg", consumer_org=CONSUMER_ORG)))
    assert claims["delegation_source"] == "http://localhost:8080/altinn/"


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param("test:own", id="owner"),
        pytest.param("test:open", id="accessible_for_all"),
        pytest.param("test:api", id="approved-access"),
        pytest.param("test:mp-ok", id="allowed-integration-type"),
    ],
)
async def test_access_rules(world: World, scope: str) -> None:
    response = await world.post(world.grant(scope=scope))
    assert response.status_code == 200, response.text


async def test_duplicate_scopes_are_collapsed_in_order(world: World) -> None:
    response = await world.post(world.grant(scope="test:own test:api  test:own"))
    assert response.json()["scope"] == "test:own test:api"
    assert (await issued(world, response))["scope"] == "test:own test:api"


async def test_other_form_parameters_are_ignored(world: World) -> None:
    response = await world.post(world.grant(), client_id="ignored", scope="ignored")
    assert response.status_code == 200


async def test_skew_of_ten_seconds_is_allowed(world: World) -> None:
    now = world.now
    response = await world.post(world.grant(iat=now + 10, exp=now + 60, nbf=now + 10))
    assert response.status_code == 200, response.text
    response = await world.post(world.grant(iat=now - 110, exp=now - 10))
    assert response.status_code == 200, response.text
    response = await world.post(world.grant(iat=now, exp=now + 120, sub=KEYED))
    assert response.status_code == 200, response.text


async def test_expires_in_counts_from_the_response(world: World) -> None:
    response = await world.post(world.grant())
    assert response.json()["expires_in"] == 600


async def test_one_log_event_without_secrets(world: World) -> None:
    assertion = world.grant(pid="01019012480")
    with capture_logs() as events:
        response = await world.post(assertion)
    token = response.json()["access_token"]
    token_events = [event for event in events if event["event"] == "token_request"]
    assert len(token_events) == 1
    event = token_events[0]
    assert event["client_id"] == KEYED
    assert event["outcome"] == "issued"
    assert event["trace_id"] == response.headers["x-trace-id"]
    text = repr(events)
    assert assertion not in text
    assert token not in text
    assert "01019012480" not in text
    assert world.metrics.tokens_issued.labels("maskinporten", "private_key_jwt")._value.get() == 1


async def test_refusal_log_event_names_the_code(world: World) -> None:
    with capture_logs() as events:
        await world.post(world.grant(scope="test:noaccess"))
    (event,) = [event for event in events if event["event"] == "token_request"]
    assert event["outcome"] == "refused"
    assert event["code"] == "MP-250"
    assert event["client_id"] == KEYED
