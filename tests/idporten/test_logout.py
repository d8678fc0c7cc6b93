"""RP-initiated logout with front-channel logout iframes (idporten.md §9)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from portvakt.storage.tables.idporten import sso_sessions
from tests.idporten.conftest import FRONTCHANNEL, ISSUER, POST_LOGOUT, Idp


async def test_logout_ends_the_session_renders_frames_and_revokes_login_grants(idp: Idp) -> None:
    api_scope = await idp.scope("data", accessible_for_all=True)
    rp = await idp.client(frontchannel_logout_uri=FRONTCHANNEL, frontchannel_logout_session_required=True)
    plain = await idp.client(frontchannel_logout_uri=FRONTCHANNEL + "?plain=1")
    api = await idp.client(integration_type="api_klient", scopes=("openid", api_scope))
    login = await idp.login(rp)
    login_tokens = (await idp.code_tokens(rp, login)).json()
    params, verifier = idp.authorize_params(plain)
    second = await idp.authorize(params)
    assert "code=" in second.headers["location"]
    params, verifier = idp.authorize_params(api, scope=f"openid {api_scope}")
    third = await idp.authorize(params)
    code = parse_qs(urlsplit(third.headers["location"]).query)["code"][0]
    api_tokens = (
        await idp.token(
            api,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": params["redirect_uri"],
                "code_verifier": verifier,
            },
        )
    ).json()

    response = await idp.http.get(
        "/idporten/logout",
        params={
            "id_token_hint": login_tokens["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT,
            "state": "s t",
        },
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    policy = response.headers["content-security-policy"]
    assert "frame-src https://rp.example.com" in policy
    assert "script-src 'self'" in policy
    text = response.text
    sid = _sid_of(text)
    assert f'<iframe class="frontchannel" src="{FRONTCHANNEL}?iss=' in text
    assert f"sid={sid}" in text
    assert f'src="{FRONTCHANNEL}?plain=1"' in text
    assert f'content="3;url={POST_LOGOUT}?state=s+t"' in text
    assert "<script src=" in text
    assert "<script>" not in text
    assert (
        'portvakt_idp_sso=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )
    async with idp.app.platform.database.engine.connect() as connection:
        assert (await connection.execute(select(sso_sessions))).first() is None
    login_bearer = {"Authorization": f"Bearer {login_tokens['access_token']}"}
    api_bearer = {"Authorization": f"Bearer {api_tokens['access_token']}"}
    assert (await idp.http.get("/idporten/userinfo", headers=login_bearer)).status_code == 401
    assert (await idp.http.get("/idporten/userinfo", headers=api_bearer)).status_code == 200


def _sid_of(text: str) -> str:
    return text.split("sid=")[1].split('"', maxsplit=1)[0]


async def test_logout_without_session_redirects_or_says_logged_out(idp: Idp) -> None:
    rp = await idp.client()
    other = await idp.client()
    login = await idp.login(rp)
    id_token = (await idp.code_tokens(rp, login)).json()["id_token"]
    idp.http.cookies.clear()
    redirected = await idp.http.get(
        "/idporten/logout",
        params={"client_id": rp.client_id, "post_logout_redirect_uri": POST_LOGOUT, "state": "x"},
    )
    assert redirected.status_code == 302
    assert redirected.headers["location"] == f"{POST_LOGOUT}?state=x"
    cases = [
        {"id_token_hint": id_token, "client_id": other.client_id, "post_logout_redirect_uri": POST_LOGOUT},
        {"client_id": rp.client_id, "post_logout_redirect_uri": "https://evil.example.com/"},
        {"id_token_hint": "garbage", "post_logout_redirect_uri": POST_LOGOUT},
        {},
    ]
    for params in cases:
        page = await idp.http.get("/idporten/logout", params=params)
        assert page.status_code == 200, params
        assert "Du er nå logget ut." in page.text
        assert "refresh" not in page.text
    english = await idp.http.post("/idporten/logout", data={"ui_locales": "en"})
    assert "You are now logged out." in english.text
    # An expired hint is still accepted; a bad state is dropped.
    idp.clock.advance(3600)
    late = await idp.http.get(
        "/idporten/logout",
        params={"id_token_hint": id_token, "post_logout_redirect_uri": POST_LOGOUT, "state": "\u00e6"},
    )
    assert late.headers["location"] == POST_LOGOUT
    assert ISSUER
