"""The built-in test CA (maskinporten.md §6.3)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)

from portvakt.storage.tables.base import metadata

testca_authority = Table(
    "testca_authority",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("installation_id", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("certificate_pem", Text, nullable=False),
    Column("private_key_sealed", Text, nullable=False),
    Column("not_before", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True), nullable=False),
    Column("crl_der", LargeBinary, nullable=False),
    Column("crl_number", BigInteger, nullable=False),
    Column("crl_this_update", DateTime(timezone=True), nullable=False),
    Column("crl_next_update", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    comment="the built-in test CA (test environment only): certificate, sealed key, current CRL",
)

testca_certificates = Table(
    "testca_certificates",
    metadata,
    Column("serial_hex", String(40), primary_key=True),
    Column("authority", String(32), ForeignKey("testca_authority.name"), nullable=False),
    Column("orgno", String(9), nullable=False),
    Column("seid", SmallInteger, nullable=False),
    Column("subject", Text, nullable=False),
    Column("not_before", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revocation_reason", String(32), nullable=True),
    Column("certificate_pem", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Index(None, "orgno"),
    comment="test enterprise certificates issued by the built-in test CA, with their revocation",
)

__all__ = ["metadata", "testca_authority", "testca_certificates"]
