"""SQL adapters of the population and entity registers (`PersonRegister`, `EntityRegister`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, Select, select

from portvakt.domain.population import (
    Address,
    Entity,
    ErRole,
    Person,
    PersonKind,
    SyntheticClass,
)
from portvakt.storage.engine import Database
from portvakt.storage.tables.population import entities, er_roles, persons


def _person(row: Row[Any]) -> Person:
    return Person(
        ordinal=row.ordinal,
        national_id=row.national_id,
        kind=cast(PersonKind, row.kind),
        synthetic=cast(SyntheticClass | None, row.synthetic),
        first_name=row.first_name,
        middle_name=row.middle_name,
        last_name=row.last_name,
        birth_date=row.birth_date,
        gender="M" if row.gender == "M" else "F",
        citizenships=tuple(row.citizenships.split(",")) if row.citizenships else (),
        residence_country=row.residence_country,
        address=Address(row.street_address, row.postal_code, row.postal_place, row.municipality_number),
        date_of_death=row.date_of_death,
    )


def _entity(row: Row[Any]) -> Entity:
    return Entity(
        ordinal=row.ordinal,
        orgnr=row.orgnr,
        name=row.name,
        organisation_form=row.organisation_form,
        parent_orgnr=row.parent_orgnr,
        nace_code=row.nace_code,
        registration_date=row.registration_date,
        registered_in_business_register=bool(row.registered_in_business_register),
        employees=row.employees,
        business_address=Address(
            row.business_address, row.postal_code, row.postal_place, row.municipality_number
        ),
        deletion_date=row.deletion_date,
        listed_market=row.listed_market,
        foreign_register_country=row.foreign_register_country,
        foreign_register_url=row.foreign_register_url,
    )


def _role(row: Row[Any]) -> ErRole:
    return ErRole(
        entity_orgnr=row.entity_orgnr,
        order=row.role_order,
        role_code=row.role_code,
        holder_national_id=row.holder_national_id,
        holder_orgnr=row.holder_orgnr,
        resigned=bool(row.resigned),
    )


class _Queries:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def _rows(self, statement: Select[Any]) -> Sequence[Row[Any]]:
        async with self._database.engine.connect() as connection:
            result = await connection.execute(statement)
            rows: Sequence[Row[Any]] = result.all()
            return rows

    async def _roles(self, statement: Select[Any], include_resigned: bool) -> list[ErRole]:
        if not include_resigned:
            statement = statement.where(er_roles.c.resigned.is_(False))
        return [_role(row) for row in await self._rows(statement)]


class SqlPersonRegister(_Queries):
    async def by_national_id(self, national_id: str) -> Person | None:
        rows = await self._rows(select(persons).where(persons.c.national_id == national_id))
        return _person(rows[0]) if rows else None

    async def by_ordinal(self, ordinal: int) -> Person | None:
        rows = await self._rows(select(persons).where(persons.c.ordinal == ordinal))
        return _person(rows[0]) if rows else None

    async def roles_held(self, national_id: str, *, include_resigned: bool = False) -> list[ErRole]:
        statement = (
            select(er_roles)
            .where(er_roles.c.holder_national_id == national_id)
            .order_by(er_roles.c.entity_orgnr, er_roles.c.role_order)
        )
        return await self._roles(statement, include_resigned)


class SqlEntityRegister(_Queries):
    async def by_orgnr(self, orgnr: str) -> Entity | None:
        rows = await self._rows(select(entities).where(entities.c.orgnr == orgnr))
        return _entity(rows[0]) if rows else None

    async def by_ordinal(self, ordinal: int) -> Entity | None:
        rows = await self._rows(select(entities).where(entities.c.ordinal == ordinal))
        return _entity(rows[0]) if rows else None

    async def roles_of(self, orgnr: str, *, include_resigned: bool = False) -> list[ErRole]:
        statement = select(er_roles).where(er_roles.c.entity_orgnr == orgnr).order_by(er_roles.c.role_order)
        return await self._roles(statement, include_resigned)

    async def roles_held_by_entity(self, orgnr: str, *, include_resigned: bool = False) -> list[ErRole]:
        statement = (
            select(er_roles)
            .where(er_roles.c.holder_orgnr == orgnr)
            .order_by(er_roles.c.entity_orgnr, er_roles.c.role_order)
        )
        return await self._roles(statement, include_resigned)

    async def sub_units(self, orgnr: str) -> list[Entity]:
        statement = select(entities).where(entities.c.parent_orgnr == orgnr).order_by(entities.c.ordinal)
        return [_entity(row) for row in await self._rows(statement)]


__all__ = ["SqlEntityRegister", "SqlPersonRegister"]
