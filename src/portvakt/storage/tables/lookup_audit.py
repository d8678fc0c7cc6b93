"""Append-only lookup audit shared by KRR and RRH (krr.md §11, rrh.md §11).

`UPDATE` and `DELETE` are refused by database triggers (migration 0008); the repository inserts and
reads only.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from portvakt.storage.tables.base import BigIntPK, metadata

lookup_audit_event = Table(
    "lookup_audit_event",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("service", String(16), nullable=False),
    Column("endpoint", String(128), nullable=False),
    Column("http_status", Integer, nullable=False),
    Column("trace_id", String(32), nullable=False),
    Column("client_id", String(255), nullable=True),
    Column("consumer_orgno", String(9), nullable=True),
    Column("supplier_orgno", String(9), nullable=True),
    Column("scopes", Text, nullable=False),
    Column("subject_count", Integer, nullable=False),
    Column("hmac_key_id", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    comment="one event per lookup that passed authentication (krr.md §11); append-only",
)
Index("ix_lookup_audit_event_occurred_at", lookup_audit_event.c.occurred_at)

lookup_audit_subject = Table(
    "lookup_audit_subject",
    metadata,
    Column("event_id", BigIntPK, ForeignKey("lookup_audit_event.id"), primary_key=True, autoincrement=False),
    Column("subject_hmac", String(64), primary_key=True),
    comment="HMAC-SHA256 of each distinct identifier in a 2xx lookup; append-only",
)
Index("ix_lookup_audit_subject_subject_hmac", lookup_audit_subject.c.subject_hmac)

__all__ = ["lookup_audit_event", "lookup_audit_subject", "metadata"]
