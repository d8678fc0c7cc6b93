"""RRH registrations as stored (rrh.md §5, §8; testdata §9.3): canonical documents with codes only.

A document is one §5 `Registrering` without `erGjeldendeRegistrering` (rendered from `is_current`); codes
are plain strings, countries ISO 3166-1 alpha-3 strings, persons embedded as registered, timestamps
formatted as §5 says. Keys follow the §5 order; compact separators; UTF-8 (not ASCII-escaped).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal, Protocol

import orjson

from portvakt.rrh.beneficial_owners import BeneficialOwner, Node, Position
from portvakt.rrh.registrable import register_type_code

# The fixed namespace of `registreringsid` = UUIDv5(namespace, "<orgnr>:<version>").
REGISTRATION_NAMESPACE: Final = uuid.UUID("5b0d3c1e-6f2a-5c7e-9d41-8a3b2e7f0c19")

REGISTERED: Final = "registreringsstatus.rettighetsinformasjonErRegistrert"
DELETED: Final = "registreringsstatus.rettighetsinformasjonErSlettet"
NOT_REPORTED: Final = "registreringsstatus.rettighetsinformasjonErIkkeMeldt"
MARKET_NAMES: Final = {
    "markedstype.euronextOslo": "Euronext Oslo",
    "markedstype.euronextExpandOslo": "Euronext Expand Oslo",
}
MARKET_ADDRESS: Final = "https://www.euronext.com/nb/markets/oslo"

Kind = Literal["reported", "not_reported", "deleted"]


@dataclass(frozen=True)
class PersonRecord:
    """A person as the register embeds them: Norwegian (`national_id` set) or foreign (`full_name` set)."""

    birth_date: date
    residence: str
    citizenships: tuple[str, ...]
    exempt: bool
    national_id: str | None = None
    first_name: str = ""
    middle_name: str | None = None
    last_name: str = ""
    dead: bool = False
    full_name: str | None = None


@dataclass(frozen=True)
class ForeignEntityRecord:
    registration_number: str
    name: str
    address: str
    country: str


class Directory(Protocol):
    def person(self, node: Node) -> PersonRecord: ...

    def foreign_entity(self, node: Node) -> ForeignEntityRecord: ...


@dataclass(frozen=True)
class Content:
    """What one registration says (everything except its id and time)."""

    kind: Kind
    status: str | None = None
    owners: tuple[BeneficialOwner, ...] = ()
    market: str | None = None  # markedstype code
    foreign_register: tuple[str, str] | None = None  # (country, internettadresse)


@dataclass(frozen=True)
class Version:
    registered_at: datetime
    content: Content


@dataclass(frozen=True)
class StoredRow:
    registration_id: str
    version: int
    registered_at: datetime
    is_current: bool
    document: str


def registration_id(orgnr: str, version: int) -> str:
    return str(uuid.uuid5(REGISTRATION_NAMESPACE, f"{orgnr}:{version}"))


def format_timestamp(moment: datetime) -> str:
    """§5: UTC ISO 8601 with milliseconds and `Z`."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond // 1000:03d}Z"
    )


def person_document(record: PersonRecord) -> dict[str, Any]:
    if record.national_id is not None:
        name: dict[str, str] = {"fornavn": record.first_name}
        if record.middle_name:
            name["mellomnavn"] = record.middle_name
        name["etternavn"] = record.last_name
        return {
            "folkeregistrertPerson": {
                "foedselsEllerDNummer": record.national_id,
                "foedselsdato": record.birth_date.isoformat(),
                "foedselsaar": f"{record.birth_date.year:04d}",
                "navn": name,
                "erDoed": record.dead,
                "bostedsland": record.residence,
                "statsborgerskap": list(record.citizenships),
            }
        }
    return {
        "utenlandskPerson": {
            "foedselsdato": record.birth_date.isoformat(),
            "foedselsaar": f"{record.birth_date.year:04d}",
            "fulltNavn": record.full_name or "",
            "bostedsland": record.residence,
            "statsborgerskap": list(record.citizenships),
        }
    }


