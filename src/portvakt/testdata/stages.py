"""The extension point of the generator: stages (§6–§9), each owning tables and writing them.

A stage is any object with `name`, `order`, `tables` (owned, in dependency order), `run(context)` and
`verify(check)`. The built-in stages are persons (10), entities (20), roles (30) and scenarios (40);
later stages (KRR, RRH, Altinn) live in their own packages: a module `portvakt.<package>.testdata_stages`
with a tuple `STAGES` is discovered and registered automatically, no change here needed.

What a stage gets (`StageContext`): the `Plan` (seed, sizes, as-of, id style, `krr_feed_history`, backend,
batch size); `rng_for(plan.seed, stream, chunk)` from `streams`; `map_chunks` to generate chunks in the
worker processes (results in task order); `writer.write(pack(...))` / `writer.write_rows(...)` to load rows
(COPY on PostgreSQL, executemany on SQLite; `pack` runs in the workers); and the `artifacts` of earlier
stages: `person_pool` (living persons aged 20–85 as packed 8-byte entries, `persons.unpack_pool_entry`),
`role_pools`, `entity_facts` (numbers, forms, classes of the generated entities) and `stat_orgnr`. The
tables a stage lists are emptied by `--replace` and after an interrupted run, have their secondary
indexes and foreign keys deferred during the load, and are part of `digest`.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy import Connection, Engine, Table

from portvakt.storage.engine import Backend
from portvakt.testdata.bulk import BulkWriter
from portvakt.testdata.parallel import map_ordered
from portvakt.testdata.progress import StageProgress

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Plan:
    """Everything that determines the rows (§7 contract), plus the batch size and backend (which do not)."""

    seed: int
    persons: int
    entities: int
    as_of: date
    id_style: str  # tenor | plus40 | ordinary
    scenarios: bool
    krr_feed_history: bool
    platform_orgno: str
    backend: Backend
    batch_size: int

    @property
    def synthetic(self) -> str | None:
        return None if self.id_style == "ordinary" else self.id_style


@dataclass
class StageContext:
    plan: Plan
    engine: Engine
    writer: BulkWriter
    workers: int
    progress: StageProgress
    artifacts: dict[str, Any] = field(default_factory=dict)  # in-memory results shared between stages
    distributions: dict[str, Any] = field(default_factory=dict)  # achieved vs target, for the report

    def map_chunks(
        self,
        function: Callable[[T], R],
        tasks: Iterable[T],
        *,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> Iterator[R]:
        return map_ordered(function, tasks, workers=self.workers, initializer=initializer, initargs=initargs)


@dataclass(frozen=True)
class Violation:
    rule: str
    description: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifyContext:
    connection: Connection
    as_of: date
    id_style: str
    scenarios: bool
    persons: int
    entities: int
    platform_orgno: str


@runtime_checkable
class Stage(Protocol):
    name: str
    order: int
    tables: tuple[Table, ...]

    def run(self, context: StageContext) -> None: ...

    def verify(self, check: VerifyContext) -> Iterator[Violation]: ...


BUILTIN_STAGE_MODULES = (
    "portvakt.testdata.persons",
    "portvakt.testdata.entities",
    "portvakt.testdata.roles",
    "portvakt.testdata.scenarios",
)
STAGE_MODULE_NAME = "testdata_stages"


def _stage_modules() -> list[str]:
    import portvakt

    names = list(BUILTIN_STAGE_MODULES)
    for info in sorted(pkgutil.iter_modules(portvakt.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        candidate = f"portvakt.{info.name}.{STAGE_MODULE_NAME}"
        if importlib.util.find_spec(candidate) is not None:
            names.append(candidate)
    return names


def discover_stages() -> tuple[Stage, ...]:
    """Every stage: the built-in ones and those of `portvakt.*.testdata_stages`, by `order`."""
    stages: dict[str, Stage] = {}
    for module_name in _stage_modules():
        module = importlib.import_module(module_name)
        for stage in getattr(module, "STAGES", ()):
            if not isinstance(stage, Stage):
                raise TypeError(f"{module_name}: {stage!r} is not a testdata Stage")
            if stage.name in stages:
                raise ValueError(f"two testdata stages are called {stage.name!r}")
            stages[stage.name] = stage
    return tuple(sorted(stages.values(), key=lambda s: (s.order, s.name)))


def stage_tables(stages: Iterable[Stage]) -> tuple[Table, ...]:
    """The tables of these stages, each once, in stage order (parents before children)."""
    seen: dict[str, Table] = {}
    for stage in stages:
        for table in stage.tables:
            seen.setdefault(table.name, table)
    return tuple(seen.values())
