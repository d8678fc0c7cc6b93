"""The SQL registry store and the token endpoint's read queries: one contract, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portvakt.maskinporten import ports
from portvakt.registry.model import (
    AccessState,
    ApiScope,
    ClientRegistration,
    DelegationSourceRecord,
    Organisation,
    Prefix,
    RegisteredKey,
    ScopeAccess,
    ScopeSettings,
)
from portvakt.registry.repository import (
    SqlRegistryStore,
    read_client,
    read_delegation_source,
    read_has_approved_access,
    read_scopes,
)
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade

T0 = datetime(2026, 2, 3, 4, 5, 6, 123456, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@pytest.fixture
async def store(empty_database_url: str) -> AsyncIterator[SqlRegistryStore]:
    upgrade(empty_database_url)
    database = Database.connect(empty_database_url)
    yield SqlRegistryStore(database)
    await database.dispose()


def organisation(orgno: str, name: str = "ÆRLIG ØKONOMI Å/S", **changes: object) -> Organisation:
    values: dict[str, object] = {"orgno": orgno, "name": name, "created": T0, "last_updated": T0}
    values.update(changes)
    return Organisation(**values)  # type: ignore[arg-type]


def scope(name: str, owner: str, **settings: object) -> ApiScope:
    prefix, subscope = name.split(":", 1)
    return ApiScope(
        name=name,
        prefix=prefix,
        subscope=subscope,
        owner_orgno=owner,
        settings=ScopeSettings(description="Beskrivelse med æøå", **settings),  # type: ignore[arg-type]
        active=True,
        created=T0,
        last_updated=T0,
    )


def client(client_id: str, orgno: str, **changes: object) -> ClientRegistration:
    values: dict[str, object] = {
        "client_id": client_id,
        "client_name": "Klient",
        "description": "Beskrivelse",
        "client_orgno": orgno,
        "supplier_orgno": None,
        "integration_type": "maskinporten",
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "grant_types": (JWT_BEARER,),
        "scopes": ("test:a", "test:b"),
        "redirect_uris": (),
        "post_logout_redirect_uris": (),
        "frontchannel_logout_uri": None,
        "frontchannel_logout_session_required": False,
        "sso_disabled": False,
        "client_uri": None,
        "access_token_lifetime": 0,
        "refresh_token_lifetime": 0,
        "authorization_lifetime": 0,
        "refresh_token_usage": "ONETIME",
        "code_challenge_method": "S256",
        "active": True,
        "created": T0,
        "last_updated": T0,
    }
    values.update(changes)
    return ClientRegistration(**values)  # type: ignore[arg-type]


def key(client_id: str, kid: str, created: datetime = T0) -> RegisteredKey:
    jwk = {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB"}
    return RegisteredKey(client_id, kid, jwk, expires_at=created + timedelta(days=365), created=created)


async def seed(store: SqlRegistryStore) -> None:
    async with store.transaction() as unit:
        await unit.organisations.add(organisation("310000019", email_domains=("plattform.no", "drift.no")))
        await unit.organisations.add(organisation("310000027", "TILBYDER AS", terms_signed=True))
        await unit.organisations.add(organisation("310000035", "BORTE AS", active=False))
        await unit.prefixes.add(Prefix("test", "310000027", T0))
        await unit.delegation_sources.save(DelegationSourceRecord("altinn", "http://altinn/", T0, T0))
        await unit.scopes.add(scope("test:a", "310000027", allowed_integration_types=("maskinporten",)))
        await unit.scopes.add(scope("test:b", "310000027", at_max_age=120, delegation_source="altinn"))


async def test_organisations_round_trip(store: SqlRegistryStore) -> None:
    await seed(store)
    async with store.transaction() as unit:
        found = await unit.organisations.get("310000019")
        assert found == organisation("310000019", email_domains=("drift.no", "plattform.no"))
        tilbyder = await unit.organisations.get("310000027")
        assert tilbyder is not None
        assert (tilbyder.prefixes, tilbyder.terms_signed) == (("test",), True)
        assert await unit.organisations.get("310000043") is None
        assert [o.orgno for o in await unit.organisations.list()] == ["310000019", "310000027"]
        everyone = await unit.organisations.list(include_inactive=True)
        assert [o.orgno for o in everyone] == ["310000019", "310000027", "310000035"]
        assert await unit.organisations.domain_owner("drift.no") == "310000019"
        assert await unit.organisations.domain_owner("annen.no") is None
        assert await unit.prefixes.get("test") == Prefix("test", "310000027", T0)
        assert await unit.prefixes.get("krr") is None


async def test_a_failed_transaction_leaves_nothing(store: SqlRegistryStore) -> None:
    with pytest.raises(RuntimeError):  # noqa: PT012 - the raise must happen inside the transaction
        async with store.transaction() as unit:
            await unit.organisations.add(organisation("310000019"))
            raise RuntimeError("abort")
    async with store.transaction() as unit:
        assert await unit.organisations.get("310000019") is None


async def test_delegation_sources_insert_then_update(store: SqlRegistryStore) -> None:
    await seed(store)
    async with store.transaction() as unit:
        await unit.delegation_sources.save(DelegationSourceRecord("altinn", "https://altinn.no/", T0, T1))
        await unit.delegation_sources.save(DelegationSourceRecord("annen", "https://annen.no/", T1, T1))
        assert await unit.delegation_sources.list() == [
            DelegationSourceRecord("altinn", "https://altinn.no/", T0, T1),
            DelegationSourceRecord("annen", "https://annen.no/", T1, T1),
        ]
        assert await unit.delegation_sources.get("ingen") is None


async def test_scopes_round_trip_and_update(store: SqlRegistryStore) -> None:
    await seed(store)
    full = scope(
        "test:alt/felt",
        "310000027",
        long_description="**lang**",
        visibility="PRIVATE",
        token_type="OPAQUE",
        at_max_age=60,
        authorization_max_lifetime=3600,
        requires_user_consent=True,
        requires_user_authentication=True,
        requires_pseudonymous_tokens=True,
        accessible_for_all=True,
        allowed_integration_types=("idporten", "api_klient"),
        delegation_source="altinn",
        enforced_aud_for_introspection=("klient-1",),
    )
    async with store.transaction() as unit:
        await unit.scopes.add(full)
    async with store.transaction() as unit:
        assert await unit.scopes.get("test:alt/felt") == full
        assert set(await unit.scopes.get_many(["test:a", "test:alt/felt", "test:ingen"])) == {
            "test:a",
            "test:alt/felt",
        }
        assert await unit.scopes.get_many([]) == {}
        changed = ApiScope(
            full.name,
            full.prefix,
            full.subscope,
            full.owner_orgno,
            ScopeSettings("Ny"),
            False,
            full.created,
            T1,
        )
        await unit.scopes.update(changed)
        assert await unit.scopes.get(full.name) == changed
        assert [s.name for s in await unit.scopes.list_owned("310000027")] == ["test:a", "test:b"]
        owned = await unit.scopes.list_owned("310000027", include_inactive=True)
        assert [s.name for s in owned] == ["test:a", "test:alt/felt", "test:b"]


async def test_scope_access_upsert_and_queries(store: SqlRegistryStore) -> None:
    await seed(store)
    granted = ScopeAccess("test:a", "991825827", "310000027", AccessState.APPROVED, T0, T0)
    async with store.transaction() as unit:
        await unit.accesses.save(granted)
        await unit.accesses.save(ScopeAccess("test:b", "991825827", "310000027", AccessState.DENIED, T0, T0))
    async with store.transaction() as unit:
        assert await unit.accesses.get("test:a", "991825827") == granted
        assert await unit.accesses.approved_scopes("991825827", ["test:a", "test:b", "test:c"]) == {"test:a"}
        revoked = ScopeAccess("test:a", "991825827", "310000027", AccessState.DENIED, T0, T1)
        await unit.accesses.save(revoked)
        assert await unit.accesses.get("test:a", "991825827") == revoked
        assert await unit.accesses.list_for_scope("test:a") == []
        assert await unit.accesses.list_for_scope("test:a", include_denied=True) == [revoked]
        assert await unit.accesses.get("test:a", "974760673") is None


async def test_clients_and_keys(store: SqlRegistryStore) -> None:
    await seed(store)
    secretive = client(
        "c-2",
        "310000027",
        supplier_orgno="310000019",
        integration_type="idporten",
        token_endpoint_auth_method="client_secret_basic",
        grant_types=("authorization_code", "refresh_token"),
        scopes=("openid",),
        redirect_uris=("https://a.no/cb",),
        client_secret_hash="sha256:abc",
        client_secret_expires_at=T1,
        access_token_lifetime=100,
    )
    async with store.transaction() as unit:
        await unit.clients.add(client("c-1", "310000027"))
        await unit.clients.add(secretive)
        await unit.clients.replace_keys("c-1", [key("c-1", "k1"), key("c-1", "k2")])
    async with store.transaction() as unit:
        assert await unit.clients.get("c-2") == secretive
        assert await unit.clients.get("c-3") is None
        assert await unit.clients.existing_ids(["c-1", "c-3"]) == {"c-1"}
        assert [k.kid for k in await unit.clients.keys("c-1")] == ["k1", "k2"]
        assert (await unit.clients.keys("c-1"))[0] == key("c-1", "k1")
        await unit.clients.replace_keys("c-1", [key("c-1", "k3", T1)])
        assert await unit.clients.keys("c-1") == [key("c-1", "k3", T1)]
        assert await unit.clients.kid_owners(["k1", "k3"]) == {"k3": "c-1"}
    with pytest.raises(IntegrityError):
        async with store.transaction() as unit:
            await unit.clients.replace_keys("c-2", [key("c-2", "k3")])


async def test_token_endpoint_queries(store: SqlRegistryStore) -> None:
    await seed(store)
    async with store.transaction() as unit:
        await unit.clients.add(
            client("c-1", "310000027", supplier_orgno="310000019", access_token_lifetime=90)
        )
        await unit.clients.add(client("c-2", "310000027", active=False))
        await unit.clients.replace_keys("c-1", [key("c-1", "k1"), key("c-1", "k2")])
        await unit.accesses.save(
            ScopeAccess("test:a", "991825827", "310000027", AccessState.APPROVED, T0, T0)
        )
        await unit.accesses.save(ScopeAccess("test:b", "991825827", "310000027", AccessState.DENIED, T0, T0))
    async with store.database.engine.connect() as connection:
        found = await read_client(connection, "c-1")
        assert found == ports.Client(
            client_id="c-1",
            client_orgno="310000027",
            integration_type="maskinporten",
            grant_types=(JWT_BEARER,),
            scopes=frozenset({"test:a", "test:b"}),
            active=True,
            supplier_orgno="310000019",
            access_token_lifetime=90,
            keys=(
                ports.ClientKey("k1", key("c-1", "k1").jwk, T0 + timedelta(days=365)),
                ports.ClientKey("k2", key("c-1", "k2").jwk, T0 + timedelta(days=365)),
            ),
        )
        inactive = await read_client(connection, "c-2")
        assert inactive is not None
        assert (inactive.active, inactive.keys, inactive.access_token_lifetime) == (False, (), None)
        assert await read_client(connection, "c-3") is None
        assert await read_scopes(connection, ["test:a", "test:b", "test:x"]) == {
            "test:a": ports.Scope("test:a", "310000027", True, ("maskinporten",), False, None, None),
            "test:b": ports.Scope("test:b", "310000027", True, (), False, 120, "altinn"),
        }
        assert await read_scopes(connection, []) == {}
        assert await read_has_approved_access(connection, "test:a", "991825827") is True
        assert await read_has_approved_access(connection, "test:b", "991825827") is False
        assert await read_has_approved_access(connection, "test:a", "974760673") is False
        assert await read_delegation_source(connection, "altinn") == ports.DelegationSource(
            "altinn", "http://altinn/"
        )
        assert await read_delegation_source(connection, "ingen") is None
