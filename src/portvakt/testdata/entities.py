"""Stage `entities` (§5, §8.2): the fixed entities and the sized entity register."""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from portvakt.domain.identifiers import is_valid_orgnr, orgnr_check_digit
from portvakt.storage.tables.population import entities
from portvakt.testdata.bulk import Packed, pack
from portvakt.testdata.model import (
    AS_NACE_SPECIAL,
    BRREG,
    BUSINESS_REGISTER,
    CHUNK_ENTITIES,
    CLASS_ACCOUNTING,
    CLASS_AS,
    CLASS_AUDIT,
    CLASS_BBL,
    CLASS_HOLDING,
    CLASS_OTHER,
    CLASS_REAL_ESTATE,
    COMMON_NACE,
    DELETED_SHARE,
    DIGDIR,
    ENTITY_FORMS,
    FIRST_GENERATED_ENTITY,
    FOREIGN_REGISTERS,
    FORM_BY_INDEX,
    FORM_INDEX,
    FORM_NACE,
    FULL_ENTITIES,
    LISTED_ASA,
    LISTED_SPA,
    NACE_ACCOUNTING,
    NACE_AUDIT,
    NACE_HOLDING,
    NON_BUSINESS_PARENTS,
    NUF_FOREIGN_REGISTER_SHARE,
    ORGL_PARENTS,
    ORGNR_BASE_SPAN,
    ORGNR_BASE_START,
    PLATFORM_NAME,
    SUB_UNIT_PARENTS,
    TRADE_WORDS,
)
from portvakt.testdata.persons import PersonPool, pool_entry_name
from portvakt.testdata.reference import (
    Municipality,
    counties,
    municipalities,
    municipality_sampler,
    name_lists,
)
from portvakt.testdata.roles import RolePools, build_role_pools
from portvakt.testdata.scenario_data import SCENARIO_ORGNRS
from portvakt.testdata.stages import Plan, StageContext, VerifyContext, Violation
from portvakt.testdata.streams import Weighted, largest_remainder, rng_for

ENTITY_COLUMNS = (
    "ordinal",
    "orgnr",
    "name",
    "organisation_form",
    "parent_orgnr",
    "nace_code",
    "registration_date",
    "registered_in_business_register",
    "employees",
    "business_address",
    "postal_code",
    "postal_place",
    "municipality_number",
    "deletion_date",
    "listed_market",
    "foreign_register_country",
    "foreign_register_url",
)


# -- main-process planning -------------------------------------------------------------------------


def fixed_public_counts(sized: int) -> tuple[int, int]:
    """KOMM and FYLK among the sized entities (§8.2)."""
    komm = min(357, max(2, round(357 * sized / FULL_ENTITIES)))
    fylk = min(15, max(1, round(15 * sized / FULL_ENTITIES)))
    return komm, fylk


def orgnr_sequence(seed: int, count: int, taken: set[str]) -> array[int]:
    """The §5 numbering: b = 31000000 + (a·i + c) mod 8990000, skipping check digit 10 and taken numbers."""
    rng = rng_for(seed, "entities", "orgnr")
    while True:
        a = 1 + int(rng.random() * (ORGNR_BASE_SPAN - 1))
        if math.gcd(a, ORGNR_BASE_SPAN) == 1:
            break
    c = int(rng.random() * ORGNR_BASE_SPAN)
    result = array("q")
    i = 0
    while len(result) < count:
        if i >= ORGNR_BASE_SPAN:
            raise ValueError("no organisation numbers left in the generated range")
        base = ORGNR_BASE_START + (a * i + c) % ORGNR_BASE_SPAN
        i += 1
        check = orgnr_check_digit(str(base))
        if check is None:
            continue
        number = base * 10 + check
        if str(number) in taken:
            continue
        result.append(number)
    return result


