"""A Maskinporten service app on in-memory ports, reached over HTTP at its real path, with a grant builder."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.app import assemble, token_endpoint_config
from portvakt.maskinporten.ports import (
    JWT_BEARER,
    Client,
    ClientKey,
    DelegationSource,
    Scope,
    ValidatedCertificate,
)
from portvakt.maskinporten.service import TokenPorts, TokenService
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.web.dispatch import ServiceDispatcher, ServiceRoute
from portvakt.web.metrics import Metrics
from portvakt.web.middleware import PlatformMiddleware
from portvakt.web.service import Platform
from tests.maskinporten.fakes import (
    FakeCertificateValidator,
    FakeDelegations,
    FakeRegistry,
    FakeReplayStore,
    FakeSigner,
    rsa_jwk,
    sign_compact,
)

ISSUER = "http://localhost:8080/maskinporten/"
TOKEN_URL = "/maskinporten/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

CLIENT_ORG = "889640782"
OWNER_ORG = "974760673"
CERT_ORG = "991825827"
CONSUMER_ORG = "123456785"
OTHER_ORG = "984661185"
ALTINN_ISSUER = "http://localhost:8080/altinn/"

KEYED = "keyed-client"
CERT = "cert-client"


def x5c_entry(label: str) -> str:
    return base64.b64encode(label.encode()).decode()


LEAF = x5c_entry("leaf of cert-client")
LEAF_OTHER_ORG = x5c_entry("leaf of another organisation")
LEAF_NO_ORG = x5c_entry("leaf without organisation number")
LEAF_UNTRUSTED = x5c_entry("leaf from an unknown CA")
LOCK = x5c_entry("certificate locked to keyed-client")
LOCK_OTHER_ORG = x5c_entry("certificate locked, other org")


@dataclass(frozen=True)
class Keys:
    a: rsa.RSAPrivateKey
    b: rsa.RSAPrivateKey
    c: rsa.RSAPrivateKey
    issuer: rsa.RSAPrivateKey


@pytest.fixture(scope="session")
def keys() -> Keys:
    def new() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    return Keys(new(), new(), new(), new())


def _scopes() -> dict[str, Scope]:
    rows = [
        Scope("test:api", OWNER_ORG, True),
        Scope("test:own", CLIENT_ORG, True),
        Scope("test:open", OWNER_ORG, True, accessible_for_all=True),
        Scope("test:short", CLIENT_ORG, True, at_max_age=60),
        Scope("test:zero", CLIENT_ORG, True, at_max_age=0),
        Scope("test:deleg", OWNER_ORG, True, delegation_source="altinn"),
        Scope("test:deleg2", OWNER_ORG, True, delegation_source="altinn"),
        Scope("test:inactive", CLIENT_ORG, False),
        Scope("test:idporten-only", CLIENT_ORG, True, allowed_integration_types=("idporten",)),
        Scope("test:also-idporten", CLIENT_ORG, True, allowed_integration_types=("idporten", "krr")),
        Scope("test:mp-ok", CLIENT_ORG, True, allowed_integration_types=("maskinporten",)),
        Scope("test:noaccess", OWNER_ORG, True),
        Scope("test:noaccess2", OWNER_ORG, True),
        Scope("test:notonclient", CLIENT_ORG, True),
    ]
    return {row.name: row for row in rows}


CLIENT_SCOPES = frozenset(_scopes()) - {"test:notonclient"}


def _clients(keys: Keys, now_year_ahead: datetime, now_past: datetime) -> dict[str, Client]:
    keyed_keys = (
        ClientKey("k1", rsa_jwk(keys.a, "k1"), now_year_ahead),
        ClientKey("k-noalg", rsa_jwk(keys.b, "k-noalg", alg=None), now_year_ahead),
        ClientKey("k-rs512", rsa_jwk(keys.a, "k-rs512", alg="RS512"), now_year_ahead),
        ClientKey("k-old", rsa_jwk(keys.a, "k-old"), now_past),
        ClientKey("k-locked", {**rsa_jwk(keys.a, "k-locked"), "x5c": [LOCK]}, now_year_ahead),
        ClientKey(
            "k-lock-untrusted",
            {**rsa_jwk(keys.a, "k-lock-untrusted"), "x5c": [LEAF_UNTRUSTED]},
            now_year_ahead,
        ),
        ClientKey(
            "k-lock-other-org",
            {**rsa_jwk(keys.a, "k-lock-other-org"), "x5c": [LOCK_OTHER_ORG]},
            now_year_ahead,
        ),
    )
    base = Client(
        client_id=KEYED,
        client_orgno=CLIENT_ORG,
        integration_type="maskinporten",
        grant_types=(JWT_BEARER,),
        scopes=CLIENT_SCOPES,
        active=True,
        keys=keyed_keys,
    )
    return {
        KEYED: base,
        CERT: replace(base, client_id=CERT, client_orgno=CERT_ORG, keys=()),
        "inactive-client": replace(base, client_id="inactive-client", active=False),
        "idporten-client": replace(
            base,
            client_id="idporten-client",
            grant_types=("authorization_code",),
            integration_type="idporten",
        ),
        "short-client": replace(base, client_id="short-client", access_token_lifetime=120),
        "zero-lifetime-client": replace(base, client_id="zero-lifetime-client", access_token_lifetime=0),
    }


@dataclass
class World:
    http: httpx.AsyncClient
    clock: FixedClock
    keys: Keys
    registry: FakeRegistry
    replay: FakeReplayStore
    delegations: FakeDelegations
    certificates: FakeCertificateValidator
    signer: FakeSigner
    metrics: Metrics
    service: TokenService
    sent: list[str] = field(default_factory=list)

    @property
    def now(self) -> int:
        return self.clock.timestamp()

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "aud": ISSUER,
            "iss": KEYED,
            "iat": self.now,
            "exp": self.now + 60,
            "jti": secrets.token_urlsafe(16),
            "scope": "test:api",
        }
        claims.update(overrides)
        return claims

    def grant(
        self,
        *,
        kid: str | None = "k1",
        key: rsa.RSAPrivateKey | None = None,
        alg: str = "RS256",
        headers: Mapping[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        **overrides: Any,
    ) -> str:
        """A grant built with PyJWT (independently of the code under test)."""
        claims = {name: value for name, value in self.claims(**overrides).items() if name not in drop}
        header: dict[str, Any] = dict(headers or {})
        if kid is not None:
            header["kid"] = kid
        return jwt.encode(claims, key or self.keys.a, algorithm=alg, headers=header)

    def raw_grant(self, header: Mapping[str, Any], claims: Any, key: rsa.RSAPrivateKey | None = None) -> str:
        return sign_compact(header, claims, key or self.keys.a, str(header.get("alg", "RS256")))

    def cert_grant(self, x5c: Any = None, key: rsa.RSAPrivateKey | None = None, **overrides: Any) -> str:
        headers = {} if x5c is None else {"x5c": x5c}
        return self.grant(kid=None, key=key or self.keys.c, headers=headers, iss=CERT, **overrides)

    async def post(self, assertion: str, **extra: str) -> httpx.Response:
        form = {"grant_type": JWT_BEARER, "assertion": assertion, **extra}
        return await self.http.post(TOKEN_URL, data=form)

    async def post_raw(self, body: bytes | str, headers: Mapping[str, str] = FORM) -> httpx.Response:
        return await self.http.post(TOKEN_URL, content=body, headers=dict(headers))


def world_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        data_dir=tmp_path / "data",
        _env_file=None,
        **overrides,
    )


async def make_world(keys: Keys, settings: Settings, env: str | None = None) -> AsyncIterator[World]:
    clock = FixedClock()
    registry = FakeRegistry(
        clients=_clients(keys, clock.now() + timedelta(days=365), clock.now() - timedelta(seconds=1)),
        scope_rows=_scopes(),
        approved={
            ("test:api", CLIENT_ORG),
            ("test:api", CERT_ORG),
            ("test:deleg", CONSUMER_ORG),
            ("test:deleg2", CONSUMER_ORG),
        },
        sources={"altinn": DelegationSource("altinn", ALTINN_ISSUER)},
    )
    certificates = FakeCertificateValidator(
        trusted={
            LEAF: ValidatedCertificate(
                keys.c.public_key(), CERT_ORG, f"CN=cert, SERIALNUMBER={CERT_ORG}", "01"
            ),
            LEAF_OTHER_ORG: ValidatedCertificate(keys.c.public_key(), OTHER_ORG, "CN=other", "02"),
            LEAF_NO_ORG: ValidatedCertificate(keys.c.public_key(), None, "CN=no org", "03"),
            LOCK: ValidatedCertificate(keys.a.public_key(), CLIENT_ORG, "CN=lock", "04"),
            LOCK_OTHER_ORG: ValidatedCertificate(keys.a.public_key(), OTHER_ORG, "CN=lock other", "05"),
        }
    )
    replay, delegations = (
        FakeReplayStore(),
        FakeDelegations(delegated={(CONSUMER_ORG, CLIENT_ORG, "test:deleg")}),
    )
    signer = FakeSigner(keys.issuer)
    database = Database.connect(settings.database_url)
    platform = Platform(settings=settings, database=database, clock=clock, metrics=Metrics())
    config = token_endpoint_config(settings)
    if env is not None:
        config = replace(config, env=env)
    service = TokenService(config, TokenPorts(registry, signer, replay, certificates, delegations), clock)
    app = assemble(platform, service)
    dispatcher = ServiceDispatcher(
        [ServiceRoute.from_base_url("maskinporten", settings.base_url("maskinporten"), app)], {}
    )
    asgi = PlatformMiddleware(dispatcher, platform.metrics, https=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi), base_url=settings.public_base
    ) as http:
        yield World(
            http, clock, keys, registry, replay, delegations, certificates, signer, platform.metrics, service
        )
    await database.dispose()


@pytest.fixture
async def world(keys: Keys, tmp_path: Path) -> AsyncIterator[World]:
    async for value in make_world(keys, world_settings(tmp_path)):
        yield value


@pytest.fixture
async def prod_world(keys: Keys, tmp_path: Path) -> AsyncIterator[World]:
    """The pipeline with the prod environment rule (synthetic national identity numbers refused)."""
    async for value in make_world(keys, world_settings(tmp_path), env="prod"):
        yield value
