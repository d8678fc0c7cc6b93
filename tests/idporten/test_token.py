"""Token endpoint (idporten.md §6, §7.1, §7.3, §10.3): client authentication, codes, PKCE, refresh tokens."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

from portvakt.domain.identifiers import iso6523
from tests.idporten.conftest import ISSUER, PID, REDIRECT, Idp, Login, Rp, basic

TOKEN = f"{ISSUER}/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def assertion(rp: Rp, now: int, *, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    jwk = rp.created.private_jwk
    assert jwk is not None
    key = RSAAlgorithm.from_jwk(json.dumps(dict(jwk)))
    assert isinstance(key, RSAPrivateKey)
    claims: dict[str, Any] = {
        "iss": rp.client_id,
        "sub": rp.client_id,
        "aud": ISSUER,
        "iat": now,
        "exp": now + 60,
        "jti": f"jti-{time.monotonic_ns()}",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(
        claims, key, algorithm="RS256", headers=headers if headers is not None else {"kid": jwk["kid"]}
    )


def code_form(login: Login) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": login.code,
        "redirect_uri": REDIRECT,
        "code_verifier": login.verifier,
    }


async def test_client_secret_post_and_claims_of_the_access_token(idp: Idp) -> None:
    rp = await idp.client(token_endpoint_auth_method="client_secret_post")
    login = await idp.login(rp)
    response = await idp.token(
        rp, {**code_form(login), "client_id": rp.client_id, "client_secret": rp.secret or ""}, headers={}
    )
    assert response.status_code == 200, response.text
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    access = claims_of(body["access_token"])
    assert set(access) == {
        "iss",
        "sub",
        "client_id",
        "client_amr",
        "consumer",
        "scope",
        "pid",
        "acr",
        "iat",
        "exp",
        "jti",
    }
    assert access["client_amr"] == "client_secret_post"
    assert access["consumer"] == iso6523("889640782")
    assert access["pid"] == PID
    assert access["exp"] - access["iat"] == 120
    assert jwt.get_unverified_header(body["access_token"])["kid"]
    assert "at_hash" not in claims_of(body["id_token"])
    assert "sid" not in claims_of(body["id_token"])


async def test_public_client_gets_no_refresh_token(idp: Idp) -> None:
    rp = await idp.client(application_type="browser", token_endpoint_auth_method="none")
    login = await idp.login(rp)
    response = await idp.token(rp, {**code_form(login), "client_id": rp.client_id}, headers={})
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()
    assert claims_of(response.json()["access_token"])["client_amr"] == "none"


async def test_private_key_jwt_with_kid_and_replay_protection(idp: Idp) -> None:
    rp = await idp.client(
        token_endpoint_auth_method="private_key_jwt",
        generate_key=True,
        frontchannel_logout_uri="https://rp.example.com/fc",
        frontchannel_logout_session_required=True,
    )
    login = await idp.login(rp)
    signed = assertion(rp, idp.clock.timestamp(), aud=TOKEN)
    form = {
        **code_form(login),
        "client_id": rp.client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
    }
    response = await idp.token(rp, form, headers={})
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["access_token"])["client_amr"] == "private_key_jwt"
    assert len(claims_of(response.json()["id_token"])["sid"]) == 22
    replay = await idp.token(rp, {**form, "code": "x"}, headers={})
    assert replay.status_code == 401
    assert (
        replay.json()["error_description"]
        == "Client authentication failed: invalid client assertion (jti already used)"
    )


async def test_client_assertion_failures(idp: Idp) -> None:
    rp = await idp.client(token_endpoint_auth_method="private_key_jwt", generate_key=True)
    other = await idp.client(token_endpoint_auth_method="private_key_jwt", generate_key=True)
    now = idp.clock.timestamp()
    foreign_kid = other.created.private_jwk["kid"] if other.created.private_jwk else ""
    cases: list[tuple[dict[str, str], str]] = [
        ({"client_assertion": "not.a.jwt"}, "malformed"),
        ({"client_assertion_type": "urn:other"}, "unsupported client_assertion_type"),
        ({"client_assertion": assertion(rp, now, sub="someone")}, "iss and sub must equal client_id"),
        ({"client_assertion": assertion(rp, now, aud="https://elsewhere.example.com")}, "invalid aud"),
        ({"client_assertion": assertion(rp, now, headers={"kid": "unknown"})}, "unknown kid"),
        ({"client_assertion": assertion(rp, now, headers={})}, "unknown kid"),
        (
            {"client_assertion": assertion(rp, now, headers={"x5c": ["bm90IGEgY2VydA=="]})},
            "invalid certificate",
        ),
        (
            {
                "client_assertion": assertion(
                    other,
                    now,
                    iss=rp.client_id,
                    sub=rp.client_id,
                    headers={"kid": rp.created.private_jwk["kid"] if rp.created.private_jwk else ""},
                )
            },
            "invalid signature",
        ),
        ({"client_assertion": assertion(rp, now - 200, exp=now - 20)}, "expired"),
        ({"client_assertion": assertion(rp, now, exp=now + 121)}, "lifetime exceeds 120 seconds"),
        ({"client_assertion": assertion(rp, now + 30, exp=now + 60)}, "issued in the future"),
        ({"client_assertion": assertion(rp, now, jti=None)}, "missing jti"),
    ]
    assert foreign_kid
    for overrides, reason in cases:
        form = {
            "grant_type": "authorization_code",
            "code": "c",
            "redirect_uri": REDIRECT,
            "client_id": rp.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(rp, now),
            **overrides,
        }
        response = await idp.token(rp, form, headers={})
        assert response.status_code == 401, reason
        assert response.json() == {
            "error": "invalid_client",
            "error_description": f"Client authentication failed: invalid client assertion ({reason})",
        }, reason
        assert "www-authenticate" not in response.headers
    mismatch = await idp.token(
        rp,
        {
            "grant_type": "authorization_code",
            "code": "c",
            "redirect_uri": REDIRECT,
            "client_id": rp.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(other, now),
        },
        headers={},
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["error_description"] == "client_id does not match the authenticated client"
    # A registered key past its expiry.
    idp.clock.advance(366 * 86400)
    idp.forget_cache()
    late = idp.clock.timestamp()
    response = await idp.token(
        rp,
        {
            "grant_type": "authorization_code",
            "code": "c",
            "redirect_uri": REDIRECT,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(rp, late),
        },
        headers={},
    )
    assert (
        response.json()["error_description"]
        == "Client authentication failed: invalid client assertion (expired key)"
    )


async def test_client_authentication_failures(idp: Idp) -> None:
    rp = await idp.client()
    post = await idp.client(token_endpoint_auth_method="client_secret_post")
    base = {"grant_type": "authorization_code", "code": "c", "redirect_uri": REDIRECT}
    cases: list[tuple[dict[str, str], dict[str, str], int, str, str]] = [
        (base, basic("unknown", "x"), 401, "invalid_client", "Client authentication failed: unknown client"),
        (
            base,
            basic(rp.client_id, "wrong"),
            401,
            "invalid_client",
            "Client authentication failed: invalid client secret",
        ),
        (
            {**base, "client_id": post.client_id, "client_secret": "wrong"},
            {},
            401,
            "invalid_client",
            "Client authentication failed: invalid client secret",
        ),
        (
            {**base, "client_id": rp.client_id, "client_secret": rp.secret or ""},
            {},
            401,
            "invalid_client",
            "Client authentication failed: method client_secret_post is not registered for this client",
        ),
        (
            {**base, "client_id": rp.client_id},
            {},
            401,
            "invalid_client",
            "Client authentication failed: method none is not registered for this client",
        ),
        (
            {**base, "client_secret": "x", "client_id": rp.client_id},
            rp.auth(),
            400,
            "invalid_request",
            "Multiple client authentication methods used",
        ),
        (
            {**base, "client_id": post.client_id},
            rp.auth(),
            400,
            "invalid_request",
            "client_id does not match the authenticated client",
        ),
    ]
    for form, headers, status, error, description in cases:
        response = await idp.token(rp, form, headers=headers)
        assert response.status_code == status, description
        assert response.json() == {"error": error, "error_description": description}
    response = await idp.token(rp, base, headers=basic(rp.client_id, "wrong"))
    assert response.headers["www-authenticate"] == 'Basic realm="idporten"'
    idp.clock.advance(361 * 86400)
    idp.forget_cache()
    expired = await idp.token(rp, base)
    assert expired.json()["error_description"] == "Client authentication failed: client secret has expired"


async def test_form_and_grant_type_errors(idp: Idp) -> None:
    rp = await idp.client(grant_types=("authorization_code",))
    json_body = await idp.http.post("/idporten/token", json={"grant_type": "x"}, headers=rp.auth())
    assert json_body.status_code == 400
    assert json_body.json()["error_description"] == "Content-Type must be application/x-www-form-urlencoded"
    duplicate = await idp.http.post(
        "/idporten/token",
        content="grant_type=a&grant_type=b",
        headers={**rp.auth(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert duplicate.json() == {
        "error": "invalid_request",
        "error_description": "Duplicate parameter: grant_type",
    }
    cases = [
        ({"code": "c"}, 400, "invalid_request", "Missing required parameter: grant_type"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", "Unsupported grant_type: password"),
        (
            {"grant_type": "authorization_code", "redirect_uri": REDIRECT},
            400,
            "invalid_request",
            "Missing required parameter: code",
        ),
        (
            {"grant_type": "refresh_token", "refresh_token": "r"},
            400,
            "unauthorized_client",
            "Client is not allowed to use grant_type refresh_token",
        ),
    ]
    for form, status, error, description in cases:
        response = await idp.token(rp, form)
        assert (response.status_code, response.json()) == (
            status,
            {"error": error, "error_description": description},
        )


async def test_code_errors(idp: Idp) -> None:
    rp = await idp.client()
    other = await idp.client()
    login = await idp.login(rp)
    checks: list[tuple[Rp, dict[str, str], str]] = [
        (rp, {**code_form(login), "code": "unknown"}, "Invalid authorization code"),
        (other, code_form(login), "Authorization code was issued to another client"),
        (
            rp,
            {**code_form(login), "redirect_uri": REDIRECT + "x"},
            "redirect_uri does not match the authorization request",
        ),
        (rp, {k: v for k, v in code_form(login).items() if k != "code_verifier"}, "Missing code_verifier"),
        (rp, {**code_form(login), "code_verifier": "a" * 43}, "PKCE verification failed"),
        (rp, {**code_form(login), "code_verifier": "short"}, "PKCE verification failed"),
    ]
    for client, form, description in checks:
        response = await idp.token(client, form)
        assert (response.status_code, response.json()) == (
            400,
            {"error": "invalid_grant", "error_description": description},
        )
    idp.clock.advance(61)
    late = await idp.token(rp, code_form(login))
    assert late.json()["error_description"] == "Authorization code has expired"

    opted_out = await idp.client(code_challenge_method="none")
    login = await idp.login(opted_out, code_challenge=None, code_challenge_method=None)
    response = await idp.token(opted_out, {**code_form(login), "code_verifier": "a" * 43})
    assert response.json()["error_description"] == "PKCE verification failed"


async def test_reused_code_revokes_what_it_issued(idp: Idp) -> None:
    rp = await idp.client()
    login = await idp.login(rp)
    first = (await idp.code_tokens(rp, login)).json()
    again = await idp.code_tokens(rp, login)
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid authorization code"}
    userinfo = await idp.http.get(
        "/idporten/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert userinfo.status_code == 401
    refresh = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refresh.json()["error_description"] == "Grant has been revoked"


async def test_refresh_onetime_rotation_and_reuse_detection(idp: Idp) -> None:
    rp = await idp.client()
    login = await idp.login(rp)
    first = (await idp.code_tokens(rp, login)).json()
    id_claims = claims_of(first["id_token"])
    idp.clock.advance(100)
    refreshed = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    assert body["refresh_token"] != first["refresh_token"]
    new_id = claims_of(body["id_token"])
    assert "nonce" not in new_id
    assert (new_id["auth_time"], new_id["acr"], new_id["amr"], new_id["sub"]) == (
        id_claims["auth_time"],
        id_claims["acr"],
        id_claims["amr"],
        id_claims["sub"],
    )
    reuse = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert reuse.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    revoked = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
    assert revoked.json()["error_description"] == "Grant has been revoked"
    unknown = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": "nope"})
    assert unknown.json()["error_description"] == "Invalid refresh token"


async def test_refresh_reuse_mode_scope_and_windows(idp: Idp) -> None:
    rp = await idp.client(refresh_token_usage="REUSE", refresh_token_lifetime=300, authorization_lifetime=900)
    login = await idp.login(rp)
    first = (await idp.code_tokens(rp, login)).json()
    token = first["refresh_token"]
    narrowed = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": token, "scope": "openid"})
    assert narrowed.json()["refresh_token"] == token
    assert narrowed.json()["scope"] == "openid"
    wider = await idp.token(
        rp, {"grant_type": "refresh_token", "refresh_token": token, "scope": "openid other"}
    )
    assert wider.json() == {
        "error": "invalid_scope",
        "error_description": "Requested scope exceeds the scope originally granted",
    }
    other = await idp.client()
    stolen = await idp.token(other, {"grant_type": "refresh_token", "refresh_token": token})
    assert stolen.json()["error_description"] == "Invalid refresh token"
    for _ in range(3):  # each refresh restarts the 300 s window ...
        idp.clock.advance(250)
        assert (
            await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": token})
        ).status_code == 200
    idp.clock.advance(200)  # ... but not past the 900 s authorization
    expired = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": token})
    assert expired.json()["error_description"] == "Refresh token has expired"

    login = await idp.login(rp)
    token = (await idp.code_tokens(rp, login)).json()["refresh_token"]
    idp.clock.advance(301)
    idle = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": token})
    assert idle.json()["error_description"] == "Refresh token has expired"


async def test_lifetimes_opaque_tokens_audience_and_pseudonymous_scopes(idp: Idp) -> None:
    short = await idp.scope("short", accessible_for_all=True, at_max_age=60)
    opaque = await idp.scope("opaque", accessible_for_all=True, token_type="OPAQUE")
    pseudo = await idp.scope("pseudo", accessible_for_all=True, requires_pseudonymous_tokens=True)
    rp = await idp.client(
        integration_type="api_klient", scopes=("openid", short, opaque, pseudo), access_token_lifetime=100
    )
    login = await idp.login(rp, scope=f"openid {short}")
    body = (await idp.code_tokens(rp, login)).json()
    assert body["expires_in"] == 60
    assert claims_of(body["access_token"])["exp"] - claims_of(body["access_token"])["iat"] == 60

    verifier_login = await idp.login(rp, scope=f"openid {opaque}")
    body = (await idp.code_tokens(rp, verifier_login)).json()
    assert body["expires_in"] == 100
    assert len(body["access_token"]) == 43
    assert "." not in body["access_token"]

    params, verifier = idp.authorize_params(rp, scope=f"openid {pseudo}")
    idp.http.cookies.clear()
    page = await idp.testid_page(
        await idp.authorize(
            [
                *params.items(),
                ("resource", "https://api.example.no/a"),
                ("resource", "https://api.example.no/b"),
            ]
        )
    )
    done = await idp.follow(await idp.submit_testid(page))
    code = done.headers["location"].split("code=")[1].split("&")[0]
    body = (
        await idp.token(
            rp,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
    ).json()
    access = claims_of(body["access_token"])
    assert access["aud"] == ["https://api.example.no/a", "https://api.example.no/b"]
    assert "pid" not in access
    assert "pid" not in claims_of(body["id_token"])


async def test_replay_store_failure_is_a_server_error(idp: Idp, monkeypatch: pytest.MonkeyPatch) -> None:
    from portvakt.oauth.replay import ReplayStoreUnavailable

    rp = await idp.client(token_endpoint_auth_method="private_key_jwt", generate_key=True)

    async def unavailable(_key: str, _expires_at: int) -> bool:
        raise ReplayStoreUnavailable("redis: ConnectionError")

    monkeypatch.setattr(idp.service.clients.replay, "first_use", unavailable)
    form = {
        "grant_type": "authorization_code",
        "code": "c",
        "redirect_uri": REDIRECT,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(rp, idp.clock.timestamp()),
    }
    response = await idp.token(rp, form, headers={})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "server_error"
    assert re.fullmatch(r"Internal server error \(trace_id: [0-9a-f]{32}\)", body["error_description"])
