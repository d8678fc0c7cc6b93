"""The self-service change log (selvbetjening.md §9): one row per change, in the change's transaction."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, String, Table

from portvakt.storage.tables.base import BigIntPK, metadata

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("occurred", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("acting_orgno", String(9), nullable=True),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(320), nullable=False),
    Column("orgno", String(9), nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Index(None, "occurred"),
    Index(None, "orgno"),
    Index(None, "acting_orgno"),
    comment="registry change log (selvbetjening.md §9); no secrets, password hashes, private keys",
)

__all__ = ["audit_events", "metadata"]
