"""Altinn: parties, service owners, apps and policies, delegations, Maskinporten delegation schemes.

Revision ID: 0011_altinn
Revises: 0010_krr
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_altinn"
down_revision = "0010_krr"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "altinn_service_owners",
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("orgnr", sa.String(9), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_altinn_service_owners")),
        sa.UniqueConstraint("orgnr", name=op.f("uq_altinn_service_owners_orgnr")),
        comment="Altinn service owners (tjenesteeiere), altinn.md §2.2",
    )
    op.create_table(
        "altinn_api_keys",
        sa.Column("key_id", sa.String(8), nullable=False),
        sa.Column("owner_code", sa.String(10), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("created", TZ, nullable=False),
        sa.Column("last_used_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_altinn_api_keys")),
        sa.ForeignKeyConstraint(
            ["owner_code"],
            ["altinn_service_owners.code"],
            name=op.f("fk_altinn_api_keys_owner_code_altinn_service_owners"),
        ),
        comment="service-owner API keys, SHA-256 of the full key only (altinn.md §2.2)",
    )
    op.create_index(op.f("ix_altinn_api_keys_owner_code"), "altinn_api_keys", ["owner_code"])
    op.create_table(
        "altinn_apps",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("org", sa.String(10), nullable=False),
        sa.Column("app", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("policy", sa.Text, nullable=False),
        sa.Column("min_auth_level", sa.Integer, nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_altinn_apps")),
        sa.ForeignKeyConstraint(
            ["org"], ["altinn_service_owners.code"], name=op.f("fk_altinn_apps_org_altinn_service_owners")
        ),
        sa.UniqueConstraint("org", "app", name=op.f("uq_altinn_apps_org_app")),
        sa.CheckConstraint("min_auth_level BETWEEN 0 AND 4", name=op.f("ck_altinn_apps_min_auth_level")),
        comment="Altinn apps and their XACML-like policies (altinn.md §2.3); id = registration order",
    )
    op.create_table(
        "altinn_delegations",
        sa.Column("rule_guid", sa.String(36), nullable=False),
        sa.Column("offered_by", sa.String(11), nullable=False),
        sa.Column("covered_by", sa.String(11), nullable=False),
        sa.Column("app_org", sa.String(10), nullable=False),
        sa.Column("app_name", sa.String(63), nullable=False),
        sa.Column("resource_id", sa.String(32), nullable=True),
        sa.Column("resource_value", sa.String(64), nullable=True),
        sa.Column("action", sa.String(31), nullable=False),
        sa.Column("delegated_by", sa.String(11), nullable=False),
        sa.Column("is_delegatable", sa.Boolean, nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("rule_guid", name=op.f("pk_altinn_delegations")),
        sa.CheckConstraint(
            "(resource_id IS NULL AND resource_value IS NULL)"
            " OR (resource_id IS NOT NULL AND resource_value IS NOT NULL)",
            name=op.f("ck_altinn_delegations_resource_pair"),
        ),
        comment="direct delegations, one rule (RuleGuid) per action (altinn.md §2.4)",
    )
    op.create_index(op.f("ix_altinn_delegations_covered_by"), "altinn_delegations", ["covered_by"])
    op.create_index(op.f("ix_altinn_delegations_offered_by"), "altinn_delegations", ["offered_by"])
    op.create_table(
        "altinn_mp_schemes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("resourceid", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_altinn_mp_schemes")),
        sa.UniqueConstraint("resourceid", name=op.f("uq_altinn_mp_schemes_resourceid")),
        comment="Maskinporten delegation schemes; scopes as a JSON array (altinn.md §2.5)",
    )
    op.create_table(
        "altinn_mp_delegations",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("consumer_orgno", sa.String(9), nullable=False),
        sa.Column("supplier_orgno", sa.String(9), nullable=False),
        sa.Column("scheme_id", sa.String(36), nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_altinn_mp_delegations")),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["altinn_mp_schemes.id"],
            name=op.f("fk_altinn_mp_delegations_scheme_id_altinn_mp_schemes"),
        ),
        comment="Maskinporten delegations from a consumer to a supplier (altinn.md §2.5, §7)",
    )
    op.create_index(
        op.f("ix_altinn_mp_delegations_consumer_orgno"), "altinn_mp_delegations", ["consumer_orgno"]
    )
    op.create_index(
        op.f("ix_altinn_mp_delegations_supplier_orgno"), "altinn_mp_delegations", ["supplier_orgno"]
    )
    op.create_table(
        "altinn_party_uuids",
        sa.Column("party_uuid", sa.String(36), nullable=False),
        sa.Column("party_id", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("party_uuid", name=op.f("pk_altinn_party_uuids")),
        comment="party UUID → party id (UUIDv5 cannot be reversed), written with the population",
    )


def downgrade() -> None:
    for table in (
        "altinn_party_uuids",
        "altinn_mp_delegations",
        "altinn_mp_schemes",
        "altinn_delegations",
        "altinn_apps",
        "altinn_api_keys",
        "altinn_service_owners",
    ):
        op.drop_table(table)
