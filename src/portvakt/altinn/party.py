"""Parties (altinn.md §2.1): every person and every ER entity, with a party id and a party UUID."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

PERSON_PARTY_BASE: Final = 50_000_000
ORG_PARTY_BASE: Final = 60_000_000
PARTY_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:portvakt:party")
SUB_UNIT_FORMS: Final = frozenset({"BEDR", "AAFY"})

PartyKind = Literal["person", "org"]


def party_uuid(kind: PartyKind, identifier: str) -> str:
    return str(uuid.uuid5(PARTY_NAMESPACE, f"{kind}:{identifier}"))


def person_party_id(ordinal: int) -> int:
    return PERSON_PARTY_BASE + ordinal


def org_party_id(ordinal: int) -> int:
    return ORG_PARTY_BASE + ordinal


def ordinal_of(party_id: int) -> tuple[PartyKind, int] | None:
    """The register and ordinal behind a party id, or None for a number outside both ranges."""
    if PERSON_PARTY_BASE < party_id < ORG_PARTY_BASE:
        return "person", party_id - PERSON_PARTY_BASE
    if ORG_PARTY_BASE < party_id < ORG_PARTY_BASE + PERSON_PARTY_BASE:
        return "org", party_id - ORG_PARTY_BASE
    return None


def person_name(first: str, middle: str | None, last: str) -> str:
    """`FORNAVN MELLOMNAVN ETTERNAVN`, upper case, single spaces."""
    return " ".join(" ".join(part for part in (first, middle, last) if part).upper().split())


@dataclass(frozen=True, slots=True)
class Party:
    party_id: int
    kind: PartyKind
    identifier: str  # fødselsnummer/D-number or organisation number
    name: str
    organisation_form: str | None = None
    parent_orgnr: str | None = None
    deleted: bool = False
    birth_date: date | None = None

    @property
    def uuid(self) -> str:
        return party_uuid(self.kind, self.identifier)

    @property
    def is_person(self) -> bool:
        return self.kind == "person"

    @property
    def is_sub_unit(self) -> bool:
        return self.organisation_form in SUB_UNIT_FORMS and self.parent_orgnr is not None
