"""Samarbeidsportalen: sessions, e-mail confirmations, the test outbox, pending ID-porten logins and the
portal client's sealed key.

Revision ID: 0012_portal
Revises: 0011_altinn
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_portal"
down_revision = "0011_altinn"
branch_labels = None
depends_on = None

_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("idporten_pid", sa.String(11), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_portal_sessions")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["portal_users.user_id"], name=op.f("fk_portal_sessions_user_id_portal_users")
        ),
        comment="portal sessions (selvbetjening.md §8.1); stores the SHA-256 of the cookie id",
    )
    op.create_index(op.f("ix_portal_sessions_user_id"), "portal_sessions", ["user_id"])
    op.create_index(op.f("ix_portal_sessions_last_seen"), "portal_sessions", ["last_seen"])
    op.create_table(
        "portal_confirmations",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portal_confirmations")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["portal_users.user_id"], name=op.f("fk_portal_confirmations_user_id_portal_users")
        ),
        comment="e-mail confirmation links (24 h); only the token's SHA-256 is stored",
    )
    op.create_index(op.f("ix_portal_confirmations_user_id"), "portal_confirmations", ["user_id"])
    op.create_table(
        "portal_outbox",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_outbox")),
        comment="mails of a test installation without SMTP, shown at {S}/test/utboks",
    )
    op.create_table(
        "portal_login_states",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_portal_login_states")),
        comment="pending ID-porten logins of the portal (state, nonce, PKCE verifier), single use",
    )
    op.create_table(
        "portal_client_keys",
        sa.Column("kid", sa.String(255), nullable=False),
        sa.Column("sealed_private_jwk", sa.Text, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_portal_client_keys")),
        comment="private key of the built-in selvbetjening-portal client, sealed like signing keys",
    )


def downgrade() -> None:
    op.drop_table("portal_client_keys")
    op.drop_table("portal_login_states")
    op.drop_table("portal_outbox")
    op.drop_index(op.f("ix_portal_confirmations_user_id"), table_name="portal_confirmations")
    op.drop_table("portal_confirmations")
    op.drop_index(op.f("ix_portal_sessions_last_seen"), table_name="portal_sessions")
    op.drop_index(op.f("ix_portal_sessions_user_id"), table_name="portal_sessions")
    op.drop_table("portal_sessions")
