"""The KRR write of the shared lookup audit (krr.md §11), tuned for 1,000 subjects per event.

Same rows as `portvakt.audit.repository.write_event`: the event, then (2xx only) one row per distinct subject
with the lowercase hex HMAC-SHA256 under the active key. The digests use the one-shot `hmac.digest`, and the
subject rows go to the driver in one `executemany` (pipelined on PostgreSQL).
"""

from __future__ import annotations

import hmac
import json

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.audit.keys import AuditKeys
from portvakt.audit.repository import LookupAuditEvent
from portvakt.storage.tables.lookup_audit import lookup_audit_event

_SUBJECT_INSERT = {
    "qmark": "INSERT INTO lookup_audit_subject (event_id, subject_hmac) VALUES (?, ?)",
    "format": "INSERT INTO lookup_audit_subject (event_id, subject_hmac) VALUES (%s, %s)",
    "pyformat": "INSERT INTO lookup_audit_subject (event_id, subject_hmac) VALUES (%s, %s)",
}


def subject_digests(keys: AuditKeys, subjects: set[str] | frozenset[str] | list[str]) -> list[str]:
    secret = keys.active.secret
    return sorted({hmac.digest(secret, subject.encode("ascii"), "sha256").hex() for subject in subjects})


async def write_lookup_event(connection: AsyncConnection, event: LookupAuditEvent, keys: AuditKeys) -> int:
    """Insert the event and its subject rows; the caller owns the transaction."""
    result = await connection.execute(
        insert(lookup_audit_event)
        .values(
            occurred_at=event.occurred_at,
            service=event.service,
            endpoint=event.endpoint,
            http_status=event.http_status,
            trace_id=event.trace_id,
            client_id=event.client_id,
            consumer_orgno=event.consumer_orgno,
            supplier_orgno=event.supplier_orgno,
            scopes=" ".join(sorted(set(event.scopes))),
            subject_count=event.subject_count,
            hmac_key_id=keys.active.key_id,
            detail=json.dumps(dict(event.detail), ensure_ascii=False, separators=(",", ":")),
        )
        .returning(lookup_audit_event.c.id)
    )
    event_id = int(result.scalar_one())
    if 200 <= event.http_status < 300 and event.subjects:
        digests = subject_digests(keys, list(event.subjects))
        statement = _SUBJECT_INSERT[connection.dialect.paramstyle]
        await connection.exec_driver_sql(statement, [(event_id, digest) for digest in digests])
    return event_id
