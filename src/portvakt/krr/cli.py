"""CLI: KRR administration (krr.md §12). Every write goes through the service layer of the API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from portvakt.commandline import EXIT_USAGE, JsonOption, cli_errors, emit_json, fail, settings_or_exit, stdout

krr_app = typer.Typer(help="The contact and reservation register (krr.md §12).", no_args_is_help=True)
person_app = typer.Typer(help="Persons in the register.", no_args_is_help=True)
feed_app = typer.Typer(help="The change feed (krr.md §8).", no_args_is_help=True)
consumer_app = typer.Typer(help="Blocked consumers and suppliers (krr.md §2.2).", no_args_is_help=True)
signing_app = typer.Typer(help="The response-signing certificate (krr.md §9).", no_args_is_help=True)
krr_app.add_typer(person_app, name="person")
krr_app.add_typer(feed_app, name="feed")
krr_app.add_typer(consumer_app, name="consumer")
krr_app.add_typer(signing_app, name="signing")

T = TypeVar("T")


def _run(work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run `work(settings, database)` on a fresh database handle; typed errors → exit codes."""
    from portvakt.storage.engine import Database

    settings = settings_or_exit()

    async def main() -> T:
        database = Database.connect(settings.database_url)
        try:
            return await work(settings, database)
        finally:
            await database.dispose()

    with cli_errors():
        return asyncio.run(main())
    raise AssertionError("unreachable")  # pragma: no cover


def _identifier(value: str) -> str:
    if len(value) != 11 or not value.isascii() or not value.isdigit():
        fail("portvakt krr: the identifier must be 11 digits", EXIT_USAGE)
    return value


def _orgnr(value: str) -> str:
    from portvakt.domain.identifiers import is_valid_orgnr

    if not is_valid_orgnr(value):
        fail(f"portvakt krr: invalid organisation number {value!r}", EXIT_USAGE)
    return value


def _internal(record: Any) -> dict[str, Any]:
    from portvakt.krr.model import format_timestamp

    return {
        name: format_timestamp(value) if hasattr(value, "tzinfo") and value is not None else value
        for name, value in record.as_row().items()
        if value is not None
    }


@person_app.command("show")
def person_show(identifier: Annotated[str, typer.Argument(help="Fødselsnummer or D-number.")]) -> None:
    """The stored record (all fields), or IKKE_REGISTRERT."""
    from portvakt.domain.clock import SystemClock
    from portvakt.krr.service import KrrService

    pid = _identifier(identifier)

    async def work(_settings: Any, database: Any) -> Any:
        return await KrrService.create(database, SystemClock()).person(pid)

    record = _run(work)
    emit_json(
        {"personidentifikator": pid, "status": "IKKE_REGISTRERT"} if record is None else _internal(record)
    )


@person_app.command("set")
def person_set(  # noqa: PLR0917  # one parameter per §12 option
    identifier: Annotated[str, typer.Argument(help="Fødselsnummer or D-number.")],
    epost: Annotated[str | None, typer.Option("--epost", help="E-mail address (empty: remove).")] = None,
    mobil: Annotated[str | None, typer.Option("--mobil", help="Mobile number (empty: remove).")] = None,
    reservasjon: Annotated[str | None, typer.Option("--reservasjon", help="JA or NEI.")] = None,
    spraak: Annotated[str | None, typer.Option("--spraak", help="nb, nn, en or se (empty: remove).")] = None,
    postkasse: Annotated[
        str | None, typer.Option("--postkasse", help="Postbox address (empty: remove).")
    ] = None,
    leverandoer: Annotated[
        str | None, typer.Option("--leverandoer", help="Postbox provider org number.")
    ] = None,
    bekreft: Annotated[
        bool, typer.Option("--bekreft", help="Confirm the registered channels as correct.")
    ] = False,
) -> None:
    """Create or change a person (new persons become AKTIV, reservation NEI); one feed change."""
    from portvakt.domain.clock import SystemClock
    from portvakt.krr.certificates import ensure_provider_certificate
    from portvakt.krr.service import KrrService, PersonEdit

    pid = _identifier(identifier)
    if leverandoer is not None:
        _orgnr(leverandoer)
    with cli_errors():
        edit = PersonEdit(epost, mobil, reservasjon, spraak, postkasse, leverandoer, bekreft)

    async def work(settings: Any, database: Any) -> Any:
        clock = SystemClock()
        certificate_id = None
        if edit.leverandoer is not None and edit.postkasse:
            certificate_id = await ensure_provider_certificate(database, settings, clock, edit.leverandoer)
        return await KrrService.create(database, clock).update_person(
            pid, edit, certificate_id=certificate_id
        )

    emit_json(_internal(_run(work)))


