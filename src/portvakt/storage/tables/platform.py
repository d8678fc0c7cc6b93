"""Installation-wide facts shared by every process."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table, Text

from portvakt.storage.tables.base import metadata

platform_facts = Table(
    "platform_facts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    comment="key/value facts of this installation (installation id, first start)",
)
