"""ID-porten test helpers: registry set-up through the service layer and a browser-free login driver."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.idporten.app import SERVICE_COMPONENT
from portvakt.idporten.service import IdportenService
from portvakt.registry.model import ClientSettings, CreatedClient, ScopeSettings
from portvakt.registry.repository import bootstrap_platform, registry_service
from portvakt.registry.service import Actor, RegistryService
from portvakt.settings import Settings

ISSUER = "http://localhost:8080/idporten"
RP_ORG = "889640782"
API_ORG = "974760673"
OTHER_ORG = "984661185"
REDIRECT = "https://rp.example.com/callback"
POST_LOGOUT = "https://rp.example.com/logged-out"
FRONTCHANNEL = "https://rp.example.com/frontchannel"
PID = "01819012365"  # synthetic (Tenor)
PID2 = "15858545606"
ORDINARY_PID = "01019012480"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@dataclass
class Rp:
    """A registered client and what is needed to use it."""

    created: CreatedClient
    secret: str | None = field(default=None, repr=False)

    @property
    def client_id(self) -> str:
        return self.created.client.client_id

    def auth(self) -> dict[str, str]:
        assert self.secret is not None
        return basic(self.client_id, self.secret)


@dataclass
class Login:
    """The result of an authorization request driven through the UI."""

    response: httpx.Response
    verifier: str
    nonce: str
    state: str

    @property
    def location(self) -> str:
        return self.response.headers["location"]

    @property
    def params(self) -> dict[str, str]:
        return query_of(self.location)

    @property
    def code(self) -> str:
        return self.params["code"]


class Idp:
    def __init__(
        self, http: httpx.AsyncClient, app: PortvaktApp, registry: RegistryService, clock: FixedClock
    ) -> None:
        self.http = http
        self.app = app
        self.registry = registry
        self.clock = clock

    @property
    def service(self) -> IdportenService:
        service: IdportenService = self.app.platform.components[SERVICE_COMPONENT]
        return service

    def forget_cache(self) -> None:
        self.service.registry.clear()

    async def client(self, **overrides: Any) -> Rp:
        options: dict[str, Any] = {
            "client_name": "Testtjeneste",
            "integration_type": "idporten",
            "redirect_uris": (REDIRECT,),
            "post_logout_redirect_uris": (POST_LOGOUT,),
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ("authorization_code", "refresh_token"),
        }
        options.update(overrides)
        generate = options.pop("generate_key", False)
        orgno = options.pop("orgno", RP_ORG)
        created = await self.registry.create_client(
            ClientSettings(**options), orgno=orgno, generate_key=generate
        )
        return Rp(created, created.client_secret)

    async def scope(self, subscope: str, **settings: Any) -> str:
        scope_settings = ScopeSettings(
            description=settings.pop("description", f"Tilgang til {subscope}"), **settings
        )
        created = await self.registry.create_scope("testapi", subscope, scope_settings, orgno=API_ORG)
        return created.name

    def authorize_params(self, rp: Rp, **overrides: str | None) -> tuple[dict[str, str], str]:
        verifier, challenge = pkce_pair()
        params: dict[str, str | None] = {
            "client_id": rp.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid profile",
            "state": "state-" + secrets.token_hex(4),
            "nonce": "nonce-" + secrets.token_hex(4),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return {k: v for k, v in params.items() if v is not None}, verifier

    async def authorize(self, params: Mapping[str, str] | Sequence[tuple[str, str]]) -> httpx.Response:
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        return await self.http.get("/idporten/authorize?" + urlencode(pairs))

    async def testid_page(self, response: httpx.Response) -> httpx.Response:
        """Follow /authorize → /login → /login/testid; return the TestID page."""
        while response.status_code in (302, 303) and "/idporten/login" in response.headers["location"]:
            response = await self.http.get(response.headers["location"])
        assert response.status_code == 200, response.text
        return response

    async def submit_testid(
        self,
        page: httpx.Response,
        pid: str = PID,
        acr: str | None = None,
        action: str = "login",
        **extra: str,
    ) -> httpx.Response:
        fields = hidden_fields(page.text)
        form = {"tx": fields["tx"], "csrf": fields["csrf"], "pid": pid, "action": action, **extra}
        if acr is not None:
            form["acr"] = acr
        return await self.http.post("/idporten/login/testid", data=form)

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects inside ID-porten until one leaves it (or a page is shown)."""
        while response.status_code in (302, 303) and response.headers["location"].startswith(ISSUER):
            response = await self.http.get(response.headers["location"])
        return response

    async def login(
        self, rp: Rp, pid: str = PID, acr: str | None = None, *, fresh: bool = True, **overrides: str | None
    ) -> Login:
        """Authorize and log in on the TestID page (`fresh`: without the SSO cookie of earlier logins)."""
        if fresh:
            self.http.cookies.clear()
        params, verifier = self.authorize_params(rp, **overrides)
        page = await self.testid_page(await self.authorize(params))
        response = await self.follow(await self.submit_testid(page, pid, acr))
        return Login(response, verifier, params.get("nonce", ""), params.get("state", ""))

    async def token(
        self, rp: Rp, form: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            "/idporten/token", data=form, headers=rp.auth() if headers is None else headers
        )

    async def code_tokens(self, rp: Rp, login: Login) -> httpx.Response:
        return await self.token(
            rp,
            {
                "grant_type": "authorization_code",
                "code": login.code,
                "redirect_uri": REDIRECT,
                "code_verifier": login.verifier,
            },
        )


@pytest.fixture
def services() -> tuple[str, ...]:
    """The services of the test app; a module needing Maskinporten's test CA overrides this."""
    return ("idporten",)


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, services: tuple[str, ...]) -> AsyncIterator[PortvaktApp]:
    """ID-porten alone (fast, and independent of the other services under construction)."""
    application = create_app(settings, only=services, clock=clock, configure_logs=False)
    async with application.lifespan():
        yield application


@pytest.fixture
async def registry(settings: Settings, clock: FixedClock, app: PortvaktApp) -> RegistryService:
    database = app.platform.database
    await bootstrap_platform(settings, database, clock)
    service = registry_service(settings, database, clock, Actor.cli())
    for orgno, name in ((RP_ORG, "TJENESTEEIER AS"), (API_ORG, "API-TILBYDER AS"), (OTHER_ORG, "ANNEN AS")):
        await service.add_organisation(orgno, name, terms_signed=True)
    await service.assign_prefix("testapi", API_ORG)
    return service


@pytest.fixture
async def idp(
    client: httpx.AsyncClient, app: PortvaktApp, registry: RegistryService, clock: FixedClock
) -> Idp:
    return Idp(client, app, registry, clock)
