"""ID-porten access tokens (idporten.md §7): JWTs validated locally, opaque tokens introspected (§7.2)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import httpx
import jwt
import pytest

from portvakt.client import SigningKey
from portvakt.domain.clock import FixedClock
from portvakt.resource_server import (
    AsyncTokenValidator,
    ClientCredentials,
    ExpiredToken,
    InsufficientScope,
    InvalidToken,
    Issuer,
    PidMismatch,
)
from tests.resource_server.conftest import MakeValidator
from tests.resource_server.fakes import (
    CONSUMER,
    IDP_ISSUER,
    MP_ISSUER,
    PID,
    FakeIssuer,
    form_of,
    org,
    rsa_key,
    transport,
)

OPAQUE = secrets.token_urlsafe(32)
SECRET_CLIENT = ClientCredentials("krr-introspector", client_secret="s3cret:/ value")


def answer(idp: FakeIssuer, now: int, **overrides: Any) -> dict[str, Any]:
    return {"active": True, "token_type": "Bearer"} | idp.claims(now, **overrides)


async def test_idporten_jwt(make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock) -> None:
    result = await make_validator(IDP_ISSUER).validate(
        idp.token(clock.timestamp()), ["krr:user"], require_pid=True
    )
    assert result.issuer == IDP_ISSUER
    assert result.consumer_orgno is None
    assert result.pid == PID
    assert result.acr == "idporten-loa-high"
    assert result.client_id == "0f2d7c1e-client"
    assert result.scopes == frozenset({"openid", "krr:user"})


async def test_idporten_jwt_with_consumer(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    token = idp.token(clock.timestamp(), consumer=org(CONSUMER))
    assert (await make_validator(IDP_ISSUER).validate(token)).consumer_orgno == CONSUMER


async def test_idporten_jwt_malformed_consumer(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    token = idp.token(clock.timestamp(), consumer=org("974760674"))
    with pytest.raises(InvalidToken, match="consumer"):
        await make_validator(IDP_ISSUER).validate(token)


async def test_issuer_with_trailing_slash_is_not_idporten(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    token = idp.token(clock.timestamp(), iss=IDP_ISSUER + "/")
    with pytest.raises(InvalidToken, match="issuer is not accepted"):
        await make_validator(IDP_ISSUER).validate(token)


async def test_idporten_token_on_maskinporten_validator(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    with pytest.raises(InvalidToken):
        await make_validator(MP_ISSUER).validate(idp.token(clock.timestamp()))


async def test_both_issuers_consumer_rule_per_kind(
    make_validator: MakeValidator, mp: FakeIssuer, idp: FakeIssuer, clock: FixedClock
) -> None:
    validator = make_validator([MP_ISSUER, IDP_ISSUER])
    now = clock.timestamp()
    assert (await validator.validate(idp.token(now))).consumer_orgno is None
    with pytest.raises(InvalidToken, match="consumer"):
        await validator.validate(mp.token(now, consumer=None))


def introspection_answers(idp: FakeIssuer, reply: dict[str, Any] | None, status: int = 200) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=reply)

    idp.introspection = handle


async def test_opaque_token_active(make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock) -> None:
    introspection_answers(idp, answer(idp, clock.timestamp()))
    validator = make_validator(IDP_ISSUER, introspection_client=SECRET_CLIENT)
    result = await validator.validate(OPAQUE, ["krr:user"], require_pid=True)
    assert result.pid == PID
    assert result.issuer == IDP_ISSUER
    assert result.consumer_orgno is None
    assert result.claims["active"] is True
    discovery, call = idp.requests
    assert str(discovery.url) == "https://idporten.test/.well-known/openid-configuration"
    assert str(call.url) == idp.introspection_endpoint
    assert call.method == "POST"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form_of(call) == {"token": OPAQUE, "token_type_hint": "access_token"}
    expected = base64.b64encode(b"krr-introspector:s3cret%3A%2F%20value").decode()
    assert call.headers["authorization"] == f"Basic {expected}"


@pytest.mark.parametrize(
    ("reply", "status", "error", "reason"),
    [
        pytest.param({"active": False}, 200, InvalidToken, "not active", id="inactive"),
        pytest.param(
            {"error": "invalid_client"},
            401,
            InvalidToken,
            r"introspection failed \(HTTP 401\)",
            id="caller-refused",
        ),
        pytest.param(None, 500, InvalidToken, r"introspection failed \(HTTP 500\)", id="server-error"),
        pytest.param("iss", 200, InvalidToken, "issuer is not accepted", id="other-issuer"),
        pytest.param("expired", 200, ExpiredToken, "expired", id="expired"),
        pytest.param("no-pid", 200, PidMismatch, "no pid", id="pid-required"),
    ],
)
async def test_opaque_token_rejected(
    make_validator: MakeValidator,
    idp: FakeIssuer,
    clock: FixedClock,
    reply: Any,
    status: int,
    error: type[Exception],
    reason: str,
) -> None:
    now = clock.timestamp()
    replies = {
        "iss": answer(idp, now, iss="https://elsewhere.test"),
        "expired": answer(idp, now, iat=now - 300, exp=now - 180),
        "no-pid": answer(idp, now, pid=None),
    }
    introspection_answers(idp, replies.get(reply, reply) if isinstance(reply, str) else reply, status)
    validator = make_validator(IDP_ISSUER, introspection_client=SECRET_CLIENT)
    with pytest.raises(error, match=reason):
        await validator.validate(OPAQUE, require_pid=True)


async def test_opaque_scope_rules_apply(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    introspection_answers(idp, answer(idp, clock.timestamp()))
    validator = make_validator(IDP_ISSUER, introspection_client=SECRET_CLIENT)
    with pytest.raises(InsufficientScope):
        await validator.validate(OPAQUE, ["krr:user/spraak.write"])


async def test_opaque_without_introspection_is_not_a_jws(make_validator: MakeValidator) -> None:
    with pytest.raises(InvalidToken, match="not a compact JWS"):
        await make_validator(IDP_ISSUER).validate(OPAQUE)


async def test_introspection_unreachable(make_validator: MakeValidator, clock: FixedClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    validator = make_validator(
        IDP_ISSUER,
        introspection_client=SECRET_CLIENT,
        introspection_endpoint="https://idporten.test/token/introspect",
        transport=httpx.MockTransport(refuse),
    )
    with pytest.raises(InvalidToken, match=r"introspection failed \(ConnectError\)"):
        await validator.validate(OPAQUE)


async def test_introspection_with_private_key_jwt(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    introspection_answers(idp, answer(idp, clock.timestamp()))
    key = SigningKey(rsa_key("introspector"), kid="intro-1")
    credentials = ClientCredentials("api-provider", signing_key=key)
    validator = make_validator(
        IDP_ISSUER, introspection_client=credentials, introspection_endpoint=idp.introspection_endpoint
    )
    await validator.validate(OPAQUE)
    (call,) = idp.requests
    form = form_of(call)
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["client_id"] == "api-provider"
    assert "authorization" not in call.headers
    claims = jwt.decode(
        form["client_assertion"],
        rsa_key("introspector").public_key(),
        algorithms=["RS256"],
        audience=IDP_ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == claims["sub"] == "api-provider"
    assert claims["exp"] - claims["iat"] <= 120
    assert len(claims["jti"]) == 43
    assert jwt.get_unverified_header(form["client_assertion"]) == {"alg": "RS256", "kid": "intro-1"}


async def test_introspection_with_client_secret_post(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    introspection_answers(idp, answer(idp, clock.timestamp()))
    credentials = ClientCredentials("c", client_secret="s", method="client_secret_post")
    await make_validator(IDP_ISSUER, introspection_client=credentials).validate(OPAQUE)
    assert form_of(idp.requests[-1]) == {
        "token": OPAQUE,
        "token_type_hint": "access_token",
        "client_id": "c",
        "client_secret": "s",
    }


async def test_in_process_introspector(
    make_validator: MakeValidator, idp: FakeIssuer, clock: FixedClock
) -> None:
    seen: list[str] = []

    def introspect(token: str) -> dict[str, Any]:
        seen.append(token)
        return answer(idp, clock.timestamp()) if token == OPAQUE else {"active": False}

    validator = make_validator(IDP_ISSUER, introspector=introspect, transport=transport())
    assert (await validator.validate(OPAQUE)).pid == PID
    with pytest.raises(InvalidToken, match="not active"):
        await validator.validate("x" * 43)
    assert seen == [OPAQUE, "x" * 43]


async def test_async_in_process_introspector(idp: FakeIssuer, clock: FixedClock) -> None:
    async def introspect(token: str) -> dict[str, Any]:
        return answer(idp, clock.timestamp())

    async with AsyncTokenValidator(IDP_ISSUER, introspector=introspect, clock=clock) as validator:
        assert (await validator.validate(OPAQUE)).pid == PID


def test_credentials_rules() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ClientCredentials("c")
    with pytest.raises(ValueError, match="private_key_jwt"):
        ClientCredentials("c", client_secret="s", method="private_key_jwt")
    with pytest.raises(ValueError, match="never introspected"):
        Issuer(MP_ISSUER, introspection_client=SECRET_CLIENT)
