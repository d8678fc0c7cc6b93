"""RRH data: ownership graph, foreign persons and entities, beneficial-owner registrations.

Revision ID: 0007_rrh_data
Revises: 0006_audit_portal_users
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_rrh_data"
down_revision = "0006_audit_portal_users"
branch_labels = None
depends_on = None

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


def _owner_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_national_id", sa.String(11), nullable=True),
        sa.Column("owner_orgnr", sa.String(9), nullable=True),
        sa.Column("owner_foreign_person_id", sa.BigInteger, nullable=True),
        sa.Column("owner_foreign_entity_id", sa.BigInteger, nullable=True),
        sa.Column("owner_country", sa.String(3), nullable=True),
        sa.Column("capital_hundredths", sa.Integer, nullable=False),
        sa.Column("voting_hundredths", sa.Integer, nullable=False),
    ]


def _owner_foreign_keys(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["owner_national_id"],
            ["persons.national_id"],
            name=op.f(f"fk_{table}_owner_national_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_orgnr"], ["entities.orgnr"], name=op.f(f"fk_{table}_owner_orgnr_entities")
        ),
        sa.ForeignKeyConstraint(
            ["owner_foreign_person_id"],
            ["foreign_persons.id"],
            name=op.f(f"fk_{table}_owner_foreign_person_id_foreign_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_foreign_entity_id"],
            ["foreign_entities.id"],
            name=op.f(f"fk_{table}_owner_foreign_entity_id_foreign_entities"),
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "foreign_persons",
        sa.Column("id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("country", sa.String(3), nullable=False),
        sa.Column("exempt", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_foreign_persons")),
        comment="persons without a Norwegian number (utenlandskPerson): citizenship = residence = country",
    )
    op.create_table(
        "foreign_entities",
        sa.Column("id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(3), nullable=False),
        sa.Column("registration_number", sa.String(40), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("opaque", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_foreign_entities")),
        comment="foreign entities (utenlandskVirksomhet); opaque = its owners are unknown",
    )
    op.create_table(
        "ownership_edges",
        sa.Column("entity_orgnr", sa.String(9), nullable=False),
        sa.Column("owner_order", sa.Integer, autoincrement=False, nullable=False),
        *_owner_columns(),
        sa.PrimaryKeyConstraint("entity_orgnr", "owner_order", name=op.f("pk_ownership_edges")),
        sa.CheckConstraint(_ONE_OWNER, name=op.f("ck_ownership_edges_one_owner")),
        sa.CheckConstraint(_SHARES, name=op.f("ck_ownership_edges_shares")),
        sa.CheckConstraint(
            "owner_orgnr IS NULL OR owner_orgnr <> entity_orgnr",
            name=op.f("ck_ownership_edges_not_own_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_orgnr"], ["entities.orgnr"], name=op.f("fk_ownership_edges_entity_orgnr_entities")
        ),
        *_owner_foreign_keys("ownership_edges"),
        comment="owner → ER entity edges with capital and voting shares (testdata §9.1)",
    )
    op.create_index("ix_ownership_edges_owner_national_id", "ownership_edges", ["owner_national_id"])
    op.create_index("ix_ownership_edges_owner_orgnr", "ownership_edges", ["owner_orgnr"])
    op.create_table(
        "foreign_entity_owners",
        sa.Column("foreign_entity_id", sa.BigInteger, nullable=False),
        sa.Column("owner_order", sa.Integer, autoincrement=False, nullable=False),
        *_owner_columns(),
        sa.PrimaryKeyConstraint("foreign_entity_id", "owner_order", name=op.f("pk_foreign_entity_owners")),
        sa.CheckConstraint(_ONE_OWNER, name=op.f("ck_foreign_entity_owners_one_owner")),
        sa.CheckConstraint(_SHARES, name=op.f("ck_foreign_entity_owners_shares")),
        sa.ForeignKeyConstraint(
            ["foreign_entity_id"],
            ["foreign_entities.id"],
            name=op.f("fk_foreign_entity_owners_foreign_entity_id_foreign_entities"),
        ),
        *_owner_foreign_keys("foreign_entity_owners"),
        comment="owner → foreign entity edges (the known owners of a non-opaque foreign entity)",
    )
    op.create_table(
        "rrh_entities",
        sa.Column("orgnr", sa.String(9), nullable=False),
        sa.Column("first_registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("orgnr", name=op.f("pk_rrh_entities")),
        sa.ForeignKeyConstraint(["orgnr"], ["entities.orgnr"], name=op.f("fk_rrh_entities_orgnr_entities")),
        comment="RRH-registrable entities known to the register (rrh.md §5 Virksomhet)",
    )
    op.create_table(
        "rrh_registrations",
        sa.Column("registration_id", sa.String(36), nullable=False),
        sa.Column("orgnr", sa.String(9), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_rrh_registrations")),
        sa.UniqueConstraint("orgnr", "version", name=op.f("uq_rrh_registrations_orgnr_version")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_rrh_registrations_version")),
        sa.ForeignKeyConstraint(
            ["orgnr"], ["rrh_entities.orgnr"], name=op.f("fk_rrh_registrations_orgnr_rrh_entities")
        ),
        comment="RRH registrations: canonical §5 Registrering documents with codes only (rrh.md §8)",
    )
    op.create_index("ix_rrh_registrations_orgnr", "rrh_registrations", ["orgnr"])


def downgrade() -> None:
    op.drop_index("ix_rrh_registrations_orgnr", table_name="rrh_registrations")
    op.drop_table("rrh_registrations")
    op.drop_table("rrh_entities")
    op.drop_table("foreign_entity_owners")
    op.drop_index("ix_ownership_edges_owner_orgnr", table_name="ownership_edges")
    op.drop_index("ix_ownership_edges_owner_national_id", table_name="ownership_edges")
    op.drop_table("ownership_edges")
    op.drop_table("foreign_entities")
    op.drop_table("foreign_persons")
