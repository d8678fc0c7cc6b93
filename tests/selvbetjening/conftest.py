"""The self-service API through the real app: organisations and API clients made with the admin use
cases, tokens from the real Maskinporten endpoint of the same app, requests with httpx."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import select

from portvakt.app import PortvaktApp, create_app
from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.registry.model import ClientSettings, ScopeSettings
from portvakt.registry.repository import bootstrap_platform, registry_service
from portvakt.registry.service import Actor, RegistryService
from portvakt.settings import Settings
from portvakt.storage.tables import metadata
from tests.conftest import truncate_all

PLATFORM = "310000019"
PROVIDER = "310000027"  # prefix `test`, scope `test:api/les`
CONSUMER = "310000035"
OTHER = "310000043"  # another organisation with full API access
UNSIGNED = "310000051"  # registered, terms not signed
UNREGISTERED = "310000078"
CUSTOMER = "310000086"  # a supplier's customer (no API access of its own)
SCOPE = "test:api/les"

DCR_READ = "idporten:dcr.read"
DCR_MODIFY = "idporten:dcr.modify"
DCR_WRITE = "idporten:dcr.write"
DCR_SUPPLIER = "idporten:dcr.supplier"
SCOPES_WRITE = "idporten:scopes.write"
API_SCOPES = (DCR_READ, DCR_MODIFY, DCR_WRITE, SCOPES_WRITE)
ALL_SCOPES = (*API_SCOPES, DCR_SUPPLIER)

API = "/selvbetjening/api/v1"
JSON = "application/json;charset=UTF-8"

REGISTRY_TABLES = (
    "organisations",
    "organisation_email_domains",
    "prefixes",
    "delegation_sources",
    "scopes",
    "scope_access",
    "clients",
    "client_keys",
    "audit_events",
)


@dataclass
class ApiClient:
    client_id: str
    kid: str
    private_pem: bytes = field(repr=False)


@dataclass
class World:
    app: PortvaktApp
    http: httpx.AsyncClient
    clock: FixedClock
    admin: RegistryService
    _clients: dict[tuple[str, tuple[str, ...]], ApiClient] = field(default_factory=dict)
    _tokens: dict[tuple[str, tuple[str, ...]], tuple[int, str]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return self.app.platform.settings.maskinporten_issuer

    async def organisation(
        self, orgno: str, name: str, *, terms_signed: bool = True, scopes: Sequence[str] = API_SCOPES
    ) -> None:
        await self.admin.add_organisation(orgno, name, terms_signed=terms_signed)
        for scope in scopes:
            await self.admin.grant_access(scope, orgno)

    async def api_client(self, orgno: str, scopes: Sequence[str]) -> ApiClient:
        """A Maskinporten client of `orgno` with `scopes` and a generated key (admin use case)."""
        key = (orgno, tuple(scopes))
        if key not in self._clients:
            created = await self.admin.create_client(
                ClientSettings(
                    client_name=f"api {orgno}",
                    integration_type="maskinporten",
                    description="self-service API client",
                    scopes=tuple(scopes),
                ),
                orgno=orgno,
                generate_key=True,
            )
            assert created.generated_key is not None
            self._clients[key] = ApiClient(
                created.client.client_id, created.generated_key.kid, created.generated_key.private_pem
            )
        return self._clients[key]

    def grant(self, client: ApiClient, scopes: Sequence[str]) -> str:
        now = self.clock.timestamp()
        claims = {
            "aud": self.issuer,
            "iss": client.client_id,
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        }
        private_key = load_pem_private_key(client.private_pem, password=None)
        return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": client.kid})  # type: ignore[arg-type]

    async def token_response(self, client: ApiClient, scopes: Sequence[str]) -> httpx.Response:
        return await self.http.post(
            f"{self.issuer}token",
            data={"grant_type": JWT_BEARER, "assertion": self.grant(client, scopes)},
        )

    async def token(self, orgno: str, scopes: Sequence[str] = API_SCOPES) -> str:
        """A real Maskinporten access token for `orgno` with `scopes` (reused for 5 minutes of clock time)."""
        key = (orgno, tuple(scopes))
        now = self.clock.timestamp()
        issued_at, cached = self._tokens.get(key, (-1, ""))
        if 0 <= now - issued_at < 300:
            return cached
        client = await self.api_client(orgno, scopes)
        response = await self.token_response(client, scopes)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        self._tokens[key] = (now, token)
        return token

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        return await self.http.request(
            method, f"{API}{path}", json=json, params=params, headers=sent, content=content, data=data
        )

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every registry row (and the change log, when present), for before/after comparisons."""
        state: dict[str, list[dict[str, Any]]] = {}
        async with self.app.platform.database.engine.connect() as connection:
            for name in REGISTRY_TABLES:
                table = metadata.tables.get(name)
                if table is None:
                    continue
                rows = (await connection.execute(select(table))).mappings().all()
                state[name] = sorted((dict(row) for row in rows), key=repr)
        return state


async def populate(world: World) -> World:
    """Bootstrapped platform; provider (prefix `test`, scope `test:api/les`), consumer and another
    organisation with API access (and the supplier scope); one without signed terms; a customer."""
    platform = world.app.platform
    await bootstrap_platform(platform.settings, platform.database, world.clock)
    await world.organisation(PROVIDER, "TILBYDER AS")
    await world.organisation(CONSUMER, "KONSUMENT AS", scopes=ALL_SCOPES)
    await world.organisation(OTHER, "ANNEN AS", scopes=ALL_SCOPES)
    await world.organisation(UNSIGNED, "USIGNERT AS", terms_signed=False)
    await world.organisation(CUSTOMER, "KUNDE AS", scopes=())
    await world.admin.assign_prefix("test", PROVIDER)
    await world.admin.create_scope("test", "api/les", ScopeSettings(description="Les data"), orgno=PROVIDER)
    return world


def new_world(app: PortvaktApp, http: httpx.AsyncClient, clock: FixedClock) -> World:
    platform = app.platform
    return World(app, http, clock, registry_service(platform.settings, platform.database, clock, Actor.cli()))


@pytest.fixture
async def world(app: PortvaktApp, client: httpx.AsyncClient, clock: FixedClock) -> World:
    """A populated platform of this test's own."""
    return await populate(new_world(app, client, clock))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_world(
    migrated_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """One populated platform for a whole module of tests that change nothing (error branches, isolation):
    the app's start-up (signing keys) is paid once. Modules using it use no function-scoped database."""
    truncate_all(migrated_database_url)
    settings = Settings(
        database_url=migrated_database_url, data_dir=tmp_path_factory.mktemp("data"), _env_file=None
    )
    clock = FixedClock()
    application = create_app(settings, clock=clock, configure_logs=False)
    async with application.lifespan():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=settings.public_base) as http:
            yield await populate(new_world(application, http, clock))


def error_body(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    assert response.headers["cache-control"] == "no-store"
    return response.status_code, body["error"], body["error_description"]
