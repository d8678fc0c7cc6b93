"""The lookup-audit store (krr.md §11): insert and query only — the database refuses UPDATE and DELETE."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.audit.keys import AuditKeys
from portvakt.storage.engine import Database
from portvakt.storage.tables.lookup_audit import lookup_audit_event, lookup_audit_subject


@dataclass(frozen=True)
class LookupAuditEvent:
    """One lookup by an authenticated caller; `subjects` are raw identifiers, hashed before storing."""

    occurred_at: datetime
    service: str
    endpoint: str
    http_status: int
    trace_id: str
    client_id: str | None
    consumer_orgno: str | None
    supplier_orgno: str | None
    scopes: Collection[str]
    subject_count: int
    detail: Mapping[str, Any]
    subjects: Collection[str] = ()


@dataclass(frozen=True)
class StoredAuditEvent:
    id: int
    occurred_at: datetime
    service: str
    endpoint: str
    http_status: int
    trace_id: str
    client_id: str | None
    consumer_orgno: str | None
    supplier_orgno: str | None
    scopes: str
    subject_count: int
    hmac_key_id: str
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "occurred_at": self.occurred_at.isoformat(),
            "service": self.service,
            "endpoint": self.endpoint,
            "http_status": self.http_status,
            "trace_id": self.trace_id,
            "client_id": self.client_id,
            "consumer_orgno": self.consumer_orgno,
            "supplier_orgno": self.supplier_orgno,
            "scopes": self.scopes,
            "subject_count": self.subject_count,
            "hmac_key_id": self.hmac_key_id,
            "detail": json.loads(self.detail),
        }


def _event_values(event: LookupAuditEvent, keys: AuditKeys) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at,
        "service": event.service,
        "endpoint": event.endpoint,
        "http_status": event.http_status,
        "trace_id": event.trace_id,
        "client_id": event.client_id,
        "consumer_orgno": event.consumer_orgno,
        "supplier_orgno": event.supplier_orgno,
        "scopes": " ".join(sorted(set(event.scopes))),
        "subject_count": event.subject_count,
        "hmac_key_id": keys.active.key_id,
        "detail": json.dumps(dict(event.detail), ensure_ascii=False, separators=(",", ":")),
    }


# Subject rows go to the driver in one `executemany` (pipelined on PostgreSQL): a KRR bulk lookup writes
# 1,000 of them per event, and SQLAlchemy's per-row parameter processing is measurable there.
_SUBJECT_INSERT = {
    "qmark": "INSERT INTO lookup_audit_subject (event_id, subject_hmac) VALUES (?, ?)",
    "format": "INSERT INTO lookup_audit_subject (event_id, subject_hmac) VALUES (%s, %s)",
    "pyformat": "INSERT INTO lookup_audit_subject (event_id, subject_hmac) VALUES (%s, %s)",
}


def _subject_rows(event_id: int, event: LookupAuditEvent, keys: AuditKeys) -> list[tuple[int, str]]:
    if not 200 <= event.http_status < 300:
        return []
    hashes = sorted({keys.active.digest(subject) for subject in event.subjects})
    return [(event_id, digest) for digest in hashes]


async def write_event(connection: AsyncConnection, event: LookupAuditEvent, keys: AuditKeys) -> int:
    """Insert the event and (2xx only) one row per distinct subject HMAC; the caller owns the transaction."""
    result = await connection.execute(
        insert(lookup_audit_event).values(**_event_values(event, keys)).returning(lookup_audit_event.c.id)
    )
    event_id = int(result.scalar_one())
    rows = _subject_rows(event_id, event, keys)
    if rows:
        await connection.exec_driver_sql(_SUBJECT_INSERT[connection.dialect.paramstyle], rows)
    return event_id


class AuditWriter:
    """Writes lookup-audit events in a transaction of their own (used by the request pipelines)."""

    def __init__(self, database: Database, keys: AuditKeys) -> None:
        self._database = database
        self.keys = keys

    async def write(self, event: LookupAuditEvent) -> int:
        async with self._database.engine.begin() as connection:
            return await write_event(connection, event, self.keys)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def find_events(
    connection: Connection,
    digests: Sequence[str],
    *,
    service: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> list[StoredAuditEvent]:
    """Events whose subjects include one of the digests, oldest first."""
    matching = select(lookup_audit_subject.c.event_id).where(lookup_audit_subject.c.subject_hmac.in_(digests))
    query = select(lookup_audit_event).where(lookup_audit_event.c.id.in_(matching))
    if service is not None:
        query = query.where(lookup_audit_event.c.service == service)
    if occurred_from is not None:
        query = query.where(lookup_audit_event.c.occurred_at >= occurred_from)
    if occurred_to is not None:
        query = query.where(lookup_audit_event.c.occurred_at < occurred_to)
    rows = connection.execute(query.order_by(lookup_audit_event.c.occurred_at, lookup_audit_event.c.id))
    return [StoredAuditEvent(**{**row._asdict(), "occurred_at": _utc(row.occurred_at)}) for row in rows]
