"""Self-service change log (audit_events) and portal users.

Revision ID: 0006_audit_portal_users
Revises: 0005_signing_keys_replay
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_portal_users"
down_revision = "0005_signing_keys_replay"
branch_labels = None
depends_on = None

_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("occurred", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("acting_orgno", sa.String(9), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(320), nullable=False),
        sa.Column("orgno", sa.String(9), nullable=True),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        comment="registry change log (selvbetjening.md §9); no secrets, password hashes, private keys",
    )
    op.create_index(op.f("ix_audit_events_occurred"), "audit_events", ["occurred"])
    op.create_index(op.f("ix_audit_events_orgno"), "audit_events", ["orgno"])
    op.create_index(op.f("ix_audit_events_acting_orgno"), "audit_events", ["acting_orgno"])
    op.create_table(
        "portal_users",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("orgno", sa.String(9), nullable=False),
        sa.Column("pid", sa.String(11), nullable=True),
        sa.Column("rights", sa.JSON, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("email_confirmed", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_portal_users")),
        sa.ForeignKeyConstraint(
            ["orgno"], ["organisations.orgno"], name=op.f("fk_portal_users_orgno_organisations")
        ),
        sa.UniqueConstraint("email", name=op.f("uq_portal_users_email")),
        sa.UniqueConstraint("pid", name=op.f("uq_portal_users_pid")),
        comment="self-service portal users (selvbetjening.md §3.7); deactivated, never deleted",
    )
    op.create_index(op.f("ix_portal_users_orgno"), "portal_users", ["orgno"])


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_users_orgno"), table_name="portal_users")
    op.drop_table("portal_users")
    op.drop_index(op.f("ix_audit_events_acting_orgno"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_orgno"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_occurred"), table_name="audit_events")
    op.drop_table("audit_events")
