"""An independent RP library (Authlib) completes login + token + userinfo + refresh + logout against a real
`portvakt serve` process, logging in on the TestID page (driven with httpx: parse the form, post it)."""

from __future__ import annotations

import asyncio
import html
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

with warnings.catch_warnings():  # Authlib announces its next major version on import
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.oauth2.rfc7523 import PrivateKeyJWT
    from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign

from portvakt.domain.clock import SystemClock
from portvakt.registry.demo import DEMO_ORGNO
from portvakt.registry.model import ClientSettings, CreatedClient
from portvakt.registry.repository import registry_service
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from tests.e2e.serving import serve

pytestmark = pytest.mark.slow

REDIRECT = "https://rp.example.com/callback"
POST_LOGOUT = "https://rp.example.com/logged-out"
PID = "24920156726"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class ShortPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's private_key_jwt with a 60 s assertion (ID-porten allows at most 120 s)."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        return private_key_jwt_sign(
            auth.client_secret,
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            alg="RS256",
            header={"kid": auth.client_secret["kid"]},
            expires_in=60,
        )


def register(
    database_url: str, data_dir: Path, settings: ClientSettings, generate_key: bool
) -> CreatedClient:
    async def create() -> CreatedClient:
        database = Database.connect(database_url)
        try:
            config = Settings(database_url=database_url, data_dir=data_dir, _env_file=None)
            service = registry_service(config, database, SystemClock(), Actor.cli())
            return await service.create_client(settings, orgno=DEMO_ORGNO, generate_key=generate_key)
        finally:
            await database.dispose()

    return asyncio.run(create())


def login_on_testid(browser: httpx.Client, authorization_url: str, pid: str) -> str:
    """Follow the browser redirects through ID-porten's login UI; return the redirect back to the RP."""
    response = browser.get(authorization_url)
    while response.status_code in (302, 303) and "/idporten/login" in response.headers["location"]:
        response = browser.get(response.headers["location"])
    assert response.status_code == 200, response.text
    assert "Fødselsnummer / d-nummer" in response.text
    fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', response.text).group(1))  # type: ignore[union-attr]
    response = browser.post(
        action, data={**fields, "pid": pid, "acr": "idporten-loa-substantial", "action": "login"}
    )
    while response.status_code in (302, 303) and not response.headers["location"].startswith(REDIRECT):
        response = browser.get(response.headers["location"])
    assert response.status_code in (302, 303), response.text
    location: str = response.headers["location"]
    return location


def test_authlib_client_completes_the_code_flow_with_pkce(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'idp.db'}"
    env = {
        "PORTVAKT_DATABASE_URL": database_url,
        "PORTVAKT_DATA_DIR": str(tmp_path / "data"),
        # Not served here (--only); a localhost URL keeps the built-in portal client's redirect URI valid.
        "PORTVAKT_SELVBETJENING_BASE_URL": "http://localhost:8080/selvbetjening",
    }
    with serve(env, tmp_path, args=("--only", "maskinporten,idporten")) as server:
        issuer = f"{server.base}/idporten"
        config = Settings(
            database_url=database_url, data_dir=tmp_path / "data", public_base=server.base, _env_file=None
        )
        created = register(
            database_url,
            tmp_path / "data",
            ClientSettings(
                client_name="Authlib RP",
                integration_type="idporten",
                redirect_uris=(REDIRECT,),
                post_logout_redirect_uris=(POST_LOGOUT,),
                token_endpoint_auth_method="client_secret_basic",
                grant_types=("authorization_code", "refresh_token"),
            ),
            generate_key=False,
        )
        assert config.idporten_issuer == issuer
        metadata = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
        assert metadata["issuer"] == issuer
        jwks = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())

        rp = OAuth2Client(
            created.client.client_id,
            created.client_secret,
            scope="openid profile",
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )
        verifier = "v" * 10 + "-verifier-" + "x" * 40
        url, state = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce="authlib-nonce"
        )
        with httpx.Client() as browser:
            callback = login_on_testid(browser, url, PID)
            returned = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
            assert returned["state"] == state
            assert returned["iss"] == issuer

            token = rp.fetch_token(
                metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
            )
            claims = jwt.decode(token["id_token"], jwks, algorithms=["RS256"]).claims
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": issuer},
                aud={"essential": True, "value": created.client.client_id},
                nonce={"essential": True, "value": "authlib-nonce"},
                exp={"essential": True},
            ).validate(claims)
            assert claims["pid"] == PID
            assert claims["acr"] == "idporten-loa-substantial"

            userinfo = rp.get(metadata["userinfo_endpoint"]).json()
            assert userinfo == {"sub": claims["sub"], "pid": PID, "locale": "nb"}

            refreshed = rp.refresh_token(metadata["token_endpoint"])
            assert refreshed["refresh_token"] != token["refresh_token"]
            assert rp.get(metadata["userinfo_endpoint"]).status_code == 200

            logout = browser.get(
                metadata["end_session_endpoint"],
                params={
                    "id_token_hint": token["id_token"],
                    "post_logout_redirect_uri": POST_LOGOUT,
                    "state": "bye",
                },
            )
            assert logout.status_code == 302
            assert logout.headers["location"] == f"{POST_LOGOUT}?state=bye"
            # The SSO session is gone: prompt=none now needs a login.
            url_none, _ = rp.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=verifier, nonce="n2", prompt="none"
            )
            again = browser.get(url_none)
            assert again.status_code == 302
            assert parse_qs(urlsplit(again.headers["location"]).query)["error"] == ["login_required"]

        # A confidential client with private_key_jwt (the portal's kind of client) through Authlib as well.
        keyed = register(
            database_url,
            tmp_path / "data",
            ClientSettings(
                client_name="Authlib RP med nøkkel",
                integration_type="idporten",
                redirect_uris=(REDIRECT,),
                token_endpoint_auth_method="private_key_jwt",
                scopes=("openid",),
            ),
            generate_key=True,
        )
        assert keyed.private_jwk is not None
        signed = OAuth2Client(
            keyed.client.client_id,
            dict(keyed.private_jwk),
            scope="openid",
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method=ShortPrivateKeyJWT(metadata["token_endpoint"]),
        )
        url, _ = signed.create_authorization_url(
            metadata["authorization_endpoint"],
            code_verifier=verifier,
            nonce="n3",
            acr_values="idporten-loa-substantial",
        )
        with httpx.Client() as browser:
            callback = login_on_testid(browser, url, PID)
            token = signed.fetch_token(
                metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
            )
        assert token["scope"] == "openid"
        assert "refresh_token" not in token  # grant type refresh_token not registered
        rp.close()
        signed.close()
