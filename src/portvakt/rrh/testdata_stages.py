"""Stage `rrh` (identifiers-and-testdata.md §9.1–§9.3, §10): ownership graph and RRH registrations.

Two passes over chunks of entity positions, both in the workers: `ownership` draws the edges (owners
always have smaller ordinals), then the main process assembles the compact graph and `registrations`
derives the beneficial owners of every registrable entity (§9.2) and renders its documents once (§9.3).
The scenario content of §10 is written as specified. Entity details, partners and chairs are read per
chunk from the tables the earlier stages wrote.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Engine, and_, select

from portvakt.rrh.beneficial_owners import (
    NO_OWNER_FORMS,
    OWNERSHIP,
    BeneficialOwner,
    EntityProfile,
    Holding,
    Node,
    OwnerKind,
    Position,
    derive,
)
from portvakt.rrh.ownership import (
    EDGE_COLUMNS,
    FOREIGN_ENTITY_COLUMNS,
    FOREIGN_OWNER_COLUMNS,
    FOREIGN_PERSON_COLUMNS,
    K_ENTITY,
    K_FOREIGN_ENTITY,
    K_FOREIGN_PERSON,
    K_FOREIGN_PUBLIC,
    K_POOL_PERSON,
    K_PUBLIC,
    K_ROLE_PERSON,
    NATIONALITIES,
    OWNER_FORMS,
    PARTNER_ROLES,
    PARTNERSHIP_FORMS,
    PUBLIC_FORMS,
    ForeignEntityFacts,
    ForeignPersonFacts,
    Graph,
    GraphBuilder,
    OwnershipTask,
    OwnershipWorld,
    Partner,
    generated_position,
)
from portvakt.rrh.ownership import generate_chunk as generate_ownership_chunk
from portvakt.rrh.ownership import init_worker as init_ownership_worker
from portvakt.rrh.registrable import REGISTRABLE_IF_IN_BUSINESS_REGISTER, is_registrable, register_type_code
from portvakt.rrh.registrations import (
    Content,
    ForeignEntityRecord,
    PersonRecord,
    Version,
    stored_rows,
)
from portvakt.rrh.scenarios import (
    ScenarioDirectory,
    edge_rows,
    foreign_entity_owner_rows,
    foreign_entity_rows,
    foreign_person_rows,
    scenario_registrations,
)
from portvakt.rrh.verify import verify_rrh
from portvakt.storage.engine import Backend
from portvakt.storage.tables.population import entities, er_roles, persons
from portvakt.storage.tables.rrh import (
    foreign_entities,
    foreign_entity_owners,
    foreign_persons,
    ownership_edges,
    rrh_entities,
    rrh_registrations,
)
from portvakt.testdata.bulk import Packed, pack
from portvakt.testdata.entities import EntityFacts
from portvakt.testdata.model import (
    CHUNK_ENTITIES,
    CLASS_HOLDING,
    FIRST_GENERATED_ENTITY,
    FORM_INDEX,
)
from portvakt.testdata.persons import PersonPool, pool_entry_name, unpack_pool_entry
from portvakt.testdata.stages import Plan, StageContext, VerifyContext, Violation
from portvakt.testdata.streams import rng_for, stream_seed

REGISTER_OPENED: Final = date(2024, 10, 1)
NOT_REPORTED_FROM: Final = date(2025, 3, 21)
NOT_REPORTED_SHARE: Final = 0.10
ONE_EARLIER_SHARE: Final = 0.25
TWO_EARLIER_SHARE: Final = 0.05
EXEMPT_PER_MILLE: Final = 2
ENTITY_ROW_COLUMNS: Final = ("orgnr", "first_registered_at", "deleted_at")
REGISTRATION_COLUMNS: Final = (
    "registration_id",
    "orgnr",
    "version",
    "registered_at",
    "is_current",
    "document",
)
CANDIDATE_FORMS: Final = (
    "AS",
    "ANS",
    "DA",
    "BA",
    "PRE",
    "EOFG",
    "KS",
    "SA",
    "BBL",
    "BRL",
    "PK",
    "GFS",
    "ASA",
    "SE",
    "SPA",
    *sorted(REGISTRABLE_IF_IN_BUSINESS_REGISTER),
)


def db_time(moment: datetime, backend: Backend) -> str:
    """A UTC timestamp as each backend's bulk load takes it (SQLite: SQLAlchemy's own storage format)."""
    utc = moment.astimezone(UTC)
    if backend == "sqlite":
        return utc.strftime("%Y-%m-%d %H:%M:%S.%f")
    return utc.isoformat()


def exempt_on_application(seed: int, national_id: str) -> bool:
    """0.2 % of adults, the same person in every entity (§9.2)."""
    return stream_seed(seed, "rrh", f"exempt:{national_id}") % 1000 < EXEMPT_PER_MILLE


def birth_date_of(national_id: str) -> date:
    """The birth date in a valid generated number (D-number day + 40; synthetic month + 40 or + 80)."""
    day, month, yy = int(national_id[0:2]), int(national_id[2:4]), int(national_id[4:6])
    individual = int(national_id[6:9])
    if day > 40:
        day -= 40
    month = month - 80 if month > 80 else month - 40 if month > 40 else month
    if individual < 500:
        century = 1900
    elif individual < 750 and yy >= 54:
        century = 1800
    elif yy < 40:
        century = 2000
    else:
        century = 1900
    return date(century + yy, month, day)


def _age(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- pass 2: registrations in the workers ---------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationWorld:
    plan: Plan
    forms: bytes
    orgnrs: array[int]
    pool: array[int]
    graph: Graph
    foreign_persons: dict[int, ForeignPersonFacts]
    foreign_entities: dict[int, ForeignEntityFacts]
    special_ids: array[int]  # national ids (ascending) whose citizenship or residence is not just NOR
    special_profiles: array[int]  # index into `profiles`
    profiles: tuple[tuple[tuple[str, ...], str], ...]  # (citizenships, residence)


@dataclass(frozen=True)
class EntityDetails:
    position: int
    orgnr: str
    form: str
    registered: date
    deleted: date | None
    in_business_register: bool
    market: str | None
    register_country: str | None
    register_url: str | None


@dataclass(frozen=True)
class RegistrationTask:
    chunk: int
    entities: tuple[EntityDetails, ...]
    chairs: dict[str, str]  # orgnr → LEDE national id
    role_persons: dict[str, PersonRecord]  # national id → record (chairs and partners)


@dataclass(frozen=True)
class RegistrationChunk:
    packed: tuple[Packed, ...]
    entities: int


_REGISTRATION_WORLD: RegistrationWorld | None = None


def init_registration_worker(world: RegistrationWorld) -> None:
    global _REGISTRATION_WORLD  # noqa: PLW0603 — per-process worker state, set once by the pool initializer
    _REGISTRATION_WORLD = world


_NODE_KIND: Final[dict[int, OwnerKind]] = {
    K_POOL_PERSON: "person",
    K_ROLE_PERSON: "person",
    K_ENTITY: "entity",
    K_PUBLIC: "public",
    K_FOREIGN_PERSON: "foreign_person",
    K_FOREIGN_ENTITY: "foreign_entity",
    K_FOREIGN_PUBLIC: "foreign_public",
}


class WorkerGraph:
    """The §9.2 graph interface over the compact graph, and the person/entity directory of documents."""

    def __init__(self, world: RegistrationWorld, task: RegistrationTask) -> None:
        self.world = world
        self.task = task
        self.positions: dict[str, int] = {}
        self.pool_entries: dict[str, int] = {}

    def node(self, kind: int, owner: int) -> Node:
        world = self.world
        if kind == K_POOL_PERSON:
            national_id = unpack_pool_entry(owner)[0]
            self.pool_entries[national_id] = owner
            return Node("person", national_id)
        if kind == K_ROLE_PERSON:
            return Node("person", f"{owner:011d}")
        if kind in (K_ENTITY, K_PUBLIC):
            orgnr = str(world.orgnrs[owner])
            self.positions[orgnr] = owner
            return Node(_NODE_KIND[kind], orgnr)
        if kind == K_FOREIGN_PUBLIC:
            return Node("foreign_public", NATIONALITIES[owner][0])
        return Node(_NODE_KIND[kind], str(owner))

    def holdings(self, entity: Node) -> Sequence[Holding]:
        if entity.kind == "entity":
            position = self.positions.get(entity.key)
            if position is None:
                return ()
            graph = self.world.graph
            first, last = graph.offsets[position], graph.offsets[position + 1]
            return [
                Holding(self.node(graph.kinds[i], graph.owners[i]), graph.capital[i], graph.votes[i])
                for i in range(first, last)
            ]
        if entity.kind == "foreign_entity":
            facts = self.world.foreign_entities.get(int(entity.key))
            if facts is None:
                return ()
            return [Holding(self.node(k, o), c, v) for k, o, c, v in facts.holdings]
        return ()

    def person(self, node: Node) -> PersonRecord:
        world = self.world
        if node.kind == "foreign_person":
            found = world.foreign_persons[int(node.key)]
            return PersonRecord(
                found.birth_date, found.country, (found.country,), found.exempt, full_name=found.full_name
            )
        known = self.task.role_persons.get(node.key)
        if known is not None:
            return known
        entry = self.pool_entries[node.key]
        first, middle, last = pool_entry_name(entry)
        birth = birth_date_of(node.key)
        citizenships: tuple[str, ...] = ("NOR",)
        residence = "NOR"
        number = int(node.key)
        index = bisect_left(world.special_ids, number)
        if index < len(world.special_ids) and world.special_ids[index] == number:
            citizenships, residence = world.profiles[world.special_profiles[index]]
        as_of = world.plan.as_of
        exempt = _age(birth, as_of) < 18 or exempt_on_application(world.plan.seed, node.key)
        return PersonRecord(
            birth,
            residence,
            citizenships,
            exempt,
            national_id=node.key,
            first_name=first.upper(),
            middle_name=None if middle is None else middle.upper(),
            last_name=last.upper(),
        )

    def foreign_entity(self, node: Node) -> ForeignEntityRecord:
        found = self.world.foreign_entities[int(node.key)]
        return ForeignEntityRecord(found.registration_number, found.name, found.address, found.country)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _uniform(rng: random.Random, low: datetime, high: datetime) -> datetime:
    """A millisecond in [low, high) (low when the window is empty)."""
    span = int((high - low).total_seconds() * 1000)
    return low + timedelta(milliseconds=int(rng.random() * span)) if span > 0 else low


def _later(rng: random.Random, after: datetime, count: int, end: datetime) -> list[datetime]:
    moments = sorted(_uniform(rng, after + timedelta(milliseconds=1), end) for _ in range(count))
    result: list[datetime] = []
    previous = after
    for drawn in moments:
        moment = max(drawn, previous + timedelta(milliseconds=1))
        result.append(moment)
        previous = moment
    return result


_NEIGHBOUR_INTERVAL: Final = {
    "stoerrelsesintervall.intervall1": "stoerrelsesintervall.intervall2",
    "stoerrelsesintervall.intervall2": "stoerrelsesintervall.intervall1",
    "stoerrelsesintervall.intervall3": "stoerrelsesintervall.intervall2",
}


def earlier_content(content: Content, rng: random.Random) -> Content:
    """The version before `content` (§9.3): an owner added later, or an ownership interval changed."""
    owners = list(content.owners)
    if len(owners) > 1 and rng.random() < 0.5:
        return Content(
            content.kind, content.status, tuple(owners[:-1]), content.market, content.foreign_register
        )
    for index, owner in enumerate(owners):
        positions = list(owner.positions)
        for p_index, position in enumerate(positions):
            if position.type == OWNERSHIP and position.interval is not None:
                positions[p_index] = Position(
                    position.type,
                    _NEIGHBOUR_INTERVAL[position.interval],
                    position.basis,
                    position.intermediates,
                    position.description,
                )
                owners[index] = BeneficialOwner(owner.person, tuple(positions))
                return Content(
                    content.kind, content.status, tuple(owners), content.market, content.foreign_register
                )
    return content


def _versions(
    details: EntityDetails, graph: WorkerGraph, rng: random.Random, chair: Node | None
) -> tuple[list[Version], datetime | None]:
    world = graph.world
    as_of = world.plan.as_of
    end = _midnight(as_of)
    if details.deleted is None and rng.random() < NOT_REPORTED_SHARE:
        moment = _midnight(max(NOT_REPORTED_FROM, details.registered))
        return [Version(moment, Content("not_reported"))], None
    country = details.register_country
    foreign_register = (
        (country, details.register_url or "")
        if details.form == "NUF" and country is not None and register_type_code(country) is not None
        else None
    )
    market = f"markedstype.{details.market}" if details.market else None
    profile = EntityProfile(
        Node("entity", details.orgnr), details.form, market, foreign_register is not None, chair
    )
    graph.positions[details.orgnr] = details.position
    pool = world.pool

    def other_persons() -> list[Node]:
        count = 1 + int(rng.random() * 2)
        found = [graph.node(K_POOL_PERSON, pool[int(rng.random() * len(pool))]) for _ in range(count)]
        return list(dict.fromkeys(found))

    derived = derive(graph, profile, rng.random, other_persons)
    content = Content("reported", derived.status, derived.owners, derived.market, foreign_register)
    lower = _midnight(max(REGISTER_OPENED, details.registered))
    if details.deleted is not None:
        gone = _midnight(details.deleted + timedelta(days=1))
        first = _uniform(rng, lower, min(end, gone))
        deleted_at = max(first + timedelta(milliseconds=1), _uniform(rng, gone, gone + timedelta(days=1)))
        if deleted_at.date() > as_of:
            deleted_at = max(first + timedelta(milliseconds=1), end)
        return [Version(first, content), Version(deleted_at, Content("deleted"))], deleted_at
    first = _uniform(rng, lower, end)
    draw = rng.random()
    extra = 2 if draw < TWO_EARLIER_SHARE else 1 if draw < TWO_EARLIER_SHARE + ONE_EARLIER_SHARE else 0
    contents = [content]
    for _ in range(extra):
        contents.insert(0, earlier_content(contents[0], rng))
    moments = [first, *_later(rng, first, extra, end)]
    return [Version(m, c) for m, c in zip(moments, contents, strict=True)], None


def generate_registrations(task: RegistrationTask) -> RegistrationChunk:
    world = _REGISTRATION_WORLD
    assert world is not None, "init_registration_worker() first"
    plan = world.plan
    rng = rng_for(plan.seed, "rrh", task.chunk)
    entity_rows: list[tuple[object, ...]] = []
    registration_rows: list[tuple[object, ...]] = []
    for details in task.entities:
        if not is_registrable(details.form, details.in_business_register):
            continue
        graph = WorkerGraph(world, task)
        chair_id = task.chairs.get(details.orgnr) if details.form in NO_OWNER_FORMS else None
        chair = Node("person", chair_id) if chair_id is not None else None
        versions, deleted_at = _versions(details, graph, rng, chair)
        entity_rows.append(
            (
                details.orgnr,
                db_time(versions[0].registered_at, plan.backend),
                None if deleted_at is None else db_time(deleted_at, plan.backend),
            )
        )
        for row in stored_rows(details.orgnr, versions, graph):
            registration_rows.append(
                (
                    row.registration_id,
                    details.orgnr,
                    row.version,
                    db_time(row.registered_at, plan.backend),
                    row.is_current,
                    row.document,
                )
            )
    packed = (
        pack(
            "rrh_entities", ENTITY_ROW_COLUMNS, entity_rows, backend=plan.backend, batch_size=plan.batch_size
        ),
        pack(
            "rrh_registrations",
            REGISTRATION_COLUMNS,
            registration_rows,
            backend=plan.backend,
            batch_size=plan.batch_size,
        ),
    )
    return RegistrationChunk(packed, len(task.entities))


# -- the main process: reading what earlier stages wrote ---------------------------------------------------


def _ordinal_range(chunk_start: int, chunk_end: int) -> tuple[int, int]:
    return FIRST_GENERATED_ENTITY + chunk_start, FIRST_GENERATED_ENTITY + chunk_end - 1


def ownership_tasks(engine: Engine, facts: EntityFacts, total: int) -> Iterator[OwnershipTask]:
    """One task per chunk, with the chunk's listed ASA and the partners of its ANS, DA and KS."""
    holder = entities.alias("holder")
    partnership_forms = {FORM_INDEX[f] for f in PARTNERSHIP_FORMS}
    for chunk, start in enumerate(range(0, total, CHUNK_ENTITIES)):
        end = min(start + CHUNK_ENTITIES, total)
        low, high = _ordinal_range(start, end)
        partnerships = [
            str(facts.orgnrs[p]) for p in range(start, end) if facts.forms[p] in partnership_forms
        ]
        with engine.connect() as connection:
            listed = frozenset(
                generated_position(ordinal)
                for (ordinal,) in connection.execute(
                    select(entities.c.ordinal).where(
                        entities.c.ordinal.between(low, high), entities.c.listed_market.is_not(None)
                    )
                )
            )
            partners: dict[int, list[Partner]] = {}
            if partnerships:
                query = (
                    select(
                        entities.c.ordinal,
                        er_roles.c.role_code,
                        er_roles.c.holder_national_id,
                        holder.c.ordinal.label("holder_ordinal"),
                    )
                    .select_from(er_roles)
                    .join(entities, entities.c.orgnr == er_roles.c.entity_orgnr)
                    .outerjoin(holder, holder.c.orgnr == er_roles.c.holder_orgnr)
                    .where(
                        er_roles.c.entity_orgnr.in_(partnerships),
                        er_roles.c.resigned.is_(False),
                        er_roles.c.role_code.in_(PARTNER_ROLES),
                    )
                    .order_by(entities.c.ordinal, er_roles.c.role_order)
                )
                for row in connection.execute(query):
                    position = None if row.holder_ordinal is None else generated_position(row.holder_ordinal)
                    partners.setdefault(generated_position(row.ordinal), []).append(
                        Partner(row.role_code, row.holder_national_id, position)
                    )
        yield OwnershipTask(chunk, start, end, listed, {p: tuple(v) for p, v in partners.items()})


