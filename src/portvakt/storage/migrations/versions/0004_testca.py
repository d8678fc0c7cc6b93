"""Built-in test CA: the CA itself, issued certificates and their revocation.

Revision ID: 0004_testca
Revises: 0003_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_testca"
down_revision = "0003_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "testca_authority",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("installation_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("certificate_pem", sa.Text, nullable=False),
        sa.Column("private_key_sealed", sa.Text, nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crl_der", sa.LargeBinary, nullable=False),
        sa.Column("crl_number", sa.BigInteger, nullable=False),
        sa.Column("crl_this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crl_next_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_testca_authority")),
        comment="the built-in test CA (test environment only): certificate, sealed key, current CRL",
    )
    op.create_table(
        "testca_certificates",
        sa.Column("serial_hex", sa.String(40), nullable=False),
        sa.Column("authority", sa.String(32), nullable=False),
        sa.Column("orgno", sa.String(9), nullable=False),
        sa.Column("seid", sa.SmallInteger, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
        sa.Column("certificate_pem", sa.Text, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority"],
            ["testca_authority.name"],
            name=op.f("fk_testca_certificates_authority_testca_authority"),
        ),
        sa.PrimaryKeyConstraint("serial_hex", name=op.f("pk_testca_certificates")),
        comment="test enterprise certificates issued by the built-in test CA, with their revocation",
    )
    op.create_index(op.f("ix_testca_certificates_orgno"), "testca_certificates", ["orgno"])


def downgrade() -> None:
    op.drop_index(op.f("ix_testca_certificates_orgno"), table_name="testca_certificates")
    op.drop_table("testca_certificates")
    op.drop_table("testca_authority")
