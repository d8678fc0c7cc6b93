"""The Starlette/FastAPI dependency through a real FastAPI app, and the RFC 6750 challenge helper.

No `from __future__ import annotations` here: FastAPI must see the route annotations as objects.
"""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from portvakt.domain.clock import FixedClock
from portvakt.resource_server import (
    AsyncTokenValidator,
    ExpiredToken,
    InsufficientScope,
    InvalidToken,
    MissingToken,
    PidMismatch,
    TokenError,
    TokenValidator,
    ValidatedToken,
    bearer_challenge,
    www_authenticate,
)
from portvakt.resource_server.dependency import require_token
from tests.resource_server.fakes import CONSUMER, MP_ISSUER, FakeIssuer


def api(validator: TokenValidator | AsyncTokenValidator, *, rrh_style: bool = False) -> FastAPI:
    app = FastAPI()
    token_dep = Annotated[ValidatedToken, Depends(require_token(validator, ["test:read", "test:admin"]))]

    @app.exception_handler(TokenError)
    async def token_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TokenError)
        if rrh_style:  # RRH: 403 for every token problem, no WWW-Authenticate
            return JSONResponse({"detail": "Forbidden"}, status_code=403)
        status, challenge = www_authenticate(exc, realm="api")
        return JSONResponse(
            {"error": type(exc).__name__}, status_code=status, headers={"WWW-Authenticate": challenge}
        )

    @app.get("/whoami")
    async def whoami(token: token_dep) -> dict[str, object]:
        return {"consumer": token.consumer_orgno, "scopes": sorted(token.scopes)}

    return app


@pytest.fixture(params=["sync", "async"])
async def http(
    request: pytest.FixtureRequest, mp: FakeIssuer, clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    validator: TokenValidator | AsyncTokenValidator
    if request.param == "sync":
        validator = TokenValidator(MP_ISSUER, key_provider=mp.jwks, clock=clock)
    else:
        validator = AsyncTokenValidator(MP_ISSUER, key_provider=mp.jwks, clock=clock)
    transport = httpx.ASGITransport(app=api(validator))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "BeArEr"])
async def test_valid_token(http: httpx.AsyncClient, mp: FakeIssuer, clock: FixedClock, scheme: str) -> None:
    response = await http.get("/whoami", headers={"Authorization": f"{scheme} {mp.token(clock.timestamp())}"})
    assert response.status_code == 200
    assert response.json() == {"consumer": CONSUMER, "scopes": ["test:read", "test:write"]}


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="no-token"),
        pytest.param("Bearer   ", id="blank-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic"),
        pytest.param("Token abc", id="other-scheme"),
        pytest.param("Bearer a b", id="two-tokens"),
    ],
)
async def test_missing_token(http: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await http.get("/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"error": "MissingToken"}


async def test_invalid_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/whoami", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="The token is not a compact JWS"'
    )


async def test_missing_scope(http: httpx.AsyncClient, mp: FakeIssuer, clock: FixedClock) -> None:
    token = mp.token(clock.timestamp(), scope="other:scope")
    response = await http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api", scope="test:read test:admin", error="insufficient_scope", '
        'error_description="The access token needs one of the scopes test:read test:admin"'
    )


async def test_rrh_style_mapping(mp: FakeIssuer, clock: FixedClock) -> None:
    validator = AsyncTokenValidator(MP_ISSUER, key_provider=mp.jwks, clock=clock)
    transport = httpx.ASGITransport(app=api(validator, rrh_style=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        for headers in ({}, {"Authorization": "Bearer x.y.z"}):
            response = await client.get("/whoami", headers=headers)
            assert response.status_code == 403
            assert "www-authenticate" not in response.headers


@pytest.mark.parametrize(
    ("error", "status", "challenge"),
    [
        pytest.param(MissingToken(), 401, "Bearer", id="missing"),
        pytest.param(
            InvalidToken('bad "quote" \\ æøå'),
            401,
            'Bearer error="invalid_token", error_description="bad quote  "',
            id="invalid-escaped",
        ),
        pytest.param(
            ExpiredToken(),
            401,
            'Bearer error="invalid_token", error_description="The access token has expired"',
            id="expired",
        ),
        pytest.param(
            InsufficientScope(["a:b"]),
            403,
            'Bearer scope="a:b", error="insufficient_scope", '
            'error_description="The access token needs the scope a:b"',
            id="scope",
        ),
        pytest.param(
            PidMismatch(),
            403,
            'Bearer error="insufficient_scope", error_description="The access token is for another person"',
            id="pid",
        ),
    ],
)
def test_www_authenticate(error: TokenError, status: int, challenge: str) -> None:
    assert www_authenticate(error) == (status, challenge)


def test_bearer_challenge_without_description() -> None:
    _, value = www_authenticate(
        InvalidToken("x"),
        realm="krr",
        describe=False,
        error_uri="https://tools.ietf.org/html/rfc6750#section-3.1",
    )
    assert (
        value
        == 'Bearer realm="krr", error="invalid_token", error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"'
    )
    assert bearer_challenge() == "Bearer"
