"""CLI: RRH administration (rrh.md §14)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from portvakt.commandline import EXIT_ERROR, JsonOption, cli_errors, emit_json, fail, settings_or_exit, stdout

rrh_app = typer.Typer(help="The register of beneficial owners (rrh.md §14).", no_args_is_help=True)
totalbestand_app = typer.Typer(help="The daily bulk file (rrh.md §10).", no_args_is_help=True)
legal_basis_app = typer.Typer(help="Legal bases of RRH scope grants (rrh.md §13).", no_args_is_help=True)
rrh_app.add_typer(totalbestand_app, name="totalbestand")
rrh_app.add_typer(legal_basis_app, name="legal-basis")


class Lang(StrEnum):
    NOB = "nob"
    NNO = "nno"
    ENG = "eng"


@rrh_app.command("show")
def show(
    orgnr: Annotated[str, typer.Argument(help="Organisasjonsnummer.")],
    lang: Annotated[Lang, typer.Option("--lang", help="Language of kodenavn and country names.")] = Lang.NOB,
    history: Annotated[bool, typer.Option("--history", help="Include earlier registrations.")] = False,
) -> None:
    """Print an entity as the lookup API renders it (JSON, unscreened)."""
    from portvakt.rrh.codelists import code_lists
    from portvakt.rrh.errors import RrhError
    from portvakt.rrh.lookup import parse_path_orgnr
    from portvakt.rrh.render import Renderer
    from portvakt.rrh.store import load_entity_sync
    from portvakt.storage.engine import null_pool_sync_engine

    settings = settings_or_exit()
    try:
        parse_path_orgnr(orgnr)
    except RrhError as exc:
        fail(exc.message)
    engine = null_pool_sync_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            found = load_entity_sync(connection, orgnr)
    finally:
        engine.dispose()
    if found is None:
        fail("Virksomheten er ikke registreringspliktig i register over reelle rettighetshavere")
    registrations = (
        found.registrations if history else [item for item in found.registrations if item.is_current]
    )
    emit_json(Renderer(code_lists(), lang.value).entity(found.entity, registrations))


@rrh_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one Virksomhet per line, codes only.")],
    json_output: bool = JsonOption,
) -> None:
    """Validate every line against the §5 rules and replace each entity's registrations (all or nothing)."""
    from portvakt.rrh.importer import import_lines
    from portvakt.storage.engine import null_pool_sync_engine

    settings = settings_or_exit()
    if not file.is_file():
        fail(f"portvakt rrh import: no such file: {file}", 2)
    engine = null_pool_sync_engine(settings.database_url)
    try:
        with cli_errors(), engine.begin() as connection, file.open(encoding="utf-8") as lines:
            report = import_lines(connection, lines)
    finally:
        engine.dispose()
    if json_output:
        emit_json({"entities": report.entities, "registrations": report.registrations})
    else:
        stdout.print(f"Imported {report.entities} entities with {report.registrations} registrations")


@totalbestand_app.command("build")
def build(json_output: bool = JsonOption) -> None:
    """Build the totalbestand now and wait; prints count, size, ETag and duration."""
    from portvakt.domain.clock import SystemClock
    from portvakt.rrh.totalbestand import build_totalbestand

    settings = settings_or_exit()
    with cli_errors():
        outcome = build_totalbestand(
            settings.database_url, settings.rrh_totalbestand_directory, SystemClock(), "cli"
        )
    current = outcome.current
    if current is None:
        fail("Another process is building the totalbestand; this run was skipped", EXIT_ERROR)
    if json_output:
        emit_json(
            {
                "build_id": current.build_id,
                "file": current.file,
                "entity_count": current.entity_count,
                "size": current.size,
                "etag": current.etag,
                "duration_seconds": round(outcome.duration_seconds, 3),
            }
        )
        return
    stdout.print(
        f"Built {current.file}: {current.entity_count} entities, {current.size} bytes, "
        f'ETag "{current.etag}", {outcome.duration_seconds:.1f} s',
        highlight=False,
    )


