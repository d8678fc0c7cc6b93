"""Benchmark of the test-data generator (identifiers-and-testdata.md §7): rows/s per stage and peak memory.

    .venv/bin/python -m bench.testdata                                   # SQLite in a temporary directory
    .venv/bin/python -m bench.testdata --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python -m bench.testdata --check-shares                     # §11.5: 200 000 persons, ±1 pp

The database is migrated and any existing population replaced. Peak RSS is the larger of this process and
its largest child (resource.getrusage of SELF and CHILDREN).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from portvakt.storage.engine import backend_of, null_pool_sync_engine
from portvakt.storage.migrate import upgrade
from portvakt.testdata.distributions import Share, all_shares
from portvakt.testdata.generate import GenerateOptions, GenerationResult, generate

AS_OF = date(2026, 1, 1)
SHARE_TOLERANCE_PP = 1.0


def peak_rss_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run(
    url: str, persons: int, entities: int, workers: int | None, batch_size: int, seed: int
) -> GenerationResult:
    upgrade(url)
    options = GenerateOptions(
        persons=persons,
        entities=entities,
        seed=seed,
        as_of=AS_OF,
        workers=workers,
        batch_size=batch_size,
        replace=True,
        progress=True,
    )
    return generate(url, options, env="test", console=Console(stderr=True))


def print_figures(console: Console, url: str, result: GenerationResult, wall: float) -> None:
    own, children = peak_rss_mib()
    table = Table("stage", "rows", "seconds", "rows/s", title=f"testdata on {backend_of(url)}")
    rows_per_stage = {
        "persons": result.plan.persons,
        "entities": result.plan.entities,
        "roles": result.counts.get("er_roles", 0),
    }
    for stage, seconds in result.durations.items():
        rows = rows_per_stage.get(stage)
        rate = f"{rows / seconds:,.0f}" if rows and seconds else "-"
        table.add_row(stage, f"{rows:,}" if rows else "-", f"{seconds:.1f}", rate)
    table.add_row("total (wall)", "", f"{wall:.1f}", "")
    console.print(table)
    console.print(
        f"workers {result.workers}, batch size {result.plan.batch_size}; "
        f"peak RSS: main {own:,.0f} MiB, largest child {children:,.0f} MiB"
    )


def check_shares(console: Console, url: str, result: GenerationResult) -> bool:
    engine = null_pool_sync_engine(url)
    with engine.connect() as connection:
        shares: list[Share] = all_shares(connection, result.plan.as_of, result.plan.entities)
    engine.dispose()
    table = Table("share", "target %", "achieved %", "n", "ok", title="§8 shares (±1 pp)")
    ok = True
    for share in shares:
        good = abs(share.deviation) <= SHARE_TOLERANCE_PP
        ok &= good
        table.add_row(
            share.name,
            f"{share.target:.3f}",
            f"{share.achieved:.3f}",
            f"{share.population:,}",
            "yes" if good else "NO",
        )
    console.print(table)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--entities", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check-shares", action="store_true", help="200 000 persons; every §8 share ±1 pp")
    args = parser.parse_args()
    console = Console()
    persons, entities = args.persons, args.entities
    if args.check_shares:
        persons, entities = 200_000, 40_000
    with tempfile.TemporaryDirectory() as directory:
        url = args.database_url or f"sqlite:///{Path(directory) / 'bench.db'}"
        started = time.monotonic()
        result = run(url, persons, entities, args.workers, args.batch_size, args.seed)
        print_figures(console, url, result, time.monotonic() - started)
        if args.check_shares and not check_shares(console, url, result):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
