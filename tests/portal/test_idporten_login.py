"""§8.1 "Logg inn med ID-porten": the code flow with PKCE, state and nonce through the platform's own
ID-porten (TestID), `private_key_jwt` as the built-in `selvbetjening-portal` client; the pid must be bound."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from portvakt.portal import texts
from portvakt.portal.idporten_login import CLIENT_ID, TRANSPORT_COMPONENT
from portvakt.registry.jwk import generate_rsa_key
from tests.portal.conftest import PortalWorld, S, text_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

PID = "01819012365"


def _form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html) or re.search(
        r'<form[^>]*action="([^"]+)"[^>]*method="post"', html
    )
    assert action is not None, html
    fields = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return unescape(action.group(1)), {k: unescape(v) for k, v in fields.items()}


async def _through_testid(world: PortalWorld, pid: str) -> httpx.Response:
    """From the portal's login through TestID as `pid`; returns the callback's answer."""
    world.app.platform.components[TRANSPORT_COMPONENT] = httpx.ASGITransport(app=world.app)
    response = await world.get("/idporten/login")
    assert response.status_code == 303
    authorize = urlsplit(response.headers["location"])
    query = parse_qs(authorize.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert query["acr_values"] == ["idporten-loa-substantial"]
    assert query["redirect_uri"] == [f"http://localhost:8080{S}/idporten/callback"]
    for _ in range(10):
        location = response.headers.get("location")
        if response.status_code not in (302, 303) or location is None:
            break
        if location.startswith(f"http://localhost:8080{S}/idporten/callback"):
            return await world.http.get(location)
        response = await world.http.get(location)
        if response.status_code == 200 and 'name="pid"' in response.text:
            action, fields = _form(response.text)
            fields.update({"pid": pid, "acr": "idporten-loa-substantial"})
            target = action if action.startswith("http") else f"http://localhost:8080{action}"
            response = await world.http.post(target, data=fields)
    raise AssertionError(f"did not reach the callback: {response.status_code} {response.text[:500]}")


async def test_idporten_login_binds_the_session_to_the_pid(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    await world.post("/logg-ut", form_page="/virksomhet")
    await world.admin.set_user_pid("kari@tilbyder.no", PID)
    callback = await _through_testid(world, PID)
    assert callback.status_code == 303, callback.text
    assert callback.headers["location"] == f"{S}/virksomhet"
    profile = text_of((await world.get("/min-profil")).text)
    assert "Innlogget med ID-porten." in profile
    client = await world.admin.get_client(CLIENT_ID)
    assert (client.token_endpoint_auth_method, client.scopes) == ("private_key_jwt", ("openid",))


async def test_unbound_pid_gets_the_clear_message(world: PortalWorld) -> None:
    callback = await _through_testid(world, PID)
    assert callback.status_code == 403
    assert texts.PID_NOT_BOUND in text_of(callback.text)
    assert (await world.get("/virksomhet")).status_code == 303


async def test_callback_without_a_pending_login_is_refused(world: PortalWorld) -> None:
    for query in ("", "?state=ukjent&code=x", "?state=ukjent&error=access_denied"):
        response = await world.get(f"/idporten/callback{query}")
        assert response.status_code == 400
        assert texts.IDPORTEN_FAILED in text_of(response.text)


async def test_cancelled_login(world: PortalWorld) -> None:
    error = "access_denied"
    response = await world.get("/idporten/login")
    state = parse_qs(urlsplit(response.headers["location"]).query)["state"][0]
    cancelled = await world.get(f"/idporten/callback?state={state}&error={error}")
    assert cancelled.status_code == 400
    assert texts.IDPORTEN_FAILED in text_of(cancelled.text)
    replay = await world.get(f"/idporten/callback?state={state}&code=abc")
    assert replay.status_code == 400  # a state is single use


def _token_endpoint(id_token: str | None, status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/idporten/token"
        form = parse_qs(request.content.decode())
        assert form["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
        assert form["client_id"] == [CLIENT_ID]
        body = {"id_token": id_token} if id_token is not None else {"access_token": "x"}
        return httpx.Response(status, json=body)

    return httpx.MockTransport(answer)


CASES: dict[str, dict[str, object]] = {
    "iss": {"iss": "http://localhost:8080/annen"},
    "aud": {"aud": "en-annen-klient"},
    "nonce": {"nonce": "feil"},
    "expired": {"exp": -3600},
    "issued-in-the-future": {"iat": 3600},
    "no-pid": {"pid": None},
    "foreign-key": {"sign": "foreign"},
    "token-endpoint-error": {"status": 400},
    "no-id-token": {"id_token": None},
    "garbage": {"id_token": "ikke.et.jwt"},
}


async def _callback_with(world: PortalWorld, change: dict[str, object]) -> httpx.Response:
    """Start a login, answer the code exchange with an id_token built as `change` says."""
    login = await world.get("/idporten/login")
    query = parse_qs(urlsplit(login.headers["location"]).query)
    now = world.clock.timestamp()
    claims: dict[str, object] = {
        "iss": world.app.platform.settings.idporten_issuer,
        "aud": CLIENT_ID,
        "nonce": query["nonce"][0],
        "iat": now + int(change.get("iat", 0)),  # type: ignore[call-overload]
        "exp": now + 120 + int(change.get("exp", 0)),  # type: ignore[call-overload]
        "pid": PID,
    }
    for name in ("iss", "aud", "nonce", "pid"):
        if name in change:
            claims[name] = change[name]
    claims = {k: v for k, v in claims.items() if v is not None}
    if change.get("sign") == "foreign":
        key = generate_rsa_key()
        token = jose_jwt.encode(
            {"alg": "RS256", "kid": key.kid}, claims, RSAKey.import_key(dict(key.private_jwk))
        )
    else:
        token = world.app.platform.components["idporten.signer"].sign(claims)
    id_token = change.get("id_token", token)
    status = int(change.get("status", 200))  # type: ignore[call-overload]
    transport = _token_endpoint(id_token if isinstance(id_token, str) else None, status)
    world.app.platform.components[TRANSPORT_COMPONENT] = transport
    return await world.get(f"/idporten/callback?state={query['state'][0]}&code=abc")


async def test_id_token_is_verified(world: PortalWorld) -> None:
    await world.user("kari@tilbyder.no")
    await world.admin.set_user_pid("kari@tilbyder.no", PID)
    await world.post("/logg-ut", form_page="/virksomhet")
    for name, change in CASES.items():
        callback = await _callback_with(world, change)
        assert callback.status_code == 400, name
        assert texts.IDPORTEN_FAILED in text_of(callback.text), name
        assert (await world.get("/virksomhet")).status_code == 303, name
    control = await _callback_with(world, {})  # the same construction, unchanged, logs in
    assert control.status_code == 303
    assert (await world.get("/virksomhet")).status_code == 200


async def test_portal_client_bootstrap_is_idempotent_and_sealed(world: PortalWorld) -> None:
    import base64
    import secrets as stdlib_secrets

    from sqlalchemy import select

    from portvakt.portal.idporten_login import ensure_client
    from portvakt.storage.tables.portal import portal_client_keys

    platform = world.app.platform
    first = await ensure_client(platform.settings, platform.database, world.clock)
    second = await ensure_client(platform.settings, platform.database, world.clock)
    assert first is not None
    assert second == first
    client = await world.admin.get_client(CLIENT_ID)
    assert client.redirect_uris == (f"http://localhost:8080{S}/idporten/callback",)
    assert client.client_orgno == platform.settings.platform_orgno
    [key] = await world.admin.client_keys(CLIENT_ID)
    assert key.kid == first["kid"]
    assert "d" not in key.jwk  # only the public half is registered
    async with platform.database.engine.connect() as connection:
        rows = (await connection.execute(select(portal_client_keys))).all()
    assert len(rows) == 1
    assert rows[0].sealed_private_jwk.startswith("plain.")  # test without PORTVAKT_KEY_ENCRYPTION_KEY

    kek = base64.urlsafe_b64encode(stdlib_secrets.token_bytes(32)).rstrip(b"=").decode()
    sealed_settings = platform.settings.model_copy(update={"key_encryption_key": kek})
    async with platform.database.engine.begin() as connection:
        await connection.execute(portal_client_keys.delete())
    sealed = await ensure_client(sealed_settings, platform.database, world.clock)
    assert sealed is not None
    assert sealed["kid"] != first["kid"]
    async with platform.database.engine.connect() as connection:
        [row] = (await connection.execute(select(portal_client_keys))).all()
    assert row.sealed_private_jwk.startswith("v1.")
    [registered] = await world.admin.client_keys(CLIENT_ID)
    assert registered.kid == sealed["kid"]  # the new key replaced the old one on the client
