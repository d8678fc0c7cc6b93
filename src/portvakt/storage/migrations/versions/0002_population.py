"""Population and entity registers (persons, entities, ER roles).

Revision ID: 0002_population
Revises: 0001_platform
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_population"
down_revision = "0001_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "municipalities",
        sa.Column("kommunenummer", sa.String(4), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("county_number", sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint("kommunenummer", name=op.f("pk_municipalities")),
        comment="the 357 municipalities valid from 1 January 2024 (SSB classification 131)",
    )
    op.create_table(
        "persons",
        sa.Column("ordinal", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("national_id", sa.String(11), nullable=False),
        sa.Column("kind", sa.String(3), nullable=False),
        sa.Column("synthetic", sa.String(8), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("middle_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("citizenships", sa.String(64), nullable=False),
        sa.Column("residence_country", sa.String(3), nullable=False),
        sa.Column("street_address", sa.String(200), nullable=True),
        sa.Column("postal_code", sa.String(4), nullable=True),
        sa.Column("postal_place", sa.String(100), nullable=True),
        sa.Column("municipality_number", sa.String(4), nullable=True),
        sa.Column("date_of_death", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("ordinal", name=op.f("pk_persons")),
        sa.UniqueConstraint("national_id", name=op.f("uq_persons_national_id")),
        sa.CheckConstraint("kind IN ('fnr', 'dnr')", name=op.f("ck_persons_kind")),
        sa.CheckConstraint("gender IN ('M', 'F')", name=op.f("ck_persons_gender")),
        sa.CheckConstraint(
            "synthetic IS NULL OR synthetic IN ('tenor', 'plus40')", name=op.f("ck_persons_synthetic")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.kommunenummer"],
            name=op.f("fk_persons_municipality_number_municipalities"),
        ),
        comment="the population register (folkeregisteret): fødselsnummer and D-number persons",
    )
    op.create_index("ix_persons_birth_date", "persons", ["birth_date"])
    op.create_table(
        "entities",
        sa.Column("ordinal", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("orgnr", sa.String(9), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("organisation_form", sa.String(4), nullable=False),
        sa.Column("parent_orgnr", sa.String(9), nullable=True),
        sa.Column("nace_code", sa.String(6), nullable=True),
        sa.Column("registration_date", sa.Date, nullable=False),
        sa.Column("registered_in_business_register", sa.Boolean, nullable=False),
        sa.Column("employees", sa.Integer, nullable=False),
        sa.Column("business_address", sa.String(200), nullable=True),
        sa.Column("postal_code", sa.String(4), nullable=True),
        sa.Column("postal_place", sa.String(100), nullable=True),
        sa.Column("municipality_number", sa.String(4), nullable=True),
        sa.Column("deletion_date", sa.Date, nullable=True),
        sa.Column("listed_market", sa.String(32), nullable=True),
        sa.Column("foreign_register_country", sa.String(3), nullable=True),
        sa.Column("foreign_register_url", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("ordinal", name=op.f("pk_entities")),
        sa.UniqueConstraint("orgnr", name=op.f("uq_entities_orgnr")),
        sa.CheckConstraint(
            "parent_orgnr IS NULL OR parent_orgnr <> orgnr", name=op.f("ck_entities_not_own_parent")
        ),
        sa.CheckConstraint("employees >= 0", name=op.f("ck_entities_employees")),
        sa.ForeignKeyConstraint(
            ["parent_orgnr"], ["entities.orgnr"], name=op.f("fk_entities_parent_orgnr_entities")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipalities.kommunenummer"],
            name=op.f("fk_entities_municipality_number_municipalities"),
        ),
        comment="the entity register (Enhetsregisteret): main units and sub-units",
    )
    op.create_index("ix_entities_parent_orgnr", "entities", ["parent_orgnr"])
    op.create_index("ix_entities_organisation_form", "entities", ["organisation_form"])
    op.create_table(
        "er_roles",
        sa.Column("entity_orgnr", sa.String(9), nullable=False),
        sa.Column("role_order", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("role_code", sa.String(4), nullable=False),
        sa.Column("holder_national_id", sa.String(11), nullable=True),
        sa.Column("holder_orgnr", sa.String(9), nullable=True),
        sa.Column("resigned", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("entity_orgnr", "role_order", name=op.f("pk_er_roles")),
        sa.CheckConstraint(
            "(holder_national_id IS NOT NULL AND holder_orgnr IS NULL)"
            " OR (holder_national_id IS NULL AND holder_orgnr IS NOT NULL)",
            name=op.f("ck_er_roles_one_holder"),
        ),
        sa.CheckConstraint(
            "holder_orgnr IS NULL OR holder_orgnr <> entity_orgnr", name=op.f("ck_er_roles_not_own_holder")
        ),
        sa.CheckConstraint("role_order >= 1", name=op.f("ck_er_roles_role_order")),
        sa.ForeignKeyConstraint(
            ["entity_orgnr"], ["entities.orgnr"], name=op.f("fk_er_roles_entity_orgnr_entities")
        ),
        sa.ForeignKeyConstraint(
            ["holder_national_id"],
            ["persons.national_id"],
            name=op.f("fk_er_roles_holder_national_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_orgnr"], ["entities.orgnr"], name=op.f("fk_er_roles_holder_orgnr_entities")
        ),
        comment="roles in the entity register (DAGL, LEDE, MEDL, INNH, REGN, REVI, …)",
    )
    op.create_index("ix_er_roles_holder_national_id", "er_roles", ["holder_national_id"])
    op.create_index("ix_er_roles_holder_orgnr", "er_roles", ["holder_orgnr"])
    op.create_table(
        "population_generation",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("persons", sa.BigInteger, nullable=False),
        sa.Column("entities", sa.BigInteger, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("id_style", sa.String(16), nullable=False),
        sa.Column("scenarios", sa.Boolean, nullable=False),
        sa.Column("stages", sa.Text, nullable=False),
        sa.Column("package_version", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_population_generation")),
        sa.CheckConstraint("id = 1", name=op.f("ck_population_generation_single_row")),
        sa.CheckConstraint("status IN ('loading', 'complete')", name=op.f("ck_population_generation_status")),
        comment="the test-data run marker: written before a load, 'complete' after it"
        " (identifiers-and-testdata.md §6)",
    )


def downgrade() -> None:
    op.drop_table("population_generation")
    op.drop_index("ix_er_roles_holder_orgnr", table_name="er_roles")
    op.drop_index("ix_er_roles_holder_national_id", table_name="er_roles")
    op.drop_table("er_roles")
    op.drop_index("ix_entities_organisation_form", table_name="entities")
    op.drop_index("ix_entities_parent_orgnr", table_name="entities")
    op.drop_table("entities")
    op.drop_index("ix_persons_birth_date", table_name="persons")
    op.drop_table("persons")
    op.drop_table("municipalities")
