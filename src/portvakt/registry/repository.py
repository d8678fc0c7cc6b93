"""SQL adapter of the registry's storage ports (`portvakt.registry.service`), on SQLAlchemy Core.

Also the read queries of the token endpoint's cached reader: each answers one `RegistryReader` method
with a single statement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.domain.clock import Clock
from portvakt.maskinporten import ports
from portvakt.registry.admin_repository import SqlAuditLog, SqlOrganisationChanges, SqlPortalUsers
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
from portvakt.registry.service import Actor, BootstrapReport, RegistryService
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.registry import (
    client_keys,
    clients,
    delegation_sources,
    organisation_email_domains,
    organisations,
    prefixes,
    scope_access,
    scopes,
)


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment is not None else None


# -- row mapping ------------------------------------------------------------------------------------


def _scope_from_row(row: Row[Any]) -> ApiScope:
    m = row._mapping
    settings = ScopeSettings(
        description=m["description"],
        long_description=m["long_description"],
        visibility=m["visibility"],
        token_type=m["token_type"],
        at_max_age=m["at_max_age"],
        authorization_max_lifetime=m["authorization_max_lifetime"],
        requires_user_consent=m["requires_user_consent"],
        requires_user_authentication=m["requires_user_authentication"],
        requires_pseudonymous_tokens=m["requires_pseudonymous_tokens"],
        accessible_for_all=m["accessible_for_all"],
        allowed_integration_types=tuple(m["allowed_integration_types"]),
        delegation_source=m["delegation_source"],
        enforced_aud_for_introspection=tuple(m["enforced_aud_for_introspection"]),
    )
    return ApiScope(
        name=m["name"],
        prefix=m["prefix"],
        subscope=m["subscope"],
        owner_orgno=m["owner_orgno"],
        settings=settings,
        active=m["active"],
        created=utc(m["created"]),
        last_updated=utc(m["last_updated"]),
    )


def _scope_values(scope: ApiScope) -> dict[str, Any]:
    s = scope.settings
    return {
        "description": s.description,
        "long_description": s.long_description,
        "visibility": s.visibility,
        "token_type": s.token_type,
        "at_max_age": s.at_max_age,
        "authorization_max_lifetime": s.authorization_max_lifetime,
        "requires_user_consent": s.requires_user_consent,
        "requires_user_authentication": s.requires_user_authentication,
        "requires_pseudonymous_tokens": s.requires_pseudonymous_tokens,
        "accessible_for_all": s.accessible_for_all,
        "allowed_integration_types": list(s.allowed_integration_types),
        "delegation_source": s.delegation_source,
        "enforced_aud_for_introspection": list(s.enforced_aud_for_introspection),
        "active": scope.active,
        "last_updated": scope.last_updated,
    }


def _access_from_row(row: Row[Any]) -> ScopeAccess:
    m = row._mapping
    return ScopeAccess(
        scope=m["scope"],
        consumer_orgno=m["consumer_orgno"],
        owner_orgno=m["owner_orgno"],
        state=AccessState(m["state"]),
        created=utc(m["created"]),
        last_updated=utc(m["last_updated"]),
    )


def _client_from_row(row: Row[Any]) -> ClientRegistration:
    m = row._mapping
    return ClientRegistration(
        client_id=m["client_id"],
        client_name=m["client_name"],
        description=m["description"],
        client_orgno=m["client_orgno"],
        supplier_orgno=m["supplier_orgno"],
        integration_type=m["integration_type"],
        application_type=m["application_type"],
        token_endpoint_auth_method=m["token_endpoint_auth_method"],
        grant_types=tuple(m["grant_types"]),
        scopes=tuple(m["scopes"]),
        redirect_uris=tuple(m["redirect_uris"]),
        post_logout_redirect_uris=tuple(m["post_logout_redirect_uris"]),
        frontchannel_logout_uri=m["frontchannel_logout_uri"],
        frontchannel_logout_session_required=m["frontchannel_logout_session_required"],
        sso_disabled=m["sso_disabled"],
        client_uri=m["client_uri"],
        access_token_lifetime=m["access_token_lifetime"],
        refresh_token_lifetime=m["refresh_token_lifetime"],
        authorization_lifetime=m["authorization_lifetime"],
        refresh_token_usage=m["refresh_token_usage"],
        code_challenge_method=m["code_challenge_method"],
        active=m["active"],
        created=utc(m["created"]),
        last_updated=utc(m["last_updated"]),
        client_secret_hash=m["client_secret_hash"],
        client_secret_expires_at=utc_or_none(m["client_secret_expires_at"]),
    )


def _client_values(client: ClientRegistration) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "client_name": client.client_name,
        "description": client.description,
        "client_orgno": client.client_orgno,
        "supplier_orgno": client.supplier_orgno,
        "integration_type": client.integration_type,
        "application_type": client.application_type,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "scopes": list(client.scopes),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "frontchannel_logout_session_required": client.frontchannel_logout_session_required,
        "sso_disabled": client.sso_disabled,
        "client_uri": client.client_uri,
        "access_token_lifetime": client.access_token_lifetime,
        "refresh_token_lifetime": client.refresh_token_lifetime,
        "authorization_lifetime": client.authorization_lifetime,
        "refresh_token_usage": client.refresh_token_usage,
        "code_challenge_method": client.code_challenge_method,
        "client_secret_hash": client.client_secret_hash,
        "client_secret_expires_at": client.client_secret_expires_at,
        "active": client.active,
        "created": client.created,
        "last_updated": client.last_updated,
    }


def _key_from_row(row: Row[Any]) -> RegisteredKey:
    m = row._mapping
    return RegisteredKey(
        client_id=m["client_id"],
        kid=m["kid"],
        jwk=m["jwk"],
        expires_at=utc(m["expires_at"]),
        created=utc(m["created"]),
    )


# -- repositories -----------------------------------------------------------------------------------


class SqlOrganisations:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def _complete(self, rows: Sequence[Row[Any]]) -> list[Organisation]:
        orgnos = [row.orgno for row in rows]
        if not orgnos:
            return []
        domains: dict[str, list[str]] = {orgno: [] for orgno in orgnos}
        owned: dict[str, list[str]] = {orgno: [] for orgno in orgnos}
        for domain_row in await self.connection.execute(
            select(organisation_email_domains.c.orgno, organisation_email_domains.c.domain)
            .where(organisation_email_domains.c.orgno.in_(orgnos))
            .order_by(organisation_email_domains.c.domain)
        ):
            domains[domain_row.orgno].append(domain_row.domain)
        for prefix_row in await self.connection.execute(
            select(prefixes.c.orgno, prefixes.c.prefix)
            .where(prefixes.c.orgno.in_(orgnos))
            .order_by(prefixes.c.prefix)
        ):
            owned[prefix_row.orgno].append(prefix_row.prefix)
        return [
            Organisation(
                orgno=row.orgno,
                name=row.name,
                email_domains=tuple(domains[row.orgno]),
                terms_signed=row.terms_signed,
                prefixes=tuple(owned[row.orgno]),
                mercantile=row.mercantile,
                active=row.active,
                created=utc(row.created),
                last_updated=utc(row.last_updated),
            )
            for row in rows
        ]

    async def get(self, orgno: str) -> Organisation | None:
        rows = (
            await self.connection.execute(select(organisations).where(organisations.c.orgno == orgno))
        ).all()
        found = await self._complete(rows)
        return found[0] if found else None

    async def list(self, *, include_inactive: bool = False) -> list[Organisation]:
        query = select(organisations).order_by(organisations.c.orgno)
        if not include_inactive:
            query = query.where(organisations.c.active.is_(True))
        return await self._complete((await self.connection.execute(query)).all())

    async def add(self, organisation: Organisation) -> None:
        assert organisation.created is not None
        assert organisation.last_updated is not None
        await self.connection.execute(
            insert(organisations).values(
                orgno=organisation.orgno,
                name=organisation.name,
                terms_signed=organisation.terms_signed,
                mercantile=dict(organisation.mercantile) if organisation.mercantile is not None else None,
                active=organisation.active,
                created=organisation.created,
                last_updated=organisation.last_updated,
            )
        )
        if organisation.email_domains:
            await self.connection.execute(
                insert(organisation_email_domains),
                [{"domain": domain, "orgno": organisation.orgno} for domain in organisation.email_domains],
            )

    async def domain_owner(self, domain: str) -> str | None:
        owner: str | None = await self.connection.scalar(
            select(organisation_email_domains.c.orgno).where(organisation_email_domains.c.domain == domain)
        )
        return owner


class SqlPrefixes:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, prefix: str) -> Prefix | None:
        row = (await self.connection.execute(select(prefixes).where(prefixes.c.prefix == prefix))).first()
        return Prefix(prefix=row.prefix, orgno=row.orgno, created=utc(row.created)) if row else None

    async def add(self, prefix: Prefix) -> None:
        await self.connection.execute(
            insert(prefixes).values(prefix=prefix.prefix, orgno=prefix.orgno, created=prefix.created)
        )


class SqlDelegationSources:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @staticmethod
    def _from_row(row: Row[Any]) -> DelegationSourceRecord:
        return DelegationSourceRecord(
            name=row.name, issuer=row.issuer, created=utc(row.created), last_updated=utc(row.last_updated)
        )

    async def get(self, name: str) -> DelegationSourceRecord | None:
        row = (
            await self.connection.execute(select(delegation_sources).where(delegation_sources.c.name == name))
        ).first()
        return self._from_row(row) if row else None

    async def list(self) -> list[DelegationSourceRecord]:
        rows = await self.connection.execute(select(delegation_sources).order_by(delegation_sources.c.name))
        return [self._from_row(row) for row in rows]

    async def save(self, source: DelegationSourceRecord) -> None:
        result = await self.connection.execute(
            update(delegation_sources)
            .where(delegation_sources.c.name == source.name)
            .values(issuer=source.issuer, last_updated=source.last_updated)
        )
        if result.rowcount == 0:
            await self.connection.execute(
                insert(delegation_sources).values(
                    name=source.name,
                    issuer=source.issuer,
                    created=source.created,
                    last_updated=source.last_updated,
                )
            )


class SqlScopes:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, name: str) -> ApiScope | None:
        row = (await self.connection.execute(select(scopes).where(scopes.c.name == name))).first()
        return _scope_from_row(row) if row else None

    async def get_many(self, names: Sequence[str]) -> dict[str, ApiScope]:
        if not names:
            return {}
        rows = await self.connection.execute(select(scopes).where(scopes.c.name.in_(list(names))))
        return {row.name: _scope_from_row(row) for row in rows}

    async def list_owned(self, orgno: str, *, include_inactive: bool = False) -> list[ApiScope]:
        query = select(scopes).where(scopes.c.owner_orgno == orgno).order_by(scopes.c.name)
        if not include_inactive:
            query = query.where(scopes.c.active.is_(True))
        return [_scope_from_row(row) for row in await self.connection.execute(query)]

    async def list_active(self) -> list[ApiScope]:
        query = select(scopes).where(scopes.c.active.is_(True)).order_by(scopes.c.name)
        return [_scope_from_row(row) for row in await self.connection.execute(query)]

    async def list_public(self) -> list[ApiScope]:
        query = (
            select(scopes)
            .where(scopes.c.active.is_(True), scopes.c.visibility == "PUBLIC")
            .order_by(scopes.c.name)
        )
        return [_scope_from_row(row) for row in await self.connection.execute(query)]

    async def add(self, scope: ApiScope) -> None:
        await self.connection.execute(
            insert(scopes).values(
                name=scope.name,
                prefix=scope.prefix,
                subscope=scope.subscope,
                owner_orgno=scope.owner_orgno,
                created=scope.created,
                **_scope_values(scope),
            )
        )

    async def update(self, scope: ApiScope) -> None:
        await self.connection.execute(
            update(scopes).where(scopes.c.name == scope.name).values(**_scope_values(scope))
        )


class SqlAccesses:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @staticmethod
    def _query() -> Any:
        return select(
            scope_access.c.scope,
            scope_access.c.consumer_orgno,
            scopes.c.owner_orgno,
            scope_access.c.state,
            scope_access.c.created,
            scope_access.c.last_updated,
        ).join(scopes, scopes.c.name == scope_access.c.scope)

    async def get(self, scope: str, consumer_orgno: str) -> ScopeAccess | None:
        row = (
            await self.connection.execute(
                self._query().where(
                    scope_access.c.scope == scope, scope_access.c.consumer_orgno == consumer_orgno
                )
            )
        ).first()
        return _access_from_row(row) if row else None

    async def save(self, access: ScopeAccess) -> None:
        result = await self.connection.execute(
            update(scope_access)
            .where(
                scope_access.c.scope == access.scope, scope_access.c.consumer_orgno == access.consumer_orgno
            )
            .values(state=access.state.value, last_updated=access.last_updated)
        )
        if result.rowcount == 0:
            await self.connection.execute(
                insert(scope_access).values(
                    scope=access.scope,
                    consumer_orgno=access.consumer_orgno,
                    state=access.state.value,
                    created=access.created,
                    last_updated=access.last_updated,
                )
            )

    async def list_for_scope(self, scope: str, *, include_denied: bool = False) -> list[ScopeAccess]:
        query = self._query().where(scope_access.c.scope == scope).order_by(scope_access.c.consumer_orgno)
        if not include_denied:
            query = query.where(scope_access.c.state == AccessState.APPROVED.value)
        return [_access_from_row(row) for row in await self.connection.execute(query)]

    async def list_for_consumer(self, consumer_orgno: str) -> list[ScopeAccess]:
        query = (
            self._query()
            .where(
                scope_access.c.consumer_orgno == consumer_orgno,
                scope_access.c.state == AccessState.APPROVED.value,
            )
            .order_by(scope_access.c.scope)
        )
        return [_access_from_row(row) for row in await self.connection.execute(query)]

    async def approved_scopes(self, consumer_orgno: str, names: Sequence[str]) -> set[str]:
        if not names:
            return set()
        rows = await self.connection.execute(
            select(scope_access.c.scope).where(
                scope_access.c.consumer_orgno == consumer_orgno,
                scope_access.c.scope.in_(list(names)),
                scope_access.c.state == AccessState.APPROVED.value,
            )
        )
        return {row.scope for row in rows}


class SqlClients:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, client_id: str) -> ClientRegistration | None:
        row = (await self.connection.execute(select(clients).where(clients.c.client_id == client_id))).first()
        return _client_from_row(row) if row else None

    async def existing_ids(self, client_ids: Sequence[str]) -> set[str]:
        if not client_ids:
            return set()
        rows = await self.connection.execute(
            select(clients.c.client_id).where(clients.c.client_id.in_(list(client_ids)))
        )
        return {row.client_id for row in rows}

    async def add(self, client: ClientRegistration) -> None:
        await self.connection.execute(insert(clients).values(**_client_values(client)))

    async def update(self, client: ClientRegistration) -> None:
        values = _client_values(client)
        del values["client_id"]
        await self.connection.execute(
            update(clients).where(clients.c.client_id == client.client_id).values(**values)
        )

    async def list_for_org(
        self, orgno: str, *, own: bool, supplied: bool, include_inactive: bool
    ) -> list[ClientRegistration]:
        conditions = []
        if own:
            conditions.append(clients.c.client_orgno == orgno)
        if supplied:
            conditions.append(and_(clients.c.supplier_orgno == orgno, clients.c.client_orgno != orgno))
        if not conditions:
            return []
        query = select(clients).where(or_(*conditions)).order_by(clients.c.created, clients.c.client_id)
        if not include_inactive:
            query = query.where(clients.c.active.is_(True))
        return [_client_from_row(row) for row in await self.connection.execute(query)]

    async def keys(self, client_id: str) -> list[RegisteredKey]:
        rows = await self.connection.execute(
            select(client_keys).where(client_keys.c.client_id == client_id).order_by(client_keys.c.id)
        )
        return [_key_from_row(row) for row in rows]

    async def replace_keys(self, client_id: str, keys: Sequence[RegisteredKey]) -> None:
        await self.connection.execute(delete(client_keys).where(client_keys.c.client_id == client_id))
        if keys:
            await self.connection.execute(
                insert(client_keys),
                [
                    {
                        "client_id": client_id,
                        "kid": key.kid,
                        "jwk": dict(key.jwk),
                        "expires_at": key.expires_at,
                        "created": key.created,
                    }
                    for key in keys
                ],
            )

    async def kid_owners(self, kids: Sequence[str]) -> dict[str, str]:
        if not kids:
            return {}
        rows = await self.connection.execute(
            select(client_keys.c.kid, client_keys.c.client_id).where(client_keys.c.kid.in_(list(kids)))
        )
        return {row.kid: row.client_id for row in rows}


class SqlRegistryUnit:
    """The repositories of one transaction, on one connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._organisations = SqlOrganisations(connection)
        self._prefixes = SqlPrefixes(connection)
        self._delegation_sources = SqlDelegationSources(connection)
        self._scopes = SqlScopes(connection)
        self._accesses = SqlAccesses(connection)
        self._clients = SqlClients(connection)
        self._audit = SqlAuditLog(connection)
        self._users = SqlPortalUsers(connection)
        self._organisation_changes = SqlOrganisationChanges(connection)

    @property
    def organisations(self) -> SqlOrganisations:
        return self._organisations

    @property
    def prefixes(self) -> SqlPrefixes:
        return self._prefixes

    @property
    def delegation_sources(self) -> SqlDelegationSources:
        return self._delegation_sources

    @property
    def scopes(self) -> SqlScopes:
        return self._scopes

    @property
    def accesses(self) -> SqlAccesses:
        return self._accesses

    @property
    def clients(self) -> SqlClients:
        return self._clients

    @property
    def audit(self) -> SqlAuditLog:
        """The change log (portvakt.registry.audit): rows share this transaction."""
        return self._audit

    @property
    def users(self) -> SqlPortalUsers:
        return self._users

    @property
    def organisation_changes(self) -> SqlOrganisationChanges:
        return self._organisation_changes


class SqlRegistryStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlRegistryUnit]:
        async with self.database.engine.begin() as connection:
            yield SqlRegistryUnit(connection)


def registry_service(settings: Settings, database: Database, clock: Clock, actor: Actor) -> RegistryService:
    """The use cases on the SQL store, configured from settings (the composition used by every front end)."""
    return RegistryService(
        SqlRegistryStore(database),
        clock,
        actor,
        platform_orgno=settings.platform_orgno,
        prod=settings.is_prod,
    )


# -- the token endpoint's read queries (one statement each) ----------------------------------------


async def read_client(connection: AsyncConnection, client_id: str) -> ports.Client | None:
    query = (
        select(
            clients.c.client_id,
            clients.c.client_orgno,
            clients.c.supplier_orgno,
            clients.c.integration_type,
            clients.c.grant_types,
            clients.c.scopes,
            clients.c.active,
            clients.c.access_token_lifetime,
            client_keys.c.kid,
            client_keys.c.jwk,
            client_keys.c.expires_at,
        )
        .select_from(clients.outerjoin(client_keys, client_keys.c.client_id == clients.c.client_id))
        .where(clients.c.client_id == client_id)
        .order_by(client_keys.c.id)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return None
    first = rows[0]
    keys = tuple(
        ports.ClientKey(kid=row.kid, jwk=row.jwk, expires_at=utc(row.expires_at)) for row in rows if row.kid
    )
    return ports.Client(
        client_id=first.client_id,
        client_orgno=first.client_orgno,
        integration_type=first.integration_type,
        grant_types=tuple(first.grant_types),
        scopes=frozenset(first.scopes),
        active=first.active,
        supplier_orgno=first.supplier_orgno,
        access_token_lifetime=first.access_token_lifetime or None,
        keys=keys,
    )


async def read_scopes(connection: AsyncConnection, names: Sequence[str]) -> dict[str, ports.Scope]:
    if not names:
        return {}
    query = select(
        scopes.c.name,
        scopes.c.owner_orgno,
        scopes.c.active,
        scopes.c.allowed_integration_types,
        scopes.c.accessible_for_all,
        scopes.c.at_max_age,
        scopes.c.delegation_source,
    ).where(scopes.c.name.in_(list(names)))
    return {
        row.name: ports.Scope(
            name=row.name,
            owner_orgno=row.owner_orgno,
            active=row.active,
            allowed_integration_types=tuple(row.allowed_integration_types),
            accessible_for_all=row.accessible_for_all,
            at_max_age=row.at_max_age or None,
            delegation_source=row.delegation_source,
        )
        for row in await connection.execute(query)
    }


async def read_has_approved_access(connection: AsyncConnection, scope: str, consumer_orgno: str) -> bool:
    found = await connection.scalar(
        select(scope_access.c.id).where(
            and_(
                scope_access.c.scope == scope,
                scope_access.c.consumer_orgno == consumer_orgno,
                scope_access.c.state == AccessState.APPROVED.value,
            )
        )
    )
    return found is not None


async def read_delegation_source(connection: AsyncConnection, name: str) -> ports.DelegationSource | None:
    row = (
        await connection.execute(
            select(delegation_sources.c.name, delegation_sources.c.issuer).where(
                delegation_sources.c.name == name
            )
        )
    ).first()
    return ports.DelegationSource(name=row.name, issuer=row.issuer) if row else None


async def bootstrap_platform(settings: Settings, database: Database, clock: Clock) -> BootstrapReport:
    """Selvbetjening.md §7 bootstrap for the settings' platform org and Altinn issuer (every start)."""
    service = registry_service(settings, database, clock, Actor(channel="cli", name="bootstrap", admin=True))
    return await service.bootstrap(altinn_issuer=settings.base_url("altinn") + "/")
