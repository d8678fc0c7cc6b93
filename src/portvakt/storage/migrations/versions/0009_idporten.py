"""ID-porten: authorization transactions, SSO sessions, codes, grants, refresh and opaque tokens.

Revision ID: 0009_idporten
Revises: 0008_lookup_audit_rrh
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_idporten"
down_revision = "0008_lookup_audit_rrh"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idporten_installation",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_idporten_installation")),
        comment="installation secrets created at first start (pairwise subject key, §7.1)",
    )
    op.create_table(
        "idporten_par",
        sa.Column("request_uri_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("request_uri_hash", name=op.f("pk_idporten_par")),
        comment="pushed authorization requests (§4.2), single-use",
    )
    op.create_table(
        "idporten_transactions",
        sa.Column("tx", sa.String(43), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("csrf", sa.String(43), nullable=False),
        sa.Column("auth", sa.Text, nullable=True),
        sa.Column("sid", sa.String(22), nullable=True),
        sa.Column("consented", sa.Text, nullable=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("completed", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("tx", name=op.f("pk_idporten_transactions")),
        comment="login transactions (§5.1): validated request, authentication result, consent",
    )
    op.create_table(
        "sso_sessions",
        sa.Column("sid", sa.String(22), nullable=False),
        sa.Column("cookie_hash", sa.String(64), nullable=False),
        sa.Column("pid", sa.String(11), nullable=False),
        sa.Column("acr", sa.String(64), nullable=False),
        sa.Column("amr", sa.Text, nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("given_name", sa.String(200), nullable=True),
        sa.Column("family_name", sa.String(200), nullable=True),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("clients", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_sso_sessions")),
        sa.UniqueConstraint("cookie_hash", name=op.f("uq_sso_sessions_cookie_hash")),
        comment="SSO sessions (§5.2); the browser cookie holds a random value stored here as a hash",
    )
    op.create_table(
        "idporten_grants",
        sa.Column("grant_id", sa.String(43), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("pid", sa.String(11), nullable=False),
        sa.Column("sid", sa.String(22), nullable=True),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("resources", sa.Text, nullable=False),
        sa.Column("acr", sa.String(64), nullable=False),
        sa.Column("amr", sa.Text, nullable=False),
        sa.Column("auth_time", sa.BigInteger, nullable=False),
        sa.Column("given_name", sa.String(200), nullable=True),
        sa.Column("family_name", sa.String(200), nullable=True),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_idporten_grants")),
        comment="authorizations (§6, §7.3): what a code redemption created; revoked as a whole",
    )
    op.create_index("ix_idporten_grants_sid", "idporten_grants", ["sid"])
    op.create_table(
        "idporten_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used", sa.Boolean, nullable=False),
        sa.Column("grant_id", sa.String(43), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_idporten_codes")),
        comment="authorization codes (§4.4), single-use; grant_id set on redemption",
    )
    op.create_table(
        "idporten_refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.String(43), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("rotated", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["idporten_grants.grant_id"],
            name=op.f("fk_idporten_refresh_tokens_grant_id_idporten_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_idporten_refresh_tokens")),
        comment="refresh tokens (§6.3); rotated = replaced by a newer one (ONETIME)",
    )
    op.create_index("ix_idporten_refresh_tokens_grant_id", "idporten_refresh_tokens", ["grant_id"])
    op.create_table(
        "idporten_access_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.String(43), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("pid", sa.String(11), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("claims", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["idporten_grants.grant_id"],
            name=op.f("fk_idporten_access_tokens_grant_id_idporten_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_idporten_access_tokens")),
        comment="every issued access token (§7.1): hash of the jti (jwt) or of the token (opaque)",
    )
    op.create_index("ix_idporten_access_tokens_grant_id", "idporten_access_tokens", ["grant_id"])


def downgrade() -> None:
    op.drop_index("ix_idporten_access_tokens_grant_id", table_name="idporten_access_tokens")
    op.drop_table("idporten_access_tokens")
    op.drop_index("ix_idporten_refresh_tokens_grant_id", table_name="idporten_refresh_tokens")
    op.drop_table("idporten_refresh_tokens")
    op.drop_table("idporten_codes")
    op.drop_index("ix_idporten_grants_sid", table_name="idporten_grants")
    op.drop_table("idporten_grants")
    op.drop_table("sso_sessions")
    op.drop_table("idporten_transactions")
    op.drop_table("idporten_par")
    op.drop_table("idporten_installation")