def _role_persons(
    connection: Connection, orgnrs: list[str], seed: int, as_of: date
) -> tuple[dict[str, str], dict[str, PersonRecord]]:
    chairs: dict[str, str] = {}
    records: dict[str, PersonRecord] = {}
    if not orgnrs:
        return chairs, records
    query = (
        select(er_roles.c.entity_orgnr, er_roles.c.role_code, persons)
        .select_from(er_roles)
        .join(persons, persons.c.national_id == er_roles.c.holder_national_id)
        .where(
            er_roles.c.entity_orgnr.in_(orgnrs),
            er_roles.c.resigned.is_(False),
            er_roles.c.role_code.in_(("LEDE", *PARTNER_ROLES)),
        )
        .order_by(er_roles.c.entity_orgnr, er_roles.c.role_order)
    )
    for row in connection.execute(query):
        if row.role_code == "LEDE":
            chairs.setdefault(row.entity_orgnr, row.national_id)
        records[row.national_id] = person_record(row, seed, as_of)
    return chairs, records


def person_record(row: Any, seed: int, as_of: date) -> PersonRecord:
    """A population-register row as RRH embeds it (names upper case)."""
    return PersonRecord(
        row.birth_date,
        row.residence_country,
        tuple(row.citizenships.split(",")),
        _age(row.birth_date, as_of) < 18 or exempt_on_application(seed, row.national_id),
        national_id=row.national_id,
        first_name=row.first_name.upper(),
        middle_name=None if row.middle_name is None else row.middle_name.upper(),
        last_name=row.last_name.upper(),
        dead=row.date_of_death is not None and row.date_of_death <= as_of,
    )