def _intermediate(node: Node, directory: Directory) -> dict[str, Any]:
    if node.kind == "foreign_entity":
        entity = directory.foreign_entity(node)
        return {
            "utenlandskVirksomhet": {
                "registreringsnummerIHjemlandet": entity.registration_number,
                "navn": entity.name,
                "adresse": {"friAdressetekst": entity.address, "land": entity.country},
            }
        }
    return {"norskVirksomhet": {"organisasjonsnummer": node.key}}


def position_document(position: Position, directory: Directory) -> dict[str, Any]:
    document: dict[str, Any] = {"posisjonstype": position.type}
    if position.interval is not None:
        document["stoerrelsesintervall"] = position.interval
    if position.description is not None:
        document["beskrivelseAvPosisjonenKontrollPaaAnnenMaate"] = position.description
    document["grunnlagstyper"] = list(position.basis)
    document["mellomliggendeVirksomheter"] = [
        _intermediate(node, directory) for node in position.intermediates
    ]
    return document


def _owner_times(versions: Sequence[Version]) -> list[dict[Node, tuple[datetime, datetime]]]:
    """Per version and listed person: (`foerstRegistrert`, `endret`) — first time listed in the unbroken
    run of versions up to this one, and the last version that changed the person's positions."""
    result: list[dict[Node, tuple[datetime, datetime]]] = []
    previous: dict[Node, tuple[tuple[Position, ...], datetime, datetime]] = {}
    for version in versions:
        current: dict[Node, tuple[tuple[Position, ...], datetime, datetime]] = {}
        for owner in version.content.owners:
            before = previous.get(owner.person)
            if before is None:
                current[owner.person] = (owner.positions, version.registered_at, version.registered_at)
            elif before[0] != owner.positions:
                current[owner.person] = (owner.positions, before[1], version.registered_at)
            else:
                current[owner.person] = before
        result.append({person: (first, changed) for person, (_, first, changed) in current.items()})
        previous = current
    return result


def registration_document(
    identifier: str,
    version: Version,
    times: dict[Node, tuple[datetime, datetime]],
    directory: Directory,
) -> dict[str, Any]:
    content = version.content
    status = {"reported": REGISTERED, "not_reported": NOT_REPORTED, "deleted": DELETED}[content.kind]
    document: dict[str, Any] = {
        "registreringsid": identifier,
        "registreringsstatus": status,
        "registrert": format_timestamp(version.registered_at),
    }
    if content.kind != "reported":
        document["reelleRettighetshavere"] = []
        return document
    if content.status is not None:
        document["reelleRettighetshaverestatus"] = content.status
    if content.market is not None:
        document["regulertMarked"] = {
            "markedstype": content.market,
            "navn": MARKET_NAMES[content.market],
            "land": "NOR",
            "internettadresse": MARKET_ADDRESS,
        }
    if content.foreign_register is not None:
        country, address = content.foreign_register
        code = register_type_code(country)
        if code is None:
            raise ValueError(f"no EEA register of beneficial owners for {country}")
        document["utenlandskRegister"] = {"registertype": code, "land": country, "internettadresse": address}
    owners = []
    for owner in content.owners:
        record = directory.person(owner.person)
        first, changed = times[owner.person]
        entry = person_document(record)
        entry["erUnntattFraInnsyn"] = record.exempt
        entry["foerstRegistrert"] = format_timestamp(first)
        entry["endret"] = format_timestamp(changed)
        entry["posisjoner"] = [position_document(position, directory) for position in owner.positions]
        owners.append(entry)
    document["reelleRettighetshavere"] = owners
    return document


def canonical_json(document: dict[str, Any]) -> str:
    return orjson.dumps(document).decode()


def stored_rows(orgnr: str, versions: Sequence[Version], directory: Directory) -> list[StoredRow]:
    """The rows of `rrh_registrations` for one entity; the last version is the current one."""
    rows = []
    for index, (version, times) in enumerate(zip(versions, _owner_times(versions), strict=True)):
        number = index + 1
        identifier = registration_id(orgnr, number)
        document = registration_document(identifier, version, times, directory)
        rows.append(
            StoredRow(
                identifier,
                number,
                version.registered_at,
                index == len(versions) - 1,
                canonical_json(document),
            )
        )
    return rows
