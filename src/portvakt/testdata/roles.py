"""Stage `roles` (§8.3): ER roles of the generated entities, holders from skewed person pools."""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from portvakt.storage.tables.population import entities, er_roles, persons
from portvakt.testdata.bulk import Packed, pack
from portvakt.testdata.model import (
    BOBE_POOL_AGES,
    BOBE_POOL_SHARE,
    BRREG,
    CHUNK_ENTITIES,
    CLASS_ACCOUNTING,
    CLASS_AUDIT,
    CLASS_BBL,
    CLASS_REAL_ESTATE,
    DIGDIR,
    FLI_MEDL_AGE,
    FORM_BY_INDEX,
    FORM_INDEX,
    HOLDER_AGE,
    RESIGNED_SHARE,
    ROLE_COUNT_EXPONENT,
    ROLE_COUNT_MAX,
    ROLE_POOL_SHARE,
)
from portvakt.testdata.persons import PersonPool, years_before
from portvakt.testdata.scenario_data import SCENARIO_ORGNRS
from portvakt.testdata.stages import Plan, StageContext, VerifyContext, Violation
from portvakt.testdata.streams import Weighted, rng_for

if TYPE_CHECKING:
    from portvakt.testdata.entities import EntityFacts

ROLE_COLUMNS = ("entity_orgnr", "role_order", "role_code", "holder_national_id", "holder_orgnr", "resigned")
NATIONAL_ID_MASK = (1 << 37) - 1
# Resigned rows are extra rows (a former holder), so that every current role stays in place: 5 % of all rows.
RESIGNED_EXTRA = RESIGNED_SHARE / (1 - RESIGNED_SHARE)


@dataclass(frozen=True)
class RolePools:
    """`slots`: a person appears k times, P(k) ∝ k^−2.2 (k ≤ 25); `bobe`: bankruptcy administrators."""

    slots: array[int]
    bobe: array[int]


def build_role_pools(seed: int, pool: PersonPool) -> RolePools:
    rng = rng_for(seed, "roles", "pool")
    counts = Weighted([(k, k**-ROLE_COUNT_EXPONENT) for k in range(1, ROLE_COUNT_MAX + 1)])
    slots = array("q")
    bobe = array("q")
    first_bobe_candidate = 0
    for entry, age in zip(pool.entries, pool.ages, strict=True):
        if rng.random() < ROLE_POOL_SHARE:
            slots.extend([entry] * counts.pick(rng))
        if BOBE_POOL_AGES[0] <= age <= BOBE_POOL_AGES[1]:
            first_bobe_candidate = first_bobe_candidate or entry
            if rng.random() < BOBE_POOL_SHARE:
                bobe.append(entry)
    if not bobe and first_bobe_candidate:
        bobe.append(first_bobe_candidate)
    return RolePools(slots, bobe)


@dataclass(frozen=True)
class RoleWorld:
    plan: Plan
    pools: RolePools
    accounting: array[int]
    audit: array[int]
    property_managers: array[int]  # FFØR: BBL and real-estate AS
    companies: array[int]  # AS: KOMP, DTPR


@dataclass(frozen=True)
class RoleTask:
    chunk: str
    orgnrs: array[int]
    forms: bytes
    owners: array[int]


_WORLD: RoleWorld | None = None


def init_worker(world: RoleWorld) -> None:
    global _WORLD  # noqa: PLW0603 — per-process worker state, set once by the pool initializer
    _WORLD = world


Holder = tuple[str | None, str | None]  # (national id, orgnr)