def form_sequence(seed: int, sized: int) -> bytes:
    """The form of every generated entity in ordinal order: KOMM, FYLK, STAT first, then the shares."""
    komm, fylk = fixed_public_counts(sized)
    remaining = max(sized - komm - fylk - 1, 0)
    counts = largest_remainder(remaining, [share for _, share in ENTITY_FORMS])
    rest = bytearray()
    for (code, _), count in zip(ENTITY_FORMS, counts, strict=True):
        rest.extend(bytes([FORM_INDEX[code]]) * count)
    shuffled = list(rest)
    rng_for(seed, "entities", "forms").shuffle(shuffled)
    head = (
        bytes([FORM_INDEX["KOMM"]]) * komm + bytes([FORM_INDEX["FYLK"]]) * fylk + bytes([FORM_INDEX["STAT"]])
    )
    return (head + bytes(shuffled))[:sized]


@dataclass(frozen=True)
class EntityWorld:
    """What every entity chunk needs: forms and numbers of all generated entities, parents, role pools."""

    plan: Plan
    forms: bytes
    orgnrs: array[int]
    positions_by_form: dict[str, array[int]]
    pools: RolePools


@dataclass(frozen=True)
class EntityTask:
    chunk: int
    start: int  # position among the generated entities
    end: int


@dataclass(frozen=True)
class EntitiesChunk:
    packed: Packed
    classes: bytes
    owners: bytes  # array('q'): the ENK owner's pool entry, 0 for other forms


_WORLD: EntityWorld | None = None


def init_worker(world: EntityWorld) -> None:
    global _WORLD  # noqa: PLW0603 — per-process worker state, set once by the pool initializer
    _WORLD = world


@cache
def _parent_weights() -> Weighted[str]:
    return Weighted(SUB_UNIT_PARENTS)


def _word(rng: random.Random) -> str:
    names = name_lists()
    if rng.random() < 0.5:
        return names.last[int(rng.random() * len(names.last))].upper()
    firsts = names.male if rng.random() < 0.5 else names.female
    first = firsts[int(rng.random() * len(firsts))]
    return (first + names.city_suffixes[int(rng.random() * len(names.city_suffixes))]).upper()


def _choice(rng: random.Random, items: tuple[str, ...]) -> str:
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=int(rng.random() * ((last - first).days + 1)))


def _name(form: str, rng: random.Random, trade: str, municipality: str) -> str:
    word = _word(rng)
    simple = {
        "AS": f"{word} {trade} AS",
        "ASA": f"{word} {trade} ASA",
        "BRL": f"{word} BORETTSLAG",
        "STI": f"STIFTELSEN {word}",
        "ESEK": f"{word} EIERSEKSJONSSAMEIE",
        "SAM": f"SAMEIET {word}",
        "NUF": f"{word} {trade} NUF",
        "SA": f"{word} {trade} SA",
        "BA": f"{word} {trade} BA",
        "KBO": f"KONKURSBO {word} {trade} AS",
        "ANNA": f"{word} {trade}",
        "KF": f"{word} KOMMUNALE FORETAK KF",
        "PRE": f"{word} PARTSREDERI",
        "IKS": f"{word} INTERKOMMUNALE SELSKAP IKS",
        "SPA": f"{word} SPAREBANK",
        "PK": f"{word} PENSJONSKASSE",
        "BBL": f"{word} BOLIGBYGGELAG",
        "GFS": f"{word} GJENSIDIGE FORSIKRING",
        "SF": f"{word} SF",
        "SE": f"{word} {trade} SE",
        "STAT": f"STATEN V/{word}DEPARTEMENTET",
        "EOFG": f"{word} EØFG",
        "ORGL": f"{word} {_choice(rng, ('ETAT', 'DIREKTORAT', 'TILSYN', 'KONTOR'))}",
        "FLI": f"{word} {_choice(rng, ('IDRETTSLAG', 'VELFORENING', 'HISTORIELAG', 'SKOLEKORPS'))}",
        "BEDR": f"{word} {trade} AVD {municipality.upper()}",
        "AAFY": f"{word} AVDELING {municipality.upper()}",
    }
    if form in simple:
        return simple[form]
    partner = _word(rng)
    return f"{word} OG {partner} {form}"


