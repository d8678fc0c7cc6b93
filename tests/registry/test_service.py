"""Registry use cases (selvbetjening.md §4, §6, §7): every rule and error branch, with the spec's texts."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from portvakt.domain.clock import FixedClock
from portvakt.domain.errors import PortvaktError
from portvakt.oauth.keys import b64url_uint, jwk_thumbprint
from portvakt.registry.errors import (
    AccessDenied,
    ClientNotFound,
    InvalidClientMetadata,
    InvalidRequest,
    InvalidScopeMetadata,
    OrganisationNotFound,
    RegistryConflict,
    ScopeAccessNotFound,
    ScopeNotFound,
)
from portvakt.registry.jwk import generate_rsa_key
from portvakt.registry.model import AccessState, ClientSettings, ScopeSettings
from portvakt.registry.service import RegistryService, client_secret_matches
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade
from tests.conftest import truncate_all
from tests.registry.conftest import ALTINN_ISSUER, CONSUMER, OTHER, PLATFORM, PROVIDER, SCOPE, acting_as


@pytest.fixture(scope="module")
def use_case_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'use-cases.db'}"
    upgrade(url)
    return url


@pytest.fixture
def registry_settings(use_case_database_url: str, tmp_path: Path) -> Settings:
    """The use cases run on SQLite whatever the run's backend: the SQL adapter's behaviour on both
    databases is what the contract tests check, so these stay fast in the PostgreSQL pass."""
    truncate_all(use_case_database_url)
    return Settings(database_url=use_case_database_url, data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
async def database(registry_settings: Settings) -> AsyncIterator[Database]:
    db = Database.connect(registry_settings.database_url)
    yield db
    await db.dispose()


async def expect(call: Awaitable[Any], error: type[PortvaktError], code: str, message: str) -> None:
    with pytest.raises(error) as raised:
        await call
    assert (raised.value.code, raised.value.message) == (code, message)


# -- bootstrap --------------------------------------------------------------------------------------


async def test_bootstrap_creates_the_platform_and_is_idempotent(admin: RegistryService) -> None:
    first = await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    platform = first.organisation
    assert (platform.orgno, platform.name, platform.terms_signed) == (PLATFORM, "PLATTFORMOPERATØR", True)
    assert platform.prefixes == ("idporten", "krr", "portvakt")
    assert "scope portvakt:admin" in first.created
    second = await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    assert second.created == ()
    sources = await admin.list_delegation_sources()
    assert [(s.name, s.issuer) for s in sources] == [("altinn", ALTINN_ISSUER)]
    scopes = {scope.name: scope for scope in await admin.list_scopes(orgno=PLATFORM)}
    assert set(scopes) == {
        "idporten:dcr.read",
        "idporten:dcr.modify",
        "idporten:dcr.write",
        "idporten:dcr.supplier",
        "idporten:scopes.write",
        "portvakt:admin",
        "idporten:token.introspection",
    }
    admin_scope = scopes["portvakt:admin"].settings
    assert (admin_scope.visibility, admin_scope.allowed_integration_types) == ("INTERNAL", ("maskinporten",))
    introspection = scopes["idporten:token.introspection"].settings
    assert (introspection.visibility, introspection.accessible_for_all) == ("PUBLIC", True)
    assert introspection.allowed_integration_types == ()


async def test_bootstrap_follows_a_changed_altinn_issuer(admin: RegistryService) -> None:
    await admin.bootstrap(altinn_issuer=ALTINN_ISSUER)
    report = await admin.bootstrap(altinn_issuer="https://altinn.example.no/")
    assert report.created == ("delegation source altinn",)
    assert [s.issuer for s in await admin.list_delegation_sources()] == ["https://altinn.example.no/"]


async def test_bootstrap_refuses_a_platform_prefix_held_by_another_org(admin: RegistryService) -> None:
    await admin.add_organisation(PROVIDER, "TILBYDER AS")
    await admin.assign_prefix("krr", PROVIDER)
    await expect(
        admin.bootstrap(altinn_issuer=ALTINN_ISSUER),
        RegistryConflict,
        "conflict",
        "Prefix 'krr' is assigned to another organisation",
    )


async def test_bootstrap_needs_the_administrator(platform: RegistryService) -> None:
    await expect(
        acting_as(platform, PROVIDER).bootstrap(altinn_issuer=ALTINN_ISSUER),
        AccessDenied,
        "access_denied",
        "Admin API requires the platform organisation",
    )


# -- organisations and prefixes ---------------------------------------------------------------------


async def test_add_organisation_stores_lower_case_domains(admin: RegistryService) -> None:
    added = await admin.add_organisation(
        PROVIDER, " TILBYDER AS ", email_domains=["Tilbyder.NO", "tilbyder.no"]
    )
    stored = await admin.get_organisation(PROVIDER)
    assert stored == added
    assert (stored.name, stored.email_domains, stored.terms_signed, stored.active) == (
        "TILBYDER AS",
        ("tilbyder.no",),
        False,
        True,
    )


@pytest.mark.parametrize(
    ("orgno", "name", "domains", "error", "code", "message"),
    [
        pytest.param(
            "123456789",
            "X",
            [],
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 123456789",
            id="orgno-check-digit",
        ),
        pytest.param(
            "12345",
            "X",
            [],
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 12345",
            id="orgno-format",
        ),
        pytest.param(
            OTHER, " ", [], InvalidRequest, "invalid_request", "name is required", id="name-required"
        ),
        pytest.param(
            OTHER,
            "X" * 256,
            [],
            InvalidRequest,
            "invalid_request",
            "Invalid value for name",
            id="name-length",
        ),
        pytest.param(
            OTHER,
            "X",
            ["not a domain"],
            InvalidRequest,
            "invalid_request",
            "Invalid value for email_domains",
            id="domain-syntax",
        ),
        pytest.param(
            PROVIDER,
            "X",
            [],
            RegistryConflict,
            "conflict",
            f"Organisation {PROVIDER} already exists",
            id="exists",
        ),
        pytest.param(
            OTHER,
            "X",
            ["TILBYDER.no"],
            RegistryConflict,
            "conflict",
            "E-mail domain 'tilbyder.no' belongs to another organisation",
            id="domain-taken",
        ),
    ],
)
async def test_add_organisation_refuses(
    platform: RegistryService,
    orgno: str,
    name: str,
    domains: list[str],
    error: type[PortvaktError],
    code: str,
    message: str,
) -> None:
    if orgno == OTHER:
        orgno = "310000051"
    await expect(platform.add_organisation(orgno, name, email_domains=domains), error, code, message)


async def test_add_organisation_needs_the_administrator(platform: RegistryService) -> None:
    await expect(
        acting_as(platform, PROVIDER).add_organisation("310000051", "X"),
        AccessDenied,
        "access_denied",
        "Admin API requires the platform organisation",
    )


async def test_assign_prefix_is_idempotent(platform: RegistryService) -> None:
    again = await platform.assign_prefix("test", PROVIDER)
    assert (again.prefix, again.orgno) == ("test", PROVIDER)
    assert (await platform.get_organisation(PROVIDER)).prefixes == ("test",)


@pytest.mark.parametrize(
    ("prefix", "orgno", "error", "code", "message"),
    [
        pytest.param(
            "Test",
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid prefix: Test",
            id="syntax",
        ),
        pytest.param(
            "x" * 65,
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            f"Invalid prefix: {'x' * 65}",
            id="length",
        ),
        pytest.param(
            "ny", "123", InvalidRequest, "invalid_request", "Invalid organisation number: 123", id="orgno"
        ),
        pytest.param(
            "ny", "310000051", OrganisationNotFound, "not_found", "Organisation not found", id="unknown-org"
        ),
        pytest.param(
            "test",
            CONSUMER,
            RegistryConflict,
            "conflict",
            "Prefix 'test' is assigned to another organisation",
            id="taken",
        ),
    ],
)
async def test_assign_prefix_refuses(
    platform: RegistryService, prefix: str, orgno: str, error: type[PortvaktError], code: str, message: str
) -> None:
    await expect(platform.assign_prefix(prefix, orgno), error, code, message)


# -- scopes -----------------------------------------------------------------------------------------


async def test_create_scope_stores_every_field(platform: RegistryService, clock: FixedClock) -> None:
    provider = acting_as(platform, PROVIDER)
    settings = ScopeSettings(
        description="Skriv data",
        long_description="Lang *beskrivelse*",
        visibility="PRIVATE",
        token_type="OPAQUE",
        at_max_age=300,
        authorization_max_lifetime=3600,
        requires_user_consent=True,
        requires_user_authentication=True,
        requires_pseudonymous_tokens=True,
        accessible_for_all=True,
        allowed_integration_types=("maskinporten", "api_klient", "maskinporten"),
        delegation_source="altinn",
    )
    created = await provider.create_scope("test:", "api/skriv", settings)
    assert (created.name, created.prefix, created.subscope, created.owner_orgno) == (
        "test:api/skriv",
        "test",
        "api/skriv",
        PROVIDER,
    )
    assert created.settings == replace(settings, allowed_integration_types=("maskinporten", "api_klient"))
    assert created.created == created.last_updated == clock.now()
    assert await provider.get_scope("test:api/skriv") == created


@pytest.mark.parametrize(
    ("prefix", "subscope", "changes", "acting", "error", "code", "message"),
    [
        pytest.param(
            None,
            "x",
            {},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "prefix is required",
            id="prefix-required",
        ),
        pytest.param(
            "Te st",
            "x",
            {},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid prefix: Te st",
            id="prefix-syntax",
        ),
        pytest.param(
            "krr",
            "x",
            {},
            PROVIDER,
            AccessDenied,
            "access_denied",
            f"Prefix 'krr' is not assigned to organisation {PROVIDER}",
            id="prefix-not-assigned",
        ),
        pytest.param(
            "test",
            "",
            {},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "subscope is required",
            id="subscope-required",
        ),
        pytest.param(
            "test",
            "api//x",
            {},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid subscope: api//x",
            id="subscope-syntax",
        ),
        pytest.param(
            "test",
            "Api",
            {},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid subscope: Api",
            id="subscope-case",
        ),
        pytest.param(
            "test",
            "a" * 251,
            {},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Scope name exceeds 255 characters",
            id="name-length",
        ),
        pytest.param(
            "test",
            "api/les",
            {},
            PROVIDER,
            RegistryConflict,
            "conflict",
            "Scope 'test:api/les' already exists",
            id="taken",
        ),
        pytest.param(
            "test",
            "ny",
            {"description": " "},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "description is required",
            id="description-required",
        ),
        pytest.param(
            "test",
            "ny",
            {"description": "d" * 256},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for description",
            id="description-length",
        ),
        pytest.param(
            "test",
            "ny",
            {"long_description": "d" * 4001},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for long_description",
            id="long-description-length",
        ),
        pytest.param(
            "test",
            "ny",
            {"visibility": "SECRET"},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for visibility",
            id="visibility-enum",
        ),
        pytest.param(
            "test",
            "ny",
            {"token_type": "JWT"},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for token_type",
            id="token-type-enum",
        ),
        pytest.param(
            "test",
            "ny",
            {"at_max_age": 86401},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for at_max_age",
            id="at-max-age-range",
        ),
        pytest.param(
            "test",
            "ny",
            {"authorization_max_lifetime": -1},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for authorization_max_lifetime",
            id="authorization-max-range",
        ),
        pytest.param(
            "test",
            "ny",
            {"allowed_integration_types": ("eformidling",)},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Invalid value for allowed_integration_types",
            id="integration-type-enum",
        ),
        pytest.param(
            "test",
            "ny",
            {"delegation_source": "nope"},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Unknown delegation_source: nope",
            id="delegation-source-unknown",
        ),
        pytest.param(
            "test",
            "ny",
            {"enforced_aud_for_introspection": ("no-such-client",)},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "Unknown client in enforced_aud_for_introspection: no-such-client",
            id="enforced-aud-unknown",
        ),
        pytest.param(
            "test",
            "ny",
            {"visibility": "INTERNAL"},
            PROVIDER,
            InvalidScopeMetadata,
            "invalid_scope_metadata",
            "visibility INTERNAL is reserved for the platform",
            id="internal-reserved",
        ),
        pytest.param(
            "test",
            "ny",
            {},
            OTHER,
            AccessDenied,
            "access_denied",
            f"Organisation {OTHER} has not signed the terms of use",
            id="terms-not-signed",
        ),
        pytest.param(
            "test",
            "ny",
            {},
            "310000051",
            AccessDenied,
            "access_denied",
            "Organisation 310000051 is not registered on the platform",
            id="org-not-registered",
        ),
    ],
)
async def test_create_scope_refuses(
    platform: RegistryService,
    prefix: str | None,
    subscope: str,
    changes: dict[str, Any],
    acting: str,
    error: type[PortvaktError],
    code: str,
    message: str,
) -> None:
    draft = replace(ScopeSettings(description="Beskrivelse"), **changes)
    await expect(acting_as(platform, acting).create_scope(prefix, subscope, draft), error, code, message)


async def test_deactivated_scope_keeps_accesses_and_its_name(
    platform: RegistryService, clock: FixedClock
) -> None:
    provider = acting_as(platform, PROVIDER)
    await provider.grant_access(SCOPE, CONSUMER)
    clock.advance(60)
    deactivated = await provider.deactivate_scope(SCOPE)
    assert (deactivated.active, deactivated.last_updated) == (False, clock.now())
    assert await provider.deactivate_scope(SCOPE) == deactivated  # idempotent
    assert [a.consumer_orgno for a in await provider.list_accesses(SCOPE)] == [CONSUMER]
    assert [s.name for s in await provider.list_scopes()] == []
    assert [s.name for s in await provider.list_scopes(include_inactive=True)] == [SCOPE]
    await expect(
        provider.create_scope("test", "api/les", ScopeSettings(description="igjen")),
        RegistryConflict,
        "conflict",
        "Scope 'test:api/les' already exists and is deactivated; reactivate it with PUT",
    )


@pytest.mark.parametrize(
    ("name", "acting", "error", "code", "message"),
    [
        pytest.param(
            "test:finnes/ikke", PROVIDER, ScopeNotFound, "not_found", "Scope not found", id="not-found"
        ),
        pytest.param(
            SCOPE,
            CONSUMER,
            AccessDenied,
            "access_denied",
            "Scope belongs to another organisation",
            id="not-owner",
        ),
    ],
)
async def test_deactivate_scope_refuses(
    platform: RegistryService, name: str, acting: str, error: type[PortvaktError], code: str, message: str
) -> None:
    await expect(acting_as(platform, acting).deactivate_scope(name), error, code, message)


# -- scope access -----------------------------------------------------------------------------------


async def test_grant_revoke_and_grant_again(platform: RegistryService, clock: FixedClock) -> None:
    provider = acting_as(platform, PROVIDER)
    granted = await provider.grant_access(SCOPE, "991825827")  # need not be registered on the platform
    assert (granted.state, granted.owner_orgno, granted.created) == (
        AccessState.APPROVED,
        PROVIDER,
        clock.now(),
    )
    assert await provider.grant_access(SCOPE, "991825827") == granted
    clock.advance(10)
    revoked = await provider.revoke_access(SCOPE, "991825827")
    assert (revoked.state, revoked.created, revoked.last_updated) == (
        AccessState.DENIED,
        granted.created,
        clock.now(),
    )
    assert await provider.list_accesses(SCOPE) == []
    assert await provider.list_accesses(SCOPE, include_denied=True) == [revoked]
    again = await provider.grant_access(SCOPE, "991825827")
    assert (again.state, again.created) == (AccessState.APPROVED, granted.created)


@pytest.mark.parametrize(
    ("grant", "scope", "consumer", "acting", "error", "code", "message"),
    [
        pytest.param(
            True,
            "test:ukjent",
            CONSUMER,
            PROVIDER,
            ScopeNotFound,
            "not_found",
            "Scope not found",
            id="grant-scope-not-found",
        ),
        pytest.param(
            True,
            SCOPE,
            CONSUMER,
            CONSUMER,
            AccessDenied,
            "access_denied",
            "Scope belongs to another organisation",
            id="grant-not-owner",
        ),
        pytest.param(
            True,
            SCOPE,
            "12345",
            PROVIDER,
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 12345",
            id="grant-bad-orgno",
        ),
        pytest.param(
            False,
            "test:ukjent",
            CONSUMER,
            PROVIDER,
            ScopeNotFound,
            "not_found",
            "Scope not found",
            id="revoke-scope-not-found",
        ),
        pytest.param(
            False,
            SCOPE,
            CONSUMER,
            CONSUMER,
            AccessDenied,
            "access_denied",
            "Scope belongs to another organisation",
            id="revoke-not-owner",
        ),
        pytest.param(
            False,
            SCOPE,
            "310000099",
            PROVIDER,
            InvalidRequest,
            "invalid_request",
            "Invalid organisation number: 310000099",
            id="revoke-bad-orgno",
        ),
        pytest.param(
            False,
            SCOPE,
            CONSUMER,
            PROVIDER,
            ScopeAccessNotFound,
            "not_found",
            "Scope access not found",
            id="revoke-no-row",
        ),
    ],
)
async def test_access_refuses(
    platform: RegistryService,
    grant: bool,
    scope: str,
    consumer: str,
    acting: str,
    error: type[PortvaktError],
    code: str,
    message: str,
) -> None:
    service = acting_as(platform, acting)
    call = service.grant_access(scope, consumer) if grant else service.revoke_access(scope, consumer)
    await expect(call, error, code, message)


async def test_grant_on_a_deactivated_scope_is_refused(platform: RegistryService) -> None:
    provider = acting_as(platform, PROVIDER)
    await provider.deactivate_scope(SCOPE)
    await expect(
        provider.grant_access(SCOPE, CONSUMER),
        InvalidRequest,
        "invalid_request",
        f"Scope '{SCOPE}' is deactivated",
    )


# -- clients ----------------------------------------------------------------------------------------


@pytest.fixture
async def scopes_for_clients(platform: RegistryService) -> RegistryService:
    provider = acting_as(platform, PROVIDER)
    await provider.create_scope("test", "gammel", ScopeSettings(description="Gammel"))
    await provider.deactivate_scope("test:gammel")
    await provider.create_scope(
        "test", "bare/idporten", ScopeSettings(description="ID", allowed_integration_types=("idporten",))
    )
    await provider.create_scope("test", "apen", ScopeSettings(description="Åpen", accessible_for_all=True))
    await provider.create_scope(
        "test", "delegert", ScopeSettings(description="D", delegation_source="altinn")
    )
    await provider.create_scope("test", "delt", ScopeSettings(description="Delt"))
    await provider.grant_access("test:delt", CONSUMER)
    return platform


def maskinporten(**changes: Any) -> ClientSettings:
    return replace(
        ClientSettings(client_name="Klient", integration_type="maskinporten", description="Beskrivelse"),
        **changes,
    )


def idporten(**changes: Any) -> ClientSettings:
    return replace(
        ClientSettings(
            client_name="Nettside", integration_type="idporten", redirect_uris=("https://app.example.no/cb",)
        ),
        **changes,
    )


async def test_maskinporten_client_gets_the_matrix_defaults(
    scopes_for_clients: RegistryService, clock: FixedClock
) -> None:
    consumer = acting_as(scopes_for_clients, CONSUMER)
    created = await consumer.create_client(
        maskinporten(scopes=("test:apen", "test:delt", "test:delegert", "test:apen"))
    )
    client = created.client
    assert (client.application_type, client.token_endpoint_auth_method, client.grant_types) == (
        "web",
        "private_key_jwt",
        ("urn:ietf:params:oauth:grant-type:jwt-bearer",),
    )
    assert client.scopes == ("test:apen", "test:delt", "test:delegert")
    assert (client.client_orgno, client.supplier_orgno, client.active) == (CONSUMER, None, True)
    assert (created.client_secret, created.keys, created.generated_key) == (None, (), None)
    assert await consumer.get_client(client.client_id) == client
    assert len(client.client_id) == 36


async def test_owner_may_register_its_own_scope(scopes_for_clients: RegistryService) -> None:
    provider = acting_as(scopes_for_clients, PROVIDER)
    created = await provider.create_client(maskinporten(scopes=(SCOPE,)))
    assert created.client.scopes == (SCOPE,)


async def test_generated_key_is_returned_once_and_only_its_public_half_stored(
    scopes_for_clients: RegistryService, clock: FixedClock
) -> None:
    consumer = acting_as(scopes_for_clients, CONSUMER)
    created = await consumer.create_client(maskinporten(scopes=("test:apen",)), generate_key=True)
    key = created.generated_key
    assert key is not None
    assert created.private_jwk is not None
    assert {"d", "p", "q", "dp", "dq", "qi"} <= set(created.private_jwk)
    assert key.kid == jwk_thumbprint(key.public_jwk) == created.private_jwk["kid"]
    stored = await consumer.client_keys(created.client.client_id)
    assert [k.kid for k in stored] == [key.kid]
    assert stored[0].jwk == {**key.public_jwk}
    assert set(stored[0].jwk) == {"kty", "kid", "alg", "use", "n", "e"}
    assert (stored[0].jwk["alg"], stored[0].expires_at) == ("RS256", clock.now() + timedelta(days=365))


async def test_secret_client_gets_a_secret_once(
    scopes_for_clients: RegistryService, clock: FixedClock
) -> None:
    created = await acting_as(scopes_for_clients, CONSUMER).create_client(idporten())
    assert created.client.token_endpoint_auth_method == "client_secret_basic"
    assert created.client.scopes == ("openid", "profile")
    assert created.client_secret is not None
    assert len(created.client_secret) == 43
    assert created.client.client_secret_expires_at == clock.now() + timedelta(days=360)
    assert created.client.client_secret_hash is not None
    assert created.client_secret not in created.client.client_secret_hash
    stored = await acting_as(scopes_for_clients, CONSUMER).get_client(created.client.client_id)
    assert client_secret_matches(stored, created.client_secret, clock.now())
    assert not client_secret_matches(stored, created.client_secret + "x", clock.now())
    assert not client_secret_matches(stored, created.client_secret, clock.now() + timedelta(days=360))


async def test_native_client_may_use_a_custom_scheme(scopes_for_clients: RegistryService) -> None:
    created = await acting_as(scopes_for_clients, CONSUMER).create_client(
        idporten(application_type="native", redirect_uris=("no.example.app:/cb",), scopes=("openid",))
    )
    assert (created.client.token_endpoint_auth_method, created.client_secret) == ("none", None)


async def test_supplier_creates_a_client_for_a_customer(scopes_for_clients: RegistryService) -> None:
    supplier = acting_as(scopes_for_clients, CONSUMER)
    created = await supplier.create_client(maskinporten(client_orgno=OTHER, scopes=("test:apen",)))
    assert (created.client.client_orgno, created.client.supplier_orgno) == (OTHER, CONSUMER)
    assert (await supplier.get_client(created.client.client_id)).client_id == created.client.client_id


NOT_SHARED = (
    f"Scope 'test:api/les' is not shared with organisation {CONSUMER} in this environment. "
    "Contact the API provider."
)


@pytest.mark.parametrize(
    ("draft", "generate_key", "message"),
    [
        pytest.param(
            maskinporten(integration_type=""), False, "integration_type is required", id="type-required"
        ),
        pytest.param(
            maskinporten(integration_type="eformidling"),
            False,
            "Unsupported integration_type: eformidling",
            id="type-unsupported",
        ),
        pytest.param(
            maskinporten(application_type="native"),
            False,
            "application_type 'native' is not allowed for integration_type 'maskinporten'",
            id="maskinporten-application-type",
        ),
        pytest.param(
            maskinporten(token_endpoint_auth_method="client_secret_basic"),
            False,
            "token_endpoint_auth_method 'client_secret_basic' is not allowed "
            "for integration_type 'maskinporten'",
            id="maskinporten-secret",
        ),
        pytest.param(
            maskinporten(grant_types=("authorization_code",)),
            False,
            "grant_types 'authorization_code' is not allowed for integration_type 'maskinporten'",
            id="maskinporten-grant",
        ),
        pytest.param(
            idporten(grant_types=("authorization_code", "implicit")),
            False,
            "grant_types 'implicit' is not allowed for integration_type 'idporten'",
            id="implicit",
        ),
        pytest.param(
            idporten(grant_types=("client_credentials",)),
            False,
            "grant_types 'client_credentials' is not allowed for integration_type 'idporten'",
            id="client-credentials",
        ),
        pytest.param(
            idporten(grant_types=("refresh_token",)),
            False,
            "grant_types must include authorization_code",
            id="authorization-code-required",
        ),
        pytest.param(
            idporten(application_type="browser", token_endpoint_auth_method="client_secret_post"),
            False,
            "token_endpoint_auth_method 'client_secret_post' is not allowed for integration_type 'idporten'",
            id="browser-secret",
        ),
        pytest.param(maskinporten(client_name=" "), False, "client_name is required", id="name-required"),
        pytest.param(
            maskinporten(client_name="n" * 256), False, "client_name is out of range", id="name-length"
        ),
        pytest.param(
            maskinporten(description=None), False, "description is required", id="description-required"
        ),
        pytest.param(
            maskinporten(description="d" * 1001),
            False,
            "description is out of range",
            id="description-length",
        ),
        pytest.param(idporten(redirect_uris=()), False, "redirect_uris is required", id="redirect-required"),
        pytest.param(
            idporten(redirect_uris=("http://app.example.no/cb",)),
            False,
            "Invalid redirect_uri: http://app.example.no/cb",
            id="redirect-http",
        ),
        pytest.param(
            idporten(redirect_uris=("https://app.example.no/cb#x",)),
            False,
            "Invalid redirect_uri: https://app.example.no/cb#x",
            id="redirect-fragment",
        ),
        pytest.param(
            idporten(redirect_uris=("no.example.app:/cb",)),
            False,
            "Invalid redirect_uri: no.example.app:/cb",
            id="redirect-custom-scheme-web",
        ),
        pytest.param(
            idporten(redirect_uris=tuple(f"https://a.no/{i}" for i in range(21))),
            False,
            "redirect_uris is out of range",
            id="redirect-count",
        ),
        pytest.param(
            idporten(post_logout_redirect_uris=("/relative",)),
            False,
            "Invalid post_logout_redirect_uri: /relative",
            id="post-logout-relative",
        ),
        pytest.param(
            idporten(frontchannel_logout_uri="https://other.example.no/logout"),
            False,
            "Invalid frontchannel_logout_uri: https://other.example.no/logout",
            id="frontchannel-host",
        ),
        pytest.param(
            idporten(client_uri="http://localhost/"),
            False,
            "Invalid client_uri: http://localhost/",
            id="client-uri-https",
        ),
        pytest.param(
            maskinporten(access_token_lifetime=7201),
            False,
            "access_token_lifetime is out of range",
            id="access-range",
        ),
        pytest.param(
            maskinporten(refresh_token_lifetime=-1),
            False,
            "refresh_token_lifetime is out of range",
            id="refresh-range",
        ),
        pytest.param(
            maskinporten(authorization_lifetime=31536001),
            False,
            "authorization_lifetime is out of range",
            id="authorization-range",
        ),
        pytest.param(
            idporten(access_token_lifetime=600),
            False,
            "access_token_lifetime must be less than refresh_token_lifetime",
            id="access-not-below-refresh",
        ),
        pytest.param(
            idporten(refresh_token_lifetime=8000),
            False,
            "refresh_token_lifetime must not exceed authorization_lifetime",
            id="refresh-above-authorization",
        ),
        pytest.param(
            idporten(application_type="browser", code_challenge_method="none"),
            False,
            "code_challenge_method 'none' is not allowed with token_endpoint_auth_method 'none'",
            id="pkce-opt-out-public",
        ),
        pytest.param(
            maskinporten(scopes=("test:finnes/ikke",)),
            False,
            "Scope 'test:finnes/ikke' does not exist",
            id="scope-unknown",
        ),
        pytest.param(
            maskinporten(scopes=("openid",)),
            False,
            "Scope 'openid' does not exist",
            id="openid-on-maskinporten",
        ),
        pytest.param(
            maskinporten(scopes=("test:gammel",)),
            False,
            "Scope 'test:gammel' is deactivated",
            id="scope-deactivated",
        ),
        pytest.param(
            maskinporten(scopes=("test:bare/idporten",)),
            False,
            "Scope 'test:bare/idporten' is not allowed for integration_type 'maskinporten'",
            id="scope-integration-type",
        ),
        pytest.param(
            idporten(scopes=("openid", "test:apen")),
            False,
            "Scope 'test:apen' is not allowed for integration_type 'idporten'",
            id="idporten-registry-scope",
        ),
        pytest.param(
            maskinporten(integration_type="krr", scopes=("test:apen",)),
            False,
            "Scope 'test:apen' is not allowed for integration_type 'krr'",
            id="krr-foreign-prefix",
        ),
        pytest.param(maskinporten(scopes=("test:apen", SCOPE)), False, NOT_SHARED, id="scope-not-shared"),
        pytest.param(idporten(), True, "Client does not use private_key_jwt", id="key-on-secret-client"),
        pytest.param(
            maskinporten(client_orgno="310000051"),
            False,
            "Unknown organisation: 310000051",
            id="customer-unknown",
        ),
        pytest.param(
            maskinporten(client_orgno="31000005"),
            False,
            "Unknown organisation: 31000005",
            id="customer-invalid",
        ),
    ],
)
async def test_create_client_refuses(
    scopes_for_clients: RegistryService, draft: ClientSettings, generate_key: bool, message: str
) -> None:
    consumer = acting_as(scopes_for_clients, CONSUMER)
    await expect(
        consumer.create_client(draft, generate_key=generate_key),
        InvalidClientMetadata,
        "invalid_client_metadata",
        message,
    )


@pytest.mark.parametrize(
    "uri", ["http://localhost:3000/cb", "http://127.0.0.1:3000/cb", "http://[::1]:3000/cb"]
)
async def test_loopback_redirect_is_allowed_in_test_only(
    scopes_for_clients: RegistryService, uri: str
) -> None:
    local = idporten(redirect_uris=(uri,))
    assert (await acting_as(scopes_for_clients, CONSUMER).create_client(local)).client.redirect_uris == (uri,)
    service = acting_as(scopes_for_clients, CONSUMER)
    service.prod = True
    await expect(
        service.create_client(local),
        InvalidClientMetadata,
        "invalid_client_metadata",
        f"Invalid redirect_uri: {uri}",
    )


async def test_create_client_needs_a_registered_acting_org(scopes_for_clients: RegistryService) -> None:
    await expect(
        acting_as(scopes_for_clients, "310000051").create_client(maskinporten()),
        AccessDenied,
        "access_denied",
        "Organisation 310000051 is not registered on the platform",
    )


# -- client keys (§4.7) -----------------------------------------------------------------------------


def public_jwk(kid: str | None = "nokkel-1", bits: int = 2048, **changes: Any) -> dict[str, Any]:
    if bits == 2048:
        jwk = dict(generate_rsa_key().public_jwk)
    else:
        numbers = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key().public_numbers()
        jwk = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": b64url_uint(numbers.n),
            "e": b64url_uint(numbers.e),
        }
    jwk["kid"] = kid
    jwk.update(changes)
    return {k: v for k, v in jwk.items() if v is not None}


def certificate_b64_for_another_key() -> str:
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "annen")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")


@pytest.fixture
async def keyed_client(scopes_for_clients: RegistryService) -> str:
    created = await acting_as(scopes_for_clients, CONSUMER).create_client(maskinporten(scopes=("test:apen",)))
    return created.client.client_id


async def test_replace_keys_renews_every_key(
    scopes_for_clients: RegistryService, keyed_client: str, clock: FixedClock
) -> None:
    consumer = acting_as(scopes_for_clients, CONSUMER)
    first = await consumer.replace_client_keys(keyed_client, [public_jwk("k1"), public_jwk("k2")])
    assert [k.kid for k in first] == ["k1", "k2"]
    clock.advance(timedelta(days=30))
    added = await consumer.add_client_key(keyed_client, public_jwk("k3"))
    assert [(k.kid, k.expires_at - k.created) for k in added] == [
        ("k1", timedelta(days=365)),
        ("k2", timedelta(days=365)),
        ("k3", timedelta(days=365)),
    ]
    assert added[0].expires_at == first[0].expires_at
    renewed = await consumer.replace_client_keys(keyed_client, [dict(k.jwk) for k in added])
    assert {k.expires_at for k in renewed} == {clock.now() + timedelta(days=365)}
    assert [k.kid for k in await consumer.client_keys(keyed_client)] == ["k1", "k2", "k3"]


async def test_a_valid_x5c_is_kept(scopes_for_clients: RegistryService, keyed_client: str) -> None:
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "klient")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    numbers = key.public_key().public_numbers()
    x5c = [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")]
    jwk = {"kty": "RSA", "kid": "med-x5c", "alg": "RS256", "use": "sig", "n": b64url_uint(numbers.n)}
    jwk |= {"e": b64url_uint(numbers.e), "x5c": x5c}
    stored = await acting_as(scopes_for_clients, CONSUMER).replace_client_keys(keyed_client, [jwk])
    assert stored[0].jwk["x5c"] == x5c


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        pytest.param([], "keys must contain between 1 and 5 keys", id="empty"),
        pytest.param(
            [public_jwk(f"k{i}") for i in range(6)], "keys must contain between 1 and 5 keys", id="too-many"
        ),
        pytest.param([{"kty": "EC", "kid": "k"}], "Key 0: kty must be RSA", id="kty"),
        pytest.param(["not an object"], "Key 0: kty must be RSA", id="not-object"),
        pytest.param([public_jwk(kid=None)], "Key 0: missing kid", id="missing-kid"),
        pytest.param([public_jwk(alg=None)], "Key 0: missing alg", id="missing-alg"),
        pytest.param([public_jwk(use=None)], "Key 0: missing use", id="missing-use"),
        pytest.param([public_jwk(n=None)], "Key 0: missing n", id="missing-n"),
        pytest.param([public_jwk(e=None)], "Key 0: missing e", id="missing-e"),
        pytest.param([public_jwk(use="enc")], "Key 0: use must be sig", id="use"),
        pytest.param([public_jwk(alg="PS256")], "Key 0: alg must be RS256, RS384 or RS512", id="alg"),
        pytest.param(
            [public_jwk(kid="a b")], "Key 0: kid must match ^[A-Za-z0-9._-]{1,255}$", id="kid-syntax"
        ),
        pytest.param([public_jwk(bits=1024)], "Key 0: RSA modulus must be at least 2048 bits", id="modulus"),
        pytest.param(
            [public_jwk(d="AQAB")], "Key 0: private key members are not allowed", id="private-member"
        ),
        pytest.param(
            [public_jwk(x5c=[certificate_b64_for_another_key()])],
            "Key 0: x5c does not match the key",
            id="x5c-mismatch",
        ),
        pytest.param([public_jwk(x5c=["!!"])], "Key 0: x5c does not match the key", id="x5c-garbage"),
        pytest.param([public_jwk("k1"), public_jwk(use="enc")], "Key 1: use must be sig", id="second-key"),
        pytest.param([public_jwk("k1"), public_jwk("k1")], "Duplicate kid: k1", id="duplicate-kid"),
        pytest.param(
            [public_jwk("brukt")], "kid 'brukt' is already in use by another client", id="kid-global"
        ),
    ],
)
async def test_replace_keys_refuses(
    scopes_for_clients: RegistryService, keyed_client: str, keys: list[Any], message: str
) -> None:
    consumer = acting_as(scopes_for_clients, CONSUMER)
    other = await consumer.create_client(maskinporten(scopes=("test:apen",)))
    await consumer.replace_client_keys(other.client.client_id, [public_jwk("brukt")])
    await expect(
        consumer.replace_client_keys(keyed_client, keys),
        InvalidClientMetadata,
        "invalid_client_metadata",
        message,
    )


async def test_add_key_counts_the_existing_ones(
    scopes_for_clients: RegistryService, keyed_client: str
) -> None:
    consumer = acting_as(scopes_for_clients, CONSUMER)
    await consumer.replace_client_keys(keyed_client, [public_jwk(f"k{i}") for i in range(4)])
    await expect(
        consumer.add_client_key(keyed_client, public_jwk("k0")),
        InvalidClientMetadata,
        "invalid_client_metadata",
        "Duplicate kid: k0",
    )
    await expect(
        consumer.add_client_key(keyed_client, public_jwk("ny", use="enc")),
        InvalidClientMetadata,
        "invalid_client_metadata",
        "Key 4: use must be sig",
    )
    assert len(await consumer.add_client_key(keyed_client, public_jwk("k4"))) == 5
    await expect(
        consumer.add_client_key(keyed_client, public_jwk("k5")),
        InvalidClientMetadata,
        "invalid_client_metadata",
        "keys must contain between 1 and 5 keys",
    )


@pytest.mark.parametrize(
    ("which", "acting", "error", "code", "message"),
    [
        pytest.param("missing", CONSUMER, ClientNotFound, "not_found", "Client not found", id="not-found"),
        pytest.param(
            "keyed",
            PROVIDER,
            AccessDenied,
            "access_denied",
            "Client belongs to another organisation",
            id="other-org",
        ),
        pytest.param(
            "secret",
            CONSUMER,
            InvalidClientMetadata,
            "invalid_client_metadata",
            "Client does not use private_key_jwt",
            id="not-private-key-jwt",
        ),
    ],
)
async def test_key_operations_refuse(
    scopes_for_clients: RegistryService,
    keyed_client: str,
    which: str,
    acting: str,
    error: type[PortvaktError],
    code: str,
    message: str,
) -> None:
    secret_client = await acting_as(scopes_for_clients, CONSUMER).create_client(idporten())
    client_id = {
        "missing": "no-such-client",
        "keyed": keyed_client,
        "secret": secret_client.client.client_id,
    }[which]
    service = acting_as(scopes_for_clients, acting)
    await expect(service.replace_client_keys(client_id, [public_jwk()]), error, code, message)
    await expect(service.add_client_key(client_id, public_jwk()), error, code, message)