class _EntityRoles:
    def __init__(self, world: RoleWorld, rng: random.Random, orgnr: str) -> None:
        self.world = world
        self.rng = rng
        self.orgnr = orgnr
        self.rows: list[tuple[str, str | None, str | None, bool]] = []
        self.persons: set[str] = set()

    def _draw_person(self, source: array[int]) -> str | None:
        if not len(source):
            return None
        for _ in range(4):
            national_id = f"{source[int(self.rng.random() * len(source))] & NATIONAL_ID_MASK:011d}"
            if national_id not in self.persons:
                break
        self.persons.add(national_id)
        return national_id

    def _draw_entity(self, source: array[int]) -> str | None:
        for _ in range(4):
            if not len(source):
                return None
            orgnr = str(source[int(self.rng.random() * len(source))])
            if orgnr != self.orgnr:
                return orgnr
        return None

    def person(
        self, code: str, source: array[int] | None = None, *, national_id: str | None = None
    ) -> str | None:
        pool = self.world.pools.slots if source is None else source
        if self.rng.random() < RESIGNED_EXTRA:
            former = self._draw_person(pool)
            if former is not None:
                self.rows.append((code, former, None, True))
        holder = national_id or self._draw_person(pool)
        if holder is not None:
            self.rows.append((code, holder, None, False))
        return holder

    def entity(self, code: str, source: array[int]) -> None:
        if self.rng.random() < RESIGNED_EXTRA:
            former = self._draw_entity(source)
            if former is not None:
                self.rows.append((code, None, former, True))
        holder = self._draw_entity(source)
        if holder is not None:
            self.rows.append((code, None, holder, False))

    def entity_or_person(self, code: str, source: array[int], entity_share: float) -> None:
        if len(source) and self.rng.random() < entity_share:
            self.entity(code, source)
        else:
            self.person(code)

    def repeat(self, code: str, low: int, high: int) -> None:
        for _ in range(low + int(self.rng.random() * (high - low + 1))):
            self.person(code)


def _roles_for(form: str, roles: _EntityRoles, owner: int) -> None:
    rng, world = roles.rng, roles.world
    if form == "AS":
        lede = roles.person("LEDE")
        medl = 0 if (draw := rng.random()) < 0.40 else (1 if draw < 0.75 else 2)
        roles.repeat("MEDL", medl, medl)
        if rng.random() < 0.30:
            roles.person("VARA")
        if rng.random() < 0.85:
            same = medl <= 1 and rng.random() < 0.5
            roles.person("DAGL", national_id=lede if same else None)
        if rng.random() < 0.60:
            roles.entity("REGN", world.accounting)
        if rng.random() < 0.30:
            roles.entity("REVI", world.audit)
    elif form in ("ASA", "SPA", "SE"):
        roles.person("LEDE")
        roles.repeat("MEDL", 4, 7)
        roles.repeat("VARA", 0, 2)
        roles.person("DAGL")
        roles.entity("REVI", world.audit)
    elif form in ("SA", "BA", "BBL", "BRL", "GFS", "PK", "EOFG"):
        roles.person("LEDE")
        roles.repeat("MEDL", 2, 4)
        if rng.random() < {"SA": 0.70, "BRL": 0.10}.get(form, 1.0):
            roles.person("DAGL")
        if rng.random() < (0.40 if form == "BRL" else 1.0):
            roles.entity("REVI", world.audit)
        if form == "BRL" and rng.random() < 0.80:
            roles.entity("FFØR", world.property_managers)
    elif form == "ENK":
        if owner:
            roles.person("INNH", national_id=f"{owner & NATIONAL_ID_MASK:011d}")
        if rng.random() < 0.30:
            roles.entity("REGN", world.accounting)
    elif form in ("ANS", "DA", "KS", "PRE"):
        if form == "ANS":
            roles.repeat("DTSO", 2, 4)
        elif form == "DA":
            for _ in range(2 + int(rng.random() * 3)):
                roles.entity_or_person("DTPR", world.companies, 0.20)
        elif form == "KS":
            roles.entity_or_person("KOMP", world.companies, 0.60)
        else:
            roles.person("BEST")
        if rng.random() < 0.30:
            roles.person("DAGL")
    elif form == "NUF":
        roles.person("REPR" if rng.random() < 0.5 else "KNUF")
        if rng.random() < 0.50:
            roles.person("DAGL")
    elif form in ("FLI", "STI"):
        roles.person("LEDE")
        roles.repeat("MEDL", 2, 6 if form == "FLI" else 4)
        if form == "FLI" and rng.random() < 0.50:
            roles.person("KONT")
        if form == "STI":
            if rng.random() < 0.50:
                roles.person("DAGL")
            roles.entity("REVI", world.audit)
    elif form in ("ESEK", "SAM"):
        roles.person("LEDE" if form == "ESEK" else "KONT")
        if rng.random() < 0.50:
            roles.entity("FFØR", world.property_managers)
    elif form == "KBO":
        roles.person("BOBE", world.pools.bobe)
    elif form in ("KOMM", "FYLK", "STAT", "ORGL", "KF", "IKS", "SF"):
        roles.person("DAGL")
        if form in ("KF", "IKS", "SF"):
            roles.person("LEDE")
            roles.repeat("MEDL", 2, 4)


