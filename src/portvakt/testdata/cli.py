"""CLI: Synthetic test population (`portvakt testdata generate|verify|digest`, §6 of the spec)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from portvakt.commandline import EXIT_ERROR, EXIT_USAGE, fail, settings_or_exit, stderr, stdout
from portvakt.testdata.generate import (
    DataSetUnusable,
    GenerateOptions,
    GenerationRefused,
    digest_population,
    generate,
    verify_population,
)

testdata_app = typer.Typer(help="Synthetic test population", no_args_is_help=True)


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        fail(f"--as-of must be a date YYYY-MM-DD, got {value!r}", EXIT_USAGE)


@testdata_app.command("generate")
def generate_command(  # noqa: PLR0917 — one parameter per CLI option
    size: Annotated[
        str, typer.Option(help="demo (2 000 persons, 300 entities) or full (5.5 M, 1.1 M).")
    ] = "demo",
    persons: Annotated[int | None, typer.Option(help="Persons (overrides --size).")] = None,
    entities: Annotated[int | None, typer.Option(help="Entities (overrides --size).")] = None,
    seed: Annotated[int, typer.Option(help="Any integer.")] = 1,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reference date YYYY-MM-DD (default today, UTC).")
    ] = None,
    id_style: Annotated[str, typer.Option("--id-style", help="tenor, plus40 or ordinary.")] = "tenor",
    workers: Annotated[
        int | None, typer.Option(min=1, help="Generation processes (default: CPU count).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per insert batch.")] = 10_000,
    krr_feed_history: Annotated[
        bool | None,
        typer.Option(
            "--krr-feed-history/--no-krr-feed-history", help="One KRR change per person (default ≤ 100 000)."
        ),
    ] = None,
    no_scenarios: Annotated[
        bool, typer.Option("--no-scenarios", help="Skip the fixed scenarios of §10.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Empty the population tables first.")] = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress output.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write a JSON report to this file.")] = None,
) -> None:
    """Generate the deterministic synthetic test population (refused in prod)."""
    settings = settings_or_exit()
    if settings.is_prod:
        fail("Test data cannot be generated in the prod environment", EXIT_USAGE)
    options = GenerateOptions(
        size=size,
        persons=persons,
        entities=entities,
        seed=seed,
        as_of=_parse_date(as_of),
        id_style=id_style,
        workers=workers,
        batch_size=batch_size,
        scenarios=not no_scenarios,
        replace=replace,
        krr_feed_history=krr_feed_history,
        progress=not no_progress,
        report=report,
    )
    try:
        result = generate(
            settings.database_url,
            options,
            env=settings.env.value,
            platform_orgno=settings.platform_orgno or "",
            console=stderr,
        )
    except GenerationRefused as exc:
        fail(exc.message, EXIT_USAGE)
    if result.recovered:
        stdout.print("Removed the incomplete data set of an interrupted run first.")
    plan = result.plan
    stdout.print(
        f"Test data generated: seed {plan.seed}, as-of {plan.as_of.isoformat()}, id style {plan.id_style},"
        f" {result.workers} workers"
    )
    table = Table("table", "rows", title="Population")
    for name, count in result.counts.items():
        table.add_row(name, f"{count:,}")
    stdout.print(table)
    timings = Table("stage", "seconds", title="Durations")
    for name, seconds in result.durations.items():
        timings.add_row(name, f"{seconds:.1f}")
    stdout.print(timings)
    if result.digest:
        stdout.print(f"digest {result.digest}")


@testdata_app.command("verify")
def verify_command() -> None:
    """Check every invariant of the generated data set; exit 1 on the first violation class."""
    settings = settings_or_exit()
    try:
        violations = verify_population(settings.database_url, platform_orgno=settings.platform_orgno or "")
    except DataSetUnusable as exc:
        fail(exc.message, EXIT_ERROR)
    if not violations:
        stdout.print("Test data verified: every invariant holds.")
        return
    for violation in violations:
        stderr.print(f"{violation.rule}: {violation.description}", markup=False, highlight=False)
        for example in violation.examples:
            stderr.print(f"  {example}", markup=False, highlight=False)
    raise typer.Exit(EXIT_ERROR)


@testdata_app.command("digest")
def digest_command() -> None:
    """SHA-256 over every population table as canonical JSON lines (§7)."""
    settings = settings_or_exit()
    try:
        digest = digest_population(settings.database_url)
    except DataSetUnusable as exc:
        fail(exc.message, EXIT_ERROR)
    stdout.print(digest, markup=False, highlight=False)
