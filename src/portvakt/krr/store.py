"""SQL of the register (krr.md §3, §8): set-based lookups, the write path with its feed change, blocks.

Reads are one `IN` query per ≤ 500 identifiers. Every write appends exactly one `krr_endring` row in the
same transaction; the id is allocated under a feed-wide writer lock (PostgreSQL advisory lock; SQLite
takes its single write lock with the first statement), so no reader sees id n+1 before n.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import DateTime, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.krr.model import AKTIV, PersonRecord, check_invariants
from portvakt.storage.tables.krr import krr_consumer_block, krr_endring, krr_person, krr_sertifikat

CHUNK: Final = 500
FIRST_CHANGE_ID: Final = 200_000_001
EMPTY_FEED_ID: Final = FIRST_CHANGE_ID - 1
FEED_LOCK_KEY: Final = 0x4B52525F46454544  # "KRR_FEED"
PERSON_COLUMNS: Final = tuple(krr_person.c[name] for name in PersonRecord.__dataclass_fields__)


_PLACEHOLDER: Final = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_COLUMN_LIST: Final = ", ".join(c.name for c in PERSON_COLUMNS)
_SELECT_PERSONS: Final = f"SELECT {_COLUMN_LIST} FROM krr_person WHERE personidentifikator IN "  # noqa: S608
_TIMESTAMP_INDEXES: Final = tuple(i for i, c in enumerate(PERSON_COLUMNS) if isinstance(c.type, DateTime))


@functools.cache
def _persons_statement(paramstyle: str, count: int) -> str:
    return _SELECT_PERSONS + "(" + ", ".join([_PLACEHOLDER[paramstyle]] * count) + ")"


def _sqlite_timestamps(row: Sequence[Any]) -> list[Any]:
    """SQLite hands back the stored text (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC) at the driver level."""
    values = list(row)
    for index in _TIMESTAMP_INDEXES:
        value = values[index]
        if value is not None:
            values[index] = datetime.fromisoformat(value)
    return values


async def load_persons(connection: AsyncConnection, identifiers: Sequence[str]) -> dict[str, PersonRecord]:
    """At the driver level (no statement compilation, no result processing): the lookup's hot path."""
    found: dict[str, PersonRecord] = {}
    paramstyle = connection.dialect.paramstyle
    sqlite = connection.dialect.name == "sqlite"
    from_row = PersonRecord.from_row
    for start in range(0, len(identifiers), CHUNK):
        part = tuple(identifiers[start : start + CHUNK])
        result = await connection.exec_driver_sql(_persons_statement(paramstyle, len(part)), part)
        for row in result.fetchall():
            record = from_row(_sqlite_timestamps(row) if sqlite else row)
            found[record.personidentifikator] = record
    return found


async def load_person(connection: AsyncConnection, identifier: str) -> PersonRecord | None:
    return (await load_persons(connection, [identifier])).get(identifier)


