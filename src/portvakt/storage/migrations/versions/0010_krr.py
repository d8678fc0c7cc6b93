"""KRR: the contact and reservation register and its change feed.

Revision ID: 0010_krr
Revises: 0009_idporten
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_krr"
down_revision = "0009_idporten"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "krr_sertifikat",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("orgnr", sa.String(9), nullable=False),
        sa.Column("der", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_krr_sertifikat")),
        comment="postbox providers' encryption certificates (krr.md §3), one per provider",
    )
    op.create_table(
        "krr_person",
        sa.Column("personidentifikator", sa.String(11), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("reservasjon", sa.String(3), nullable=False),
        sa.Column("reservasjonstidspunkt", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reservasjon_oppdatert", sa.DateTime(timezone=True), nullable=True),
        sa.Column("epostadresse", sa.String(254), nullable=True),
        sa.Column("epostadresse_oppdatert", sa.DateTime(timezone=True), nullable=True),
        sa.Column("epostadresse_sist_verifisert", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mobiltelefonnummer", sa.String(20), nullable=True),
        sa.Column("mobiltelefonnummer_oppdatert", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mobiltelefonnummer_sist_verifisert", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spraak", sa.String(2), nullable=True),
        sa.Column("spraak_oppdatert", sa.DateTime(timezone=True), nullable=True),
        sa.Column("postkasseadresse", sa.String(254), nullable=True),
        sa.Column("postkasseleverandoeradresse", sa.String(9), nullable=True),
        sa.Column("sertifikat_id", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('AKTIV', 'SLETTET')", name=op.f("ck_krr_person_status")),
        sa.CheckConstraint("reservasjon IN ('JA', 'NEI')", name=op.f("ck_krr_person_reservasjon")),
        sa.CheckConstraint(
            "spraak IS NULL OR spraak IN ('nb', 'nn', 'en', 'se')", name=op.f("ck_krr_person_spraak")
        ),
        sa.ForeignKeyConstraint(
            ["sertifikat_id"], ["krr_sertifikat.id"], name=op.f("fk_krr_person_sertifikat_id_krr_sertifikat")
        ),
        sa.PrimaryKeyConstraint("personidentifikator", name=op.f("pk_krr_person")),
        comment="the contact and reservation register: one row per registered person (krr.md §3)",
    )
    op.create_index("ix_krr_person_epostadresse", "krr_person", ["epostadresse"])
    op.create_index("ix_krr_person_mobiltelefonnummer", "krr_person", ["mobiltelefonnummer"])
    op.create_table(
        "krr_endring",
        sa.Column("endrings_id", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("personidentifikator", sa.String(11), nullable=False),
        sa.Column("endret", sa.DateTime(timezone=True), nullable=False),
        sa.Column("aarsak", sa.String(32), nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("endrings_id", name=op.f("pk_krr_endring")),
        comment="the change feed (krr.md §8): one row per committed register write, with the full snapshot",
    )
    op.create_table(
        "krr_consumer_block",
        sa.Column("orgnr", sa.String(9), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("orgnr", name=op.f("pk_krr_consumer_block")),
        comment="consumers and suppliers refused by KRR (krr.md §2.2, `portvakt krr consumer block`)",
    )
    op.create_table(
        "krr_signing",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_key_sealed", sa.Text, nullable=False),
        sa.Column("chain_pem", sa.Text, nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_krr_signing")),
        comment="the KRR response-signing key and certificate chain of the test environment (krr.md §9)",
    )


def downgrade() -> None:
    op.drop_table("krr_signing")
    op.drop_table("krr_consumer_block")
    op.drop_table("krr_endring")
    op.drop_index("ix_krr_person_mobiltelefonnummer", table_name="krr_person")
    op.drop_index("ix_krr_person_epostadresse", table_name="krr_person")
    op.drop_table("krr_person")
    op.drop_table("krr_sertifikat")
