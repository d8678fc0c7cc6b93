"""KRR: the contact and reservation register (krr.md §3) and its change feed (§8).

`krr_person` holds one row per person known to the register (absence = IKKE_REGISTRERT); every write
appends one `krr_endring` row with the person's full snapshot. Consumer blocks (§2.2) and the KRR signing
material of the test environment (§9) live here too. All timestamps are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from portvakt.storage.tables.base import metadata

krr_sertifikat = Table(
    "krr_sertifikat",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("orgnr", String(9), nullable=False),
    Column("der", LargeBinary, nullable=False),
    comment="postbox providers' encryption certificates (krr.md §3), one per provider",
)

krr_person = Table(
    "krr_person",
    metadata,
    Column("personidentifikator", String(11), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("reservasjon", String(3), nullable=False),
    Column("reservasjonstidspunkt", DateTime(timezone=True), nullable=True),
    Column("reservasjon_oppdatert", DateTime(timezone=True), nullable=True),
    Column("epostadresse", String(254), nullable=True),
    Column("epostadresse_oppdatert", DateTime(timezone=True), nullable=True),
    Column("epostadresse_sist_verifisert", DateTime(timezone=True), nullable=True),
    Column("mobiltelefonnummer", String(20), nullable=True),
    Column("mobiltelefonnummer_oppdatert", DateTime(timezone=True), nullable=True),
    Column("mobiltelefonnummer_sist_verifisert", DateTime(timezone=True), nullable=True),
    Column("spraak", String(2), nullable=True),
    Column("spraak_oppdatert", DateTime(timezone=True), nullable=True),
    Column("postkasseadresse", String(254), nullable=True),
    Column("postkasseleverandoeradresse", String(9), nullable=True),
    Column("sertifikat_id", Integer, ForeignKey("krr_sertifikat.id"), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('AKTIV', 'SLETTET')", name="status"),
    CheckConstraint("reservasjon IN ('JA', 'NEI')", name="reservasjon"),
    CheckConstraint("spraak IS NULL OR spraak IN ('nb', 'nn', 'en', 'se')", name="spraak"),
    comment="the contact and reservation register: one row per registered person (krr.md §3)",
)
Index("ix_krr_person_epostadresse", krr_person.c.epostadresse)
Index("ix_krr_person_mobiltelefonnummer", krr_person.c.mobiltelefonnummer)

krr_endring = Table(
    "krr_endring",
    metadata,
    Column("endrings_id", BigInteger, primary_key=True, autoincrement=False),
    Column("personidentifikator", String(11), nullable=False),
    Column("endret", DateTime(timezone=True), nullable=False),
    Column("aarsak", String(32), nullable=False),
    Column("snapshot", Text, nullable=False),
    comment="the change feed (krr.md §8): one row per committed register write, with the full snapshot",
)

krr_consumer_block = Table(
    "krr_consumer_block",
    metadata,
    Column("orgnr", String(9), primary_key=True),
    Column("blocked_at", DateTime(timezone=True), nullable=False),
    comment="consumers and suppliers refused by KRR (krr.md §2.2, `portvakt krr consumer block`)",
)

krr_signing = Table(
    "krr_signing",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("kid", String(64), nullable=False),
    Column("private_key_sealed", Text, nullable=False),
    Column("chain_pem", Text, nullable=False),
    Column("not_after", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    comment="the KRR response-signing key and certificate chain of the test environment (krr.md §9)",
)

__all__ = ["krr_consumer_block", "krr_endring", "krr_person", "krr_sertifikat", "krr_signing", "metadata"]
