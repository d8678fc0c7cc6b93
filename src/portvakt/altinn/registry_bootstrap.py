"""Altinn bootstrap (altinn.md §1, §2.5), idempotent at every start: prefix `altinn`, its scopes, the
Maskinporten delegation schemes."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portvakt.altinn.mp_delegations import SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE, ensure_schemes
from portvakt.domain.clock import Clock
from portvakt.registry.errors import RegistryConflict
from portvakt.registry.model import ClientSettings, ScopeSettings
from portvakt.registry.repository import bootstrap_platform, registry_service
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.tables.population import entities

PREFIX: Final = "altinn"
OWNER_NAME: Final = "Altinn (portvakt)"
SCOPE_AUTHORIZE: Final = "altinn:authorization/authorize"
SCOPE_AUTHORIZE_LEGACY: Final = "altinn:authorization:pdp"
SCOPE_AUTHORIZED_PARTIES: Final = "altinn:accessmanagement/authorizedparties.resourceowner"
SCOPES: Final = (
    (SCOPE_AUTHORIZE, "Altinn: PDP decisions (authorize)", False),
    (SCOPE_AUTHORIZED_PARTIES, "Altinn: authorized parties for resource owners", False),
    (SCOPE_READ, "Altinn: look up Maskinporten delegations for own scopes", False),
    (SCOPE_ADMIN, "Altinn: look up any Maskinporten delegation", False),
    (SCOPE_WRITE, "Altinn: create and revoke Maskinporten delegations as consumer", True),
)


def owner_orgno(settings: Settings) -> str:
    owner = settings.altinn_owner_orgno or settings.platform_orgno
    if owner is None:
        raise ValueError("PORTVAKT_ALTINN_OWNER_ORGNO or PORTVAKT_PLATFORM_ORGNO is required")
    return owner


async def _ensure(settings: Settings, database: Database, clock: Clock) -> None:
    await bootstrap_platform(settings, database, clock)
    admin = registry_service(
        settings, database, clock, Actor(channel="cli", name="altinn-bootstrap", admin=True)
    )
    owner = owner_orgno(settings)
    known = {organisation.orgno for organisation in await admin.list_organisations(include_inactive=True)}
    if owner not in known:
        await admin.add_organisation(owner, OWNER_NAME, terms_signed=True)
    await admin.assign_prefix(PREFIX, owner)
    existing = {scope.name for scope in await admin.list_scopes(orgno=owner, include_inactive=True)}
    for name, description, for_all in SCOPES:
        if name in existing:
            continue
        await admin.create_scope(
            PREFIX,
            name.split(":", 1)[1],
            ScopeSettings(
                description=description,
                visibility="PRIVATE",
                accessible_for_all=for_all,
                allowed_integration_types=("maskinporten",),
            ),
            orgno=owner,
        )
    async with database.engine.begin() as connection:
        await ensure_schemes(connection)


# identifiers-and-testdata.md §10.3, the registry half (the generator writes the rule-store half; the KRR
# scopes it needs only exist once the KRR service has started, so it is completed here, in test only).
SCENARIO_SUPPLIER: Final = ("399900336", "LEVERANDØR TEST AS")
SCENARIO_CONSUMER: Final = ("399900344", "ETAT FOR TESTING")
SCENARIO_ACCESS: Final = (
    "krr:global/kontaktinfo.read",
    "krr:global/postkasse.read",
    "krr:global/kontaktinformasjon.read",
)
SCENARIO_CLIENT_NAME: Final = "LEVERANDØR TEST – KRR på vegne av"
SCENARIO_CLIENT_SCOPES: Final = ("krr:global/kontaktinfo.read", "krr:global/postkasse.read")


async def _scenario_present(database: Database) -> bool:
    orgnrs = (SCENARIO_SUPPLIER[0], SCENARIO_CONSUMER[0])
    async with database.engine.connect() as connection:
        found = await connection.execute(select(entities.c.orgnr).where(entities.c.orgnr.in_(orgnrs)))
        return len(found.all()) == len(orgnrs)


async def ensure_scenario_registry(settings: Settings, database: Database, clock: Clock) -> bool:
    """S31's APPROVED access to the KRR scopes and S30's keyless client (it authenticates with a test
    certificate). Idempotent; does nothing in prod, without the generated scenario or without KRR's scopes."""
    if settings.is_prod or not await _scenario_present(database):
        return False
    admin = registry_service(
        settings, database, clock, Actor(channel="cli", name="altinn-scenario", admin=True)
    )
    present = {
        scope.name for scope in await admin.list_scopes(orgno=settings.platform_orgno, include_inactive=True)
    }
    if not set(SCENARIO_ACCESS) <= present:
        return False
    known = {organisation.orgno for organisation in await admin.list_organisations(include_inactive=True)}
    for orgno, name in (SCENARIO_SUPPLIER, SCENARIO_CONSUMER):
        if orgno not in known:
            await admin.add_organisation(orgno, name, terms_signed=True)
    for scope in SCENARIO_ACCESS:
        await admin.grant_access(scope, SCENARIO_CONSUMER[0])
    clients = await admin.list_clients(orgno=SCENARIO_SUPPLIER[0], include_inactive=True)
    if not any(client.client_name == SCENARIO_CLIENT_NAME for client in clients):
        await admin.create_client(
            ClientSettings(
                client_name=SCENARIO_CLIENT_NAME,
                description="Leverandør som henter KRR-data på vegne av ETAT FOR TESTING",
                integration_type="maskinporten",
                scopes=SCENARIO_CLIENT_SCOPES,
            ),
            orgno=SCENARIO_SUPPLIER[0],
        )
    return True


async def ensure_altinn_registry(settings: Settings, database: Database, clock: Clock) -> None:
    """Concurrent starts may race on the inserts: the loser tries once more and finds everything there."""
    try:
        await _ensure(settings, database, clock)
        await ensure_scenario_registry(settings, database, clock)
    except (RegistryConflict, IntegrityError):
        await _ensure(settings, database, clock)
        await ensure_scenario_registry(settings, database, clock)