def _nace(form: str, rng: random.Random) -> str | None:
    if form == "AS":
        draw = rng.random()
        for code, share in AS_NACE_SPECIAL:
            if draw < share:
                return code
            draw -= share
        return _choice(rng, COMMON_NACE)
    if form in FORM_NACE:
        return FORM_NACE[form]
    return _choice(rng, COMMON_NACE)


def _class(form: str, nace: str | None) -> int:
    if form == "BBL":
        return CLASS_BBL
    if form != "AS":
        return CLASS_OTHER
    if nace == NACE_HOLDING:
        return CLASS_HOLDING
    if nace == NACE_ACCOUNTING:
        return CLASS_ACCOUNTING
    if nace == NACE_AUDIT:
        return CLASS_AUDIT
    if nace is not None and nace.startswith("68."):
        return CLASS_REAL_ESTATE
    return CLASS_AS


def _employees(form: str, rng: random.Random) -> int:
    if form in ("KOMM", "FYLK", "STAT"):
        return 100 + int(rng.random() * 5000)
    if form == "ENK":
        return 0 if rng.random() < 0.7 else 1 + int(rng.random() * 3)
    if form in ("AS", "ASA", "SPA", "BEDR", "AAFY", "ORGL", "KF", "IKS", "SF", "SE"):
        return min(int(rng.paretovariate(1.16)) - 1, 20_000)
    return int(rng.random() * 3)


def _parent(world: EntityWorld, form: str, rng: random.Random) -> tuple[str | None, str]:
    """(parent orgnr, the entity's final form): sub-units become BEDR or AAFY by their parent."""
    if form == "ORGL":
        parent_form = "STAT" if rng.random() < 0.5 else _choice(rng, ORGL_PARENTS)
    elif form == "SUB":
        parent_form = _parent_weights().pick(rng)
        if not len(world.positions_by_form.get(parent_form, ())):
            parent_form = "KOMM"
    else:
        return None, form
    positions = world.positions_by_form[parent_form]
    parent = world.orgnrs[positions[int(rng.random() * len(positions))]]
    if form == "SUB":
        form = "AAFY" if parent_form in NON_BUSINESS_PARENTS else "BEDR"
    return str(parent), form


