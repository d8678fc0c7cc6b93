"""Generated RRH data: §9.1/§9.3 shares, `verify` on corrupted rows, determinism (workers, backends)."""

from __future__ import annotations

import hashlib

import orjson
import pytest
from sqlalchemy import Engine, func, select, text

from portvakt.rrh.scenarios import FIRST_GENERATED_FOREIGN_ID
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.rrh import ownership_edges, rrh_entities, rrh_registrations
from portvakt.testdata.digest import table_digest_lines
from portvakt.testdata.generate import generate, verify_population
from portvakt.testdata.model import FIRST_GENERATED_ENTITY
from portvakt.testdata.scenario_data import SCENARIO_ENTITIES
from tests.rrh_data.conftest import options

ORGNR = {e.key: e.orgnr for e in SCENARIO_ENTITIES}
RRH_TABLES = (ownership_edges, rrh_entities, rrh_registrations)


def _share(part: int, whole: int) -> float:
    assert whole > 0
    return 100.0 * part / whole


@pytest.fixture
def engine(population_url: str) -> Engine:
    return null_pool_sync_engine(population_url)


def _current_documents(engine: Engine) -> list[tuple[str, str, int, dict[str, object]]]:
    query = (
        select(
            rrh_registrations.c.orgnr,
            entities.c.organisation_form,
            func.count().over(partition_by=rrh_registrations.c.orgnr),
            rrh_registrations.c.document,
            rrh_registrations.c.is_current,
        )
        .join(entities, entities.c.orgnr == rrh_registrations.c.orgnr)
        .where(entities.c.ordinal >= FIRST_GENERATED_ENTITY)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [(r[0], r[1], r[2], orjson.loads(r[3])) for r in rows if r[4]]


def test_registration_kinds_and_history_shares(engine: Engine) -> None:
    """§9.3: 10 % only `…ErIkkeMeldt`; of the reported, 25 % one earlier version and 5 % two (±5 pp)."""
    current = _current_documents(engine)
    statuses = [d["registreringsstatus"] for _, _, _, d in current]
    alive = [
        c
        for c in current
        if c[3]["registreringsstatus"] != "registreringsstatus.rettighetsinformasjonErSlettet"
    ]
    not_reported = sum(1 for _, _, _, d in alive if str(d["registreringsstatus"]).endswith("ErIkkeMeldt"))
    assert len(current) > 400
    assert abs(_share(not_reported, len(alive)) - 10) <= 5
    reported = [c for c in alive if str(c[3]["registreringsstatus"]).endswith("ErRegistrert")]
    assert abs(_share(sum(1 for c in reported if c[2] == 2), len(reported)) - 25) <= 5
    assert abs(_share(sum(1 for c in reported if c[2] == 3), len(reported)) - 5) <= 3
    assert all(c[2] == 2 for c in current if c not in alive)
    assert "registreringsstatus.rettighetsinformasjonErRegistrert" in statuses


def test_ownership_shares(engine: Engine) -> None:
    """§9.1: owner counts and types of AS (non-holding), A/B shares, NUF owned by one foreign entity."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                ownership_edges.c.entity_orgnr,
                ownership_edges.c.owner_kind,
                ownership_edges.c.capital_hundredths,
                ownership_edges.c.voting_hundredths,
                entities.c.organisation_form,
                entities.c.nace_code,
            )
            .join(entities, entities.c.orgnr == ownership_edges.c.entity_orgnr)
            .where(entities.c.ordinal >= FIRST_GENERATED_ENTITY)
        ).all()
        as_count = connection.execute(
            select(func.count()).where(
                entities.c.organisation_form == "AS", entities.c.ordinal >= FIRST_GENERATED_ENTITY
            )
        ).scalar_one()
    owners: dict[str, list[tuple[str, int, int]]] = {}
    forms: dict[str, tuple[str, str | None]] = {}
    for orgnr, kind, capital, votes, form, nace in rows:
        owners.setdefault(orgnr, []).append((kind, capital, votes))
        forms[orgnr] = (form, nace)
    companies = [
        o
        for orgnr, o in owners.items()
        if forms[orgnr] == ("AS", forms[orgnr][1]) and forms[orgnr][1] != "64.200"
    ]
    single = sum(1 for o in companies if len(o) == 1)
    assert abs(_share(single, len(companies)) - 45) <= 7
    slots = [kind for o in companies if len(o) > 1 for kind, _, _ in o]
    assert abs(_share(slots.count("person"), len(slots)) - 68) <= 7
    assert abs(_share(slots.count("entity"), len(slots)) - 26) <= 7
    dual = sum(1 for orgnr, o in owners.items() if forms[orgnr][0] == "AS" and any(c != v for _, c, v in o))
    assert abs(_share(dual, as_count) - 3) <= 2.5
    for orgnr, o in owners.items():
        assert sum(c for _, c, _ in o) <= 10_000
        if forms[orgnr][0] == "NUF":
            assert o == [("foreign_entity", 10_000, 10_000)]


def test_generated_foreign_ids_are_above_the_scenario_ids(engine: Engine) -> None:
    with engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM foreign_persons WHERE id > 6")).scalars().all()
    assert ids
    assert min(ids) > FIRST_GENERATED_FOREIGN_ID


def test_population_passes_verify(population_url: str) -> None:
    assert verify_population(population_url) == []


S26, S05, S23, S24, S25 = ORGNR["S26"], ORGNR["S05"], ORGNR["S23"], ORGNR["S24"], ORGNR["S25"]


def _document(orgnr: str, old: str, new: str) -> list[str]:
    return [
        f"UPDATE rrh_registrations SET document = replace(document, '{old}', '{new}') WHERE orgnr = '{orgnr}'"
    ]


CORRUPTIONS = [
    pytest.param(
        [f"UPDATE ownership_edges SET capital_hundredths = 10000 WHERE entity_orgnr = '{ORGNR['S06']}'"],
        "ownership_shares",
        id="capital_over_100",
    ),
    pytest.param(
        [
            "INSERT INTO ownership_edges (entity_orgnr, owner_order, owner_kind, owner_orgnr,"
            " capital_hundredths, voting_hundredths)"
            f" VALUES ('{S26}', 2, 'entity', '{S05}', 0, 0)"
        ],
        "ownership_acyclic",
        id="cycle",
    ),
    pytest.param(
        [f"UPDATE ownership_edges SET owner_national_id = '01010100000' WHERE entity_orgnr = '{S26}'"],
        "ownership_owners",
        id="unknown_owner",
    ),
    pytest.param(
        [
            f"DELETE FROM rrh_registrations WHERE orgnr = '{S25}'",
            f"DELETE FROM rrh_entities WHERE orgnr = '{S25}'",
        ],
        "rrh_registrable",
        id="registrable_entity_missing",
    ),
    pytest.param(
        [f"UPDATE rrh_registrations SET is_current = 1 WHERE orgnr = '{S23}' AND version = 1"],
        "rrh_current",
        id="two_current",
    ),
    pytest.param(
        [
            f"UPDATE rrh_registrations SET registered_at = '2025-01-01 00:00:00.000000'"
            f" WHERE orgnr = '{S23}' AND version = 3"
        ],
        "rrh_versions",
        id="version_earlier_in_time",
    ),
    pytest.param(
        [
            f"UPDATE rrh_registrations SET registered_at = '2026-02-01 00:00:00' WHERE orgnr = '{S26}'",
            f"UPDATE rrh_entities SET first_registered_at = '2026-02-01 00:00:00' WHERE orgnr = '{S26}'",
        ],
        "rrh_as_of",
        id="after_as_of",
    ),
    pytest.param(
        [
            f"UPDATE rrh_registrations SET registered_at = '2024-09-01 00:00:00' WHERE orgnr = '{S26}'",
            f"UPDATE rrh_entities SET first_registered_at = '2024-09-01 00:00:00' WHERE orgnr = '{S26}'",
        ],
        "rrh_first_registered",
        id="before_the_register_opened",
    ),
    pytest.param(
        [f"UPDATE rrh_entities SET deleted_at = NULL WHERE orgnr = '{S24}'"],
        "rrh_deleted",
        id="deletion_lost",
    ),
    pytest.param(
        [f"UPDATE rrh_registrations SET document = '{{\"broken\"' WHERE orgnr = '{S26}'"],
        "rrh_document",
        id="malformed_document",
    ),
    pytest.param(
        _document(S26, "grunnlagstype.direkte", "grunnlagstype.enighetEllerAvtale"),
        "rrh_position_basis",
        id="ownership_by_agreement",
    ),
    pytest.param(
        _document(S26, ',"stoerrelsesintervall":"stoerrelsesintervall.intervall3"', ""),
        "rrh_position_interval",
        id="ownership_without_interval",
    ),
    pytest.param(
        _document(
            S26,
            '"posisjonstype.eierskap","stoerrelsesintervall":"stoerrelsesintervall.intervall3",'
            '"grunnlagstyper":["grunnlagstype.direkte"]',
            '"posisjonstype.destinatar","grunnlagstyper":[]',
        ),
        "rrh_position_form",
        id="foundation_position_in_an_as",
    ),
    pytest.param(
        _document(
            S26, '"mellomliggendeVirksomheter":[]', '"mellomliggendeVirksomheter":[{"norskVirksomhet":{}}]'
        ),
        "rrh_intermediates",
        id="intermediates_without_indirekte",
    ),
    pytest.param(_document(S26, "12837541245", "01010100000"), "rrh_persons", id="unknown_person"),
]


@pytest.mark.parametrize(("statements", "rule"), CORRUPTIONS)
def test_verify_catches_a_corrupted_row(population_copy: str, statements: list[str], rule: str) -> None:
    engine = null_pool_sync_engine(population_copy)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for statement in statements:
            connection.exec_driver_sql(statement)
        connection.commit()
    engine.dispose()
    violations = verify_population(population_copy)
    assert [v.rule for v in violations] == [rule]


def _rrh_digest(url: str) -> str:
    engine = null_pool_sync_engine(url)
    sha = hashlib.sha256()
    for table in RRH_TABLES:
        table_digest_lines(engine, table, sha)
    engine.dispose()
    return sha.hexdigest()


def test_identical_rows_for_two_workers_other_batches_and_each_backend(
    population_url: str, empty_database_url: str
) -> None:
    """Against the shared population (SQLite, one worker, batches of 10 000): two workers and batches of
    997 on SQLite, one worker and batches of 333 on PostgreSQL."""
    upgrade(empty_database_url)
    postgres = empty_database_url.startswith("postgresql")
    workers, batch_size = (1, 333) if postgres else (2, 997)
    generate(empty_database_url, options(workers=workers, batch_size=batch_size), env="test")
    assert _rrh_digest(empty_database_url) == _rrh_digest(population_url)
