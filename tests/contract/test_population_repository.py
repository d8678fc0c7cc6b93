"""PersonRegister / EntityRegister on SQLite and PostgreSQL, over generated data with the §10 scenarios."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portvakt.domain.population import ErRole
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade
from portvakt.storage.population import SqlEntityRegister, SqlPersonRegister
from portvakt.storage.tables.population import er_roles
from portvakt.testdata.generate import GenerateOptions, generate

AS_OF = date(2026, 1, 1)


@pytest.fixture
async def database(empty_database_url: str) -> AsyncIterator[Database]:
    upgrade(empty_database_url)
    options = GenerateOptions(persons=300, entities=40, seed=5, as_of=AS_OF, workers=1, progress=False)
    generate(empty_database_url, options, env="test")
    handle = Database.connect(empty_database_url)
    yield handle
    await handle.dispose()


def role(entity: str, order: int, code: str, person: str | None = None, org: str | None = None) -> ErRole:
    return ErRole(entity, order, code, person, org, False)


async def test_person_by_national_id_keeps_special_characters(database: Database) -> None:
    person = await SqlPersonRegister(database).by_national_id("19899544857")

    assert person is not None
    assert (person.first_name, person.middle_name, person.last_name) == ("ÁILE", "ČÁHCE", "ŊUVTTI-ŠŽÆØÅ")
    assert person.ordinal == 8
    assert person.birth_date == date(1995, 9, 19)
    assert (person.kind, person.synthetic, person.gender) == ("fnr", "tenor", "F")


async def test_long_names_and_d_numbers_round_trip(database: Database) -> None:
    persons = SqlPersonRegister(database)
    p10 = await persons.by_national_id("28828526482")
    p06 = await persons.by_ordinal(6)

    assert p10 is not None
    assert p10.full_name == "ANNE-MARIE KRISTINE ELISABETH SKJELBRED-FJELLHEIM-VESTERÅLEN"
    assert p06 is not None
    assert (p06.national_id, p06.kind, p06.citizenships, p06.residence_country) == (
        "44828830128",
        "dnr",
        ("POL",),
        "POL",
    )


async def test_deceased_scenario_person(database: Database) -> None:
    p07 = await SqlPersonRegister(database).by_national_id("02883112981")

    assert p07 is not None
    assert p07.date_of_death == AS_OF - timedelta(days=100)
    assert not p07.is_alive_on(AS_OF)


async def test_unknown_numbers_give_none(database: Database) -> None:
    assert await SqlPersonRegister(database).by_national_id("01019012480") is None
    assert await SqlEntityRegister(database).by_orgnr("889640782") is None


async def test_roles_of_s02(database: Database) -> None:
    roles = await SqlEntityRegister(database).roles_of("399900026")

    assert roles == [
        role("399900026", 1, "DAGL", person="11907837388"),
        role("399900026", 2, "LEDE", person="23916011989"),
        role("399900026", 3, "REGN", org="399900298"),
        role("399900026", 4, "REVI", org="399900301"),
    ]


async def test_s22_is_an_enk_with_p19_as_owner(database: Database) -> None:
    registers = SqlEntityRegister(database)
    s22 = await registers.by_orgnr("399900239")

    assert s22 is not None
    assert (s22.name, s22.organisation_form, s22.ordinal) == ("HEGE LUND SNEKKERI", "ENK", 25)
    assert await registers.roles_of("399900239") == [role("399900239", 1, "INNH", person="08818028890")]


async def test_roles_held_by_a_person_and_by_an_entity(database: Database) -> None:
    held = await SqlPersonRegister(database).roles_held("23916011989")
    as_regn = await SqlEntityRegister(database).roles_held_by_entity("399900298")

    assert [(r.entity_orgnr, r.role_code) for r in held] == [("399900026", "LEDE"), ("399900190", "LEDE")]
    assert as_regn == [role("399900026", 3, "REGN", org="399900298")]


async def test_scenario_orgl_sits_under_the_generated_stat(database: Database) -> None:
    registers = SqlEntityRegister(database)
    s01 = await registers.by_orgnr("399900018")
    assert s01 is not None
    assert s01.parent_orgnr is not None
    stat = await registers.by_orgnr(s01.parent_orgnr)

    assert stat is not None
    assert (stat.organisation_form, stat.name) == ("STAT", "STATEN")
    sub_units = await registers.sub_units(stat.orgnr)
    assert {"399900018", "399900344"} <= {e.orgnr for e in sub_units}
    assert all(e.parent_orgnr == stat.orgnr for e in sub_units)


async def test_fixed_entities_and_listing_markers(database: Database) -> None:
    registers = SqlEntityRegister(database)
    first = await registers.by_ordinal(1)
    s12 = await registers.by_orgnr("399900123")
    s14 = await registers.by_orgnr("399900158")
    s24 = await registers.by_orgnr("399900255")

    assert first is not None
    assert (first.orgnr, first.name, first.organisation_form) == (
        "310000019",
        "PLATTFORMOPERATØR",
        "ORGL",
    )
    assert s12 is not None
    assert (s12.foreign_register_country, s12.foreign_register_url) == (
        "LTU",
        "https://www.registrucentras.lt/",
    )
    assert s14 is not None
    assert s14.listed_market == "euronextOslo"
    assert s24 is not None
    assert s24.deletion_date == AS_OF - timedelta(days=60)
    assert s24.is_deleted_on(AS_OF)


async def test_resigned_roles_are_hidden_unless_asked_for(database: Database) -> None:
    registers = SqlEntityRegister(database)
    persons = SqlPersonRegister(database)
    async with database.engine.connect() as connection:
        resigned = (
            await connection.execute(select(er_roles).where(er_roles.c.resigned.is_(True)).limit(1))
        ).first()
    assert resigned is not None
    current = await registers.roles_of(resigned.entity_orgnr)
    everything = await registers.roles_of(resigned.entity_orgnr, include_resigned=True)

    assert all(not r.resigned for r in current)
    assert any(r.resigned and r.order == resigned.role_order for r in everything)
    if resigned.holder_national_id is not None:
        held = await persons.roles_held(resigned.holder_national_id, include_resigned=True)
        assert any(r.entity_orgnr == resigned.entity_orgnr and r.resigned for r in held)
