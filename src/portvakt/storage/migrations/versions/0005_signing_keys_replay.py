"""Issuer signing keys (all services) and the JWT replay store.

Revision ID: 0005_signing_keys_replay
Revises: 0004_testca
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_signing_keys_replay"
down_revision = "0004_testca"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activate_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remove_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
        sa.UniqueConstraint("service", "generation", name=op.f("uq_signing_keys_service_generation")),
        sa.UniqueConstraint("service", "kid", name=op.f("uq_signing_keys_service_kid")),
        comment="issuer signing keys per service; state derived from the timestamps",
    )
    op.create_table(
        "jwt_replay",
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_jwt_replay")),
        comment="seen JWT grants and client assertions until expires_at (epoch seconds)",
    )
    op.create_index(op.f("ix_jwt_replay_expires_at"), "jwt_replay", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_jwt_replay_expires_at"), table_name="jwt_replay")
    op.drop_table("jwt_replay")
    op.drop_table("signing_keys")