class CertificateCache:
    """Provider certificates (standard base64 DER) by id; they never change once stored."""

    def __init__(self) -> None:
        self._encoded: dict[int, str] = {}

    async def for_ids(self, connection: AsyncConnection, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        missing = wanted - self._encoded.keys()
        if missing:
            rows = await connection.execute(
                select(krr_sertifikat.c.id, krr_sertifikat.c.der).where(krr_sertifikat.c.id.in_(missing))
            )
            for row in rows:
                self._encoded[row.id] = base64.b64encode(bytes(row.der)).decode("ascii")
        return self._encoded


async def certificate_for(connection: AsyncConnection, orgnr: str) -> int | None:
    result = await connection.execute(
        select(krr_sertifikat.c.id)
        .where(krr_sertifikat.c.orgnr == orgnr)
        .order_by(krr_sertifikat.c.id.desc())
    )
    found = result.first()
    return None if found is None else int(found.id)


async def add_certificate(connection: AsyncConnection, orgnr: str, der: bytes) -> int:
    next_id = (await connection.execute(select(func.coalesce(func.max(krr_sertifikat.c.id), 0)))).scalar_one()
    await connection.execute(insert(krr_sertifikat).values(id=int(next_id) + 1, orgnr=orgnr, der=der))
    return int(next_id) + 1


# -- the write path ------------------------------------------------------------------------------------


async def lock_feed(connection: AsyncConnection) -> None:
    """Take the feed-wide writer lock before anything else in the transaction."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
    else:  # a write as the first statement takes SQLite's write lock (waiting on busy_timeout)
        await connection.execute(update(krr_endring).where(text("1 = 0")).values(aarsak=krr_endring.c.aarsak))


async def _shared_with_active(connection: AsyncConnection, column: Any, value: str | None, pid: str) -> bool:
    if value is None:
        return False
    found = await connection.execute(
        select(krr_person.c.personidentifikator)
        .where(column == value, krr_person.c.status == AKTIV, krr_person.c.personidentifikator != pid)
        .limit(1)
    )
    return found.first() is not None


@dataclass(frozen=True)
class Change:
    endrings_id: int
    record: PersonRecord


async def save_person(
    connection: AsyncConnection, record: PersonRecord, *, aarsak: str, now: datetime, exists: bool
) -> Change:
    """Store the person and append its feed change; call `lock_feed` first in the same transaction."""
    check_invariants(record)
    values = record.as_row() | {"updated_at": now}
    if exists:
        await connection.execute(
            update(krr_person)
            .where(krr_person.c.personidentifikator == record.personidentifikator)
            .values(**values)
        )
    else:
        await connection.execute(insert(krr_person).values(**values))
    pid = record.personidentifikator
    snapshot = record.snapshot(
        epost_duplisert=await _shared_with_active(
            connection, krr_person.c.epostadresse, record.epostadresse, pid
        ),
        mobil_duplisert=await _shared_with_active(
            connection, krr_person.c.mobiltelefonnummer, record.mobiltelefonnummer, pid
        ),
    )
    last = (await connection.execute(select(func.max(krr_endring.c.endrings_id)))).scalar_one()
    endrings_id = FIRST_CHANGE_ID if last is None else int(last) + 1
    await connection.execute(
        insert(krr_endring).values(
            endrings_id=endrings_id,
            personidentifikator=pid,
            endret=now,
            aarsak=aarsak,
            snapshot=orjson.dumps(snapshot).decode("utf-8"),
        )
    )
    return Change(endrings_id, record)


# -- the change feed -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedPage:
    changes: list[tuple[int, dict[str, Any]]]
    siste: int


async def feed_page(connection: AsyncConnection, after: int, limit: int) -> FeedPage:
    siste = (await connection.execute(select(func.max(krr_endring.c.endrings_id)))).scalar_one()
    rows = await connection.execute(
        select(krr_endring.c.endrings_id, krr_endring.c.snapshot)
        .where(krr_endring.c.endrings_id > after)
        .order_by(krr_endring.c.endrings_id)
        .limit(limit)
    )
    changes = [(int(row.endrings_id), orjson.loads(row.snapshot)) for row in rows]
    highest = EMPTY_FEED_ID if siste is None else int(siste)
    return FeedPage([c for c in changes if c[0] <= highest], highest)


async def feed_tail(connection: AsyncConnection, after: int, limit: int) -> list[dict[str, Any]]:
    rows = await connection.execute(
        select(krr_endring)
        .where(krr_endring.c.endrings_id > after)
        .order_by(krr_endring.c.endrings_id)
        .limit(limit)
    )
    return [
        {
            "endrings_id": int(row.endrings_id),
            "personidentifikator": row.personidentifikator,
            "endret": row.endret.isoformat(),
            "aarsak": row.aarsak,
        }
        for row in rows
    ]


# -- consumer blocks (§2.2) ----------------------------------------------------------------------------


async def blocked_among(connection: AsyncConnection, orgnrs: Sequence[str]) -> set[str]:
    rows = await connection.execute(
        select(krr_consumer_block.c.orgnr).where(krr_consumer_block.c.orgnr.in_(list(orgnrs)))
    )
    return {row.orgnr for row in rows}


async def block(connection: AsyncConnection, orgnr: str, now: datetime) -> bool:
    if await blocked_among(connection, [orgnr]):
        return False
    await connection.execute(insert(krr_consumer_block).values(orgnr=orgnr, blocked_at=now))
    return True


async def unblock(connection: AsyncConnection, orgnr: str) -> bool:
    result = await connection.execute(delete(krr_consumer_block).where(krr_consumer_block.c.orgnr == orgnr))
    return bool(result.rowcount)


async def blocked_list(connection: AsyncConnection) -> list[tuple[str, datetime]]:
    rows = await connection.execute(select(krr_consumer_block).order_by(krr_consumer_block.c.orgnr))
    return [(row.orgnr, row.blocked_at) for row in rows]