@person_app.command("delete")
def person_delete(identifier: Annotated[str, typer.Argument(help="Fødselsnummer or D-number.")]) -> None:
    """Status SLETTET: contact information, language and postbox are removed; one feed change."""
    from portvakt.domain.clock import SystemClock
    from portvakt.krr.service import KrrService

    pid = _identifier(identifier)

    async def work(_settings: Any, database: Any) -> Any:
        return await KrrService.create(database, SystemClock()).delete_person(pid)

    emit_json(_internal(_run(work)))


@krr_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="JSON Lines: one internal record per line (§5.2 timestamps).")],
    json_output: bool = JsonOption,
) -> None:
    """Validate every line (§3 invariants) and store them all in one transaction, one feed change each."""
    from portvakt.domain.clock import SystemClock
    from portvakt.domain.errors import ValidationError
    from portvakt.krr.service import KrrService, record_from_import

    if not file.is_file():
        fail(f"portvakt krr import: no such file: {file}", EXIT_USAGE)
    records = []
    with file.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
                if not isinstance(document, dict):
                    raise ValidationError("a JSON object is required")
                records.append(record_from_import(document))
            except (ValueError, ValidationError) as exc:
                message = exc.message if isinstance(exc, ValidationError) else "not valid JSON"
                fail(f"portvakt krr import: line {number}: {message}")

    async def work(_settings: Any, database: Any) -> int:
        return await KrrService.create(database, SystemClock()).import_records(records)

    count = _run(work)
    if json_output:
        emit_json({"persons": count})
    else:
        stdout.print(f"{count} person(s) imported", highlight=False)


@feed_app.command("tail")
def feed_tail(
    start: Annotated[int, typer.Option("--from", min=0, help="Changes after this id.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000, help="At most this many.")] = 100,
) -> None:
    """The changes after an id (id, person, time, cause), oldest first, as JSON lines."""
    from portvakt.krr import store

    async def work(_settings: Any, database: Any) -> list[dict[str, Any]]:
        async with database.engine.connect() as connection:
            return await store.feed_tail(connection, start, limit)

    for change in _run(work):
        typer.echo(json.dumps(change, ensure_ascii=False))


@consumer_app.command("block")
def consumer_block(orgnr: Annotated[str, typer.Argument(help="Organisation number.")]) -> None:
    """Refuse every KRR request whose consumer or supplier is this organisation (403)."""
    from portvakt.domain.clock import SystemClock
    from portvakt.krr import store

    _orgnr(orgnr)

    async def work(_settings: Any, database: Any) -> bool:
        async with database.engine.begin() as connection:
            return await store.block(connection, orgnr, SystemClock().now())

    changed = _run(work)
    stdout.print(f"{orgnr} {'blocked' if changed else 'was already blocked'}", highlight=False)


@consumer_app.command("unblock")
def consumer_unblock(orgnr: Annotated[str, typer.Argument(help="Organisation number.")]) -> None:
    from portvakt.krr import store

    _orgnr(orgnr)

    async def work(_settings: Any, database: Any) -> bool:
        async with database.engine.begin() as connection:
            return await store.unblock(connection, orgnr)

    changed = _run(work)
    stdout.print(f"{orgnr} {'unblocked' if changed else 'was not blocked'}", highlight=False)


@consumer_app.command("list")
def consumer_list(json_output: bool = JsonOption) -> None:
    from portvakt.krr import store

    async def work(_settings: Any, database: Any) -> list[tuple[str, Any]]:
        async with database.engine.connect() as connection:
            return await store.blocked_list(connection)

    blocked = _run(work)
    if json_output:
        emit_json([{"orgnr": orgnr, "blocked_at": str(at)} for orgnr, at in blocked])
        return
    table = Table("orgnr", "blocked_at")
    for orgnr, at in blocked:
        table.add_row(orgnr, str(at))
    stdout.print(table)


@signing_app.command("show")
def signing_show() -> None:
    """The signing certificate in use (created at first use in test)."""
    from portvakt.domain.clock import SystemClock
    from portvakt.krr.signing import signing_material

    async def work(settings: Any, database: Any) -> dict[str, str]:
        material = await signing_material(database, settings, SystemClock())
        return material.describe() | {"chain_pem": material.chain_pem()}

    emit_json(_run(work))


@signing_app.command("renew")
def signing_renew() -> None:
    """A new key and certificate from the test CA (test only); running servers pick it up at restart."""
    from portvakt.domain.clock import SystemClock
    from portvakt.domain.errors import EnvironmentRefusal
    from portvakt.krr.signing import SigningStore

    async def work(settings: Any, database: Any) -> dict[str, str]:
        if settings.is_prod:
            raise EnvironmentRefusal("In prod the signing key comes from PORTVAKT_KRR_SIGNING_KEY_FILE")
        return (await SigningStore(database, settings, SystemClock()).renew()).describe()

    emit_json(_run(work))
