"""RRH data: ownership graph and beneficial-owner registrations (rrh.md §5, §8; testdata §9.1–9.3).

Ownership shares are integer hundredths of a percent (10000 = 100 %). An owner is exactly one of: a person
of the population register (`owner_national_id`), an ER entity (`owner_orgnr`), a foreign person, a
foreign entity, or a foreign state (`owner_kind = 'foreign_public'`, `owner_country`). An entity "has A/B
shares" when the capital and the voting share of one of its owners differ.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portvakt.storage.tables.base import metadata

OWNER_KINDS = ("person", "entity", "foreign_person", "foreign_entity", "foreign_public")

_ONE_OWNER = (
    "(owner_kind = 'person' AND owner_national_id IS NOT NULL AND owner_orgnr IS NULL"
    " AND owner_foreign_person_id IS NULL AND owner_foreign_entity_id IS NULL AND owner_country IS NULL)"
    " OR (owner_kind = 'entity' AND owner_orgnr IS NOT NULL AND owner_national_id IS NULL"
    " AND owner_foreign_person_id IS NULL AND owner_foreign_entity_id IS NULL AND owner_country IS NULL)"
    " OR (owner_kind = 'foreign_person' AND owner_foreign_person_id IS NOT NULL AND owner_national_id IS NULL"
    " AND owner_orgnr IS NULL AND owner_foreign_entity_id IS NULL AND owner_country IS NULL)"
    " OR (owner_kind = 'foreign_entity' AND owner_foreign_entity_id IS NOT NULL AND owner_national_id IS NULL"
    " AND owner_orgnr IS NULL AND owner_foreign_person_id IS NULL AND owner_country IS NULL)"
    " OR (owner_kind = 'foreign_public' AND owner_country IS NOT NULL AND owner_national_id IS NULL"
    " AND owner_orgnr IS NULL AND owner_foreign_person_id IS NULL AND owner_foreign_entity_id IS NULL)"
)
_SHARES = "capital_hundredths BETWEEN 0 AND 10000 AND voting_hundredths BETWEEN 0 AND 10000"

foreign_persons = Table(
    "foreign_persons",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("full_name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("country", String(3), nullable=False),
    Column("exempt", Boolean, nullable=False),
    comment="persons without a Norwegian number (utenlandskPerson): citizenship = residence = country",
)

foreign_entities = Table(
    "foreign_entities",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("country", String(3), nullable=False),
    Column("registration_number", String(40), nullable=False),
    Column("address", String(300), nullable=False),
    Column("opaque", Boolean, nullable=False),
    comment="foreign entities (utenlandskVirksomhet); opaque = its owners are unknown",
)


def _owner_columns() -> list[Column[object]]:
    return [
        Column("owner_kind", String(16), nullable=False),
        Column("owner_national_id", String(11), ForeignKey("persons.national_id"), nullable=True),
        Column("owner_orgnr", String(9), ForeignKey("entities.orgnr"), nullable=True),
        Column("owner_foreign_person_id", BigInteger, ForeignKey("foreign_persons.id"), nullable=True),
        Column("owner_foreign_entity_id", BigInteger, ForeignKey("foreign_entities.id"), nullable=True),
        Column("owner_country", String(3), nullable=True),
        Column("capital_hundredths", Integer, nullable=False),
        Column("voting_hundredths", Integer, nullable=False),
    ]


ownership_edges = Table(
    "ownership_edges",
    metadata,
    Column("entity_orgnr", String(9), ForeignKey("entities.orgnr"), primary_key=True),
    Column("owner_order", Integer, primary_key=True, autoincrement=False),
    *_owner_columns(),
    CheckConstraint(_ONE_OWNER, name="one_owner"),
    CheckConstraint(_SHARES, name="shares"),
    CheckConstraint("owner_orgnr IS NULL OR owner_orgnr <> entity_orgnr", name="not_own_owner"),
    comment="owner → ER entity edges with capital and voting shares (testdata §9.1)",
)
Index("ix_ownership_edges_owner_national_id", ownership_edges.c.owner_national_id)
Index("ix_ownership_edges_owner_orgnr", ownership_edges.c.owner_orgnr)

foreign_entity_owners = Table(
    "foreign_entity_owners",
    metadata,
    Column("foreign_entity_id", BigInteger, ForeignKey("foreign_entities.id"), primary_key=True),
    Column("owner_order", Integer, primary_key=True, autoincrement=False),
    *_owner_columns(),
    CheckConstraint(_ONE_OWNER, name="one_owner"),
    CheckConstraint(_SHARES, name="shares"),
    comment="owner → foreign entity edges (the known owners of a non-opaque foreign entity)",
)

rrh_entities = Table(
    "rrh_entities",
    metadata,
    Column("orgnr", String(9), ForeignKey("entities.orgnr"), primary_key=True),
    Column("first_registered_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    comment="RRH-registrable entities known to the register (rrh.md §5 Virksomhet)",
)

rrh_registrations = Table(
    "rrh_registrations",
    metadata,
    Column("registration_id", String(36), primary_key=True),
    Column("orgnr", String(9), ForeignKey("rrh_entities.orgnr"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("document", Text, nullable=False),
    UniqueConstraint("orgnr", "version"),
    CheckConstraint("version >= 1", name="version"),
    comment="RRH registrations: canonical §5 Registrering documents with codes only (rrh.md §8)",
)
Index("ix_rrh_registrations_orgnr", rrh_registrations.c.orgnr)

__all__ = [
    "OWNER_KINDS",
    "foreign_entities",
    "foreign_entity_owners",
    "foreign_persons",
    "metadata",
    "ownership_edges",
    "rrh_entities",
    "rrh_registrations",
]
