"""Discovery and JWKS (§2), introspection (§7.2), userinfo (§8.1), revocation (§8.2), the resource-server
library against ID-porten tokens (maskinporten.md §14), and the prod start-up refusal of TestID."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from portvakt.app import create_app
from portvakt.domain.clock import FixedClock
from portvakt.idporten.app import INTROSPECTION_COMPONENT, SIGNER_COMPONENT
from portvakt.registry.model import ClientSettings
from portvakt.resource_server import (
    AsyncTokenValidator,
    ClientCredentials,
    InsufficientScope,
    InvalidToken,
    Issuer,
)
from portvakt.settings import Settings, SettingsError
from tests.idporten.conftest import ISSUER, PID, RP_ORG, Idp, Rp, basic

INTROSPECT = "/idporten/token/introspect"


async def test_discovery_document_and_jwks(idp: Idp) -> None:
    response = await idp.http.get("/idporten/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["pushed_authorization_request_endpoint"] == f"{ISSUER}/par"
    assert document["end_session_endpoint"] == f"{ISSUER}/logout"
    assert document["jwks_uri"] == f"{ISSUER}/jwks.json"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["subject_types_supported"] == ["pairwise"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["backchannel_logout_supported"] is False
    assert document["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    jwks = await idp.http.get("/idporten/jwks.json")
    keys = jwks.json()["keys"]
    assert keys
    assert all(set(key) == {"kty", "kid", "use", "alg", "n", "e"} for key in keys)
    preflight = await idp.http.options("/idporten/token")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-headers"] == "Authorization, Content-Type"


async def introspector_client(idp: Idp, with_scope: bool = True) -> Rp:
    scopes = ("idporten:token.introspection",) if with_scope else ()
    return await idp.client(
        integration_type="api_klient",
        scopes=("openid", *scopes),
        redirect_uris=("https://api.example.com/cb",),
        post_logout_redirect_uris=(),
    )


async def tokens_for(idp: Idp, rp: Rp, scope: str = "openid profile") -> dict[str, Any]:
    login = await idp.login(rp, scope=scope)
    response = await idp.code_tokens(rp, login)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_introspection_of_jwt_opaque_refresh_and_revoked_tokens(idp: Idp) -> None:
    opaque = await idp.scope(
        "opaque", accessible_for_all=True, token_type="OPAQUE", requires_pseudonymous_tokens=True
    )
    rp = await idp.client(integration_type="api_klient", scopes=("openid", "profile", opaque))
    caller = await introspector_client(idp)
    jwt_tokens = await tokens_for(idp, rp)
    answer = await idp.http.post(
        INTROSPECT, data={"token": jwt_tokens["access_token"]}, headers=caller.auth()
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["client_id"] == rp.client_id
    assert body["pid"] == PID
    assert body["iss"] == ISSUER

    opaque_tokens = await tokens_for(idp, rp, scope=f"openid {opaque}")
    body = (
        await idp.http.post(INTROSPECT, data={"token": opaque_tokens["access_token"]}, headers=caller.auth())
    ).json()
    assert body["active"] is True
    assert body["scope"] == f"openid {opaque}"
    assert body["pid"] == PID  # included even for pseudonymous tokens

    for token in (opaque_tokens["refresh_token"], "unknown", opaque_tokens["id_token"]):
        inactive = await idp.http.post(INTROSPECT, data={"token": token}, headers=caller.auth())
        assert inactive.json() == {"active": False}
    idp.clock.advance(121)
    expired = await idp.http.post(
        INTROSPECT, data={"token": jwt_tokens["access_token"]}, headers=caller.auth()
    )
    assert expired.json() == {"active": False}


async def test_introspection_caller_rules(idp: Idp) -> None:
    enforced = await idp.scope("enforced", accessible_for_all=True, token_type="OPAQUE")
    rp = await idp.client(integration_type="api_klient", scopes=("openid", enforced))
    caller = await introspector_client(idp)
    outsider = await introspector_client(idp, with_scope=False)
    public = await idp.client(
        application_type="browser", token_endpoint_auth_method="none", scopes=("openid",)
    )
    tokens = await tokens_for(idp, rp, scope=f"openid {enforced}")
    form = {"token": tokens["access_token"]}

    missing = await idp.http.post(INTROSPECT, data=form, headers=outsider.auth())
    assert (missing.status_code, missing.json()) == (
        403,
        {
            "error": "insufficient_scope",
            "error_description": "Client is missing scope idporten:token.introspection",
        },
    )
    bad = await idp.http.post(INTROSPECT, data=form, headers=basic(caller.client_id, "wrong"))
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    none = await idp.http.post(INTROSPECT, data={**form, "client_id": public.client_id})
    assert none.status_code == 401
    no_token = await idp.http.post(
        INTROSPECT, data={"token_type_hint": "access_token"}, headers=caller.auth()
    )
    assert no_token.json() == {
        "error": "invalid_request",
        "error_description": "Missing required parameter: token",
    }

    # A Maskinporten client may introspect too; enforced_aud_for_introspection limits who sees the token.
    machine = await idp.registry.create_client(
        ClientSettings(
            client_name="api",
            integration_type="maskinporten",
            description="API-tilbyder",
            scopes=("idporten:token.introspection",),
        ),
        orgno=RP_ORG,
        generate_key=True,
    )
    current = await idp.registry.get_scope(enforced)
    await idp.registry.update_scope(
        enforced, replace(current.settings, enforced_aud_for_introspection=(caller.client_id,))
    )
    idp.forget_cache()
    assert (await idp.http.post(INTROSPECT, data=form, headers=caller.auth())).json()["active"] is True
    await idp.registry.update_scope(
        enforced, replace(current.settings, enforced_aud_for_introspection=(machine.client.client_id,))
    )
    idp.forget_cache()
    assert (await idp.http.post(INTROSPECT, data=form, headers=caller.auth())).json() == {"active": False}


async def test_userinfo_errors_and_profile(idp: Idp) -> None:
    rp = await idp.client()
    tokens = await tokens_for(idp, rp, scope="openid")
    ok = await idp.http.post(
        "/idporten/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert ok.status_code == 200
    assert set(ok.json()) == {"sub", "pid"}
    none = await idp.http.get("/idporten/userinfo")
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == "Bearer"
    bad = await idp.http.get("/idporten/userinfo", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert bad.json()["error"] == "invalid_token"

    # A token without openid (an api_klient refresh narrowed to an API scope).
    api_scope = await idp.scope("data", accessible_for_all=True)
    api = await idp.client(integration_type="api_klient", scopes=("openid", api_scope))
    tokens = await tokens_for(idp, api, scope=f"openid {api_scope}")
    narrowed = await idp.token(
        api, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": api_scope}
    )
    assert "id_token" not in narrowed.json()
    forbidden = await idp.http.get(
        "/idporten/userinfo", headers={"Authorization": f"Bearer {narrowed.json()['access_token']}"}
    )
    assert forbidden.status_code == 403
    assert forbidden.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'


async def test_revocation_revokes_the_whole_grant(idp: Idp) -> None:
    rp = await idp.client()
    other = await idp.client()
    tokens = await tokens_for(idp, rp)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    foreign = await idp.http.post(
        "/idporten/token/revoke", data={"token": tokens["refresh_token"]}, headers=other.auth()
    )
    assert foreign.status_code == 200
    assert foreign.content == b""
    assert (await idp.http.get("/idporten/userinfo", headers=bearer)).status_code == 200
    missing = await idp.http.post("/idporten/token/revoke", data={"token_type_hint": "x"}, headers=rp.auth())
    assert missing.status_code == 400
    unauthenticated = await idp.http.post(
        "/idporten/token/revoke", data={"token": "x"}, headers=basic(rp.client_id, "no")
    )
    assert unauthenticated.status_code == 401
    revoked = await idp.http.post(
        "/idporten/token/revoke", data={"token": tokens["access_token"]}, headers=rp.auth()
    )
    assert revoked.status_code == 200
    assert (await idp.http.get("/idporten/userinfo", headers=bearer)).status_code == 401
    refresh = await idp.token(rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.json()["error_description"] == "Grant has been revoked"
    # Revoking by refresh token works the same way; an unknown token is a no-op.
    tokens = await tokens_for(idp, rp)
    await idp.http.post("/idporten/token/revoke", data={"token": tokens["refresh_token"]}, headers=rp.auth())
    assert (
        await idp.http.get(
            "/idporten/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    ).status_code == 401
    assert (
        await idp.http.post("/idporten/token/revoke", data={"token": "unknown"}, headers=rp.auth())
    ).status_code == 200


async def test_resource_server_library_validates_jwt_and_introspects_opaque(idp: Idp) -> None:
    opaque = await idp.scope("opaque", accessible_for_all=True, token_type="OPAQUE")
    api_scope = await idp.scope("jwt", accessible_for_all=True)
    rp = await idp.client(integration_type="api_klient", scopes=("openid", opaque, api_scope))
    components = idp.app.platform.components
    clock = idp.clock
    issuer = Issuer(
        ISSUER,
        key_provider=components[SIGNER_COMPONENT].public_jwks,
        introspector=components[INTROSPECTION_COMPONENT],
    )

    class Seconds:
        def timestamp(self) -> int:
            return clock.timestamp()

    async with AsyncTokenValidator(issuer, clock=Seconds()) as validator:
        jwt_tokens = await tokens_for(idp, rp, scope=f"openid {api_scope}")
        validated = await validator.validate(
            jwt_tokens["access_token"], required_scopes=(api_scope,), expected_pid=PID
        )
        assert validated.client_id == rp.client_id
        assert validated.consumer_orgno == RP_ORG
        assert validated.pid == PID
        with pytest.raises(InsufficientScope):
            await validator.validate(jwt_tokens["access_token"], required_scopes=(opaque,))
        opaque_tokens = await tokens_for(idp, rp, scope=f"openid {opaque}")
        validated = await validator.validate(opaque_tokens["access_token"], required_scopes=(opaque,))
        assert validated.pid == PID
        assert validated.client_id == rp.client_id
        await idp.http.post(
            "/idporten/token/revoke", data={"token": opaque_tokens["access_token"]}, headers=rp.auth()
        )
        with pytest.raises(InvalidToken):
            await validator.validate(opaque_tokens["access_token"])


def test_prod_refuses_to_start_with_testid(tmp_path: Path) -> None:
    settings = Settings(
        env="prod",
        public_base="https://portvakt.example.no",
        platform_orgno="974760673",
        key_encryption_key="A" * 43,
        database_url="postgresql://db.example.no/portvakt",
        idporten_authenticators=["testid"],
        data_dir=tmp_path,
        _env_file=None,
    )
    with pytest.raises(SettingsError, match="refuses the TestID authenticator"):
        create_app(settings, clock=FixedClock(), configure_logs=False)


async def test_resource_server_library_introspects_over_http(idp: Idp) -> None:
    opaque = await idp.scope("opaque", accessible_for_all=True, token_type="OPAQUE")
    rp = await idp.client(integration_type="api_klient", scopes=("openid", opaque))
    caller = await introspector_client(idp)
    assert caller.secret is not None
    signer = idp.app.platform.components[SIGNER_COMPONENT]
    issuer = Issuer(
        ISSUER,
        key_provider=signer.public_jwks,
        introspection_endpoint=f"{ISSUER}/token/introspect",
        introspection_client=ClientCredentials(caller.client_id, client_secret=caller.secret),
    )
    clock = idp.clock

    class Seconds:
        def timestamp(self) -> int:
            return clock.timestamp()

    transport = httpx.ASGITransport(app=idp.app)
    async with AsyncTokenValidator(issuer, clock=Seconds(), transport=transport) as validator:
        tokens = await tokens_for(idp, rp, scope=f"openid {opaque}")
        validated = await validator.validate(
            tokens["access_token"], required_scopes=(opaque,), require_pid=True
        )
        assert validated.pid == PID
        assert validated.consumer_orgno == RP_ORG
        with pytest.raises(InvalidToken):
            await validator.validate("x" * 43)
