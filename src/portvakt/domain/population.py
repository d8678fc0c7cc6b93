"""The population and entity registers as seen by the services (identifiers-and-testdata.md §8).

Value objects and the repository Protocols; the SQL adapters live in `portvakt.storage.population`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

PersonKind = Literal["fnr", "dnr"]
SyntheticClass = Literal["tenor", "plus40"]

SUB_UNIT_FORMS = frozenset({"BEDR", "AAFY"})


@dataclass(frozen=True)
class Address:
    street: str | None
    postal_code: str | None
    postal_place: str | None
    municipality_number: str | None  # kommunenummer


@dataclass(frozen=True)
class Person:
    """A person in the population register (folkeregistrert person)."""

    ordinal: int  # basis of the Altinn party id
    national_id: str  # fødselsnummer or D-number
    kind: PersonKind
    synthetic: SyntheticClass | None
    first_name: str
    middle_name: str | None
    last_name: str
    birth_date: date
    gender: Literal["M", "F"]
    citizenships: tuple[str, ...]  # ISO 3166-1 alpha-3
    residence_country: str
    address: Address
    date_of_death: date | None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)

    def is_alive_on(self, day: date) -> bool:
        return self.date_of_death is None or self.date_of_death > day

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(frozen=True)
class Entity:
    """A unit in the entity register (enhet or underenhet)."""

    ordinal: int  # basis of the Altinn party id
    orgnr: str  # organisasjonsnummer
    name: str
    organisation_form: str  # organisasjonsform code: AS, ENK, BEDR, ORGL, …
    parent_orgnr: str | None  # overordnet enhet of a sub-unit or an ORGL
    nace_code: str | None
    registration_date: date
    registered_in_business_register: bool  # registrert i Foretaksregisteret
    employees: int
    business_address: Address
    deletion_date: date | None  # slettedato
    listed_market: str | None  # regulated market type, e.g. euronextOslo
    foreign_register_country: str | None
    foreign_register_url: str | None

    @property
    def is_sub_unit(self) -> bool:
        return self.organisation_form in SUB_UNIT_FORMS

    def is_deleted_on(self, day: date) -> bool:
        return self.deletion_date is not None and self.deletion_date <= day


@dataclass(frozen=True)
class ErRole:
    """One role row of the entity register; the holder is a person or an entity, never both."""

    entity_orgnr: str
    order: int
    role_code: str  # DAGL, LEDE, MEDL, VARA, INNH, REGN, REVI, …
    holder_national_id: str | None
    holder_orgnr: str | None
    resigned: bool  # fratrådt


class PersonRegister(Protocol):
    async def by_national_id(self, national_id: str) -> Person | None: ...

    async def by_ordinal(self, ordinal: int) -> Person | None: ...

    async def roles_held(self, national_id: str, *, include_resigned: bool = False) -> list[ErRole]: ...


class EntityRegister(Protocol):
    async def by_orgnr(self, orgnr: str) -> Entity | None: ...

    async def by_ordinal(self, ordinal: int) -> Entity | None: ...

    async def roles_of(self, orgnr: str, *, include_resigned: bool = False) -> list[ErRole]: ...

    async def roles_held_by_entity(self, orgnr: str, *, include_resigned: bool = False) -> list[ErRole]: ...

    async def sub_units(self, orgnr: str) -> list[Entity]: ...
