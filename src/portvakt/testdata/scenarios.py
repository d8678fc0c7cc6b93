"""Stage `scenarios` (§10.1–§10.2, entity-register part): fixed persons P01–P20, entities S01–S31, roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from portvakt.domain.identifiers import parse_national_id
from portvakt.storage.tables.population import entities, er_roles, persons
from portvakt.testdata.entities import ENTITY_COLUMNS
from portvakt.testdata.model import FIXED_ENTITY_COUNT
from portvakt.testdata.persons import PERSON_COLUMNS
from portvakt.testdata.reference import municipality_sampler, name_lists
from portvakt.testdata.roles import ROLE_COLUMNS
from portvakt.testdata.scenario_data import (
    SCENARIO_ENTITIES,
    SCENARIO_PERSONS,
    SCENARIO_REGISTRATION_DATE,
    SCENARIO_ROLES,
)
from portvakt.testdata.stages import Plan, StageContext, VerifyContext, Violation
from portvakt.testdata.streams import rng_for

OSLO = ("0301", "Oslo")


def scenario_person_rows(plan: Plan) -> list[tuple[object, ...]]:
    rng = rng_for(plan.seed, "addresses", "scenarios")
    names = name_lists()
    sampler = municipality_sampler()
    rows: list[tuple[object, ...]] = []
    for ordinal, person in enumerate(SCENARIO_PERSONS, start=1):
        parsed = parse_national_id(person.national_id, env="test")
        street = postal_code = place = municipality = None
        if person.residence == "NOR":
            where = sampler.pick(rng)
            street = (
                f"{names.last[int(rng.random() * len(names.last))]}"
                f"{names.street_suffixes[int(rng.random() * len(names.street_suffixes))]}"
                f" {1 + int(rng.random() * 150)}"
            )
            postal_code = f"{int(rng.random() * 10000):04d}"
            place, municipality = where.name, where.number
        death = None
        if person.died_days_before is not None:
            death = plan.as_of - timedelta(days=person.died_days_before)
        rows.append(
            (
                ordinal,
                person.national_id,
                parsed.kind,
                parsed.synthetic,
                person.first_name,
                person.middle_name,
                person.last_name,
                person.birth_date,
                "M" if parsed.gender == "male" else "F",
                person.citizenship,
                person.residence,
                street,
                postal_code,
                place,
                municipality,
                death,
            )
        )
    return rows


def scenario_entity_rows(plan: Plan, stat_orgnr: str | None) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for index, entity in enumerate(SCENARIO_ENTITIES, start=1):
        deleted = None
        if entity.deleted_days_before is not None:
            deleted = plan.as_of - timedelta(days=entity.deleted_days_before)
        country, url = entity.foreign_register or (None, None)
        rows.append(
            (
                FIXED_ENTITY_COUNT + index,
                entity.orgnr,
                entity.name,
                entity.form,
                stat_orgnr if entity.under_stat else None,
                entity.nace,
                SCENARIO_REGISTRATION_DATE,
                entity.business_register,
                0,
                f"Testveien {index}",
                "0150",
                OSLO[1],
                OSLO[0],
                deleted,
                entity.listed_market,
                country,
                url,
            )
        )
    return rows


def scenario_role_rows() -> list[tuple[object, ...]]:
    people = {p.key: p.national_id for p in SCENARIO_PERSONS}
    orgs = {e.key: e.orgnr for e in SCENARIO_ENTITIES}
    rows: list[tuple[object, ...]] = []
    order: dict[str, int] = {}
    for entity_key, code, holder in SCENARIO_ROLES:
        orgnr = orgs[entity_key]
        order[orgnr] = order.get(orgnr, 0) + 1
        rows.append((orgnr, order[orgnr], code, people.get(holder), orgs.get(holder), False))
    return rows


class ScenariosStage:
    name = "scenarios"
    order = 40
    tables = (persons, entities, er_roles)

    def run(self, context: StageContext) -> None:
        plan = context.plan
        if not plan.scenarios:
            return
        writer = context.writer
        with context.progress.stage(self.name, len(SCENARIO_PERSONS) + len(SCENARIO_ENTITIES)) as advance:
            advance(writer.write_rows("persons", PERSON_COLUMNS, scenario_person_rows(plan), plan.batch_size))
            entity_rows = scenario_entity_rows(plan, context.artifacts.get("stat_orgnr"))
            advance(writer.write_rows("entities", ENTITY_COLUMNS, entity_rows, plan.batch_size))
            writer.write_rows("er_roles", ROLE_COLUMNS, scenario_role_rows(), plan.batch_size)

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        if not check.scenarios:
            return
        connection = check.connection
        found_persons = {
            row.national_id: (row.ordinal, row.first_name, row.middle_name, row.last_name, row.birth_date)
            for row in connection.execute(
                select(persons).where(persons.c.national_id.in_([p.national_id for p in SCENARIO_PERSONS]))
            )
        }
        wrong = [
            p.key
            for ordinal, p in enumerate(SCENARIO_PERSONS, start=1)
            if found_persons.get(p.national_id)
            != (ordinal, p.first_name, p.middle_name, p.last_name, p.birth_date)
        ]
        if wrong:
            yield Violation(
                "scenario_persons", f"{len(wrong)} scenario persons missing or different", tuple(wrong)
            )
        found_entities = {
            row.orgnr: (row.name, row.organisation_form)
            for row in connection.execute(
                select(entities).where(entities.c.orgnr.in_([e.orgnr for e in SCENARIO_ENTITIES]))
            )
        }
        wrong = [e.key for e in SCENARIO_ENTITIES if found_entities.get(e.orgnr) != (e.name, e.form)]
        if wrong:
            yield Violation(
                "scenario_entities", f"{len(wrong)} scenario entities missing or different", tuple(wrong)
            )
        expected = {(str(r[0]), r[1], r[2], r[3], r[4]) for r in scenario_role_rows()}
        orgnrs = sorted({r[0] for r in expected})
        present = {
            (r.entity_orgnr, r.role_order, r.role_code, r.holder_national_id, r.holder_orgnr)
            for r in connection.execute(select(er_roles).where(er_roles.c.entity_orgnr.in_(orgnrs)))
        }
        if present != expected:
            yield Violation(
                "scenario_roles",
                "the scenario roles differ from §10.1",
                tuple(sorted(f"{r[0]}#{r[1]} {r[2]}" for r in present ^ expected))[:20],
            )


STAGES = (ScenariosStage(),)
