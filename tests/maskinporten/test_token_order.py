"""The validation order of maskinporten.md §8: the first failing step wins; replay is recorded at step 12."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from portvakt.maskinporten.ports import JWT_BEARER
from tests.maskinporten.conftest import CONSUMER_ORG, World

Send = Callable[[World], Awaitable[httpx.Response]]


def code_of(response: httpx.Response) -> str:
    uri: str = response.json()["error_uri"]
    return uri.rsplit("/", 1)[1]


CASES = [
    pytest.param(
        lambda w: w.http.post("/maskinporten/token", data={"grant_type": "password", "assertion": "a.b"}),
        "MP-010",
        id="2-grant-type-before-3-jws",
    ),
    pytest.param(
        lambda w: w.post(w.raw_grant({"alg": "none"}, {"iss": "nobody", "extra": 1})),
        "MP-011",
        id="3-header-before-5-client",
    ),
    pytest.param(lambda w: w.post(w.grant(iss="nobody", extra=1)), "MP-011", id="4-claims-before-5-client"),
    pytest.param(lambda w: w.post(w.grant(iss="nobody", aud="x")), "MP-100", id="5-client-before-7-aud"),
    pytest.param(
        lambda w: w.post(w.grant(iss="idporten-client", aud="x")), "MP-101", id="6-grant-before-7-aud"
    ),
    pytest.param(lambda w: w.post(w.grant(aud="x", sub="other")), "MP-110", id="7-aud-before-8-sub"),
    pytest.param(lambda w: w.post(w.grant(sub="other", kid="unknown")), "MP-011", id="8-sub-before-9-key"),
    pytest.param(
        lambda w: w.post(w.grant(kid="unknown", key=w.keys.b)), "MP-125", id="9-key-before-10-signature"
    ),
    pytest.param(
        lambda w: w.post(w.grant(key=w.keys.b, exp=w.now + 500)), "MP-124", id="10-signature-before-11-times"
    ),
    pytest.param(
        lambda w: w.post(w.grant(iat=w.now + 20, nbf=w.now + 20, exp=w.now + 200)),
        "MP-131",
        id="11-iat-before-nbf-and-exp",
    ),
    pytest.param(
        lambda w: w.post(w.grant(nbf=w.now + 20, exp=w.now + 200)), "MP-132", id="11-nbf-before-exp"
    ),
    pytest.param(
        lambda w: w.post(w.grant(scope="nope test:idporten-only", authorization_details=[])),
        "MP-200",
        id="13-scopes-before-integration-type-and-17",
    ),
    pytest.param(
        lambda w: w.post(w.grant(scope="test:idporten-only test:api", consumer_org="984661185")),
        "MP-201",
        id="13-integration-type-before-14-consumer_org",
    ),
    pytest.param(
        lambda w: w.post(w.grant(scope="test:noaccess", consumer_org=CONSUMER_ORG)),
        "MP-252",
        id="14-consumer_org-before-15-access",
    ),
    pytest.param(
        lambda w: w.post(w.grant(scope="test:deleg test:deleg2", consumer_org="984661185")),
        "MP-250",
        id="15-access-before-16-delegation",
    ),
    pytest.param(
        lambda w: w.post(
            w.grant(scope="test:deleg2", consumer_org=CONSUMER_ORG, authorization_details=[{"type": "x"}])
        ),
        "MP-251",
        id="16-delegation-before-17-authorization_details",
    ),
]


@pytest.mark.parametrize(("send", "code"), CASES)
async def test_first_failing_step_wins(world: World, send: Send, code: str) -> None:
    assert code_of(await send(world)) == code


async def test_duplicate_parameter_before_grant_type_and_assertion(world: World) -> None:
    response = await world.post_raw(b"grant_type=x&grant_type=y")
    assert response.json()["error_description"].startswith(
        "Invalid request. Duplicate parameter grant_type ("
    )


async def test_content_type_before_duplicates(world: World) -> None:
    response = await world.post_raw(b"grant_type=x&grant_type=y", {"Content-Type": "text/plain"})
    assert response.json()["error_description"].startswith("Invalid request. Content-Type must be")


@pytest.mark.parametrize(
    ("first", "scope"),
    [
        pytest.param("MP-200", "nope", id="MP-200"),
        pytest.param("MP-250", "test:noaccess", id="MP-250"),
        pytest.param("MP-301", "test:api", id="MP-301"),
    ],
)
async def test_grant_failing_after_step_12_is_consumed(world: World, first: str, scope: str) -> None:
    details: dict[str, Any] = {"authorization_details": [{"type": "x"}]} if first == "MP-301" else {}
    assertion = world.grant(scope=scope, **details)
    assert code_of(await world.post(assertion)) == first
    assert code_of(await world.post(assertion)) == "MP-012"


async def test_delegation_failure_consumes_the_grant(world: World) -> None:
    world.delegations.down = True
    assertion = world.grant(scope="test:deleg", consumer_org=CONSUMER_ORG)
    assert code_of(await world.post(assertion)) == "MP-901"
    world.delegations.down = False
    assert code_of(await world.post(assertion)) == "MP-012"


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda w: w.post(w.grant(key=w.keys.b)), id="MP-124"),
        pytest.param(lambda w: w.post(w.grant(exp=w.now + 500)), id="MP-130"),
        pytest.param(lambda w: w.post(w.grant(iss="nobody")), id="MP-100"),
    ],
)
async def test_grant_failing_before_step_12_is_not_recorded(world: World, send: Send) -> None:
    response = await send(world)
    assert response.status_code == 400
    assert world.replay.seen == {}


async def test_replay_key_and_retention(world: World) -> None:
    await world.post(world.grant(jti="abc", exp=world.now + 30))
    assert world.replay.seen == {"mp:keyed-client:abc": world.now + 40}


async def test_replay_without_jti_is_keyed_by_the_assertion_hash(world: World) -> None:
    import hashlib

    assertion = world.grant(drop=("jti",))
    await world.post(assertion)
    digest = hashlib.sha256(assertion.encode()).hexdigest()
    assert list(world.replay.seen) == [f"mp:keyed-client:sha256:{digest}"]


async def test_same_jti_for_another_client_is_not_a_replay(world: World) -> None:
    assert (await world.post(world.grant(jti="shared"))).status_code == 200
    response = await world.post(world.grant(jti="shared", iss="short-client"))
    assert response.status_code == 200, response.text
    assert JWT_BEARER
