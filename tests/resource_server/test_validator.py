"""TokenValidator / AsyncTokenValidator: maskinporten.md §14, one row per check in the spec's order."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from portvakt.domain.clock import FixedClock
from portvakt.resource_server import (
    AudienceMismatch,
    ExpiredToken,
    InsufficientScope,
    InvalidToken,
    MissingToken,
    PidMismatch,
    TokenError,
    TokenValidator,
)
from tests.resource_server.conftest import MakeValidator
from tests.resource_server.fakes import (
    CONSUMER,
    MP_ISSUER,
    PID,
    SUPPLIER,
    FakeIssuer,
    b64url_json,
    org,
    rsa_key,
    sign,
    transport,
)

TokenFactory = Callable[[FakeIssuer, int], str]
HMAC_SECRET = "a-shared-secret-that-is-long-enough-for-hs256!"


def claims_token(**overrides: Any) -> TokenFactory:
    return lambda mp, now: mp.token(now, **overrides)


def unsigned(mp: FakeIssuer, now: int) -> str:
    return f"{b64url_json({'alg': 'none', 'kid': 'k1'})}.{b64url_json(mp.claims(now))}."


def hs256(mp: FakeIssuer, now: int) -> str:
    return jwt.encode(mp.claims(now), HMAC_SECRET, algorithm="HS256", headers={"kid": "k1"})


def rs384(mp: FakeIssuer, now: int) -> str:
    return sign(mp.claims(now), mp.key("k1"), "k1", alg="RS384")


def no_kid(mp: FakeIssuer, now: int) -> str:
    return sign(mp.claims(now), mp.key("k1"), None)


def unknown_kid(mp: FakeIssuer, now: int) -> str:
    return sign(mp.claims(now), rsa_key("stranger"), "k-unknown")


def bad_signature(mp: FakeIssuer, now: int) -> str:
    return sign(mp.claims(now), rsa_key("stranger"), "k1")


def tampered(mp: FakeIssuer, now: int) -> str:
    header, _, signature = mp.token(now).split(".")
    return f"{header}.{b64url_json(mp.claims(now, scope='admin:all'))}.{signature}"


REJECTED = [
    pytest.param(lambda mp, now: "not-a-token", {}, {}, InvalidToken, "not a compact JWS", id="not-a-jws"),
    pytest.param(lambda mp, now: "a.b", {}, {}, InvalidToken, "not a compact JWS", id="two-parts"),
    pytest.param(
        lambda mp, now: "e30.bm90IGpzb24.c2ln", {}, {}, InvalidToken, "not a compact", id="payload-not-json"
    ),
    pytest.param(
        lambda mp, now: mp.token(now).replace(".", ".!", 1),
        {},
        {},
        InvalidToken,
        "not a compact",
        id="not-base64url",
    ),
    pytest.param(hs256, {}, {}, InvalidToken, "alg is not RS256", id="alg-hs256"),
    pytest.param(unsigned, {}, {}, InvalidToken, "alg is not RS256", id="alg-none"),
    pytest.param(rs384, {}, {}, InvalidToken, "alg is not RS256", id="alg-rs384"),
    pytest.param(no_kid, {}, {}, InvalidToken, "no kid", id="no-kid"),
    pytest.param(unknown_kid, {}, {}, InvalidToken, "not a known signing key", id="unknown-kid"),
    pytest.param(bad_signature, {}, {}, InvalidToken, "signature is invalid", id="bad-signature"),
    pytest.param(tampered, {}, {}, InvalidToken, "signature is invalid", id="tampered-payload"),
    pytest.param(claims_token(iss="https://evil.test/"), {}, {}, InvalidToken, "issuer", id="wrong-iss"),
    pytest.param(
        claims_token(iss=MP_ISSUER.rstrip("/")), {}, {}, InvalidToken, "issuer", id="iss-without-slash"
    ),
    pytest.param(claims_token(iss=None), {}, {}, InvalidToken, "issuer", id="iss-missing"),
    pytest.param(
        lambda mp, now: mp.token(now, iat=now - 700, exp=now - 11),
        {},
        {},
        ExpiredToken,
        "expired",
        id="expired-beyond-leeway",
    ),
    pytest.param(
        lambda mp, now: mp.token(now, exp=now - 10), {}, {}, ExpiredToken, "expired", id="exp-at-leeway-edge"
    ),
    pytest.param(claims_token(exp=None), {}, {}, InvalidToken, "no numeric exp", id="exp-missing"),
    pytest.param(
        lambda mp, now: mp.token(now, iat=now + 11),
        {},
        {},
        InvalidToken,
        "issued in the future",
        id="iat-future-beyond-leeway",
    ),
    pytest.param(claims_token(iat="now"), {}, {}, InvalidToken, "no numeric iat", id="iat-not-numeric"),
    pytest.param(claims_token(consumer=None), {}, {}, InvalidToken, "consumer", id="consumer-missing"),
    pytest.param(
        claims_token(consumer={"authority": "iso6523", "ID": f"0192:{CONSUMER}"}),
        {},
        {},
        InvalidToken,
        "consumer is not an ISO 6523",
        id="consumer-wrong-authority",
    ),
    pytest.param(
        claims_token(consumer={"authority": "iso6523-actorid-upis", "ID": CONSUMER}),
        {},
        {},
        InvalidToken,
        "consumer is not an ISO 6523",
        id="consumer-id-without-0192",
    ),
    pytest.param(
        claims_token(consumer=f"0192:{CONSUMER}"),
        {},
        {},
        InvalidToken,
        "consumer is not an ISO 6523",
        id="consumer-not-object",
    ),
    pytest.param(
        claims_token(consumer=org("974760674")),
        {},
        {},
        InvalidToken,
        "invalid organisation number",
        id="consumer-orgno-check-digit",
    ),
    pytest.param(
        claims_token(consumer=org("97476067")),
        {},
        {},
        InvalidToken,
        "invalid organisation number",
        id="consumer-orgno-eight-digits",
    ),
    pytest.param(
        claims_token(supplier=org("123456789")), {}, {}, InvalidToken, "supplier", id="supplier-malformed"
    ),
    pytest.param(
        claims_token(aud="https://other.api/"),
        {"audience": "https://api.test/"},
        {},
        AudienceMismatch,
        "audience",
        id="aud-mismatch-string",
    ),
    pytest.param(
        claims_token(aud=["https://a.test/", "https://b.test/"]),
        {"audience": "https://api.test/"},
        {},
        AudienceMismatch,
        "audience",
        id="aud-mismatch-array",
    ),
    pytest.param(
        claims_token(), {"audience": "https://api.test/"}, {}, AudienceMismatch, "audience", id="aud-missing"
    ),
    pytest.param(
        claims_token(aud=[1]),
        {"audience": "https://api.test/"},
        {},
        InvalidToken,
        "aud is malformed",
        id="aud-malformed",
    ),
    pytest.param(
        claims_token(),
        {},
        {"required_scopes": ["x:one", "x:two"]},
        InsufficientScope,
        "one of the scopes x:one x:two",
        id="scope-any-missing",
    ),
    pytest.param(
        claims_token(),
        {},
        {"required_scopes": ["test:read", "x:two"], "scope_mode": "all"},
        InsufficientScope,
        "all of the scopes test:read x:two",
        id="scope-all-missing-one",
    ),
    pytest.param(
        claims_token(scope=["test:read"]), {}, {}, InvalidToken, "scope is malformed", id="scope-not-string"
    ),
    pytest.param(
        claims_token(pid=PID),
        {},
        {"expected_pid": "01019012480"},
        PidMismatch,
        "another person",
        id="pid-mismatch",
    ),
    pytest.param(claims_token(), {}, {"require_pid": True}, PidMismatch, "no pid", id="pid-required-absent"),
    pytest.param(claims_token(), {}, {"expected_pid": PID}, PidMismatch, "no pid", id="pid-expected-absent"),
    pytest.param(claims_token(pid="123"), {}, {}, InvalidToken, "pid is malformed", id="pid-malformed"),
]


@pytest.mark.parametrize(("make_token", "options", "call", "error", "reason"), REJECTED)
async def test_rejected(
    make_validator: MakeValidator,
    mp: FakeIssuer,
    clock: FixedClock,
    make_token: TokenFactory,
    options: dict[str, Any],
    call: dict[str, Any],
    error: type[TokenError],
    reason: str,
) -> None:
    validator = make_validator(**options)
    with pytest.raises(error) as raised:
        await validator.validate(make_token(mp, clock.timestamp()), **call)
    assert type(raised.value) is error
    assert reason in raised.value.reason


@pytest.mark.parametrize("token", [None, ""], ids=["none", "empty"])
async def test_missing_token(make_validator: MakeValidator, token: str | None) -> None:
    with pytest.raises(MissingToken):
        await make_validator().validate(token)


ACCEPTED = [
    pytest.param(claims_token(), {}, {}, id="plain"),
    pytest.param(lambda mp, now: mp.token(now, iat=now - 600, exp=now - 9), {}, {}, id="exp-within-leeway"),
    pytest.param(lambda mp, now: mp.token(now, iat=now + 10), {}, {}, id="iat-within-leeway"),
    pytest.param(
        claims_token(aud="https://api.test/"), {"audience": "https://api.test/"}, {}, id="aud-string"
    ),
    pytest.param(
        claims_token(aud=["https://a.test/", "https://api.test/"]),
        {"audience": "https://api.test/"},
        {},
        id="aud-array",
    ),
    pytest.param(claims_token(aud="https://other/"), {}, {}, id="aud-not-configured"),
    pytest.param(claims_token(), {}, {"required_scopes": ["x:one", "test:write"]}, id="scope-any"),
    pytest.param(
        claims_token(),
        {},
        {"required_scopes": ["test:read", "test:write"], "scope_mode": "all"},
        id="scope-all",
    ),
    pytest.param(claims_token(pid=PID), {}, {"expected_pid": PID, "require_pid": True}, id="pid-match"),
]


@pytest.mark.parametrize(("make_token", "options", "call"), ACCEPTED)
async def test_accepted(
    make_validator: MakeValidator,
    mp: FakeIssuer,
    clock: FixedClock,
    make_token: TokenFactory,
    options: dict[str, Any],
    call: dict[str, Any],
) -> None:
    token = make_token(mp, clock.timestamp())
    result = await make_validator(**options).validate(token, **call)
    assert result.consumer_orgno == CONSUMER
    assert result.issuer == MP_ISSUER
    # Independent check: PyJWT verifies the same signature, iss and aud (times: PyJWT reads the wall clock).
    decoded = jwt.decode(
        token,
        jwt.PyJWK(mp.jwks()["keys"][0]).key,
        algorithms=["RS256"],
        issuer=MP_ISSUER,
        audience=options.get("audience"),
        options={"verify_exp": False, "verify_iat": False, "verify_aud": "audience" in options},
    )
    assert decoded == dict(result.claims)


async def test_result_fields(make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock) -> None:
    token = mp.token(
        clock.timestamp(),
        supplier=org(SUPPLIER),
        delegation_source="https://altinn.test/",
        aud=["https://a.test/", "https://b.test/"],
        pid=PID,
    )
    result = await make_validator().validate(token)
    assert result.consumer_orgno == CONSUMER
    assert result.supplier_orgno == SUPPLIER
    assert result.delegation_source == "https://altinn.test/"
    assert result.client_id == "0f2d7c1e-client"
    assert result.scopes == frozenset({"test:read", "test:write"})
    assert result.pid == PID
    assert result.aud == ("https://a.test/", "https://b.test/")
    assert result.claims["client_amr"] == "private_key_jwt"
    with pytest.raises(TypeError):
        result.claims["scope"] = "admin"  # type: ignore[index]


async def test_first_failure_wins(make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock) -> None:
    """Expired and missing the scope: the exp check comes first."""
    now = clock.timestamp()
    token = mp.token(now, iat=now - 900, exp=now - 300, consumer=None)
    with pytest.raises(ExpiredToken):
        await make_validator().validate(token, ["x:y"])


async def test_scope_mode_is_checked(
    make_validator: MakeValidator, mp: FakeIssuer, clock: FixedClock
) -> None:
    with pytest.raises(ValueError, match="scope_mode"):
        await make_validator().validate(mp.token(clock.timestamp()), ["a"], "some")  # type: ignore[arg-type]


def test_accepted_tokens_are_accepted_by_pyjwt(mp: FakeIssuer) -> None:
    """Independent check: what our validator accepts, PyJWT accepts with the JWKS key (real time)."""
    now = int(time.time())
    token = mp.token(now, aud="https://api.test/")
    with TokenValidator(MP_ISSUER, audience="https://api.test/", transport=transport(mp)) as validator:
        result = validator.validate(token, ["test:read"])
    key = jwt.PyJWK(mp.jwks()["keys"][0]).key
    decoded = jwt.decode(token, key, algorithms=["RS256"], issuer=MP_ISSUER, audience="https://api.test/")
    assert decoded == dict(result.claims)
