"""Achieved vs target shares of §8 (the `--report` and the share checks), computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from portvakt.storage.tables.population import entities, er_roles, persons
from portvakt.testdata.entities import fixed_public_counts
from portvakt.testdata.model import (
    AGE_BANDS,
    DELETED_SHARE,
    DNUMBER_SHARE,
    ENTITY_FORMS,
    FIRST_GENERATED_ENTITY,
    FIRST_GENERATED_PERSON,
    MALE_SHARE,
    MIDDLE_NAME_SHARE,
    RESIGNED_SHARE,
)
from portvakt.testdata.persons import band_interval


@dataclass(frozen=True)
class Share:
    name: str
    target: float  # percent
    achieved: float  # percent
    population: int  # denominator

    @property
    def deviation(self) -> float:
        return self.achieved - self.target


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def person_shares(connection: Connection, as_of: date) -> list[Share]:
    generated = persons.c.ordinal >= FIRST_GENERATED_PERSON
    columns: list[Any] = [func.count()]
    for low, high, _ in AGE_BANDS:
        first, last = band_interval(as_of, low, high)
        columns.append(
            func.sum(case((and_(persons.c.birth_date >= first, persons.c.birth_date <= last), 1), else_=0))
        )
    columns += [
        func.sum(case((persons.c.kind == "dnr", 1), else_=0)),
        func.sum(case((persons.c.gender == "M", 1), else_=0)),
        func.sum(case((persons.c.middle_name.is_not(None), 1), else_=0)),
        func.sum(case((persons.c.date_of_death.is_not(None), 1), else_=0)),
        func.sum(case((and_(persons.c.kind == "fnr", persons.c.citizenships == "NOR"), 1), else_=0)),
        func.sum(case((persons.c.kind == "fnr", 1), else_=0)),
    ]
    row = [int(v or 0) for v in connection.execute(select(*columns).where(generated)).one()]
    total = row[0]
    shares = [
        Share(f"age {low}–{high}", share, _percent(row[1 + i], total), total)
        for i, (low, high, share) in enumerate(AGE_BANDS)
    ]
    n = len(AGE_BANDS) + 1
    shares += [
        Share("D-numbers", 100 * DNUMBER_SHARE, _percent(row[n], total), total),
        Share("male", 100 * MALE_SHARE, _percent(row[n + 1], total), total),
        Share("middle name", 100 * MIDDLE_NAME_SHARE, _percent(row[n + 2], total), total),
        Share("deceased", 0.6, _percent(row[n + 3], total), total),
        Share("fnr citizenship NOR only", 88.0, _percent(row[n + 4], row[n + 5]), row[n + 5]),
    ]
    return shares


def entity_shares(connection: Connection, sized: int) -> list[Share]:
    komm, fylk = fixed_public_counts(sized)
    rest = max(sized - komm - fylk - 1, 0)
    generated = entities.c.ordinal >= FIRST_GENERATED_ENTITY + komm + fylk + 1
    counts: dict[str, int] = dict(
        connection.execute(
            select(entities.c.organisation_form, func.count())
            .where(generated)
            .group_by(entities.c.organisation_form)
        ).all()
    )
    counts["SUB"] = counts.pop("BEDR", 0) + counts.pop("AAFY", 0)
    weight = sum(share for _, share in ENTITY_FORMS)
    shares = [
        Share(f"form {code}", 100 * share / weight, _percent(int(counts.get(code, 0)), rest), rest)
        for code, share in ENTITY_FORMS
        if share >= 0.2
    ]
    deleted = connection.execute(
        select(func.count()).where(
            entities.c.ordinal >= FIRST_GENERATED_ENTITY, entities.c.deletion_date.is_not(None)
        )
    ).scalar_one()
    shares.append(Share("deleted", 100 * DELETED_SHARE, _percent(int(deleted), sized), sized))
    total_roles, resigned = connection.execute(
        select(func.count(), func.sum(case((er_roles.c.resigned.is_(True), 1), else_=0)))
    ).one()
    shares.append(
        Share(
            "resigned roles",
            100 * RESIGNED_SHARE,
            _percent(int(resigned or 0), int(total_roles)),
            int(total_roles),
        )
    )
    return shares


def all_shares(connection: Connection, as_of: date, sized_entities: int) -> list[Share]:
    return person_shares(connection, as_of) + entity_shares(connection, sized_entities)