def registration_tasks(engine: Engine, plan: Plan) -> Iterator[RegistrationTask]:
    for chunk, start in enumerate(range(0, plan.entities, CHUNK_ENTITIES)):
        end = min(start + CHUNK_ENTITIES, plan.entities)
        low, high = _ordinal_range(start, end)
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    entities.c.ordinal,
                    entities.c.orgnr,
                    entities.c.organisation_form,
                    entities.c.registration_date,
                    entities.c.deletion_date,
                    entities.c.registered_in_business_register,
                    entities.c.listed_market,
                    entities.c.foreign_register_country,
                    entities.c.foreign_register_url,
                )
                .where(
                    entities.c.ordinal.between(low, high), entities.c.organisation_form.in_(CANDIDATE_FORMS)
                )
                .order_by(entities.c.ordinal)
            ).all()
            details = tuple(
                EntityDetails(
                    generated_position(r.ordinal),
                    r.orgnr,
                    r.organisation_form,
                    r.registration_date,
                    r.deletion_date,
                    bool(r.registered_in_business_register),
                    r.listed_market,
                    r.foreign_register_country,
                    r.foreign_register_url,
                )
                for r in rows
                if is_registrable(r.organisation_form, bool(r.registered_in_business_register))
            )
            wanted = [d.orgnr for d in details if d.form in NO_OWNER_FORMS or d.form in PARTNERSHIP_FORMS]
            chairs, records = _role_persons(connection, wanted, plan.seed, plan.as_of)
        yield RegistrationTask(chunk, details, chairs, records)


