"""Logging in to the portal with ID-porten (selvbetjening.md §8.1): the OpenID Connect code flow with PKCE,
`state` and `nonce`, authenticated with `private_key_jwt` as the built-in client `selvbetjening-portal`.

The client's private key is generated once and kept sealed in `portal_client_keys` (like the signing keys);
its public half is registered on the client. The id_token is verified with ID-porten's keys: in-process when
co-located (`platform.components["idporten.signer"]`), else from the issuer's `jwks_uri`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from portvakt.domain.clock import Clock
from portvakt.oauth.sealing import seal, unseal
from portvakt.portal import texts
from portvakt.portal.store import PortalStore
from portvakt.portal.web import Portal
from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import ClientSettings
from portvakt.registry.repository import SqlRegistryStore, registry_service
from portvakt.registry.service import Actor
from portvakt.resource_server import jws
from portvakt.resource_server.errors import InvalidToken
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.web.logging import get_logger

CLIENT_ID: Final = "selvbetjening-portal"
ACR: Final = "idporten-loa-substantial"
LOGIN_LIFETIME: Final = timedelta(minutes=10)
CLOCK_SKEW: Final = 10
TRANSPORT_COMPONENT: Final = "portal.idporten_transport"  # an httpx transport (tests: the in-process app)
SIGNER_COMPONENT: Final = "idporten.signer"
CLIENT_ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

log = get_logger("portvakt.portal.idporten")


class LoginFailed(Exception):
    """The ID-porten login cannot be completed; the reason goes to the log only."""


def _aad(kid: str) -> bytes:
    return f"portal-client:{kid}".encode()


def redirect_uri(settings: Settings) -> str:
    return f"{settings.base_url('selvbetjening')}/idporten/callback"


async def ensure_client(
    settings: Settings, database: Database, clock: Clock, *, required: bool = False
) -> dict[str, Any] | None:
    """Make sure the built-in client exists with the portal's key (bootstrap, §7); returns the private JWK.

    Unless `required`, nothing happens before bootstrap has created the platform organisation.
    """
    kek = settings.key_encryption_key_bytes
    platform_orgno = settings.platform_orgno
    if platform_orgno is None:
        return None
    async with SqlRegistryStore(database).transaction() as unit:
        platform_org = await unit.organisations.get(platform_orgno)
    if platform_org is None and not required:
        return None
    store = PortalStore(database)
    stored = await store.client_keys()
    if stored:
        kid, sealed = stored[0]
        private_jwk: dict[str, Any] = json.loads(unseal(sealed, kek, aad=_aad(kid)))
    else:
        generated = generate_rsa_key()
        private_jwk = dict(generated.private_jwk)
        await store.add_client_key(
            generated.kid, seal(json.dumps(private_jwk).encode(), kek, aad=_aad(generated.kid)), clock.now()
        )
    public_jwk = {name: private_jwk[name] for name in ("kty", "kid", "alg", "use", "n", "e")}
    service = registry_service(settings, database, clock, Actor(channel="cli", name="bootstrap", admin=True))
    await service.ensure_builtin_client(
        CLIENT_ID,
        ClientSettings(
            client_name="Samarbeidsportalen",
            integration_type="idporten",
            description="Innlogging i selvbetjeningsportalen",
            application_type="web",
            token_endpoint_auth_method="private_key_jwt",  # noqa: S106
            scopes=("openid",),
            redirect_uris=(redirect_uri(settings),),
        ),
        orgno=platform_orgno,
        jwks=[public_jwk],
    )
    return private_jwk


async def ensure_portal_client(portal: Portal, *, required: bool = False) -> dict[str, Any] | None:
    return await ensure_client(portal.settings, portal.platform.database, portal.clock, required=required)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _http(portal: Portal) -> httpx.AsyncClient:
    transport = portal.platform.components.get(TRANSPORT_COMPONENT)
    return httpx.AsyncClient(transport=transport, timeout=10.0)


async def _idporten_keys(portal: Portal, http: httpx.AsyncClient) -> dict[str, Any]:
    signer = portal.platform.components.get(SIGNER_COMPONENT)
    if signer is not None:
        keys: dict[str, Any] = signer.public_jwks()
        return keys
    issuer = portal.settings.idporten_issuer
    metadata = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
    fetched: dict[str, Any] = (await http.get(metadata["jwks_uri"])).json()
    return fetched


def _client_assertion(portal: Portal, private_jwk: dict[str, Any]) -> str:
    now = portal.clock.timestamp()
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": portal.settings.idporten_issuer,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(24),
    }
    key = RSAKey.import_key(private_jwk)
    return jwt.encode({"alg": "RS256", "kid": private_jwk["kid"]}, claims, key)


async def _verified_pid(
    portal: Portal, code: str, verifier: str, nonce: str, private_jwk: dict[str, Any]
) -> str:
    """Exchange the code, verify the id_token (signature, iss, aud, nonce, exp, iat) and return its `pid`."""
    issuer = portal.settings.idporten_issuer
    async with _http(portal) as http:
        response = await http.post(
            f"{issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri(portal.settings),
                "code_verifier": verifier,
                "client_id": CLIENT_ID,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": _client_assertion(portal, private_jwk),
            },
        )
        if response.status_code != 200:
            raise LoginFailed(f"token endpoint answered {response.status_code}")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise LoginFailed("no id_token")
        keys = jws.rsa_keys(await _idporten_keys(portal, http))
    try:
        parsed = jws.parse(id_token)
        jws.check_header(parsed.header)
        key = keys.get(str(parsed.header.get("kid")))
        if key is None:
            raise LoginFailed("unknown kid")
        jws.verify(parsed, key)
    except InvalidToken as exc:
        raise LoginFailed("id_token signature") from exc
    claims = parsed.claims
    now = portal.clock.timestamp()
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    sent_nonce = claims.get("nonce")
    checks = (
        ("iss", claims.get("iss") == issuer),
        ("aud", CLIENT_ID in audiences),
        ("nonce", isinstance(sent_nonce, str) and hmac.compare_digest(sent_nonce.encode(), nonce.encode())),
        ("exp", isinstance(claims.get("exp"), int) and claims["exp"] >= now - CLOCK_SKEW),
        ("iat", isinstance(claims.get("iat"), int) and claims["iat"] <= now + CLOCK_SKEW),
    )
    for name, ok in checks:
        if not ok:
            raise LoginFailed(f"id_token claim {name}")
    pid = claims.get("pid")
    if not isinstance(pid, str):
        raise LoginFailed("id_token without pid")
    return pid


def build_router(portal: Portal) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def login(request: Request) -> Response:
        visit = await portal.visit(request)
        await ensure_portal_client(portal, required=True)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        await portal.store.add_login_state(
            state, visit.session.session_hash, nonce, verifier, portal.clock.now() + LOGIN_LIFETIME
        )
        query = urlencode(
            {
                "client_id": CLIENT_ID,
                "redirect_uri": redirect_uri(portal.settings),
                "response_type": "code",
                "scope": "openid",
                "state": state,
                "nonce": nonce,
                "code_challenge": _challenge(verifier),
                "code_challenge_method": "S256",
                "acr_values": ACR,
                "ui_locales": "nb",
            }
        )
        response = RedirectResponse(f"{portal.settings.idporten_issuer}/authorize?{query}", status_code=303)
        return portal.finish(response, visit)

    async def callback(request: Request) -> Response:
        visit = await portal.visit(request)
        params = request.query_params
        pending = await portal.store.take_login_state(params.get("state", ""), portal.clock.now())
        if pending is None or not hmac.compare_digest(pending.session_hash, visit.session.session_hash):
            return portal.message(
                visit, "Logg inn med ID-porten", texts.IDPORTEN_FAILED, status_code=400, color="danger"
            )
        if "error" in params or not params.get("code"):
            log.info("idporten_login_refused", error=params.get("error"))
            return portal.message(
                visit, "Logg inn med ID-porten", texts.IDPORTEN_FAILED, status_code=400, color="danger"
            )
        private_jwk = await ensure_portal_client(portal, required=True)
        assert private_jwk is not None
        try:
            pid = await _verified_pid(
                portal, params["code"], pending.code_verifier, pending.nonce, private_jwk
            )
        except (LoginFailed, httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("idporten_login_failed", reason=str(exc))
            return portal.message(
                visit, "Logg inn med ID-porten", texts.IDPORTEN_FAILED, status_code=400, color="danger"
            )
        async with SqlRegistryStore(portal.platform.database).transaction() as unit:
            user = await unit.users.by_pid(pid)
            if user is not None and user.active and user.email_confirmed:
                await unit.users.update(replace(user, last_login=portal.clock.now()))
        if user is None or not user.active or not user.email_confirmed:
            return portal.message(
                visit, "Logg inn med ID-porten", texts.PID_NOT_BOUND, status_code=403, color="danger"
            )
        await portal.store.end_session(visit.session.session_hash)
        session_id, session = await portal.new_session(user_id=user.user_id)
        await portal.store.set_session_user(session.session_hash, user.user_id, idporten_pid=pid)
        return portal.redirect(visit, "/virksomhet", session_id=session_id)

    router.add_api_route("/idporten/login", login, methods=["GET"], include_in_schema=False)
    router.add_api_route("/idporten/callback", callback, methods=["GET"], include_in_schema=False)
    return router