def generate_chunk(task: RoleTask) -> Packed:
    world = _WORLD
    assert world is not None, "init_worker() first"
    rng = rng_for(world.plan.seed, "roles", task.chunk)
    rows: list[tuple[object, ...]] = []
    for orgnr_value, form_index, owner in zip(task.orgnrs, task.forms, task.owners, strict=True):
        orgnr = str(orgnr_value)
        roles = _EntityRoles(world, rng, orgnr)
        _roles_for(FORM_BY_INDEX[form_index], roles, owner)
        for order, (code, national_id, holder_orgnr, resigned) in enumerate(roles.rows, start=1):
            rows.append((orgnr, order, code, national_id, holder_orgnr, int(resigned)))
    plan = world.plan
    return pack("er_roles", ROLE_COLUMNS, rows, backend=plan.backend, batch_size=plan.batch_size, plain=True)


def _fixed_forms() -> bytes:
    return bytes([FORM_INDEX["ORGL"]] * 3)


class RolesStage:
    name = "roles"
    order = 30
    tables = (er_roles,)

    def run(self, context: StageContext) -> None:
        plan = context.plan
        facts: EntityFacts = context.artifacts["entity_facts"]
        pools: RolePools = context.artifacts["role_pools"]
        by_class: dict[int, array[int]] = {}
        for orgnr, klass in zip(facts.orgnrs, facts.classes, strict=True):
            by_class.setdefault(klass, array("q")).append(orgnr)
        empty = array("q")
        companies = array("q")
        for klass in sorted(by_class):
            if klass not in (0, CLASS_BBL):
                companies.extend(by_class[klass])
        world = RoleWorld(
            plan,
            pools,
            accounting=by_class.get(CLASS_ACCOUNTING, empty),
            audit=by_class.get(CLASS_AUDIT, empty),
            property_managers=by_class.get(CLASS_REAL_ESTATE, empty) + by_class.get(CLASS_BBL, empty),
            companies=companies,
        )
        fixed = array("q", [int(plan.platform_orgno), int(DIGDIR[0]), int(BRREG[0])])
        tasks = [RoleTask("fixed", fixed, _fixed_forms(), array("q", [0, 0, 0]))]
        for chunk, start in enumerate(range(0, plan.entities, CHUNK_ENTITIES)):
            end = min(start + CHUNK_ENTITIES, plan.entities)
            tasks.append(
                RoleTask(str(chunk), facts.orgnrs[start:end], facts.forms[start:end], facts.owners[start:end])
            )
        with context.progress.stage(self.name, plan.entities + 3) as advance:
            for task, packed in zip(
                tasks,
                context.map_chunks(generate_chunk, tasks, initializer=init_worker, initargs=(world,)),
                strict=True,
            ):
                context.writer.write(packed)
                advance(len(task.orgnrs))

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        yield from verify_roles(check)


def _examples(rows: list[str], rule: str, what: str) -> Iterator[Violation]:
    if rows:
        yield Violation(rule, f"{len(rows)} {what}", tuple(rows[:20]))