def special_citizenships(
    engine: Engine,
) -> tuple[array[int], array[int], tuple[tuple[tuple[str, ...], str], ...]]:
    """Persons whose citizenship or residence is not just NOR, as sorted compact arrays."""
    profiles: dict[tuple[tuple[str, ...], str], int] = {}
    found: list[tuple[int, int]] = []
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=50_000).execute(
            select(persons.c.national_id, persons.c.citizenships, persons.c.residence_country).where(
                ~and_(persons.c.citizenships == "NOR", persons.c.residence_country == "NOR")
            )
        )
        for national_id, citizenships, residence in result:
            key = (tuple(citizenships.split(",")), residence)
            index = profiles.setdefault(key, len(profiles))
            found.append((int(national_id), index))
    found.sort()
    return (
        array("q", [n for n, _ in found]),
        array("H", [i for _, i in found]),
        tuple(profiles),
    )


# -- the stage ------------------------------------------------------------------------------------------


def _scenario_rows(context: StageContext) -> None:
    plan = context.plan
    writer = context.writer
    size = plan.batch_size
    writer.write_rows("foreign_persons", FOREIGN_PERSON_COLUMNS, foreign_person_rows(), size)
    writer.write_rows("foreign_entities", FOREIGN_ENTITY_COLUMNS, foreign_entity_rows(), size)
    writer.write_rows("foreign_entity_owners", FOREIGN_OWNER_COLUMNS, foreign_entity_owner_rows(), size)
    writer.write_rows("ownership_edges", EDGE_COLUMNS, edge_rows(), size)
    directory = ScenarioDirectory(plan.as_of)
    entity_rows: list[tuple[object, ...]] = []
    registration_rows: list[tuple[object, ...]] = []
    for scenario in scenario_registrations(plan.as_of):
        entity_rows.append(
            (
                scenario.orgnr,
                db_time(scenario.first_registered_at, plan.backend),
                None if scenario.deleted_at is None else db_time(scenario.deleted_at, plan.backend),
            )
        )
        for row in stored_rows(scenario.orgnr, scenario.versions, directory):
            registration_rows.append(
                (
                    row.registration_id,
                    scenario.orgnr,
                    row.version,
                    db_time(row.registered_at, plan.backend),
                    row.is_current,
                    row.document,
                )
            )
    writer.write_rows("rrh_entities", ENTITY_ROW_COLUMNS, entity_rows, size)
    writer.write_rows("rrh_registrations", REGISTRATION_COLUMNS, registration_rows, size)


