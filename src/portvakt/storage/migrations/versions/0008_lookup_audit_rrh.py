"""Append-only lookup audit (KRR and RRH), RRH totalbestand builds and legal bases.

Revision ID: 0008_lookup_audit_rrh
Revises: 0007_rrh_data
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_lookup_audit_rrh"
down_revision = "0007_rrh_data"
branch_labels = None
depends_on = None

BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AUDIT_TABLES = ("lookup_audit_event", "lookup_audit_subject")
APPEND_ONLY_MESSAGE = "lookup audit is append-only"


def _create_append_only_triggers() -> None:
    """krr.md §11: UPDATE and DELETE on the audit tables are refused by the database itself."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION lookup_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        for table in AUDIT_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION lookup_audit_append_only()"
            )
        return
    for table in AUDIT_TABLES:
        for action in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS lookup_audit_append_only()")
        return
    for table in AUDIT_TABLES:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def upgrade() -> None:
    op.create_table(
        "lookup_audit_event",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(16), nullable=False),
        sa.Column("endpoint", sa.String(128), nullable=False),
        sa.Column("http_status", sa.Integer, nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=True),
        sa.Column("consumer_orgno", sa.String(9), nullable=True),
        sa.Column("supplier_orgno", sa.String(9), nullable=True),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("subject_count", sa.Integer, nullable=False),
        sa.Column("hmac_key_id", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_audit_event")),
        comment="one event per lookup that passed authentication (krr.md §11); append-only",
    )
    op.create_index(op.f("ix_lookup_audit_event_occurred_at"), "lookup_audit_event", ["occurred_at"])
    op.create_table(
        "lookup_audit_subject",
        sa.Column("event_id", BigIntPK, autoincrement=False, nullable=False),
        sa.Column("subject_hmac", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["lookup_audit_event.id"],
            name=op.f("fk_lookup_audit_subject_event_id_lookup_audit_event"),
        ),
        sa.PrimaryKeyConstraint("event_id", "subject_hmac", name=op.f("pk_lookup_audit_subject")),
        comment="HMAC-SHA256 of each distinct identifier in a 2xx lookup; append-only",
    )
    op.create_index(op.f("ix_lookup_audit_subject_subject_hmac"), "lookup_audit_subject", ["subject_hmac"])
    _create_append_only_triggers()

    op.create_table(
        "rrh_totalbestand_builds",
        sa.Column("build_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("etag", sa.String(32), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("entity_count", sa.BigInteger, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'failed')", name=op.f("ck_rrh_totalbestand_builds_status")
        ),
        sa.PrimaryKeyConstraint("build_id", name=op.f("pk_rrh_totalbestand_builds")),
        comment="one row per totalbestand build (rrh.md §10)",
    )
    op.create_index(op.f("ix_rrh_totalbestand_builds_started_at"), "rrh_totalbestand_builds", ["started_at"])
    op.create_table(
        "rrh_legal_basis",
        sa.Column("consumer_orgno", sa.String(9), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("consumer_orgno", "scope", name=op.f("pk_rrh_legal_basis")),
        comment="the legal basis a consumer was granted an RRH scope under (rrh.md §13)",
    )


def downgrade() -> None:
    op.drop_table("rrh_legal_basis")
    op.drop_index(op.f("ix_rrh_totalbestand_builds_started_at"), table_name="rrh_totalbestand_builds")
    op.drop_table("rrh_totalbestand_builds")
    _drop_append_only_triggers()
    op.drop_index(op.f("ix_lookup_audit_subject_subject_hmac"), table_name="lookup_audit_subject")
    op.drop_table("lookup_audit_subject")
    op.drop_index(op.f("ix_lookup_audit_event_occurred_at"), table_name="lookup_audit_event")
    op.drop_table("lookup_audit_event")