def verify_roles(check: VerifyContext) -> Iterator[Violation]:
    connection = check.connection
    adult = years_before(check.as_of, HOLDER_AGE)  # born on or before: of age
    youth = years_before(check.as_of, FLI_MEDL_AGE)
    holder = aliased(persons)
    entity = aliased(entities)
    base = select(er_roles.c.entity_orgnr, er_roles.c.role_order, er_roles.c.role_code)

    missing = connection.execute(
        base.outerjoin(holder, holder.c.national_id == er_roles.c.holder_national_id)
        .outerjoin(entity, entity.c.orgnr == er_roles.c.holder_orgnr)
        .where(
            or_(
                and_(er_roles.c.holder_national_id.is_not(None), holder.c.ordinal.is_(None)),
                and_(er_roles.c.holder_orgnr.is_not(None), entity.c.ordinal.is_(None)),
            )
        )
        .limit(1000)
    ).all()
    yield from _examples(
        [f"{r.entity_orgnr}#{r.role_order}" for r in missing],
        "role_holder_missing",
        "roles whose holder does not exist",
    )

    held_by = aliased(entities)
    rows = connection.execute(
        select(
            er_roles.c.entity_orgnr,
            er_roles.c.role_order,
            er_roles.c.role_code,
            holder.c.birth_date,
            holder.c.date_of_death,
            held_by.c.organisation_form,
        )
        .join(holder, holder.c.national_id == er_roles.c.holder_national_id)
        .join(held_by, held_by.c.orgnr == er_roles.c.entity_orgnr)
        .where(
            or_(
                holder.c.date_of_death <= check.as_of,
                holder.c.birth_date > adult,
            )
        )
        .limit(10_000)
    ).all()
    dead = [
        f"{r.entity_orgnr}#{r.role_order}"
        for r in rows
        if r.date_of_death is not None and r.date_of_death <= check.as_of
    ]
    young = [
        f"{r.entity_orgnr}#{r.role_order}"
        for r in rows
        if r.birth_date > adult
        and not (r.organisation_form == "FLI" and r.role_code == "MEDL" and r.birth_date <= youth)
    ]
    yield from _examples(dead, "role_holder_dead", "roles held by persons dead at --as-of")
    yield from _examples(young, "role_holder_age", "roles held by persons under age at --as-of")

    scenario = sorted(SCENARIO_ORGNRS)
    current = er_roles.c.resigned.is_(False)
    lede = select(er_roles.c.entity_orgnr).where(er_roles.c.role_code == "LEDE", current).scalar_subquery()
    no_lede = (
        connection.execute(
            select(entities.c.orgnr)
            .where(entities.c.organisation_form.in_(("AS", "ASA")), entities.c.orgnr.not_in(scenario))
            .where(entities.c.orgnr.not_in(lede))
            .limit(20)
        )
        .scalars()
        .all()
    )
    yield from _examples(list(no_lede), "as_without_lede", "AS/ASA without a LEDE")

    innh = (
        select(er_roles.c.entity_orgnr, func.count().label("n"))
        .where(er_roles.c.role_code == "INNH", current)
        .group_by(er_roles.c.entity_orgnr)
        .subquery()
    )
    bad_enk = (
        connection.execute(
            select(entities.c.orgnr)
            .outerjoin(innh, innh.c.entity_orgnr == entities.c.orgnr)
            .where(entities.c.organisation_form == "ENK", entities.c.orgnr.not_in(scenario))
            .where(or_(innh.c.n.is_(None), innh.c.n != 1))
            .limit(20)
        )
        .scalars()
        .all()
    )
    yield from _examples(list(bad_enk), "enk_innh", "ENK without exactly one INNH")

    own = connection.execute(base.where(er_roles.c.holder_orgnr == er_roles.c.entity_orgnr).limit(20)).all()
    yield from _examples(
        [f"{r.entity_orgnr}#{r.role_order}" for r in own], "role_in_itself", "roles an entity holds in itself"
    )

    wrong = []
    for row in connection.execute(
        select(
            er_roles.c.entity_orgnr,
            er_roles.c.role_order,
            er_roles.c.role_code,
            entity.c.organisation_form,
            entity.c.nace_code,
        ).join(entity, entity.c.orgnr == er_roles.c.holder_orgnr)
    ):
        nace = row.nace_code or ""
        ok = {
            "REGN": row.organisation_form == "AS" and nace == "69.201",
            "REVI": row.organisation_form == "AS" and nace == "69.202",
            "FFØR": row.organisation_form == "BBL"
            or (row.organisation_form == "AS" and nace.startswith("68.")),
            "KOMP": row.organisation_form == "AS",
            "DTPR": row.organisation_form == "AS",
        }.get(row.role_code, False)
        if not ok:
            wrong.append(f"{row.entity_orgnr}#{row.role_order}")
    yield from _examples(wrong, "role_entity_holder", "roles held by the wrong kind of entity")

    sub_roles = (
        connection.execute(
            select(er_roles.c.entity_orgnr)
            .join(entities, entities.c.orgnr == er_roles.c.entity_orgnr)
            .where(entities.c.organisation_form.in_(("BEDR", "AAFY")))
            .limit(20)
        )
        .scalars()
        .all()
    )
    yield from _examples(list(sub_roles), "subunit_roles", "roles on sub-units")


STAGES = (RolesStage(),)