def generate_chunk(task: EntityTask) -> EntitiesChunk:
    world = _WORLD
    assert world is not None, "init_worker() first"
    plan = world.plan
    rng = rng_for(plan.seed, "entities", task.chunk)
    address_rng = rng_for(plan.seed, "addresses", f"entities:{task.chunk}")
    sampler = municipality_sampler()
    names = name_lists()
    kommuner = _municipalities_by_weight()
    county_list = counties()
    rows: list[tuple[object, ...]] = []
    classes = bytearray()
    owners = array("q")
    komm_seen = world.forms.count(FORM_INDEX["KOMM"], 0, task.start)
    fylk_seen = world.forms.count(FORM_INDEX["FYLK"], 0, task.start)
    for position in range(task.start, task.end):
        form = FORM_BY_INDEX[world.forms[position]]
        orgnr = str(world.orgnrs[position])
        parent, form = _parent(world, form, rng)
        nace = _nace(form, rng) if form not in ("KOMM", "FYLK") else FORM_NACE[form]
        trade = TRADE_WORDS.get(nace or "", "SERVICE")
        where = sampler.pick(address_rng)
        owner = 0
        if form == "KOMM":
            where = kommuner[komm_seen]
            komm_seen += 1
            name = f"{where.name.upper()} KOMMUNE"
        elif form == "FYLK":
            number, county_name, _ = county_list[fylk_seen]
            fylk_seen += 1
            where = next(m for m in kommuner if m.county == number)
            name = f"{county_name.upper()} FYLKESKOMMUNE"
        elif form == "STAT" and position == _stat_position(world):
            where = kommuner[0]
            name = "STATEN"
        elif form == "ENK" and len(world.pools.slots):
            owner = world.pools.slots[int(rng.random() * len(world.pools.slots))]
            first, middle, last = pool_entry_name(owner)
            if rng.random() < 0.5:
                name = " ".join(p for p in (first, middle, last) if p).upper()
            else:
                name = f"{last.upper()} {trade}"
        else:
            name = _name(form, rng, trade, where.name)
        if rng.random() < 0.7:
            registered = _between(rng, date(1995, 1, 1), plan.as_of)
        else:
            registered = _between(rng, date(1950, 1, 1), date(1994, 12, 31))
        in_register = rng.random() < BUSINESS_REGISTER.get(form, 0.0)
        deleted = None
        if form not in ("KOMM", "FYLK", "STAT") and rng.random() < DELETED_SHARE:
            earliest = max(registered + timedelta(days=1), plan.as_of - timedelta(days=3 * 365))
            deleted = _between(rng, min(earliest, plan.as_of), plan.as_of).isoformat()
        market = None
        if form == "ASA" and rng.random() < LISTED_ASA[1]:
            market = LISTED_ASA[0]
        elif form == "SPA" and rng.random() < LISTED_SPA[1]:
            market = LISTED_SPA[0]
        register_country = register_url = None
        if form == "NUF" and rng.random() < NUF_FOREIGN_REGISTER_SHARE:
            register_country, register_url = FOREIGN_REGISTERS[int(rng.random() * len(FOREIGN_REGISTERS))]
        street = (
            f"{names.last[int(address_rng.random() * len(names.last))]}"
            f"{names.street_suffixes[int(address_rng.random() * len(names.street_suffixes))]}"
            f" {1 + int(address_rng.random() * 150)}"
        )
        rows.append(
            (
                FIRST_GENERATED_ENTITY + position,
                orgnr,
                name,
                form,
                parent,
                nace,
                registered.isoformat(),
                int(in_register),  # 0/1: stored as is by SQLite, read as a boolean by COPY
                _employees(form, rng),
                street,
                f"{int(address_rng.random() * 10000):04d}",
                where.name,
                where.number,
                deleted,
                market,
                register_country,
                register_url,
            )
        )
        classes.append(_class(form, nace))
        owners.append(owner)
    packed = pack(
        "entities", ENTITY_COLUMNS, rows, backend=plan.backend, batch_size=plan.batch_size, plain=True
    )
    return EntitiesChunk(packed, bytes(classes), owners.tobytes())


def _stat_position(world: EntityWorld) -> int:
    return world.forms.index(FORM_INDEX["STAT"])


@cache
def _municipalities_by_weight() -> tuple[Municipality, ...]:
    return tuple(sorted(municipalities(), key=lambda m: (-m.weight, m.number)))


def fixed_entity_rows(plan: Plan, stat_orgnr: str | None) -> list[tuple[object, ...]]:
    oslo = municipalities()[0]
    rows: list[tuple[object, ...]] = []
    for ordinal, (orgnr, name) in enumerate(((plan.platform_orgno, PLATFORM_NAME), DIGDIR, BRREG), start=1):
        rows.append(
            (
                ordinal,
                orgnr,
                name,
                "ORGL",
                stat_orgnr,
                "84.110",
                "2000-01-01",
                False,
                100,
                None,
                None,
                oslo.name,
                oslo.number,
                None,
                None,
                None,
                None,
            )
        )
    return rows


# -- the stage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityFacts:
    """In ordinal order of the generated entities: numbers, forms, classes and ENK owners (for roles)."""

    orgnrs: array[int]
    forms: bytes
    classes: bytes
    owners: array[int]


