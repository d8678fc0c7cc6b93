"""KRR use cases (krr.md §6–§8, §12), free of HTTP: lookups, the own record, language, the feed, writes.

Every register write (PATCH, CLI, import) goes through `RegisterWriter`: invariants of §3, one feed change
per changed person, in one transaction under the feed lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.domain.clock import Clock
from portvakt.domain.errors import ValidationError
from portvakt.krr import store
from portvakt.krr.model import (
    AKTIV,
    JA,
    LANGUAGES,
    NEI,
    SLETTET,
    Duplicates,
    FieldGroups,
    PersonRecord,
    check_invariants,
    cutoff,
    normalise_mobile,
    parse_timestamp,
    render,
    unregistered,
    validate_email,
)
from portvakt.storage.engine import Database

AARSAK_PATCH: Final = "PATCH_SPRAAK"
AARSAK_CLI: Final = "CLI"
AARSAK_IMPORT: Final = "IMPORT"


class WriteGate:
    """SQLite has one writer at a time: queue this process's write transactions on an asyncio lock instead
    of SQLite's busy-handler back-off. PostgreSQL writes concurrently."""

    def __init__(self, *, serialize: bool) -> None:
        self._lock = asyncio.Lock() if serialize else None

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield


class NotActive(ValidationError):
    status_code = 404


@dataclass
class KrrService:
    database: Database
    clock: Clock
    gate: WriteGate
    certificates: store.CertificateCache

    @classmethod
    def create(cls, database: Database, clock: Clock) -> KrrService:
        return cls(
            database, clock, WriteGate(serialize=database.backend == "sqlite"), store.CertificateCache()
        )

    # -- reads ---------------------------------------------------------------------------------------

    async def lookup(
        self, identifiers: Sequence[str], groups: FieldGroups, *, include_unregistered: bool
    ) -> list[dict[str, Any]]:
        """§6 steps 2–4: one query per ≤ 500 ids, Person objects in the given (de-duplicated) order."""
        async with self.database.engine.connect() as connection:
            found = await store.load_persons(connection, identifiers)
            certificates = (
                await self.certificates.for_ids(connection, (r.sertifikat_id for r in found.values()))
                if groups.post
                else {}
            )
        limit = cutoff(self.clock.now())
        persons: list[dict[str, Any]] = []
        for identifier in identifiers:
            record = found.get(identifier)
            if record is not None:
                persons.append(render(record, groups, limit, certificates))
            elif include_unregistered:
                persons.append(unregistered(identifier, groups))
        return persons

    async def own(self, pid: str, groups: FieldGroups) -> dict[str, Any]:
        """§7.1: the person of the token (IKKE_REGISTRERT when unknown)."""
        persons = await self.lookup([pid], groups, include_unregistered=True)
        return persons[0]

    async def feed(self, after: int, groups: FieldGroups, page_size: int) -> tuple[dict[str, Any], list[str]]:
        """§8: changes with id > `after`, rendered with the caller's scopes; also the page's persons."""
        async with self.database.engine.connect() as connection:
            page = await store.feed_page(connection, after, page_size)
            snapshots = [(i, PersonRecord.from_snapshot(s)) for i, s in page.changes]
            certificates = (
                await self.certificates.for_ids(connection, (r.sertifikat_id for _, (r, _e, _m) in snapshots))
                if groups.post
                else {}
            )
        limit = cutoff(self.clock.now())
        items = [
            render(record, groups, limit, certificates, duplicates=Duplicates(epost, mobil))
            for _, (record, epost, mobil) in snapshots
        ]
        til = snapshots[-1][0] if snapshots else max(after, page.siste)
        body = {"list": items, "fraEndringsId": after, "tilEndringsId": til, "sisteEndringsId": page.siste}
        return body, [record.personidentifikator for _, (record, _e, _m) in snapshots]

    # -- writes --------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction holding the feed lock (and, on SQLite, this process's write gate)."""
        async with self.gate(), self.database.engine.begin() as connection:
            await store.lock_feed(connection)
            yield connection

    async def set_language(self, pid: str, spraak: str, groups: FieldGroups) -> dict[str, Any]:
        """§7.2 steps 5–6: AKTIV person only; `spraak_oppdatert = now` even when unchanged."""
        now = self.clock.now()
        async with self.writing() as connection:
            record = await store.load_person(connection, pid)
            if record is None or record.status != AKTIV:
                raise NotActive("not AKTIV")
            updated = record.changed(spraak=spraak, spraak_oppdatert=now)
            await store.save_person(connection, updated, aarsak=AARSAK_PATCH, now=now, exists=True)
            certificates = (
                await self.certificates.for_ids(connection, [updated.sertifikat_id]) if groups.post else {}
            )
        return render(updated, groups, cutoff(now), certificates, with_spraak=True)

    async def update_person(
        self, pid: str, edit: PersonEdit, *, certificate_id: int | None = None, aarsak: str = AARSAK_CLI
    ) -> PersonRecord:
        """`portvakt krr person set`: apply the edit (new persons become AKTIV, NEI) and record the change.
        `certificate_id`: the provider's certificate when the edit chooses a postbox."""
        now = self.clock.now()
        async with self.writing() as connection:
            existing = await store.load_person(connection, pid)
            base = existing or PersonRecord(pid, AKTIV, NEI)
            if base.status == SLETTET:  # registering again
                base = PersonRecord(
                    pid, AKTIV, base.reservasjon, base.reservasjonstidspunkt, base.reservasjon_oppdatert
                )
            record = edit.apply(base, now, certificate_id)
            await store.save_person(connection, record, aarsak=aarsak, now=now, exists=existing is not None)
        return record

    async def delete_person(self, pid: str) -> PersonRecord:
        """`portvakt krr person delete`: status SLETTET, contact, language and postbox cleared."""
        now = self.clock.now()
        async with self.writing() as connection:
            existing = await store.load_person(connection, pid)
            if existing is None:
                raise NotActive(f"Person {pid} is not registered")
            record = PersonRecord(
                pid,
                SLETTET,
                existing.reservasjon,
                existing.reservasjonstidspunkt,
                existing.reservasjon_oppdatert,
            )
            await store.save_person(connection, record, aarsak=AARSAK_CLI, now=now, exists=True)
        return record

    async def import_records(self, records: Sequence[PersonRecord]) -> int:
        """`portvakt krr import`: one transaction, one feed change per person."""
        now = self.clock.now()
        async with self.writing() as connection:
            for record in records:
                exists = await store.load_person(connection, record.personidentifikator) is not None
                await store.save_person(connection, record, aarsak=AARSAK_IMPORT, now=now, exists=exists)
        return len(records)

    async def person(self, pid: str) -> PersonRecord | None:
        async with self.database.engine.connect() as connection:
            return await store.load_person(connection, pid)


