"""CLI: the lookup audit (krr.md §11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from portvakt.commandline import EXIT_USAGE, cli_errors, emit_json, fail, settings_or_exit, stdout

lookup_audit_app = typer.Typer(help="The lookup audit of KRR and RRH (krr.md §11).", no_args_is_help=True)


class AuditService(StrEnum):
    KRR = "krr"
    RRH = "rrh"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def _moment(value: str | None, *, end: bool) -> datetime | None:
    """DATE (whole day; `--to` includes it) or an ISO 8601 timestamp (UTC when no offset)."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"portvakt lookup-audit find: invalid date {value!r} (YYYY-MM-DD or ISO 8601)", EXIT_USAGE)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@lookup_audit_app.command("find")
def find(
    identifier: Annotated[str, typer.Option("--id", help="Fødselsnummer or D-number (11 digits).")],
    service: Annotated[AuditService | None, typer.Option(help="Only this service.")] = None,
    occurred_from: Annotated[str | None, typer.Option("--from", help="From DATE (inclusive).")] = None,
    occurred_to: Annotated[str | None, typer.Option("--to", help="To DATE (inclusive).")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """List the lookups whose subjects include the person (hashed with every configured key)."""
    from portvakt.audit.keys import load_audit_keys
    from portvakt.audit.repository import find_events
    from portvakt.storage.engine import null_pool_sync_engine

    if len(identifier) != 11 or not identifier.isascii() or not identifier.isdigit():
        fail("portvakt lookup-audit find: --id must be 11 digits", EXIT_USAGE)
    start, end = _moment(occurred_from, end=False), _moment(occurred_to, end=True)
    settings = settings_or_exit()
    with cli_errors():
        keys = load_audit_keys(settings)
        engine = null_pool_sync_engine(settings.database_url)
        try:
            with engine.connect() as connection:
                events = find_events(
                    connection,
                    keys.digests(identifier),
                    service=service.value if service else None,
                    occurred_from=start,
                    occurred_to=end,
                )
        finally:
            engine.dispose()
    if output is OutputFormat.JSON:
        emit_json([event.as_json() for event in events])
        return
    table = Table("time", "service", "endpoint", "status", "consumer", "supplier", "client_id", "scopes")
    for event in events:
        table.add_row(
            event.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            event.service,
            event.endpoint,
            str(event.http_status),
            event.consumer_orgno or "",
            event.supplier_orgno or "",
            event.client_id or "",
            event.scopes,
        )
    stdout.print(table)
    stdout.print(f"{len(events)} event(s)", highlight=False)