class EntitiesStage:
    name = "entities"
    order = 20
    tables = (entities,)

    def run(self, context: StageContext) -> None:
        plan = context.plan
        pool: PersonPool = context.artifacts["person_pool"]
        pools = build_role_pools(plan.seed, pool)
        context.artifacts["role_pools"] = pools
        taken = {plan.platform_orgno, DIGDIR[0], BRREG[0], *SCENARIO_ORGNRS}
        orgnrs = orgnr_sequence(plan.seed, plan.entities, taken)
        forms = form_sequence(plan.seed, plan.entities)
        positions: dict[str, array[int]] = {}
        for position, index in enumerate(forms):
            positions.setdefault(FORM_BY_INDEX[index], array("q")).append(position)
        world = EntityWorld(plan, forms, orgnrs, positions, pools)
        stat = str(orgnrs[_stat_position(world)]) if plan.entities else None
        context.artifacts["stat_orgnr"] = stat
        tasks = [
            EntityTask(chunk, start, min(start + CHUNK_ENTITIES, plan.entities))
            for chunk, start in enumerate(range(0, plan.entities, CHUNK_ENTITIES))
        ]
        classes = bytearray()
        owners = array("q")
        with context.progress.stage(self.name, plan.entities + 3) as advance:
            advance(
                context.writer.write_rows(
                    "entities", ENTITY_COLUMNS, fixed_entity_rows(plan, stat), plan.batch_size
                )
            )
            for chunk in context.map_chunks(
                generate_chunk, tasks, initializer=init_worker, initargs=(world,)
            ):
                advance(context.writer.write(chunk.packed))
                classes.extend(chunk.classes)
                owners.frombytes(chunk.owners)
        context.artifacts["entity_facts"] = EntityFacts(orgnrs, forms, bytes(classes), owners)

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        yield from verify_entities(check)


def _parent_ok(form: str, parent_form: str | None) -> bool:
    if form in ("BEDR", "AAFY"):
        return parent_form is not None and parent_form not in ("BEDR", "AAFY")
    if form == "ORGL":
        return parent_form in ORGL_PARENTS
    return False


def verify_entities(check: VerifyContext) -> Iterator[Violation]:
    connection = check.connection
    invalid: list[str] = []
    prefix: list[str] = []
    fixed = {check.platform_orgno, DIGDIR[0], BRREG[0]}
    statement = select(entities.c.ordinal, entities.c.orgnr).order_by(entities.c.ordinal)
    for row in connection.execution_options(yield_per=20_000).execute(statement):
        if not is_valid_orgnr(row.orgnr):
            invalid.append(f"entity ordinal {row.ordinal}")
        elif row.orgnr not in fixed and not row.orgnr.startswith("3"):
            prefix.append(f"entity ordinal {row.ordinal}")
    if invalid:
        yield Violation("orgnr_invalid", f"{len(invalid)} invalid organisation numbers", tuple(invalid[:20]))
    if prefix:
        yield Violation("orgnr_prefix", f"{len(prefix)} numbers do not start with 3", tuple(prefix[:20]))
    parent = aliased(entities)
    rows = connection.execute(
        select(
            entities.c.ordinal,
            entities.c.organisation_form,
            parent.c.organisation_form.label("parent_form"),
            entities.c.parent_orgnr,
        )
        .outerjoin(parent, parent.c.orgnr == entities.c.parent_orgnr)
        .where(
            (entities.c.organisation_form.in_(("BEDR", "AAFY", "ORGL")))
            | entities.c.parent_orgnr.is_not(None)
        )
        .order_by(entities.c.ordinal)
    ).all()
    wrong = []
    for parented in rows:
        form, parent_form = parented.organisation_form, parented.parent_form
        if not _parent_ok(form, parent_form):
            wrong.append(f"entity ordinal {parented.ordinal} ({form} under {parent_form})")
    if wrong:
        yield Violation("entity_parent", f"{len(wrong)} entities with a wrong parent", tuple(wrong[:20]))
    generated = connection.execute(
        select(func.count()).select_from(entities).where(and_(entities.c.ordinal >= FIRST_GENERATED_ENTITY))
    ).scalar_one()
    if generated != check.entities:
        yield Violation("entity_count", f"{generated} generated entities, expected {check.entities}")
    fixed_count = connection.execute(
        select(func.count()).select_from(entities).where(entities.c.orgnr.in_(sorted(fixed)))
    ).scalar_one()
    if fixed_count != len(fixed):
        yield Violation("entity_fixed", f"{fixed_count} of the {len(fixed)} fixed entities present")


STAGES = (EntitiesStage(),)
