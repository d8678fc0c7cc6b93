"""The complete code flow through the TestID page, driven with httpx (no browser)."""

from __future__ import annotations

import re

import jwt
import pytest

from portvakt.idporten.protocol import pairwise_subject
from tests.idporten.conftest import ISSUER, PID, REDIRECT, Idp, hidden_fields, query_of


async def test_code_flow_issues_id_token_access_token_and_userinfo(idp: Idp) -> None:
    rp = await idp.client()
    login = await idp.login(rp)
    assert login.response.status_code == 302
    assert login.location.startswith(REDIRECT + "?")
    assert login.params["state"] == login.state
    assert login.params["iss"] == ISSUER

    response = await idp.code_tokens(rp, login)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 120
    assert body["scope"] == "openid profile"
    assert "refresh_token" in body

    id_token = jwt.decode(body["id_token"], options={"verify_signature": False})
    secret = await idp.service.store.pairwise_secret()
    assert id_token["sub"] == pairwise_subject(secret, rp.client_id, PID)
    assert id_token["aud"] == rp.client_id
    assert id_token["iss"] == ISSUER
    assert id_token["nonce"] == login.nonce
    assert id_token["pid"] == PID
    assert id_token["acr"] == "idporten-loa-substantial"
    assert id_token["amr"] == ["TestID"]
    assert id_token["locale"] == "nb"
    assert id_token["exp"] - id_token["iat"] == 120

    userinfo = await idp.http.get(
        "/idporten/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.status_code == 200
    assert userinfo.json() == {"sub": id_token["sub"], "pid": PID, "locale": "nb"}


async def test_form_post_response_mode_delivers_the_code_in_a_self_submitting_form(idp: Idp) -> None:
    rp = await idp.client()
    login = await idp.login(rp, response_mode="form_post")
    page = login.response
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    fields = hidden_fields(page.text)
    assert set(fields) == {"code", "state", "iss"}
    assert fields["iss"] == ISSUER
    assert ">Fortsett<" in page.text  # the no-script way on
    assert f'<script src="{ISSUER}/static/form_post.js"></script>' in page.text
    script = await idp.http.get("/idporten/static/form_post.js")
    assert script.status_code == 200
    assert "submit()" in script.text
    response = await idp.token(
        rp,
        {
            "grant_type": "authorization_code",
            "code": fields["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": login.verifier,
        },
    )
    assert response.status_code == 200


async def test_internal_failure_after_login_is_a_server_error_redirect(
    idp: Idp, monkeypatch: pytest.MonkeyPatch
) -> None:
    rp = await idp.client()

    async def broken(*_args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(idp.service.store, "save_code", broken)
    login = await idp.login(rp, state="st")
    params = query_of(login.location)
    assert params["error"] == "server_error"
    assert re.fullmatch(r"Internal server error \(trace_id: [0-9a-f]{32}\)", params["error_description"])
    assert params["state"] == "st"
    assert params["iss"] == ISSUER


async def test_purge_removes_what_can_no_longer_be_used(idp: Idp) -> None:
    from sqlalchemy import func, select

    from portvakt.storage.tables.idporten import (
        idporten_codes,
        idporten_grants,
        idporten_transactions,
        sso_sessions,
    )

    rp = await idp.client()
    login = await idp.login(rp)
    await idp.code_tokens(rp, login)
    params, _ = idp.authorize_params(rp, prompt="login")
    await idp.authorize(params)  # an unfinished transaction
    store = idp.service.store
    assert await store.purge(idp.clock.timestamp(), 1800, 7200, 7210) == 0
    idp.clock.advance(7200 + 7211)
    assert await store.purge(idp.clock.timestamp(), 1800, 7200, 7210) > 0
    async with idp.app.platform.database.engine.connect() as connection:
        for table in (idporten_codes, idporten_grants, idporten_transactions, sso_sessions):
            assert await connection.scalar(select(func.count()).select_from(table)) == 0, table.name
