"""Population and entity registers (identifiers-and-testdata.md §8): persons, entities, ER roles.

`ordinal` is the basis of the Altinn party id (§7). Secondary indexes and foreign keys are dropped and
recreated around a bulk load by the test-data generator; the unique constraints stay.
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

municipalities = Table(
    "municipalities",
    metadata,
    Column("kommunenummer", String(4), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("county_number", String(2), nullable=False),
    comment="the 357 municipalities valid from 1 January 2024 (SSB classification 131)",
)

persons = Table(
    "persons",
    metadata,
    Column("ordinal", BigInteger, primary_key=True, autoincrement=False),
    Column("national_id", String(11), nullable=False),
    Column("kind", String(3), nullable=False),
    Column("synthetic", String(8), nullable=True),
    Column("first_name", String(100), nullable=False),
    Column("middle_name", String(100), nullable=True),
    Column("last_name", String(100), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("gender", String(1), nullable=False),
    Column("citizenships", String(64), nullable=False),
    Column("residence_country", String(3), nullable=False),
    Column("street_address", String(200), nullable=True),
    Column("postal_code", String(4), nullable=True),
    Column("postal_place", String(100), nullable=True),
    Column("municipality_number", String(4), ForeignKey("municipalities.kommunenummer"), nullable=True),
    Column("date_of_death", Date, nullable=True),
    UniqueConstraint("national_id"),
    CheckConstraint("kind IN ('fnr', 'dnr')", name="kind"),
    CheckConstraint("gender IN ('M', 'F')", name="gender"),
    CheckConstraint("synthetic IS NULL OR synthetic IN ('tenor', 'plus40')", name="synthetic"),
    comment="the population register (folkeregisteret): fødselsnummer and D-number persons",
)
Index("ix_persons_birth_date", persons.c.birth_date)

entities = Table(
    "entities",
    metadata,
    Column("ordinal", BigInteger, primary_key=True, autoincrement=False),
    Column("orgnr", String(9), nullable=False),
    Column("name", String(200), nullable=False),
    Column("organisation_form", String(4), nullable=False),
    Column("parent_orgnr", String(9), ForeignKey("entities.orgnr"), nullable=True),
    Column("nace_code", String(6), nullable=True),
    Column("registration_date", Date, nullable=False),
    Column("registered_in_business_register", Boolean, nullable=False),
    Column("employees", Integer, nullable=False),
    Column("business_address", String(200), nullable=True),
    Column("postal_code", String(4), nullable=True),
    Column("postal_place", String(100), nullable=True),
    Column("municipality_number", String(4), ForeignKey("municipalities.kommunenummer"), nullable=True),
    Column("deletion_date", Date, nullable=True),
    Column("listed_market", String(32), nullable=True),
    Column("foreign_register_country", String(3), nullable=True),
    Column("foreign_register_url", String(200), nullable=True),
    UniqueConstraint("orgnr"),
    CheckConstraint("parent_orgnr IS NULL OR parent_orgnr <> orgnr", name="not_own_parent"),
    CheckConstraint("employees >= 0", name="employees"),
    comment="the entity register (Enhetsregisteret): main units and sub-units",
)
Index("ix_entities_parent_orgnr", entities.c.parent_orgnr)
Index("ix_entities_organisation_form", entities.c.organisation_form)

er_roles = Table(
    "er_roles",
    metadata,
    Column("entity_orgnr", String(9), ForeignKey("entities.orgnr"), primary_key=True),
    Column("role_order", Integer, primary_key=True, autoincrement=False),
    Column("role_code", String(4), nullable=False),
    Column("holder_national_id", String(11), ForeignKey("persons.national_id"), nullable=True),
    Column("holder_orgnr", String(9), ForeignKey("entities.orgnr"), nullable=True),
    Column("resigned", Boolean, nullable=False),
    CheckConstraint(
        "(holder_national_id IS NOT NULL AND holder_orgnr IS NULL)"
        " OR (holder_national_id IS NULL AND holder_orgnr IS NOT NULL)",
        name="one_holder",
    ),
    CheckConstraint("holder_orgnr IS NULL OR holder_orgnr <> entity_orgnr", name="not_own_holder"),
    CheckConstraint("role_order >= 1", name="role_order"),
    comment="roles in the entity register (DAGL, LEDE, MEDL, INNH, REGN, REVI, …)",
)
Index("ix_er_roles_holder_national_id", er_roles.c.holder_national_id)
Index("ix_er_roles_holder_orgnr", er_roles.c.holder_orgnr)

population_generation = Table(
    "population_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("persons", BigInteger, nullable=False),
    Column("entities", BigInteger, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("id_style", String(16), nullable=False),
    Column("scenarios", Boolean, nullable=False),
    Column("stages", Text, nullable=False),
    Column("package_version", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("id = 1", name="single_row"),
    CheckConstraint("status IN ('loading', 'complete')", name="status"),
    comment="the test-data run marker: written before a load, 'complete' after it"
    " (identifiers-and-testdata.md §6)",
)

__all__ = ["entities", "er_roles", "metadata", "municipalities", "persons", "population_generation"]
