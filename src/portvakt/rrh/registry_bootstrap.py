"""RRH bootstrap (rrh.md §2), idempotent at every start: the register owner, prefix `brreg`, the scopes."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from portvakt.domain.clock import Clock
from portvakt.registry.errors import RegistryConflict
from portvakt.registry.model import ScopeSettings
from portvakt.registry.repository import bootstrap_platform, registry_service
from portvakt.registry.service import Actor
from portvakt.rrh.access import SCOPE_OFFENTLIG, SCOPE_RAPPORTERINGSPLIKTIG
from portvakt.settings import Settings
from portvakt.storage.engine import Database

OWNER_NAME = "Registerenheten i Brønnøysund"
PREFIX = "brreg"
ALTINN_SOURCE = "altinn"
SCOPES: tuple[tuple[str, str], ...] = (
    (SCOPE_OFFENTLIG, "Reelle rettighetshavere: offentlige myndigheter (forskriften § 3-11 første ledd)"),
    (
        SCOPE_RAPPORTERINGSPLIKTIG,
        "Reelle rettighetshavere: rapporteringspliktige etter hvitvaskingsloven § 4",
    ),
)


async def _ensure(settings: Settings, database: Database, clock: Clock) -> None:
    await bootstrap_platform(settings, database, clock)  # the `altinn` delegation source
    admin = registry_service(
        settings, database, clock, Actor(channel="cli", name="rrh-bootstrap", admin=True)
    )
    owner = settings.rrh_owner_orgno
    known = {organisation.orgno for organisation in await admin.list_organisations(include_inactive=True)}
    if owner not in known:
        await admin.add_organisation(owner, OWNER_NAME, terms_signed=True)
    await admin.assign_prefix(PREFIX, owner)
    existing = {scope.name for scope in await admin.list_scopes(orgno=owner, include_inactive=True)}
    for name, description in SCOPES:
        if name in existing:
            continue
        await admin.create_scope(
            PREFIX,
            name.split(":", 1)[1],
            ScopeSettings(
                description=description,
                visibility="PRIVATE",
                accessible_for_all=False,
                allowed_integration_types=("maskinporten",),
                delegation_source=ALTINN_SOURCE,
            ),
            orgno=owner,
        )


async def ensure_rrh_registry(settings: Settings, database: Database, clock: Clock) -> None:
    """Concurrent starts may race on the inserts: the loser tries once more and finds everything there."""
    try:
        await _ensure(settings, database, clock)
    except (RegistryConflict, IntegrityError):
        await _ensure(settings, database, clock)
