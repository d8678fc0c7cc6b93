"""RRH totalbestand builds and legal bases (rrh.md §10, §13)."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, String, Table, Text

from portvakt.storage.tables.base import metadata

rrh_totalbestand_builds = Table(
    "rrh_totalbestand_builds",
    metadata,
    Column("build_id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("file_name", String(255), nullable=True),
    Column("etag", String(32), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("entity_count", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    CheckConstraint("status IN ('running', 'complete', 'failed')", name="status"),
    comment="one row per totalbestand build (rrh.md §10)",
)
Index("ix_rrh_totalbestand_builds_started_at", rrh_totalbestand_builds.c.started_at)

rrh_legal_basis = Table(
    "rrh_legal_basis",
    metadata,
    Column("consumer_orgno", String(9), primary_key=True),
    Column("scope", String(255), primary_key=True),
    Column("code", String(32), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(255), nullable=False),
    comment="the legal basis a consumer was granted an RRH scope under (rrh.md §13)",
)

__all__ = ["metadata", "rrh_legal_basis", "rrh_totalbestand_builds"]