def _positions(facts: EntityFacts) -> tuple[array[int], array[int], array[int]]:
    owner_forms = {FORM_INDEX[f] for f in OWNER_FORMS}
    public_forms = {FORM_INDEX[f] for f in PUBLIC_FORMS if f in FORM_INDEX}
    owners, holdings, public = array("q"), array("q"), array("q")
    for position, (form, kind) in enumerate(zip(facts.forms, facts.classes, strict=True)):
        if form in owner_forms:
            owners.append(position)
            if kind == CLASS_HOLDING:
                holdings.append(position)
        elif form in public_forms:
            public.append(position)
    return owners, holdings, public


def _step(chunks_done: int, total: int) -> int:
    """Entities in the chunk just finished (the last one may be short)."""
    return min(CHUNK_ENTITIES, total - (chunks_done - 1) * CHUNK_ENTITIES)


class RrhStage:
    name = "rrh"
    order = 50
    tables = (
        foreign_persons,
        foreign_entities,
        foreign_entity_owners,
        ownership_edges,
        rrh_entities,
        rrh_registrations,
    )

    def run(self, context: StageContext) -> None:
        plan = context.plan
        if plan.scenarios:
            _scenario_rows(context)
        if plan.entities == 0:
            return
        facts: EntityFacts = context.artifacts["entity_facts"]
        pool: PersonPool = context.artifacts["person_pool"]
        owners, holdings, public = _positions(facts)
        world = OwnershipWorld(
            plan, facts.forms, facts.classes, facts.orgnrs, pool.entries, owners, holdings, public
        )
        builder = GraphBuilder(plan.entities)
        foreign_person_facts: dict[int, ForeignPersonFacts] = {}
        foreign_entity_facts: dict[int, ForeignEntityFacts] = {}
        tasks = ownership_tasks(context.engine, facts, plan.entities)
        with context.progress.stage("ownership", plan.entities) as advance:
            for chunk in context.map_chunks(
                generate_ownership_chunk, tasks, initializer=init_ownership_worker, initargs=(world,)
            ):
                for packed in chunk.packed:
                    context.writer.write(packed)
                builder.add(chunk.graph)
                foreign_person_facts.update(chunk.foreign_persons)
                foreign_entity_facts.update(chunk.foreign_entities)
                advance(_step(builder.chunks_added, plan.entities))
        special_ids, special_profiles, profiles = special_citizenships(context.engine)
        registration_world = RegistrationWorld(
            plan,
            facts.forms,
            facts.orgnrs,
            pool.entries,
            builder.build(),
            foreign_person_facts,
            foreign_entity_facts,
            special_ids,
            special_profiles,
            profiles,
        )
        done = 0
        with context.progress.stage(self.name, plan.entities) as advance:
            for result in context.map_chunks(
                generate_registrations,
                registration_tasks(context.engine, plan),
                initializer=init_registration_worker,
                initargs=(registration_world,),
            ):
                for packed in result.packed:
                    context.writer.write(packed)
                done += 1
                advance(_step(done, plan.entities))

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        yield from verify_rrh(check)


STAGES = (RrhStage(),)
