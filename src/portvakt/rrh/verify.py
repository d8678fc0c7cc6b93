"""`portvakt testdata verify` for the RRH data: the invariants of testdata §9.1–§9.3 and rrh.md §4–§5."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, func, select

from portvakt.rrh.registrable import is_registrable
from portvakt.rrh.registrations import DELETED, NOT_REPORTED, registration_id
from portvakt.storage.tables.population import entities, persons
from portvakt.storage.tables.rrh import (
    foreign_entities,
    foreign_entity_owners,
    foreign_persons,
    ownership_edges,
    rrh_entities,
    rrh_registrations,
)
from portvakt.testdata.stages import VerifyContext, Violation

REGISTER_OPENED: Final = date(2024, 10, 1)
NOT_REPORTED_FROM: Final = date(2025, 3, 21)
MAX_EXAMPLES: Final = 20
PAGE: Final = 2_000  # entities per registration query

# rrh.md §5 position rules: allowed grunnlagstyper (None: must be empty), interval required, STI only.
_OWNING: Final = frozenset({"grunnlagstype.direkte", "grunnlagstype.indirekte"})
POSITION_RULES: Final[dict[str, tuple[frozenset[str] | None, bool, bool]]] = {
    "posisjonstype.eierskap": (_OWNING, True, False),
    "posisjonstype.kontrollOverStemmerettigheter": (
        _OWNING | {"grunnlagstype.enighetEllerAvtale"},
        True,
        False,
    ),
    "posisjonstype.rettTilAaUtpekeEllerAvsetteStyre": (
        frozenset({"grunnlagstype.enighetEllerAvtale"}),
        False,
        False,
    ),
    "posisjonstype.kontrollPaaAnnenMaate": (None, False, False),
    "posisjonstype.rettTilAaUtpekeEtFlertallAvStyre": (None, False, True),
    "posisjonstype.avgittGrunnkapital": (None, False, True),
    "posisjonstype.saerligeRettigheter": (None, False, True),
    "posisjonstype.destinatar": (None, False, True),
}
DESCRIBED: Final = frozenset(
    {"posisjonstype.kontrollPaaAnnenMaate", "posisjonstype.kontrollOverTrustenPaaAnnenMaate"}
)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Collector:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, rule: str, example: str) -> None:
        self.counts[rule] += 1
        if len(self.found[rule]) < MAX_EXAMPLES:
            self.found[rule].append(example)

    def violations(self, descriptions: dict[str, str]) -> Iterator[Violation]:
        for rule, description in descriptions.items():
            if self.counts.get(rule):
                yield Violation(rule, f"{self.counts[rule]} {description}", tuple(self.found[rule]))


def position_problems(position: dict[str, Any], form: str) -> Iterator[str]:
    """The §5 table rules one stored `Posisjon` breaks (as rule names)."""
    kind = position.get("posisjonstype")
    rule = POSITION_RULES.get(str(kind))
    if rule is None:
        yield "rrh_position_type"
        return
    allowed, interval, foundation_only = rule
    basis = position.get("grunnlagstyper")
    if not isinstance(basis, list):
        yield "rrh_position_basis"
        return
    if (allowed is None and basis) or (allowed is not None and (not basis or not set(basis) <= allowed)):
        yield "rrh_position_basis"
    if kind == "posisjonstype.rettTilAaUtpekeEllerAvsetteStyre" and basis != [
        "grunnlagstype.enighetEllerAvtale"
    ]:
        yield "rrh_position_basis"
    if ("stoerrelsesintervall" in position) != interval:
        yield "rrh_position_interval"
    if ("beskrivelseAvPosisjonenKontrollPaaAnnenMaate" in position) != (kind in DESCRIBED):
        yield "rrh_position_description"
    if foundation_only != (form == "STI"):
        yield "rrh_position_form"
    between = position.get("mellomliggendeVirksomheter")
    if not isinstance(between, list) or bool(between) != ("grunnlagstype.indirekte" in basis):
        yield "rrh_intermediates"


_DESCRIPTIONS: Final = {
    "rrh_registrable": "RRH entities that are not registrable, or registrable entities missing",
    "rrh_current": "entities w/o exactly one current registration, or whose current one is not the latest",
    "rrh_versions": "entities whose versions are not 1…n, strictly later in time, with the §9.3 ids",
    "rrh_as_of": "registrations or entity times after the as-of date",
    "rrh_first_registered": "entities registered outside the §9.3 window",
    "rrh_deleted": "entities whose deletion time and current registration disagree",
    "rrh_document": "documents that do not match their row (id, status, time) or are malformed",
    "rrh_position_type": "positions of an unknown type",
    "rrh_position_basis": "positions with grunnlagstyper the §5 table does not allow",
    "rrh_position_interval": "positions with a size interval where §5 forbids it, or without where required",
    "rrh_position_description": "positions with a description where §5 forbids it, or without where required",
    "rrh_position_form": "STI-only positions outside a foundation, or other positions in a foundation",
    "rrh_intermediates": "positions with mellomliggendeVirksomheter iff not indirekte",
    "rrh_persons": "registered persons not in the population register",
}


def _documents(connection: Connection) -> Iterator[tuple[Any, list[Any]]]:
    """(entity row, its registrations in version order), a page of entities at a time."""
    query = select(
        rrh_registrations.c.orgnr,
        rrh_registrations.c.registration_id,
        rrh_registrations.c.version,
        rrh_registrations.c.registered_at,
        rrh_registrations.c.is_current,
        rrh_registrations.c.document,
    )
    entity_query = (
        select(
            rrh_entities.c.orgnr,
            rrh_entities.c.first_registered_at,
            rrh_entities.c.deleted_at,
            entities.c.organisation_form,
            entities.c.registration_date,
            entities.c.registered_in_business_register,
        )
        .select_from(rrh_entities)
        .outerjoin(entities, entities.c.orgnr == rrh_entities.c.orgnr)
        .order_by(rrh_entities.c.orgnr)
    )
    known = connection.execute(entity_query).all()
    for start in range(0, len(known), PAGE):
        page = known[start : start + PAGE]
        grouped: dict[str, list[Any]] = defaultdict(list)
        for row in connection.execute(query.where(rrh_registrations.c.orgnr.in_([e.orgnr for e in page]))):
            grouped[row.orgnr].append(row)
        for entity in page:
            yield entity, sorted(grouped.get(entity.orgnr, []), key=lambda r: int(r.version))


def _check_entity(
    entity: Any, group: list[Any], as_of: date, found: _Collector, national_ids: set[str]
) -> None:
    orgnr = entity.orgnr
    form = entity.organisation_form
    if form is None or not is_registrable(form, bool(entity.registered_in_business_register)):
        found.add("rrh_registrable", orgnr)
    currents = [r for r in group if r.is_current]
    if len(currents) != 1 or not group or not group[-1].is_current:
        found.add("rrh_current", orgnr)
    times = [_utc(r.registered_at) for r in group]
    if (
        [r.version for r in group] != list(range(1, len(group) + 1))
        or any(b <= a for a, b in itertools.pairwise(times))
        or not group
        or _utc(entity.first_registered_at) != times[0]
        or any(r.registration_id != registration_id(orgnr, r.version) for r in group)
    ):
        found.add("rrh_versions", orgnr)
    moments = [*times, _utc(entity.first_registered_at)]
    if entity.deleted_at is not None:
        moments.append(_utc(entity.deleted_at))
    if any(m.date() > as_of for m in moments):
        found.add("rrh_as_of", orgnr)
    documents = []
    for row in group:
        try:
            document = orjson.loads(row.document)
        except orjson.JSONDecodeError:
            found.add("rrh_document", f"{orgnr}#{row.version}")
            continue
        documents.append(document)
        if (
            not isinstance(document, dict)
            or document.get("registreringsid") != row.registration_id
            or "erGjeldendeRegistrering" in document
            or not isinstance(document.get("reelleRettighetshavere"), list)
        ):
            found.add("rrh_document", f"{orgnr}#{row.version}")
            continue
        for owner in document["reelleRettighetshavere"]:
            person = owner.get("folkeregistrertPerson")
            if isinstance(person, dict):
                national_ids.add(str(person.get("foedselsEllerDNummer")))
            for position in owner.get("posisjoner") or [None]:
                if not isinstance(position, dict):
                    found.add("rrh_position_type", f"{orgnr}#{row.version}")
                    continue
                for problem in position_problems(position, form or ""):
                    found.add(problem, f"{orgnr}#{row.version}")
    if len(documents) != len(group) or not documents:
        return
    statuses = [d.get("registreringsstatus") for d in documents]
    registered = entity.registration_date
    first_day = _utc(entity.first_registered_at)
    if statuses == [NOT_REPORTED]:
        expected = datetime.combine(max(NOT_REPORTED_FROM, registered), datetime.min.time(), tzinfo=UTC)
        if first_day != expected:
            found.add("rrh_first_registered", orgnr)
    elif registered is not None and first_day.date() < max(REGISTER_OPENED, registered):
        found.add("rrh_first_registered", orgnr)
    current_deleted = statuses[-1] == DELETED
    deleted_at = None if entity.deleted_at is None else _utc(entity.deleted_at)
    if current_deleted != (deleted_at is not None) or (current_deleted and deleted_at != times[-1]):
        found.add("rrh_deleted", orgnr)


def _missing_persons(connection: Connection, national_ids: Iterable[str]) -> list[str]:
    wanted = sorted(national_ids)
    missing: list[str] = []
    for start in range(0, len(wanted), 1000):
        part = wanted[start : start + 1000]
        present = set(
            connection.execute(select(persons.c.national_id).where(persons.c.national_id.in_(part))).scalars()
        )
        missing.extend(n for n in part if n not in present)
    return missing


def _registrable_without_rows(connection: Connection) -> list[str]:
    query = (
        select(entities.c.orgnr, entities.c.organisation_form, entities.c.registered_in_business_register)
        .outerjoin(rrh_entities, rrh_entities.c.orgnr == entities.c.orgnr)
        .where(rrh_entities.c.orgnr.is_(None))
    )
    return [
        row.orgnr
        for row in connection.execute(query)
        if is_registrable(row.organisation_form, bool(row.registered_in_business_register))
    ]


def _ownership(connection: Connection) -> Iterator[Violation]:
    shares: list[str] = []
    for table, key in (
        (ownership_edges, ownership_edges.c.entity_orgnr),
        (foreign_entity_owners, foreign_entity_owners.c.foreign_entity_id),
    ):
        query = (
            select(key)
            .group_by(key)
            .having(
                (func.sum(table.c.capital_hundredths) > 10_000)
                | (func.sum(table.c.voting_hundredths) > 10_000)
            )
        )
        shares.extend(str(value) for value in connection.execute(query).scalars())
    if shares:
        yield Violation(
            "ownership_shares",
            f"{len(shares)} owned entities with more than 100 %",
            tuple(shares[:MAX_EXAMPLES]),
        )
    dangling: list[str] = []
    for table in (ownership_edges, foreign_entity_owners):
        checks = (
            (table.c.owner_national_id, persons, persons.c.national_id),
            (table.c.owner_orgnr, entities, entities.c.orgnr),
            (table.c.owner_foreign_person_id, foreign_persons, foreign_persons.c.id),
            (table.c.owner_foreign_entity_id, foreign_entities, foreign_entities.c.id),
        )
        for column, target, target_key in checks:
            query = (
                select(column)
                .select_from(table.outerjoin(target, target_key == column))
                .where(column.is_not(None), target_key.is_(None))
                .limit(MAX_EXAMPLES)
            )
            dangling.extend(str(value) for value in connection.execute(query).scalars())
    if dangling:
        yield Violation("ownership_owners", "owners that do not exist", tuple(dangling[:MAX_EXAMPLES]))
    cycle = _cycle(connection)
    if cycle:
        yield Violation("ownership_acyclic", "the ownership graph has a cycle", tuple(cycle[:MAX_EXAMPLES]))


def _cycle(connection: Connection) -> list[str]:
    """Entities on a cycle of entity → entity edges (Norwegian and foreign entities), by Kahn's algorithm."""
    successors: dict[str, list[str]] = defaultdict(list)
    indegree: dict[str, int] = defaultdict(int)
    queries = (
        select(
            ownership_edges.c.owner_orgnr,
            ownership_edges.c.owner_foreign_entity_id,
            ownership_edges.c.entity_orgnr,
        ),
        select(
            foreign_entity_owners.c.owner_orgnr,
            foreign_entity_owners.c.owner_foreign_entity_id,
            foreign_entity_owners.c.foreign_entity_id,
        ),
    )
    for index, query in enumerate(queries):
        for owner, foreign, owned in connection.execute(query):
            if owner is None and foreign is None:
                continue
            source = owner if owner is not None else f"F{foreign}"
            target = str(owned) if index == 0 else f"F{owned}"
            successors[source].append(target)
            indegree[target] += 1
            indegree.setdefault(source, 0)
    ready = [node for node, degree in indegree.items() if degree == 0]
    while ready:
        node = ready.pop()
        for target in successors.get(node, ()):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return sorted(node for node, degree in indegree.items() if degree > 0)


def verify_rrh(check: VerifyContext) -> Iterator[Violation]:
    connection = check.connection
    yield from _ownership(connection)
    found = _Collector()
    national_ids: set[str] = set()
    for entity, group in _documents(connection):
        _check_entity(entity, group, check.as_of, found, national_ids)
    for orgnr in _registrable_without_rows(connection):
        found.add("rrh_registrable", orgnr)
    for national_id in _missing_persons(connection, national_ids):
        found.add("rrh_persons", f"…{national_id[-4:]}")
    yield from found.violations(_DESCRIPTIONS)
