"""Typed builders of RRH data in the storage-contract format (rrh_contract): ER entities, RRH entities and
registrations as canonical documents with codes only."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from portvakt.domain.identifiers import orgnr_check_digit
from portvakt.rrh.render import timestamp
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.rrh import rrh_entities, rrh_registrations

REGISTERED = "registreringsstatus.rettighetsinformasjonErRegistrert"
NOT_REPORTED = "registreringsstatus.rettighetsinformasjonErIkkeMeldt"
DELETED = "registreringsstatus.rettighetsinformasjonErSlettet"
HAS_OWNERS = "reellerettighetshaverestatus.harReelleRettighetshavere"


def orgnr(base: int) -> str:
    """A valid organisation number from an 8-digit base (skipping bases without a check digit)."""
    while True:
        digits = f"{base:08d}"
        check = orgnr_check_digit(digits)
        if check is not None:
            return digits + str(check)
        base += 1


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Position:
    kind: str = "eierskap"
    interval: str | None = "intervall1"
    grounds: tuple[str, ...] = ("direkte",)
    via: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        result: dict[str, Any] = {"posisjonstype": f"posisjonstype.{self.kind}"}
        if self.interval is not None:
            result["stoerrelsesintervall"] = f"stoerrelsesintervall.{self.interval}"
        result["grunnlagstyper"] = [f"grunnlagstype.{ground}" for ground in self.grounds]
        result["mellomliggendeVirksomheter"] = [
            {"norskVirksomhet": {"organisasjonsnummer": number}} for number in self.via
        ]
        return result


@dataclass(frozen=True)
class Person:
    fnr: str
    first: str
    last: str
    birth: date
    exempt: bool = False
    country: str = "NOR"
    citizenships: tuple[str, ...] = ("NOR",)
    positions: tuple[Position, ...] = (Position(),)

    def document(self, since: str) -> dict[str, Any]:
        return {
            "folkeregistrertPerson": {
                "foedselsEllerDNummer": self.fnr,
                "foedselsdato": self.birth.isoformat(),
                "foedselsaar": str(self.birth.year),
                "navn": {"fornavn": self.first, "etternavn": self.last},
                "erDoed": False,
                "bostedsland": self.country,
                "statsborgerskap": list(self.citizenships),
            },
            "erUnntattFraInnsyn": self.exempt,
            "foerstRegistrert": since,
            "endret": since,
            "posisjoner": [position.document() for position in self.positions],
        }


@dataclass(frozen=True)
class Registration:
    registered: datetime
    status: str = REGISTERED
    owners: tuple[Person, ...] = ()
    owner_status: str | None = HAS_OWNERS
    registration_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def document(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "registreringsid": self.registration_id,
            "registreringsstatus": self.status,
            "registrert": timestamp(self.registered),
        }
        if self.status == REGISTERED and self.owner_status is not None:
            result["reelleRettighetshaverestatus"] = self.owner_status
        result["reelleRettighetshavere"] = [
            owner.document(timestamp(self.registered)) for owner in self.owners
        ]
        return result


def not_reported(registered: datetime) -> Registration:
    return Registration(registered, status=NOT_REPORTED, owner_status=None)


@dataclass
class World:
    """Inserts ER entities and RRH data straight into the contract tables."""

    engine: Engine
    ordinal: int = 0

    def entity(
        self,
        number: str,
        form: str = "AS",
        *,
        in_business_register: bool = True,
        name: str = "TESTSELSKAP AS",
    ) -> str:
        self.ordinal += 1
        with self.engine.begin() as connection:
            connection.execute(
                insert(entities).values(
                    ordinal=self.ordinal,
                    orgnr=number,
                    name=name,
                    organisation_form=form,
                    registration_date=date(2020, 1, 1),
                    registered_in_business_register=in_business_register,
                    employees=0,
                )
            )
        return number

    def rrh(
        self,
        number: str,
        registrations: list[Registration],
        *,
        first: datetime | None = None,
        deleted: datetime | None = None,
    ) -> None:
        """Registrations in time order; the last one is current."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(rrh_entities).values(
                    orgnr=number,
                    first_registered_at=first or registrations[0].registered,
                    deleted_at=deleted,
                )
            )
            connection.execute(
                insert(rrh_registrations),
                [
                    {
                        "registration_id": item.registration_id,
                        "orgnr": number,
                        "version": version,
                        "registered_at": item.registered,
                        "is_current": version == len(registrations),
                        "document": json.dumps(item.document(), ensure_ascii=False, separators=(",", ":")),
                    }
                    for version, item in enumerate(registrations, start=1)
                ],
            )