@dataclass(frozen=True)
class PersonEdit:
    """The options of `person set` (§12); `""` removes a channel or the postbox."""

    epost: str | None = None
    mobil: str | None = None
    reservasjon: str | None = None
    spraak: str | None = None
    postkasse: str | None = None
    leverandoer: str | None = None
    bekreft: bool = False

    def __post_init__(self) -> None:
        if (self.postkasse is None) != (self.leverandoer is None) and not (self.postkasse == ""):
            raise ValidationError("--postkasse and --leverandoer go together")
        if self.reservasjon is not None and self.reservasjon not in (JA, NEI):
            raise ValidationError("--reservasjon must be JA or NEI")
        if self.spraak not in (None, "", *LANGUAGES):
            raise ValidationError("--spraak must be one of nb, nn, en, se")

    def apply(self, base: PersonRecord, now: datetime, certificate_id: int | None) -> PersonRecord:
        record = base
        if self.epost is not None:
            if self.epost == "":
                record = record.changed(
                    epostadresse=None, epostadresse_oppdatert=None, epostadresse_sist_verifisert=None
                )
            else:
                record = record.changed(
                    epostadresse=validate_email(self.epost),
                    epostadresse_oppdatert=now,
                    epostadresse_sist_verifisert=now,
                )
        if self.mobil is not None:
            if self.mobil == "":
                record = record.changed(
                    mobiltelefonnummer=None,
                    mobiltelefonnummer_oppdatert=None,
                    mobiltelefonnummer_sist_verifisert=None,
                )
            else:
                record = record.changed(
                    mobiltelefonnummer=normalise_mobile(self.mobil),
                    mobiltelefonnummer_oppdatert=now,
                    mobiltelefonnummer_sist_verifisert=now,
                )
        if self.reservasjon is not None:
            record = record.changed(
                reservasjon=self.reservasjon,
                reservasjonstidspunkt=now if self.reservasjon == JA else None,
                reservasjon_oppdatert=now,
            )
        if self.spraak is not None:
            record = record.changed(spraak=self.spraak or None, spraak_oppdatert=now if self.spraak else None)
        if self.postkasse == "":
            record = record.changed(
                postkasseadresse=None, postkasseleverandoeradresse=None, sertifikat_id=None
            )
        elif self.postkasse is not None:
            record = record.changed(
                postkasseadresse=self.postkasse,
                postkasseleverandoeradresse=self.leverandoer,
                sertifikat_id=certificate_id,
            )
        if self.bekreft:
            if record.epostadresse is not None:
                record = record.changed(epostadresse_sist_verifisert=now)
            if record.mobiltelefonnummer is not None:
                record = record.changed(mobiltelefonnummer_sist_verifisert=now)
        check_invariants(record)
        return record


_IMPORT_KEYS: Final = frozenset(PersonRecord.__dataclass_fields__) - {"sertifikat_id"}


def record_from_import(line: Mapping[str, Any]) -> PersonRecord:
    """One internal record of `portvakt krr import` (timestamps per §5.2); invariants checked."""
    unknown = set(line) - _IMPORT_KEYS
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name in _IMPORT_KEYS:
        value = line.get(name)
        if value is not None and not isinstance(value, str):
            raise ValidationError(f"{name}: must be a string")
        if value is not None and name.endswith(("_oppdatert", "_sist_verifisert", "tidspunkt")):
            values[name] = parse_timestamp(value)
        else:
            values[name] = value
    if values.get("mobiltelefonnummer") is not None:
        values["mobiltelefonnummer"] = normalise_mobile(values["mobiltelefonnummer"])
    if values.get("personidentifikator") is None or values.get("status") is None:
        raise ValidationError("personidentifikator and status are required")
    values.setdefault("reservasjon", NEI)
    if values["reservasjon"] is None:
        values["reservasjon"] = NEI
    record = PersonRecord(**values)
    check_invariants(record)
    return record
