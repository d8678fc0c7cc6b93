"""The RRH content of the fixed scenarios S02–S31 and the foreign persons F1–F6 (testdata §10.1–§10.2).

Written as specified, not derived (§10). Times are relative to the as-of date A; where the spec leaves a
time free, a scenario is first reported A − (320 − n) days at 08:01:12.000Z (n = the scenario number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from portvakt.rrh.beneficial_owners import (
    AGREEMENT,
    APPOINT_BOARD,
    DIRECT,
    FOREIGN_PUBLIC_STATUS,
    HAS_NO_OWNERS,
    HAS_OWNERS,
    INDIRECT,
    INTERVAL_1,
    INTERVAL_2,
    INTERVAL_3,
    NONE_KNOWN,
    NORWEGIAN_PUBLIC,
    OTHER_CONTROL,
    OWNERSHIP,
    SOME_UNKNOWN,
    STI_BOARD_AND_OTHERS,
    STI_BOARD_ONLY,
    VOTES,
    BeneficialOwner,
    Node,
    Position,
)
from portvakt.rrh.registrations import Content, ForeignEntityRecord, PersonRecord, Version
from portvakt.testdata.scenario_data import SCENARIO_ENTITIES, SCENARIO_PERSONS, SCENARIO_REGISTRATION_DATE

NOT_REPORTED_FROM: Final = datetime(2025, 3, 21, tzinfo=UTC)
S05_OTHER_CONTROL: Final = "Har avgjørende innflytelse gjennom en låneavtale med selskapet."


@dataclass(frozen=True)
class ForeignPerson:
    key: str
    id: int
    full_name: str
    birth_date: date
    country: str
    exempt: bool = False


@dataclass(frozen=True)
class ForeignEntity:
    id: int
    name: str
    country: str
    registration_number: str
    address: str
    opaque: bool


FOREIGN_PERSONS: Final = (
    ForeignPerson("F1", 1, "ANNA SVENSSON", date(1979, 5, 14), "SWE"),
    ForeignPerson("F2", 2, "MARÍA GARCÍA LÓPEZ", date(1985, 11, 2), "ESP"),
    ForeignPerson("F3", 3, "LUCAS MÜLLER", date(2004, 7, 19), "DEU", exempt=True),
    ForeignPerson("F4", 4, "MADS JENSEN", date(1970, 1, 30), "DNK"),
    ForeignPerson("F5", 5, "SOPHIE DUBOIS", date(1988, 3, 8), "FRA", exempt=True),
    ForeignPerson("F6", 6, "ERIK LINDQVIST", date(1965, 9, 23), "SWE"),
)
NORDIC_SHELL, NOMINEES, TREUHAND, SKOGSBOLAGET, PENSION_HOLDING = 1, 2, 3, 4, 5
FOREIGN_ENTITIES: Final = (
    ForeignEntity(
        NORDIC_SHELL, "NORDIC SHELL LTD", "GBR", "09876543", "1 Canada Square, London E14 5AB", True
    ),
    ForeignEntity(
        NOMINEES, "BALTIC NOMINEES LTD", "GBR", "11223344", "20 Fenchurch Street, London EC3M 3BY", True
    ),
    ForeignEntity(
        TREUHAND, "ALPINE TREUHAND AG", "CHE", "CHE-105.829.335", "Bahnhofstrasse 10, 8001 Zürich", True
    ),
    ForeignEntity(SKOGSBOLAGET, "SKOGSBOLAGET AB", "SWE", "556677-8899", "Storgatan 5, 903 26 Umeå", False),
    ForeignEntity(
        PENSION_HOLDING,
        "NORDIC PENSION HOLDING AB",
        "SWE",
        "559123-4567",
        "Kungsgatan 12, 111 43 Stockholm",
        False,
    ),
)
FIRST_GENERATED_FOREIGN_ID: Final = (
    1_000_000  # generated foreign persons and entities are numbered above this
)

_PERSONS = {p.key: p for p in SCENARIO_PERSONS}
_FOREIGN = {p.key: p for p in FOREIGN_PERSONS}
_ORGNR = {e.key: e.orgnr for e in SCENARIO_ENTITIES}

# Edge rows: (entity key, owner order, kind, owner key, capital, votes); owner keys P../S../F.. or ids.
EdgeSpec = tuple[str, int, str, str, int, int]
SCENARIO_EDGES: Final[tuple[EdgeSpec, ...]] = (
    ("S02", 1, "foreign_entity", str(NORDIC_SHELL), 10_000, 10_000),
    ("S03", 1, "entity", "S29", 8_000, 8_000),
    ("S03", 2, "person", "P03", 2_000, 2_000),
    ("S04", 1, "foreign_public", "SWE", 10_000, 10_000),
    ("S05", 1, "entity", "S26", 3_000, 1_929),
    ("S05", 2, "person", "P02", 3_000, 5_500),
    ("S05", 3, "foreign_person", "F1", 3_000, 1_929),
    ("S05", 4, "foreign_person", "F2", 1_000, 642),
    ("S06", 1, "person", "P03", 6_000, 7_000),
    ("S06", 2, "person", "P04", 4_000, 3_000),
    ("S07", 1, "person", "P02", 5_000, 5_000),
    ("S07", 2, "foreign_entity", str(NOMINEES), 5_000, 5_000),
    ("S08", 1, "person", "P13", 3_700, 3_700),
    ("S08", 2, "foreign_person", "F3", 3_700, 3_700),
    ("S08", 3, "foreign_entity", str(TREUHAND), 2_600, 2_600),
    ("S09", 1, "person", "P14", 5_000, 5_000),
    ("S09", 2, "foreign_person", "F4", 5_000, 5_000),
    ("S10", 1, "foreign_person", "F5", 6_000, 6_000),
    ("S10", 2, "person", "P16", 4_000, 4_000),
    ("S11", 1, "person", "P17", 8_000, 8_000),
    ("S11", 2, "person", "P10", 2_000, 2_000),
    ("S13", 1, "foreign_entity", str(SKOGSBOLAGET), 10_000, 10_000),
    ("S16", 1, "person", "P19", 6_000, 6_000),
    ("S17", 1, "foreign_entity", str(PENSION_HOLDING), 10_000, 10_000),
    ("S20", 1, "person", "P05", 10_000, 10_000),
    ("S23", 1, "person", "P02", 10_000, 10_000),
    ("S24", 1, "person", "P04", 10_000, 10_000),
    ("S26", 1, "person", "P01", 10_000, 10_000),
    ("S27", 1, "person", "P12", 10_000, 10_000),
    ("S28", 1, "person", "P16", 10_000, 10_000),
    ("S30", 1, "person", "P02", 10_000, 10_000),
)
# Owners of the foreign entities: (foreign entity id, order, kind, owner key, capital, votes).
FOREIGN_ENTITY_EDGES: Final[tuple[tuple[int, int, str, str, int, int], ...]] = (
    (SKOGSBOLAGET, 1, "foreign_person", "F6", 10_000, 10_000),
    (PENSION_HOLDING, 1, "entity", "S26", 10_000, 10_000),
)


def _owner_columns(kind: str, key: str) -> tuple[object, ...]:
    """(owner_kind, national id, orgnr, foreign person id, foreign entity id, country)."""
    if kind == "person":
        return (kind, _PERSONS[key].national_id, None, None, None, None)
    if kind == "entity":
        return (kind, None, _ORGNR[key], None, None, None)
    if kind == "foreign_person":
        return (kind, None, None, _FOREIGN[key].id, None, None)
    if kind == "foreign_entity":
        return (kind, None, None, None, int(key), None)
    return (kind, None, None, None, None, key)


def edge_rows() -> list[tuple[object, ...]]:
    return [
        (_ORGNR[entity], order, *_owner_columns(kind, key), capital, votes)
        for entity, order, kind, key, capital, votes in SCENARIO_EDGES
    ]


def foreign_entity_owner_rows() -> list[tuple[object, ...]]:
    return [
        (entity, order, *_owner_columns(kind, key), capital, votes)
        for entity, order, kind, key, capital, votes in FOREIGN_ENTITY_EDGES
    ]


def foreign_person_rows() -> list[tuple[object, ...]]:
    return [(p.id, p.full_name, p.birth_date, p.country, p.exempt) for p in FOREIGN_PERSONS]


def foreign_entity_rows() -> list[tuple[object, ...]]:
    return [(e.id, e.name, e.country, e.registration_number, e.address, e.opaque) for e in FOREIGN_ENTITIES]


# -- the registrations ------------------------------------------------------------------------------------


def person(key: str) -> Node:
    if key.startswith("F"):
        return Node("foreign_person", str(_FOREIGN[key].id))
    return Node("person", _PERSONS[key].national_id)


def _norwegian(key: str) -> Node:
    return Node("entity", _ORGNR[key])


def _owns(interval: str, *, direct: bool = True, via: tuple[Node, ...] = ()) -> Position:
    basis = ((DIRECT,) if direct else ()) + ((INDIRECT,) if via else ())
    return Position(OWNERSHIP, interval, basis, via)


def _votes(interval: str) -> Position:
    return Position(VOTES, interval, (DIRECT,))


def _owner(key: str, *positions: Position) -> BeneficialOwner:
    return BeneficialOwner(person(key), positions)


def _reported(status: str | None, *owners: BeneficialOwner) -> Content:
    return Content("reported", status, owners)


_APPOINT = Position(APPOINT_BOARD, None, (AGREEMENT,))
_SWEDISH_HOLDING = Node("foreign_entity", str(PENSION_HOLDING))

# The single reported registration of most scenarios.
SINGLE: Final[dict[str, Content]] = {
    "S02": _reported(NONE_KNOWN),
    "S03": _reported(NORWEGIAN_PUBLIC),
    "S04": _reported(FOREIGN_PUBLIC_STATUS),
    "S05": _reported(
        HAS_OWNERS,
        _owner("P01", _owns(INTERVAL_1, direct=False, via=(_norwegian("S26"),))),
        _owner("P02", _owns(INTERVAL_1), _votes(INTERVAL_2)),
        _owner("F1", _owns(INTERVAL_1)),
        _owner("F2", _APPOINT),
        _owner("P06", Position(OTHER_CONTROL, description=S05_OTHER_CONTROL)),
    ),
    "S06": _reported(
        HAS_OWNERS,
        _owner("P03", _owns(INTERVAL_2), _votes(INTERVAL_2)),
        _owner("P04", _owns(INTERVAL_1), _votes(INTERVAL_1)),
    ),
    "S07": _reported(SOME_UNKNOWN, _owner("P02", _owns(INTERVAL_2))),
    "S08": _reported(SOME_UNKNOWN, _owner("P13", _owns(INTERVAL_1)), _owner("F3", _owns(INTERVAL_1))),
    "S09": _reported(HAS_OWNERS, _owner("P14", _owns(INTERVAL_2)), _owner("F4", _owns(INTERVAL_2))),
    "S10": _reported(HAS_OWNERS, _owner("F5", _owns(INTERVAL_2)), _owner("P16", _owns(INTERVAL_1))),
    "S11": _reported(SOME_UNKNOWN, _owner("P17", _owns(INTERVAL_3))),
    "S12": Content("reported", foreign_register=("LTU", "https://www.registrucentras.lt/")),
    "S13": _reported(
        HAS_OWNERS,
        _owner("F6", _owns(INTERVAL_3, direct=False, via=(Node("foreign_entity", str(SKOGSBOLAGET)),))),
    ),
    "S14": Content("reported", market="markedstype.euronextOslo"),
    "S15": Content("reported", market="markedstype.euronextExpandOslo"),
    "S16": _reported(HAS_OWNERS, _owner("P19", _owns(INTERVAL_2)), _owner("P18", _APPOINT)),
    "S17": _reported(
        HAS_OWNERS, _owner("P01", _owns(INTERVAL_3, direct=False, via=(_SWEDISH_HOLDING, _norwegian("S26"))))
    ),
    "S18": _reported(STI_BOARD_ONLY),
    "S19": _reported(
        STI_BOARD_AND_OTHERS,
        _owner("P13", Position("posisjonstype.avgittGrunnkapital"), Position("posisjonstype.destinatar")),
    ),
    "S20": _reported(HAS_OWNERS, _owner("P05", _owns(INTERVAL_3))),
    "S25": _reported(HAS_NO_OWNERS),
    "S26": _reported(HAS_OWNERS, _owner("P01", _owns(INTERVAL_3))),
    "S27": _reported(HAS_OWNERS, _owner("P12", _owns(INTERVAL_3))),
    "S28": _reported(HAS_OWNERS, _owner("P16", _owns(INTERVAL_3))),
    "S30": _reported(HAS_OWNERS, _owner("P02", _owns(INTERVAL_3))),
}


@dataclass(frozen=True)
class ScenarioRegistrations:
    orgnr: str
    first_registered_at: datetime
    deleted_at: datetime | None
    versions: tuple[Version, ...]


def _at(as_of: date, days_before: int, moment: time = time(8, 1, 12)) -> datetime:
    return datetime.combine(as_of - timedelta(days=days_before), moment, tzinfo=UTC)


def scenario_registrations(as_of: date) -> list[ScenarioRegistrations]:
    """Every registrable scenario entity with its versions in time order (S22, S29, S01, S31: none)."""
    result = []
    for entity in SCENARIO_ENTITIES:
        key = entity.key
        number = int(key[1:])
        if key in SINGLE:
            moment = _at(as_of, 320 - number)
            result.append(ScenarioRegistrations(entity.orgnr, moment, None, (Version(moment, SINGLE[key]),)))
    not_reported_at = max(NOT_REPORTED_FROM, datetime.combine(SCENARIO_REGISTRATION_DATE, time(), tzinfo=UTC))
    result.append(
        ScenarioRegistrations(
            _ORGNR["S21"], not_reported_at, None, (Version(not_reported_at, Content("not_reported")),)
        )
    )
    ten = time(10, 0, 0)
    history = (
        Version(_at(as_of, 400, ten), _reported(HAS_OWNERS, _owner("P07", _owns(INTERVAL_3)))),
        Version(
            _at(as_of, 200, ten),
            _reported(HAS_OWNERS, _owner("P07", _owns(INTERVAL_2)), _owner("P02", _owns(INTERVAL_2))),
        ),
        Version(_at(as_of, 30, ten), _reported(HAS_OWNERS, _owner("P02", _owns(INTERVAL_3)))),
    )
    result.append(ScenarioRegistrations(_ORGNR["S23"], history[0].registered_at, None, history))
    deleted_at = _at(as_of, 59, ten)
    deleted = (
        Version(_at(as_of, 300, ten), _reported(HAS_OWNERS, _owner("P04", _owns(INTERVAL_3)))),
        Version(deleted_at, Content("deleted")),
    )
    result.append(ScenarioRegistrations(_ORGNR["S24"], deleted[0].registered_at, deleted_at, deleted))
    return sorted(result, key=lambda item: item.orgnr)


class ScenarioDirectory:
    """Scenario persons as registered. Only P07 dies, and only after the versions that list him."""

    def __init__(self, as_of: date) -> None:
        self._as_of = as_of

    def person(self, node: Node) -> PersonRecord:
        if node.kind == "foreign_person":
            found = next(p for p in FOREIGN_PERSONS if str(p.id) == node.key)
            return PersonRecord(
                found.birth_date, found.country, (found.country,), found.exempt, full_name=found.full_name
            )
        scenario = next(p for p in SCENARIO_PERSONS if p.national_id == node.key)
        age = self._as_of.year - scenario.birth_date.year
        if (self._as_of.month, self._as_of.day) < (scenario.birth_date.month, scenario.birth_date.day):
            age -= 1
        return PersonRecord(
            scenario.birth_date,
            scenario.residence,
            (scenario.citizenship,),
            age < 18,
            national_id=scenario.national_id,
            first_name=scenario.first_name,
            middle_name=scenario.middle_name,
            last_name=scenario.last_name,
        )

    def foreign_entity(self, node: Node) -> ForeignEntityRecord:
        found = next(e for e in FOREIGN_ENTITIES if str(e.id) == node.key)
        return ForeignEntityRecord(found.registration_number, found.name, found.address, found.country)
