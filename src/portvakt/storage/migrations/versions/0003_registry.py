"""Maskinporten registry: organisations, prefixes, scopes, access, clients, keys, delegation sources.

Revision ID: 0003_registry
Revises: 0002_population
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003_registry"
down_revision = "0002_population"
branch_labels = None
depends_on = None

_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _stamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("orgno", sa.String(9), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("terms_signed", sa.Boolean, nullable=False),
        sa.Column("mercantile", sa.JSON, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("orgno", name=op.f("pk_organisations")),
        comment="organisations registered on the platform (selvbetjening.md §3.1)",
    )
    op.create_table(
        "organisation_email_domains",
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("orgno", sa.String(9), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_organisation_email_domains")),
        sa.ForeignKeyConstraint(
            ["orgno"],
            ["organisations.orgno"],
            name=op.f("fk_organisation_email_domains_orgno_organisations"),
        ),
        comment="e-mail domains; a domain belongs to at most one organisation",
    )
    op.create_index(op.f("ix_organisation_email_domains_orgno"), "organisation_email_domains", ["orgno"])
    op.create_table(
        "prefixes",
        sa.Column("prefix", sa.String(64), nullable=False),
        sa.Column("orgno", sa.String(9), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_prefixes")),
        sa.ForeignKeyConstraint(
            ["orgno"], ["organisations.orgno"], name=op.f("fk_prefixes_orgno_organisations")
        ),
        comment="scope prefixes assigned by the platform administrator (selvbetjening.md §3.2)",
    )
    op.create_index(op.f("ix_prefixes_orgno"), "prefixes", ["orgno"])
    op.create_table(
        "delegation_sources",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(1024), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_delegation_sources")),
        comment="known delegation sources (selvbetjening.md §3.6)",
    )
    op.create_table(
        "scopes",
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("prefix", sa.String(64), nullable=False),
        sa.Column("subscope", sa.String(255), nullable=False),
        sa.Column("owner_orgno", sa.String(9), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("long_description", sa.Text, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("token_type", sa.String(16), nullable=False),
        sa.Column("at_max_age", sa.Integer, nullable=False),
        sa.Column("authorization_max_lifetime", sa.Integer, nullable=False),
        sa.Column("requires_user_consent", sa.Boolean, nullable=False),
        sa.Column("requires_user_authentication", sa.Boolean, nullable=False),
        sa.Column("requires_pseudonymous_tokens", sa.Boolean, nullable=False),
        sa.Column("accessible_for_all", sa.Boolean, nullable=False),
        sa.Column("allowed_integration_types", sa.JSON, nullable=False),
        sa.Column("delegation_source", sa.String(64), nullable=True),
        sa.Column("enforced_aud_for_introspection", sa.JSON, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scopes")),
        sa.ForeignKeyConstraint(["prefix"], ["prefixes.prefix"], name=op.f("fk_scopes_prefix_prefixes")),
        sa.ForeignKeyConstraint(
            ["owner_orgno"], ["organisations.orgno"], name=op.f("fk_scopes_owner_orgno_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["delegation_source"],
            ["delegation_sources.name"],
            name=op.f("fk_scopes_delegation_source_delegation_sources"),
        ),
        comment="API scopes (selvbetjening.md §3.3); never deleted, only deactivated",
    )
    op.create_index(op.f("ix_scopes_owner_orgno"), "scopes", ["owner_orgno"])
    op.create_table(
        "scope_access",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("consumer_orgno", sa.String(9), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_access")),
        sa.ForeignKeyConstraint(["scope"], ["scopes.name"], name=op.f("fk_scope_access_scope_scopes")),
        sa.UniqueConstraint("scope", "consumer_orgno", name=op.f("uq_scope_access_scope_consumer_orgno")),
        comment="scope access per consumer: APPROVED or DENIED (selvbetjening.md §3.4)",
    )
    op.create_index(op.f("ix_scope_access_consumer_orgno"), "scope_access", ["consumer_orgno"])
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("client_name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("client_orgno", sa.String(9), nullable=False),
        sa.Column("supplier_orgno", sa.String(9), nullable=True),
        sa.Column("integration_type", sa.String(32), nullable=False),
        sa.Column("application_type", sa.String(16), nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(32), nullable=False),
        sa.Column("grant_types", sa.JSON, nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("redirect_uris", sa.JSON, nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON, nullable=False),
        sa.Column("frontchannel_logout_uri", sa.String(2048), nullable=True),
        sa.Column("frontchannel_logout_session_required", sa.Boolean, nullable=False),
        sa.Column("sso_disabled", sa.Boolean, nullable=False),
        sa.Column("client_uri", sa.String(2048), nullable=True),
        sa.Column("access_token_lifetime", sa.Integer, nullable=False),
        sa.Column("refresh_token_lifetime", sa.Integer, nullable=False),
        sa.Column("authorization_lifetime", sa.Integer, nullable=False),
        sa.Column("refresh_token_usage", sa.String(16), nullable=False),
        sa.Column("code_challenge_method", sa.String(8), nullable=False),
        sa.Column("client_secret_hash", sa.String(128), nullable=True),
        sa.Column("client_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_clients")),
        sa.ForeignKeyConstraint(
            ["client_orgno"], ["organisations.orgno"], name=op.f("fk_clients_client_orgno_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_orgno"],
            ["organisations.orgno"],
            name=op.f("fk_clients_supplier_orgno_organisations"),
        ),
        comment="OAuth clients (selvbetjening.md §3.5); deactivated, never deleted",
    )
    op.create_index(op.f("ix_clients_client_orgno"), "clients", ["client_orgno"])
    op.create_index(op.f("ix_clients_supplier_orgno"), "clients", ["supplier_orgno"])
    op.create_table(
        "client_keys",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("kid", sa.String(255), nullable=False),
        sa.Column("jwk", sa.JSON, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_keys")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.client_id"], name=op.f("fk_client_keys_client_id_clients")
        ),
        sa.UniqueConstraint("kid", name=op.f("uq_client_keys_kid")),
        comment="public JWKs registered on clients; kid unique over all clients (selvbetjening.md §4.7)",
    )
    op.create_index(op.f("ix_client_keys_client_id"), "client_keys", ["client_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_client_keys_client_id"), table_name="client_keys")
    op.drop_table("client_keys")
    op.drop_index(op.f("ix_clients_supplier_orgno"), table_name="clients")
    op.drop_index(op.f("ix_clients_client_orgno"), table_name="clients")
    op.drop_table("clients")
    op.drop_index(op.f("ix_scope_access_consumer_orgno"), table_name="scope_access")
    op.drop_table("scope_access")
    op.drop_index(op.f("ix_scopes_owner_orgno"), table_name="scopes")
    op.drop_table("scopes")
    op.drop_table("delegation_sources")
    op.drop_index(op.f("ix_prefixes_orgno"), table_name="prefixes")
    op.drop_table("prefixes")
    op.drop_index(op.f("ix_organisation_email_domains_orgno"), table_name="organisation_email_domains")
    op.drop_table("organisation_email_domains")
    op.drop_table("organisations")
