"""`verify` finds each violation class of §8 (one row per rule), and the stage extension point works."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from portvakt.storage.engine import null_pool_sync_engine
from portvakt.testdata import stages as stages_module
from portvakt.testdata.generate import generate, verify_population
from portvakt.testdata.stages import StageContext, VerifyContext, Violation, discover_stages, stage_tables
from tests.testdata.conftest import small_options

GENERATED_BEDR = "(SELECT orgnr FROM entities WHERE organisation_form = 'BEDR' ORDER BY ordinal LIMIT 1)"
A_PERSON_ROLE = (
    "(SELECT min(rowid) FROM er_roles WHERE holder_national_id IS NOT NULL AND entity_orgnr < '3999')"
)


def tamper(url: str, *statements: str) -> None:
    engine = null_pool_sync_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for statement in statements:
            connection.exec_driver_sql(statement)
        connection.commit()
    engine.dispose()


@pytest.mark.parametrize(
    ("statements", "rule"),
    [
        pytest.param(
            ["UPDATE persons SET national_id = '01019012481' WHERE ordinal = 21"],
            "person_number_invalid",
            id="person_number_invalid",
        ),
        pytest.param(
            [
                "UPDATE persons SET national_id = '01019012480', synthetic = NULL, birth_date = '1990-01-01'"
                " WHERE ordinal = 21"
            ],
            "person_number_class",
            id="person_number_class",
        ),
        pytest.param(
            ["UPDATE persons SET kind = 'dnr' WHERE ordinal = 21"],
            "person_number_mismatch",
            id="person_number_mismatch",
        ),
        pytest.param(
            ["UPDATE persons SET gender = CASE gender WHEN 'M' THEN 'F' ELSE 'M' END WHERE ordinal = 21"],
            "person_gender_parity",
            id="person_gender_parity",
        ),
        pytest.param(
            ["UPDATE persons SET date_of_death = '2030-01-01' WHERE ordinal = 21"],
            "person_date_of_death",
            id="person_date_of_death",
        ),
        pytest.param(["DELETE FROM persons WHERE ordinal = 21"], "person_count", id="person_count"),
        pytest.param(
            [f"UPDATE entities SET orgnr = '399900019' WHERE orgnr = {GENERATED_BEDR}"],
            "orgnr_invalid",
            id="orgnr_invalid",
        ),
        pytest.param(
            [f"UPDATE entities SET orgnr = '889640782' WHERE orgnr = {GENERATED_BEDR}"],
            "orgnr_prefix",
            id="orgnr_prefix",
        ),
        pytest.param(
            [f"UPDATE entities SET parent_orgnr = NULL WHERE orgnr = {GENERATED_BEDR}"],
            "entity_parent",
            id="entity_parent",
        ),
        pytest.param(["DELETE FROM entities WHERE orgnr = '991825827'"], "entity_fixed", id="entity_fixed"),
        pytest.param(
            [f"UPDATE er_roles SET holder_national_id = '01019012480' WHERE rowid = {A_PERSON_ROLE}"],
            "role_holder_missing",
            id="role_holder_missing",
        ),
        pytest.param(
            [
                "UPDATE persons SET date_of_death = '2025-12-01' WHERE national_id ="
                f" (SELECT holder_national_id"
                f" FROM er_roles WHERE rowid = {A_PERSON_ROLE})"
            ],
            "role_holder_dead",
            id="role_holder_dead",
        ),
        pytest.param(
            [
                "UPDATE er_roles SET holder_national_id ="
                f" (SELECT national_id FROM persons WHERE ordinal > 20"
                f" AND birth_date > '2015-01-01' LIMIT 1) WHERE rowid = {A_PERSON_ROLE}"
            ],
            "role_holder_age",
            id="role_holder_age",
        ),
        pytest.param(
            [
                "DELETE FROM er_roles WHERE role_code = 'LEDE' AND entity_orgnr = (SELECT orgnr FROM entities"
                " WHERE organisation_form = 'AS' AND ordinal > 34 ORDER BY ordinal LIMIT 1)"
            ],
            "as_without_lede",
            id="as_without_lede",
        ),
        pytest.param(
            [
                "DELETE FROM er_roles WHERE role_code = 'INNH' AND entity_orgnr = (SELECT orgnr FROM entities"
                " WHERE organisation_form = 'ENK' AND ordinal > 34 ORDER BY ordinal LIMIT 1)"
            ],
            "enk_innh",
            id="enk_innh",
        ),
        pytest.param(
            [
                "UPDATE er_roles SET holder_orgnr ="
                " (SELECT orgnr FROM entities WHERE organisation_form = 'FLI'"
                " LIMIT 1) WHERE rowid = (SELECT min(rowid) FROM er_roles WHERE holder_orgnr IS NOT NULL"
                " AND entity_orgnr < '3999')"
            ],
            "role_entity_holder",
            id="role_entity_holder",
        ),
        pytest.param(
            [
                f"INSERT INTO er_roles VALUES ({GENERATED_BEDR}, 1, 'DAGL', (SELECT holder_national_id FROM"
                f" er_roles WHERE rowid = {A_PERSON_ROLE}), NULL, 0)"
            ],
            "subunit_roles",
            id="subunit_roles",
        ),
        pytest.param(
            ["UPDATE persons SET last_name = 'NORDMAN' WHERE ordinal = 1"],
            "scenario_persons",
            id="scenario_persons",
        ),
        pytest.param(
            ["UPDATE entities SET name = 'SLETTET ASA' WHERE orgnr = '399900255'"],
            "scenario_entities",
            id="scenario_entities",
        ),
        pytest.param(
            ["DELETE FROM er_roles WHERE entity_orgnr = '399900026' AND role_order = 4"],
            "scenario_roles",
            id="scenario_roles",
        ),
    ],
)
def test_verify_reports_each_violation_class(small_population: str, statements: list[str], rule: str) -> None:
    assert verify_population(small_population) == []
    tamper(small_population, *statements)

    violations = verify_population(small_population)

    assert rule in {v.rule for v in violations}
    assert all(len(v.examples) <= 20 for v in violations)


def test_builtin_stages_in_order() -> None:
    stages = discover_stages()

    assert [s.name for s in stages][:4] == ["persons", "entities", "roles", "scenarios"]
    assert [t.name for t in stage_tables(stages)][:4] == ["municipalities", "persons", "entities", "er_roles"]


class RecordingStage:
    name = "recording"
    order = 50
    tables = ()

    def __init__(self) -> None:
        self.seen: list[int] = []

    def run(self, context: StageContext) -> None:
        self.seen.append(context.plan.persons)
        self.seen.append(len(context.artifacts["person_pool"].entries))

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        yield Violation("recording", "the extra stage verifies too")


def test_a_stage_module_of_another_package_is_discovered_and_run(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = RecordingStage()
    module = types.ModuleType("portvakt_fake.testdata_stages")
    module.STAGES = (stage,)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "portvakt_fake.testdata_stages", module)
    builtin = stages_module._stage_modules()
    monkeypatch.setattr(stages_module, "_stage_modules", lambda: [*builtin, "portvakt_fake.testdata_stages"])

    generate(migrated_sqlite_url, small_options(persons=300, entities=10), env="test")

    assert stage.seen[0] == 300
    assert stage.seen[1] > 0
    assert [v.rule for v in verify_population(migrated_sqlite_url)] == ["recording"]
