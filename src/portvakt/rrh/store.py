"""Reading the RRH data tables (rrh_contract: `rrh_entities`, `rrh_registrations`) and the entity register.

Registrability (rrh.md §4) is decided from the ER organisation form; the registrations come from the
contract tables as stored (canonical documents with codes only).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.rrh.render import StoredEntity, StoredRegistration
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.rrh import rrh_entities, rrh_registrations

ALWAYS_REGISTRABLE = frozenset(
    {"AS", "ANS", "DA", "BA", "PRE", "EOFG", "KS", "SA", "BBL", "BRL", "PK", "GFS", "ASA", "SE", "SPA"}
)
REGISTRABLE_IN_FORETAKSREGISTERET = frozenset({"NUF", "STI", "FLI"})
MAY_REPORT_MARKET = frozenset({"ASA", "SE", "SPA"})
MAY_REPORT_FOREIGN_REGISTER = frozenset({"NUF"})


def is_registrable(organisation_form: str, registered_in_business_register: bool) -> bool:
    """rrh.md §4."""
    if organisation_form in ALWAYS_REGISTRABLE:
        return True
    return organisation_form in REGISTRABLE_IN_FORETAKSREGISTERET and registered_in_business_register


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class EntityRegistrations:
    entity: StoredEntity
    registrations: tuple[StoredRegistration, ...]


def _entity(row: Any) -> StoredEntity:
    return StoredEntity(
        orgnr=row.orgnr,
        first_registered_at=_utc(row.first_registered_at),
        deleted_at=None if row.deleted_at is None else _utc(row.deleted_at),
    )


def _registration(row: Any) -> StoredRegistration:
    return StoredRegistration(
        registration_id=row.registration_id,
        registered_at=_utc(row.registered_at),
        is_current=bool(row.is_current),
        document=row.document,
    )


_ENTITY_QUERY = select(
    rrh_entities.c.orgnr,
    rrh_entities.c.first_registered_at,
    rrh_entities.c.deleted_at,
    entities.c.organisation_form,
    entities.c.registered_in_business_register,
).select_from(entities.join(rrh_entities, rrh_entities.c.orgnr == entities.c.orgnr, isouter=True))
_REGISTRATIONS_QUERY = select(
    rrh_registrations.c.registration_id,
    rrh_registrations.c.registered_at,
    rrh_registrations.c.is_current,
    rrh_registrations.c.document,
)


async def load_entity(connection: AsyncConnection, orgnr: str) -> EntityRegistrations | None:
    """The entity's registrations, or None when it is unknown in ER, not registrable, or unknown to RRH."""
    row = (await connection.execute(_ENTITY_QUERY.where(entities.c.orgnr == orgnr))).first()
    if row is None or row.first_registered_at is None:
        return None
    if not is_registrable(row.organisation_form, bool(row.registered_in_business_register)):
        return None
    rows = await connection.execute(
        _REGISTRATIONS_QUERY.where(rrh_registrations.c.orgnr == orgnr).order_by(rrh_registrations.c.version)
    )
    registrations = tuple(_registration(item) for item in rows)
    if not registrations:
        return None
    return EntityRegistrations(_entity(row), registrations)


def load_entity_sync(connection: Connection, orgnr: str) -> EntityRegistrations | None:
    """The same for the CLI."""
    row = connection.execute(_ENTITY_QUERY.where(entities.c.orgnr == orgnr)).first()
    if row is None or row.first_registered_at is None:
        return None
    if not is_registrable(row.organisation_form, bool(row.registered_in_business_register)):
        return None
    rows = connection.execute(
        _REGISTRATIONS_QUERY.where(rrh_registrations.c.orgnr == orgnr).order_by(rrh_registrations.c.version)
    )
    registrations = tuple(_registration(item) for item in rows)
    return EntityRegistrations(_entity(row), registrations) if registrations else None


# Driven by the primary key of `rrh_entities` (range + order), so every page is an index range scan on
# both databases; registrability is filtered in Python — as a SQL condition it made SQLite start from the
# organisation-form index and sort the whole table for every page.
TOTALBESTAND_QUERY = select(
    rrh_entities.c.orgnr,
    rrh_entities.c.first_registered_at,
    rrh_entities.c.deleted_at,
    entities.c.organisation_form,
    entities.c.registered_in_business_register,
    rrh_registrations.c.registration_id,
    rrh_registrations.c.registered_at,
    rrh_registrations.c.is_current,
    rrh_registrations.c.document,
).select_from(
    rrh_entities.join(entities, entities.c.orgnr == rrh_entities.c.orgnr).join(
        rrh_registrations,
        and_(rrh_registrations.c.orgnr == rrh_entities.c.orgnr, rrh_registrations.c.is_current == true()),
    )
)


def current_registrations(
    connection: Connection, batch_size: int = 1000
) -> Iterator[tuple[StoredEntity, StoredRegistration]]:
    """Every registrable entity with its current registration, by `organisasjonsnummer`.

    Keyset pagination in batches inside the caller's read transaction (one snapshot), so memory stays
    constant whatever the number of entities.
    """
    after = ""
    while True:
        rows = connection.execute(
            # The bound is repeated on the joined tables so that a merge join starts there too, rather
            # than reading every earlier row of `entities` for each page (PostgreSQL).
            TOTALBESTAND_QUERY.where(
                rrh_entities.c.orgnr > after, entities.c.orgnr > after, rrh_registrations.c.orgnr > after
            )
            .order_by(rrh_entities.c.orgnr)
            .limit(batch_size)
        ).all()
        for row in rows:
            if is_registrable(row.organisation_form, bool(row.registered_in_business_register)):
                yield _entity(row), _registration(row)
        if len(rows) < batch_size:
            return
        after = rows[-1].orgnr
