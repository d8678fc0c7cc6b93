"""KRR bootstrap (krr.md §2.3), idempotent at every start: the `krr` scopes of the platform organisation."""

from __future__ import annotations

from typing import Final

from sqlalchemy.exc import IntegrityError

from portvakt.domain.clock import Clock
from portvakt.registry.errors import RegistryConflict
from portvakt.registry.model import ScopeSettings
from portvakt.registry.repository import bootstrap_platform, registry_service
from portvakt.registry.service import ALTINN_DELEGATION_SOURCE, Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database

PREFIX: Final = "krr"
GLOBAL_TYPES: Final = ("krr", "maskinporten")
USER_TYPES: Final = ("api_klient",)
# name → (description, allowed integration types, delegation source)
SCOPES: Final[tuple[tuple[str, str, tuple[str, ...], str | None], ...]] = (
    ("krr:global/kontaktinformasjon.read", "Kontaktinformasjon fra KRR", GLOBAL_TYPES, None),
    ("krr:global/digitalpost.read", "Digital postkasse og sertifikat fra KRR", GLOBAL_TYPES, None),
    (
        "krr:global/kontaktinfo.read",
        "Kontaktinformasjon fra KRR (delegert via Altinn)",
        GLOBAL_TYPES,
        ALTINN_DELEGATION_SOURCE,
    ),
    (
        "krr:global/postkasse.read",
        "Digital postkasse fra KRR (delegert via Altinn)",
        GLOBAL_TYPES,
        ALTINN_DELEGATION_SOURCE,
    ),
    ("krr:global/hentendring.read", "Endringslogg fra KRR (lokal kopi)", GLOBAL_TYPES, None),
    ("krr:user/kontaktinformasjon.read", "Egen kontaktinformasjon i KRR", USER_TYPES, None),
    ("krr:user/digitalpost.read", "Egen digitale postkasse i KRR", USER_TYPES, None),
    ("krr:user/spraak.write", "Endre eget foretrukket språk i KRR", USER_TYPES, None),
)


async def _ensure(settings: Settings, database: Database, clock: Clock) -> None:
    await bootstrap_platform(settings, database, clock)  # the platform org, prefix `krr`, source `altinn`
    owner = settings.platform_orgno
    if owner is None:
        return
    admin = registry_service(
        settings, database, clock, Actor(channel="cli", name="krr-bootstrap", admin=True)
    )
    existing = {scope.name for scope in await admin.list_scopes(orgno=owner, include_inactive=True)}
    for name, description, types, source in SCOPES:
        if name in existing:
            continue
        await admin.create_scope(
            PREFIX,
            name.split(":", 1)[1],
            ScopeSettings(
                description=description,
                visibility="PRIVATE",
                accessible_for_all=False,
                allowed_integration_types=types,
                delegation_source=source,
            ),
            orgno=owner,
        )


async def ensure_krr_registry(settings: Settings, database: Database, clock: Clock) -> None:
    """Concurrent starts may race on the inserts: the loser tries once more and finds everything there."""
    try:
        await _ensure(settings, database, clock)
    except (RegistryConflict, IntegrityError):
        await _ensure(settings, database, clock)
