"""`portvakt testdata generate|verify|digest` (identifiers-and-testdata.md §6–§8), and the first-run hook."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine, Table, func, select

from portvakt.domain.clock import Clock, SystemClock
from portvakt.domain.errors import EnvironmentRefusal, PortvaktError
from portvakt.settings import TEST_PLATFORM_ORGNO
from portvakt.storage.engine import backend_of, null_pool_sync_engine
from portvakt.storage.migrate import current_revision, head_revision
from portvakt.testdata.bulk import (
    BulkWriter,
    analyze,
    drop_deferred_schema,
    empty_tables,
    restore_deferred_schema,
)
from portvakt.testdata.digest import population_digest
from portvakt.testdata.distributions import Share, all_shares
from portvakt.testdata.marker import (
    HEARTBEAT_SECONDS,
    Marker,
    beat,
    clear_marker,
    complete_marker,
    marker_state,
    read_marker,
    write_loading_marker,
)
from portvakt.testdata.model import AS_OF_WINDOW, ID_STYLES, SIZES
from portvakt.testdata.progress import StageProgress, progress_for
from portvakt.testdata.stages import (
    Plan,
    Stage,
    StageContext,
    VerifyContext,
    Violation,
    discover_stages,
    stage_tables,
)

KRR_FEED_HISTORY_LIMIT = 100_000
MIN_ENTITIES = 4  # KOMM ×2, FYLK, STAT


class GenerationRefused(EnvironmentRefusal):
    """A usage or environment refusal of the generator (CLI exit 2)."""


class DataSetUnusable(PortvaktError):
    """verify/digest on a missing or incomplete data set (CLI exit 1)."""


@dataclass(frozen=True)
class GenerateOptions:
    size: str = "demo"
    persons: int | None = None
    entities: int | None = None
    seed: int = 1
    as_of: date | None = None
    id_style: str = "tenor"
    workers: int | None = None
    batch_size: int = 10_000
    scenarios: bool = True
    replace: bool = False
    krr_feed_history: bool | None = None
    progress: bool = True
    report: Path | None = None


@dataclass
class GenerationResult:
    plan: Plan
    counts: dict[str, int]
    durations: dict[str, float]
    recovered: bool
    workers: int
    digest: str | None = None
    shares: list[Share] = field(default_factory=list)


def resolve_plan(options: GenerateOptions, *, backend: Any, platform_orgno: str, today: date) -> Plan:
    if options.size not in SIZES:
        raise GenerationRefused(f"--size must be one of {', '.join(SIZES)}")
    default_persons, default_entities = SIZES[options.size]
    persons = default_persons if options.persons is None else options.persons
    entities = default_entities if options.entities is None else options.entities
    if persons < 0:
        raise GenerationRefused("--persons must not be negative")
    if entities < MIN_ENTITIES:
        raise GenerationRefused(f"--entities must be at least {MIN_ENTITIES}")
    if options.id_style not in ID_STYLES:
        raise GenerationRefused(f"--id-style must be one of {', '.join(ID_STYLES)}")
    if options.batch_size < 1:
        raise GenerationRefused("--batch-size must be at least 1")
    as_of = options.as_of or today
    if options.scenarios and not AS_OF_WINDOW[0] <= as_of <= AS_OF_WINDOW[1]:
        raise GenerationRefused(
            f"--as-of {as_of.isoformat()} is outside {AS_OF_WINDOW[0].isoformat()} … "
            f"{AS_OF_WINDOW[1].isoformat()}, where the scenario ages hold; use --no-scenarios"
        )
    krr = options.krr_feed_history
    return Plan(
        seed=options.seed,
        persons=persons,
        entities=entities,
        as_of=as_of,
        id_style=options.id_style,
        scenarios=options.scenarios,
        krr_feed_history=persons <= KRR_FEED_HISTORY_LIMIT if krr is None else krr,
        platform_orgno=platform_orgno,
        backend=backend,
        batch_size=options.batch_size,
    )


def _require_migrated(engine: Engine) -> None:
    with engine.connect() as connection:
        if current_revision(connection) != head_revision():
            raise GenerationRefused("The database is not migrated: run `portvakt migrate` first")


def _has_rows(engine: Engine, tables: Sequence[Table]) -> bool:
    with engine.connect() as connection:
        return any(connection.execute(select(table).limit(1)).first() is not None for table in tables)


def _row_counts(engine: Engine, tables: Sequence[Table]) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t.name: int(connection.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables
        }


def recover_interrupted_run(database_url: str) -> bool:
    """Empty the tables of an interrupted run (stale marker). True if there was one to clean up."""
    engine = null_pool_sync_engine(database_url)
    try:
        return _recover(engine, stage_tables(discover_stages()), SystemClock())
    finally:
        engine.dispose()


def _recover(engine: Engine, tables: Sequence[Table], clock: Clock) -> bool:
    with engine.connect() as connection:
        marker = read_marker(connection)
    state = marker_state(marker, clock.now())
    if state == "running":
        assert marker is not None
        raise GenerationRefused(
            f"Another test-data run is in progress (process {marker.pid} on {marker.host})"
        )
    if state != "stale":
        return False
    _discard(engine, tables)
    return True


def _discard(engine: Engine, tables: Sequence[Table]) -> None:
    empty_tables(engine, tables)
    restore_deferred_schema(engine, tables)
    clear_marker(engine)


def generate(
    database_url: str,
    options: GenerateOptions,
    *,
    env: str,
    platform_orgno: str = TEST_PLATFORM_ORGNO,
    clock: Clock | None = None,
    console: Console | None = None,
    progress: StageProgress | None = None,
) -> GenerationResult:
    """Generate the population (all registered stages) into a migrated, empty (or --replace) database."""
    if env == "prod":
        raise GenerationRefused("Test data cannot be generated in the prod environment")
    clock = clock or SystemClock()
    console = console or Console(stderr=True)
    plan = resolve_plan(
        options, backend=backend_of(database_url), platform_orgno=platform_orgno, today=clock.now().date()
    )
    workers = options.workers or os.cpu_count() or 1
    engine = null_pool_sync_engine(database_url)
    try:
        _require_migrated(engine)
        stages = discover_stages()
        tables = stage_tables(stages)
        recovered = _recover(engine, tables, clock)
        if _has_rows(engine, tables):
            if not options.replace:
                raise GenerationRefused("Population data already exists: use --replace to generate it again")
            _discard(engine, tables)
        context = StageContext(
            plan=plan,
            engine=engine,
            writer=BulkWriter(
                engine,
                plan.backend,
                heartbeat=lambda: beat(engine, clock.now()),
                heartbeat_seconds=HEARTBEAT_SECONDS,
            ),
            workers=workers,
            progress=progress or progress_for(options.progress, console),
        )
        durations = _load(engine, stages, tables, context, clock)
        result = GenerationResult(plan, _row_counts(engine, tables), durations, recovered, workers)
        if options.report is not None:
            result.digest = population_digest(engine, tables)
            with engine.connect() as connection:
                result.shares = all_shares(connection, plan.as_of, plan.entities)
            write_report(options.report, result)
        return result
    finally:
        engine.dispose()


def _load(
    engine: Engine, stages: Sequence[Stage], tables: Sequence[Table], context: StageContext, clock: Clock
) -> dict[str, float]:
    write_loading_marker(engine, context.plan, tuple(s.name for s in stages), clock.now())
    durations: dict[str, float] = {}
    try:
        drop_deferred_schema(engine, tables)
        context.writer.open()
        try:
            for stage in stages:
                started = time.monotonic()
                stage.run(context)
                durations[stage.name] = time.monotonic() - started
        finally:
            context.writer.close()
        started = time.monotonic()
        restore_deferred_schema(engine, tables)
        analyze(engine, tables)
        durations["indexes"] = time.monotonic() - started
        complete_marker(engine, clock.now())
    except BaseException:
        _discard(engine, tables)  # an interrupted run leaves no half-written data set
        raise
    return durations


def write_report(path: Path, result: GenerationResult) -> None:
    plan = result.plan
    document = {
        "seed": plan.seed,
        "as_of": plan.as_of.isoformat(),
        "persons": plan.persons,
        "entities": plan.entities,
        "id_style": plan.id_style,
        "scenarios": plan.scenarios,
        "krr_feed_history": plan.krr_feed_history,
        "workers": result.workers,
        "batch_size": plan.batch_size,
        "counts": result.counts,
        "durations_seconds": {k: round(v, 3) for k, v in result.durations.items()},
        "distributions": [
            {
                "name": s.name,
                "target": round(s.target, 4),
                "achieved": round(s.achieved, 4),
                "n": s.population,
            }
            for s in result.shares
        ],
        "digest": result.digest,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- verify and digest ----------------------------------------------------------------------------------


def _complete_marker(engine: Engine) -> Marker:
    with engine.connect() as connection:
        marker = read_marker(connection)
    state = marker_state(marker, SystemClock().now())
    if state == "none":
        raise DataSetUnusable("No test data has been generated in this database")
    if state != "complete":
        raise DataSetUnusable("The test data set is incomplete (an interrupted or running generation)")
    assert marker is not None
    return marker


def verify_population(database_url: str, *, platform_orgno: str = TEST_PLATFORM_ORGNO) -> list[Violation]:
    """Every invariant of the registered stages; [] or the first violation class (with ≤ 20 examples)."""
    engine = null_pool_sync_engine(database_url)
    try:
        marker = _complete_marker(engine)
        with engine.connect() as connection:
            check = VerifyContext(
                connection=connection,
                as_of=marker.as_of,
                id_style=marker.id_style,
                scenarios=marker.scenarios,
                persons=marker.persons,
                entities=marker.entities,
                platform_orgno=platform_orgno,
            )
            for stage in discover_stages():
                for violation in stage.verify(check):
                    return [violation]
        return []
    finally:
        engine.dispose()


def digest_population(database_url: str) -> str:
    engine = null_pool_sync_engine(database_url)
    try:
        _complete_marker(engine)
        return population_digest(engine, stage_tables(discover_stages()))
    finally:
        engine.dispose()


def ensure_demo_population(
    database_url: str, *, env: str, as_of: date | None = None, platform_orgno: str = TEST_PLATFORM_ORGNO
) -> bool:
    """First run: generate the demo size with seed 1 when the population tables are empty (test only).

    Cleans up after an interrupted run first. Outside the scenario window of --as-of the scenarios are
    left out. Returns whether it generated.
    """
    if env == "prod":
        return False
    engine = null_pool_sync_engine(database_url)
    try:
        tables = stage_tables(discover_stages())
        _recover(engine, tables, SystemClock())
        if _has_rows(engine, tables):
            return False
    finally:
        engine.dispose()
    day = as_of or SystemClock().now().date()
    scenarios = AS_OF_WINDOW[0] <= day <= AS_OF_WINDOW[1]
    generate(
        database_url,
        GenerateOptions(size="demo", seed=1, as_of=day, workers=1, scenarios=scenarios, progress=False),
        env=env,
        platform_orgno=platform_orgno,
    )
    return True
