"""Every error branch of the token endpoint (maskinporten.md §8, §10): one row per branch."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
import pytest

from portvakt.maskinporten.ports import JWT_BEARER
from tests.maskinporten.conftest import (
    CLIENT_ORG,
    CONSUMER_ORG,
    FORM,
    ISSUER,
    KEYED,
    LEAF,
    LEAF_NO_ORG,
    LEAF_OTHER_ORG,
    LEAF_UNTRUSTED,
    World,
)

Send = Callable[[World], Awaitable[httpx.Response]]
TRACE_SUFFIX = re.compile(r" \(trace_id: [0-9a-f]{32}\)$")

MP011 = "Invalid assertion. Invalid parameter value"
AUTH = "Invalid assertion. Client authentication failed."
MP252 = (
    "Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client "
    "is invalid"
)


def assert_error(response: httpx.Response, code: str, status: int, error: str, description: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "error_description", "error_uri"}
    assert body["error"] == error
    assert TRACE_SUFFIX.search(body["error_description"]), body["error_description"]
    assert TRACE_SUFFIX.sub("", body["error_description"]) == description
    assert body["error_uri"] == f"{ISSUER}errors/{code}"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    trace_id = body["error_description"][-33:-1]
    assert response.headers["x-trace-id"] == trace_id


def form(**values: str) -> Send:
    return lambda w: w.http.post("/maskinporten/token", data=values)


def body(raw: bytes, headers: dict[str, str] = FORM) -> Send:
    return lambda w: w.post_raw(raw, headers)


def grant(**kwargs: object) -> Send:
    return lambda w: w.post(w.grant(**kwargs))  # type: ignore[arg-type]


def raw(header: dict[str, object], claims: object = None) -> Send:
    return lambda w: w.post(w.raw_grant(header, w.claims() if claims is None else claims))


def signed(**overrides: object) -> Send:
    """Signed without PyJWT, which refuses some malformed claims."""
    return lambda w: w.post(w.raw_grant({"alg": "RS256", "kid": "k1"}, w.claims(**overrides)))


def claims_without(name: str) -> Send:
    return lambda w: w.post(w.grant(drop=(name,)))


def assertion(text: str) -> Send:
    return lambda w: w.post(text)


def cert(x5c: object = None, **kwargs: object) -> Send:
    return lambda w: w.post(w.cert_grant(x5c, **kwargs))  # type: ignore[arg-type]


async def replayed(w: World) -> httpx.Response:
    assertion = w.grant()
    assert (await w.post(assertion)).status_code == 200
    return await w.post(assertion)


async def replayed_without_jti(w: World) -> httpx.Response:
    assertion = w.grant(drop=("jti",))
    assert (await w.post(assertion)).status_code == 200
    return await w.post(assertion)


async def replay_store_down(w: World) -> httpx.Response:
    w.replay.down = True
    return await w.post(w.grant())


async def altinn_down(w: World) -> httpx.Response:
    w.delegations.down = True
    return await w.post(w.grant(scope="test:deleg", consumer_org=CONSUMER_ORG))


async def wrong_signature(w: World) -> httpx.Response:
    return await w.post(w.grant(key=w.keys.b))


async def tampered_payload(w: World) -> httpx.Response:
    header, _payload, signature = w.grant().split(".")
    other = w.grant(scope="test:own").split(".")[1]
    return await w.post(f"{header}.{other}.{signature}")


async def certificate_signed_by_other_key(w: World) -> httpx.Response:
    return await w.post(w.cert_grant([LEAF], key=w.keys.a))


def mp010(variant: str, error: str = "invalid_request") -> tuple[str, int, str, str]:
    return ("MP-010", 400, error, variant)


def mp011() -> tuple[str, int, str, str]:
    return ("MP-011", 400, "invalid_request", MP011)


def invalid_grant(code: str, description: str) -> tuple[str, int, str, str]:
    return (code, 400, "invalid_grant", description)


TOO_LARGE = b"grant_type=" + JWT_BEARER.encode() + b"&assertion=" + b"a" * (64 * 1024)

CASES = [
    # step 1–2: the form
    pytest.param(
        form(assertion="x.y.z"),
        *mp010("Invalid request. Missing parameter grant_type"),
        id="MP-010-missing-grant_type",
    ),
    pytest.param(
        form(grant_type="", assertion="x.y.z"),
        *mp010("Invalid request. Missing parameter grant_type"),
        id="MP-010-empty-grant_type",
    ),
    pytest.param(
        form(grant_type=JWT_BEARER),
        *mp010("Invalid request. Missing parameter assertion"),
        id="MP-010-missing-assertion",
    ),
    pytest.param(
        form(grant_type="client_credentials", assertion="x.y.z"),
        *mp010("Unsupported grant type client_credentials", "unsupported_grant_type"),
        id="MP-010-unsupported-grant-type",
    ),
    pytest.param(
        body(f"grant_type={JWT_BEARER}&grant_type={JWT_BEARER}&assertion=x".encode()),
        *mp010("Invalid request. Duplicate parameter grant_type"),
        id="MP-010-duplicate-grant_type",
    ),
    pytest.param(
        body(f"grant_type={JWT_BEARER}&assertion=a&assertion=b".encode()),
        *mp010("Invalid request. Duplicate parameter assertion"),
        id="MP-010-duplicate-assertion",
    ),
    pytest.param(
        body(b'{"grant_type":"x"}', {"Content-Type": "application/json"}),
        *mp010("Invalid request. Content-Type must be application/x-www-form-urlencoded"),
        id="MP-010-json-content-type",
    ),
    pytest.param(
        body(b"grant_type=x", {}),
        *mp010("Invalid request. Content-Type must be application/x-www-form-urlencoded"),
        id="MP-010-no-content-type",
    ),
    pytest.param(
        body(TOO_LARGE),
        *mp010("Invalid request. Request body exceeds 65536 bytes"),
        id="MP-010-body-too-large",
    ),
    # step 3: compact JWS and header
    pytest.param(assertion("only.two"), *mp011(), id="MP-011-two-parts"),
    pytest.param(assertion("a.b.c.d"), *mp011(), id="MP-011-four-parts"),
    pytest.param(assertion("!!!.e30.sig"), *mp011(), id="MP-011-not-base64url"),
    pytest.param(assertion("bm90IGpzb24.e30.c2ln"), *mp011(), id="MP-011-header-not-json"),
    pytest.param(
        raw({"alg": "RS256", "kid": "k1"}, ["not", "an", "object"]), *mp011(), id="MP-011-payload-not-object"
    ),
    pytest.param(assertion("WyJSUzI1NiJd.e30.c2ln"), *mp011(), id="MP-011-header-not-object"),
    pytest.param(assertion("a" * (32 * 1024 + 1)), *mp011(), id="MP-011-assertion-too-long"),
    pytest.param(raw({"alg": "none", "kid": "k1"}), *mp011(), id="MP-011-alg-none"),
    pytest.param(raw({"alg": "HS256", "kid": "k1"}), *mp011(), id="MP-011-alg-HS256"),
    pytest.param(raw({"alg": "ES256", "kid": "k1"}), *mp011(), id="MP-011-alg-ES256"),
    pytest.param(raw({"kid": "k1"}), *mp011(), id="MP-011-alg-missing"),
    pytest.param(raw({"alg": "RS256", "kid": "k1", "crit": ["exp"]}), *mp011(), id="MP-011-crit"),
    pytest.param(raw({"alg": "RS256", "kid": 7}), *mp011(), id="MP-011-kid-not-string"),
    # step 4: claims
    pytest.param(grant(extra_claim="x"), *mp011(), id="MP-011-unknown-claim"),
    pytest.param(grant(iss_onbehalfof="x"), *mp011(), id="MP-011-iss_onbehalfof"),
    pytest.param(claims_without("aud"), *mp011(), id="MP-011-aud-missing"),
    pytest.param(claims_without("iss"), *mp011(), id="MP-011-iss-missing"),
    pytest.param(claims_without("iat"), *mp011(), id="MP-011-iat-missing"),
    pytest.param(claims_without("exp"), *mp011(), id="MP-011-exp-missing"),
    pytest.param(claims_without("scope"), *mp011(), id="MP-011-scope-missing"),
    pytest.param(grant(aud=[ISSUER]), *mp011(), id="MP-011-aud-array"),
    pytest.param(signed(iss=42), *mp011(), id="MP-011-iss-not-string"),
    pytest.param(grant(iat="now"), *mp011(), id="MP-011-iat-string"),
    pytest.param(grant(iat=True), *mp011(), id="MP-011-iat-boolean"),
    pytest.param(lambda w: w.post(w.grant(exp=float(w.now + 60))), *mp011(), id="MP-011-exp-float"),
    pytest.param(lambda w: w.post(w.grant(exp=w.now - 1)), *mp011(), id="MP-011-exp-before-iat"),
    pytest.param(lambda w: w.post(w.grant(nbf=str(w.now))), *mp011(), id="MP-011-nbf-string"),
    pytest.param(grant(scope=""), *mp011(), id="MP-011-scope-empty"),
    pytest.param(grant(scope="   "), *mp011(), id="MP-011-scope-blank"),
    pytest.param(grant(scope=["test:api"]), *mp011(), id="MP-011-scope-array"),
    pytest.param(grant(scope="a" * 4097), *mp011(), id="MP-011-scope-too-long"),
    pytest.param(grant(scope=" ".join(f"s:{i}" for i in range(101))), *mp011(), id="MP-011-scope-over-100"),
    pytest.param(grant(jti=""), *mp011(), id="MP-011-jti-empty"),
    pytest.param(grant(jti="j" * 256), *mp011(), id="MP-011-jti-too-long"),
    pytest.param(grant(jti=5), *mp011(), id="MP-011-jti-not-string"),
    pytest.param(grant(sub=5), *mp011(), id="MP-011-sub-not-string"),
    pytest.param(grant(resource="/relative"), *mp011(), id="MP-011-resource-relative"),
    pytest.param(grant(resource="https://api.example.no/x#frag"), *mp011(), id="MP-011-resource-fragment"),
    pytest.param(grant(resource="urn:example:api"), *mp011(), id="MP-011-resource-no-host"),
    pytest.param(grant(resource=[]), *mp011(), id="MP-011-resource-empty-array"),
    pytest.param(
        grant(resource=[f"https://api{i}.example.no" for i in range(11)]),
        *mp011(),
        id="MP-011-resource-over-10",
    ),
    pytest.param(grant(resource=["https://api.example.no", 5]), *mp011(), id="MP-011-resource-not-string"),
    pytest.param(grant(resource={"uri": "https://api.example.no"}), *mp011(), id="MP-011-resource-object"),
    pytest.param(grant(pid="12345678910"), *mp011(), id="MP-011-pid-invalid"),
    pytest.param(grant(pid="0101901248"), *mp011(), id="MP-011-pid-ten-digits"),
    pytest.param(grant(pid=1019012480), *mp011(), id="MP-011-pid-number"),
    pytest.param(grant(consumer_org="123456789"), *mp011(), id="MP-011-consumer_org-check-digit"),
    pytest.param(grant(consumer_org=123456785), *mp011(), id="MP-011-consumer_org-number"),
    # steps 5–8
    pytest.param(
        grant(iss="nobody"), *invalid_grant("MP-100", f"{AUTH} (Client not found)"), id="MP-100-unknown"
    ),
    pytest.param(
        grant(iss="inactive-client"),
        *invalid_grant("MP-100", f"{AUTH} (Client not found)"),
        id="MP-100-inactive",
    ),
    pytest.param(
        grant(iss="idporten-client"),
        "MP-101",
        400,
        "unauthorized_client",
        "Client is not allowed to use grant type urn:ietf:params:oauth:grant-type:jwt-bearer",
        id="MP-101",
    ),
    pytest.param(
        grant(aud="https://other.example.no/"),
        *invalid_grant("MP-110", f"{AUTH} Invalid JWT claim aud"),
        id="MP-110-other",
    ),
    pytest.param(
        grant(aud=f"{ISSUER}token"),
        *invalid_grant("MP-110", f"{AUTH} Invalid JWT claim aud"),
        id="MP-110-token-endpoint",
    ),
    pytest.param(
        grant(aud=ISSUER.rstrip("/")),
        *invalid_grant("MP-110", f"{AUTH} Invalid JWT claim aud"),
        id="MP-110-no-slash",
    ),
    pytest.param(grant(sub="someone-else"), *mp011(), id="MP-011-sub-not-iss"),
    # step 9: registered key
    pytest.param(
        grant(kid="unknown"),
        *invalid_grant("MP-125", f"{AUTH} Unknown key identifier (kid) for client"),
        id="MP-125",
    ),
    pytest.param(grant(kid="k-old"), *invalid_grant("MP-121", f"{AUTH} Expired key"), id="MP-121"),
    pytest.param(
        grant(kid="k1", alg="RS384"),
        *invalid_grant("MP-124", f"{AUTH} Invalid JWT signature"),
        id="MP-124-jwk-alg-mismatch",
    ),
    pytest.param(
        grant(kid="k-lock-untrusted"),
        *invalid_grant("MP-120", f"{AUTH} The JWT is signed with an invalid certificate."),
        id="MP-120-certificate-lock",
    ),
    pytest.param(
        grant(kid="k-lock-other-org"),
        *invalid_grant(
            "MP-122", "Invalid JWT. Invalid organization number for client. Does not match certificate orgno"
        ),
        id="MP-122-certificate-lock",
    ),
    pytest.param(
        grant(kid=None),
        *invalid_grant(
            "MP-126",
            f"{AUTH} Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) "
            "provided",
        ),
        id="MP-126",
    ),
    # step 9: business certificate
    pytest.param(cert(None), *invalid_grant("MP-123", "Invalid JWT header x5c"), id="MP-123-absent"),
    pytest.param(cert(LEAF), *invalid_grant("MP-123", "Invalid JWT header x5c"), id="MP-123-not-array"),
    pytest.param(cert([]), *invalid_grant("MP-123", "Invalid JWT header x5c"), id="MP-123-empty"),
    pytest.param(cert([7]), *invalid_grant("MP-123", "Invalid JWT header x5c"), id="MP-123-not-string"),
    pytest.param(
        cert(["not base64!"]), *invalid_grant("MP-123", "Invalid JWT header x5c"), id="MP-123-not-base64"
    ),
    pytest.param(
        cert([LEAF_UNTRUSTED]),
        *invalid_grant("MP-120", f"{AUTH} The JWT is signed with an invalid certificate."),
        id="MP-120-untrusted",
    ),
    pytest.param(
        cert([LEAF_OTHER_ORG]),
        *invalid_grant(
            "MP-122", "Invalid JWT. Invalid organization number for client. Does not match certificate orgno"
        ),
        id="MP-122-other-org",
    ),
    pytest.param(
        cert([LEAF_NO_ORG]),
        *invalid_grant(
            "MP-122", "Invalid JWT. Invalid organization number for client. Does not match certificate orgno"
        ),
        id="MP-122-no-orgno",
    ),
    # step 10
    pytest.param(
        wrong_signature, *invalid_grant("MP-124", f"{AUTH} Invalid JWT signature"), id="MP-124-wrong-key"
    ),
    pytest.param(
        tampered_payload, *invalid_grant("MP-124", f"{AUTH} Invalid JWT signature"), id="MP-124-tampered"
    ),
    pytest.param(
        certificate_signed_by_other_key,
        *invalid_grant("MP-124", f"{AUTH} Invalid JWT signature"),
        id="MP-124-certificate",
    ),
    # step 11
    pytest.param(
        lambda w: w.post(w.grant(iat=w.now + 11, exp=w.now + 60)),
        *invalid_grant("MP-131", "Issue time is after now"),
        id="MP-131",
    ),
    pytest.param(
        lambda w: w.post(w.grant(nbf=w.now + 11)),
        *invalid_grant("MP-132", "JWT is not valid yet (nbf)"),
        id="MP-132",
    ),
    pytest.param(
        lambda w: w.post(w.grant(iat=w.now - 100, exp=w.now - 11)),
        *invalid_grant("MP-130", "JWT is expired"),
        id="MP-130-exp-passed",
    ),
    pytest.param(
        lambda w: w.post(w.grant(exp=w.now + 121)),
        *invalid_grant("MP-130", "JWT is expired"),
        id="MP-130-lifetime-over-120",
    ),
    # step 12
    pytest.param(replayed, *invalid_grant("MP-012", "Grant is used before"), id="MP-012-jti"),
    pytest.param(replayed_without_jti, *invalid_grant("MP-012", "Grant is used before"), id="MP-012-no-jti"),
    pytest.param(
        replay_store_down,
        "MP-900",
        500,
        "server_error",
        "Internal server error",
        id="MP-900-replay-store-down",
    ),
    # step 13
    pytest.param(
        grant(scope="test:api nope:one test:inactive test:own test:notonclient"),
        "MP-200",
        400,
        "invalid_scope",
        "Token request contains invalid scopes for client, nope:one test:inactive test:notonclient",
        id="MP-200-several-in-request-order",
    ),
    pytest.param(
        grant(scope="test:mp-ok test:idporten-only test:api test:also-idporten"),
        "MP-201",
        400,
        "invalid_scope",
        "Token request contains scopes not allowed for maskinporten, test:idporten-only test:also-idporten",
        id="MP-201",
    ),
    # steps 14–16
    pytest.param(
        grant(scope="test:deleg", consumer_org=CLIENT_ORG),
        "MP-252",
        400,
        "invalid_request",
        MP252,
        id="MP-252-own-org",
    ),
    pytest.param(
        grant(scope="test:deleg test:api", consumer_org=CONSUMER_ORG),
        "MP-252",
        400,
        "invalid_request",
        MP252,
        id="MP-252-scope-without-delegation-source",
    ),
    pytest.param(
        grant(scope="test:api test:noaccess test:noaccess2"),
        "MP-250",
        400,
        "forbidden",
        "Consumer has not been granted access to the scope test:noaccess",
        id="MP-250-first-offender",
    ),
    pytest.param(
        grant(scope="test:deleg", consumer_org="984661185"),
        "MP-250",
        400,
        "forbidden",
        "Consumer has not been granted access to the scope test:deleg",
        id="MP-250-delegating-consumer",
    ),
    pytest.param(
        grant(scope="test:deleg test:deleg2", consumer_org=CONSUMER_ORG),
        "MP-251",
        400,
        "forbidden",
        f"Consumer {CONSUMER_ORG} has not delegated access to the scope test:deleg2 to supplier {CLIENT_ORG}",
        id="MP-251",
    ),
    pytest.param(
        altinn_down,
        "MP-901",
        503,
        "temporarily_unavailable",
        "Delegation source unavailable, try again later",
        id="MP-901",
    ),
    # step 17
    pytest.param(
        grant(authorization_details=[{"type": "urn:altinn:systemuser"}]),
        "MP-301",
        400,
        "invalid_authorization_details",
        "Unknown authorization details type",
        id="MP-301",
    ),
]


@pytest.mark.parametrize(("send", "code", "status", "error", "description"), CASES)
async def test_token_error(
    world: World, send: Send, code: str, status: int, error: str, description: str
) -> None:
    response = await send(world)
    assert_error(response, code, status, error, description)


async def test_synthetic_pid_is_refused_in_prod(prod_world: World) -> None:
    response = await prod_world.post(prod_world.grant(pid="01819012365"))
    assert_error(response, "MP-011", 400, "invalid_request", MP011)


async def test_ordinary_pid_is_accepted_in_prod(prod_world: World) -> None:
    response = await prod_world.post(prod_world.grant(pid="01019012480"))
    assert response.status_code == 200, response.text


async def test_registered_client_key_must_be_an_rsa_jwk(world: World) -> None:
    client = world.registry.clients[KEYED]
    broken = replace(client.keys[0], kid="k-ec", jwk={"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})
    world.registry.clients[KEYED] = replace(client, keys=(*client.keys, broken))
    response = await world.post(world.grant(kid="k-ec"))
    assert_error(response, "MP-124", 400, "invalid_grant", f"{AUTH} Invalid JWT signature")


async def test_error_is_counted_by_code(world: World) -> None:
    await world.post(world.grant(iss="nobody"))
    assert world.metrics.token_errors.labels("maskinporten", "MP-100")._value.get() == 1


async def test_unknown_delegation_source_is_an_internal_error(world: World) -> None:
    world.registry.sources.clear()
    world.registry.scope_rows["test:deleg"] = replace(
        world.registry.scope_rows["test:deleg"], delegation_source="elsewhere"
    )
    response = await world.post(world.grant(scope="test:deleg", consumer_org=CONSUMER_ORG))
    assert_error(response, "MP-900", 500, "server_error", "Internal server error")