@totalbestand_app.command("status")
def status(json_output: bool = JsonOption) -> None:
    """The current file and the latest builds."""
    from dataclasses import asdict

    from portvakt.rrh.totalbestand import build_history, read_current
    from portvakt.storage.engine import null_pool_sync_engine

    settings = settings_or_exit()
    current = read_current(settings.rrh_totalbestand_directory)
    engine = null_pool_sync_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            builds = build_history(connection)
    finally:
        engine.dispose()
    if json_output:
        emit_json({"current": asdict(current) if current else None, "builds": builds})
        return
    if current is None:
        stdout.print("No totalbestand yet")
    else:
        stdout.print(
            f"Current: {current.file} ({current.entity_count} entities, {current.size} bytes, "
            f'ETag "{current.etag}", finished {current.finished})',
            highlight=False,
        )
    table = Table("build_id", "status", "trigger", "started", "finished", "entities", "etag")
    for row in builds:
        table.add_row(
            row["build_id"],
            row["status"],
            row["trigger"],
            str(row["started_at"]),
            str(row["finished_at"] or ""),
            str(row["entity_count"] if row["entity_count"] is not None else ""),
            row["etag"] or "",
        )
    stdout.print(table)


@legal_basis_app.command("set")
def legal_basis_set(
    orgnr: Annotated[str, typer.Argument(help="The consumer's organisation number.")],
    scope: Annotated[str, typer.Argument(help="e.g. brreg:reelle/offentlig")],
    code: Annotated[str, typer.Argument(help="e.g. rrhf-3-11-1-a (rrh.md §13)")],
    json_output: bool = JsonOption,
) -> None:
    """Record the legal basis of a consumer's grant of an RRH scope."""
    from portvakt.domain.clock import SystemClock
    from portvakt.rrh.legal_basis import record_legal_basis_sync
    from portvakt.storage.engine import null_pool_sync_engine

    settings = settings_or_exit()
    engine = null_pool_sync_engine(settings.database_url)
    try:
        with cli_errors(), engine.begin() as connection:
            recorded = record_legal_basis_sync(
                connection,
                consumer_orgno=orgnr,
                scope=scope,
                code=code,
                recorded_at=SystemClock().now(),
                recorded_by="cli",
            )
    finally:
        engine.dispose()
    document: dict[str, Any] = {
        "consumer_orgno": recorded.consumer_orgno,
        "scope": recorded.scope,
        "code": recorded.code,
        "recorded_at": recorded.recorded_at.isoformat(),
        "recorded_by": recorded.recorded_by,
    }
    if json_output:
        emit_json(document)
    else:
        stdout.print(f"{recorded.consumer_orgno} {recorded.scope}: {recorded.code}", highlight=False)


@legal_basis_app.command("list")
def legal_basis_list(
    missing: Annotated[bool, typer.Option("--missing", help="Only grants without a basis.")] = False,
    json_output: bool = JsonOption,
) -> None:
    """Approved RRH grants and their legal basis."""
    from portvakt.rrh.legal_basis import list_grant_bases
    from portvakt.storage.engine import null_pool_sync_engine

    settings = settings_or_exit()
    engine = null_pool_sync_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = list_grant_bases(connection, missing_only=missing)
    finally:
        engine.dispose()
    if json_output:
        emit_json(
            [
                {
                    "consumer_orgno": row.consumer_orgno,
                    "scope": row.scope,
                    "code": row.code,
                    "recorded_at": row.recorded_at.isoformat() if row.recorded_at else None,
                    "recorded_by": row.recorded_by,
                }
                for row in rows
            ]
        )
        return
    table = Table("consumer", "scope", "legal basis", "recorded")
    for row in rows:
        table.add_row(
            row.consumer_orgno,
            row.scope,
            row.code or "(missing)",
            row.recorded_at.isoformat() if row.recorded_at else "",
        )
    stdout.print(table)
