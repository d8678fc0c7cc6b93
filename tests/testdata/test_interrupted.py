"""An interrupted run leaves no half-written data set (exception, Ctrl-C, killed process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, inspect, select, update

from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.population import entities, er_roles, persons, population_generation
from portvakt.testdata import generate as generate_module
from portvakt.testdata.generate import (
    DataSetUnusable,
    GenerationRefused,
    digest_population,
    ensure_demo_population,
    generate,
    recover_interrupted_run,
    verify_population,
)
from portvakt.testdata.stages import Stage, StageContext, VerifyContext, Violation, discover_stages
from tests.testdata.conftest import small_options

SECONDARY_INDEXES = {
    "persons": {"ix_persons_birth_date"},
    "entities": {"ix_entities_organisation_form", "ix_entities_parent_orgnr"},
    "er_roles": {"ix_er_roles_holder_national_id", "ix_er_roles_holder_orgnr"},
}

FOREIGN_KEYS = {
    "fk_persons_municipality_number_municipalities",
    "fk_entities_parent_orgnr_entities",
    "fk_entities_municipality_number_municipalities",
    "fk_er_roles_entity_orgnr_entities",
    "fk_er_roles_holder_national_id_persons",
    "fk_er_roles_holder_orgnr_entities",
}


def counts(url: str) -> dict[str, int]:
    engine = null_pool_sync_engine(url)
    with engine.connect() as connection:
        result = {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (persons, entities, er_roles, population_generation)
        }
    engine.dispose()
    return result


def indexes(url: str) -> dict[str, set[str]]:
    engine = null_pool_sync_engine(url)
    with engine.connect() as connection:
        inspector = inspect(connection)
        result = {
            name: {str(ix["name"]) for ix in inspector.get_indexes(name) if str(ix["name"]).startswith("ix_")}
            for name in SECONDARY_INDEXES
        }
        result["foreign keys"] = {
            str(fk["name"]) for name in SECONDARY_INDEXES for fk in inspector.get_foreign_keys(name)
        }
    engine.dispose()
    return result


EMPTY = {"persons": 0, "entities": 0, "er_roles": 0, "population_generation": 0}


@dataclass
class FailingStage:
    error: BaseException
    name: str = "failing"
    order: int = 35
    tables: tuple[object, ...] = ()

    def run(self, context: StageContext) -> None:
        raise self.error

    def verify(self, check: VerifyContext) -> Iterator[Violation]:
        return iter(())


@pytest.mark.parametrize(
    "error",
    [pytest.param(RuntimeError("boom"), id="exception"), pytest.param(KeyboardInterrupt(), id="ctrl_c")],
)
def test_a_failing_stage_leaves_empty_tables_and_the_schema_intact(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    stages: tuple[Stage, ...] = (*discover_stages(), FailingStage(error))  # type: ignore[arg-type]
    monkeypatch.setattr(
        generate_module, "discover_stages", lambda: tuple(sorted(stages, key=lambda s: s.order))
    )

    with pytest.raises(type(error)):
        generate(migrated_url, small_options(persons=500, entities=40), env="test")

    assert counts(migrated_url) == EMPTY
    assert indexes(migrated_url) == {**SECONDARY_INDEXES, "foreign keys": FOREIGN_KEYS}
    monkeypatch.undo()
    generate(migrated_url, small_options(persons=500, entities=40), env="test")
    assert verify_population(migrated_url) == []


def _mark_interrupted(url: str, pid: int) -> None:
    engine = null_pool_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(update(population_generation).values(status="loading", pid=pid, finished_at=None))
    engine.dispose()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_stale_marker_makes_verify_and_digest_refuse_and_generate_clean_up(small_population: str) -> None:
    _mark_interrupted(small_population, _dead_pid())

    with pytest.raises(DataSetUnusable, match="incomplete"):
        verify_population(small_population)
    with pytest.raises(DataSetUnusable, match="incomplete"):
        digest_population(small_population)

    result = generate(small_population, small_options(), env="test")
    assert result.recovered
    assert verify_population(small_population) == []


def test_a_running_generation_is_not_disturbed(small_population: str) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _mark_interrupted(small_population, sleeper.pid)
        with pytest.raises(
            GenerationRefused, match=f"Another test-data run is in progress \\(process {sleeper.pid}"
        ):
            generate(small_population, small_options(), env="test")
        assert counts(small_population)["persons"] == 3_020
    finally:
        sleeper.kill()
        sleeper.wait()
    assert recover_interrupted_run(small_population) is True
    assert counts(small_population) == EMPTY


def test_a_killed_process_is_discovered_at_the_next_start(migrated_sqlite_url: str) -> None:
    env = {**os.environ, "PORTVAKT_DATABASE_URL": migrated_sqlite_url, "PORTVAKT_ENV": "test"}
    command = [
        sys.executable,
        "-m",
        "portvakt",
        "testdata",
        "generate",
        "--persons",
        "600000",
        "--entities",
        "100",
        "--workers",
        "1",
        "--no-progress",
        "--as-of",
        "2026-01-01",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while counts(migrated_sqlite_url)["persons"] == 0:
            assert process.poll() is None, "the generation ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert 0 < counts(migrated_sqlite_url)["persons"] < 600_000

    verify = subprocess.run(
        [sys.executable, "-m", "portvakt", "testdata", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 1
    assert "The test data set is incomplete (an interrupted or running generation)" in verify.stderr

    assert ensure_demo_population(migrated_sqlite_url, env="test", as_of=date(2026, 1, 1)) is True
    assert counts(migrated_sqlite_url) == {**counts(migrated_sqlite_url), "persons": 2_020, "entities": 334}
    assert verify_population(migrated_sqlite_url) == []


def test_ensure_demo_population_generates_once_and_never_in_prod(migrated_sqlite_url: str) -> None:
    assert ensure_demo_population(migrated_sqlite_url, env="prod") is False
    assert counts(migrated_sqlite_url) == EMPTY

    assert ensure_demo_population(migrated_sqlite_url, env="test", as_of=date(2026, 1, 1)) is True
    digest = digest_population(migrated_sqlite_url)
    assert ensure_demo_population(migrated_sqlite_url, env="test", as_of=date(2026, 1, 1)) is False
    assert digest_population(migrated_sqlite_url) == digest
    assert counts(migrated_sqlite_url)["persons"] == 2_020
