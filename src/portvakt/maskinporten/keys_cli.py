"""CLI: issuer signing keys (maskinporten.md §12.3): `portvakt keys list|rotate [--service] [--now]`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from portvakt.commandline import (
    EXIT_ERROR,
    EXIT_USAGE,
    JsonOption,
    cli_errors,
    emit_json,
    fail,
    settings_or_exit,
    stdout,
)
from portvakt.domain.clock import SystemClock
from portvakt.storage.engine import Database
from portvakt.storage.signing_keys import (
    SIGNING_SERVICES,
    KeyInfo,
    SigningKeyManager,
    create_signing_key_manager,
)

keys_app = typer.Typer(help="Issuer signing keys (maskinporten.md §12.3).", no_args_is_help=True)

T = TypeVar("T")

ServiceOption = Annotated[str, typer.Option("--service", help=f"Whose keys: {', '.join(SIGNING_SERVICES)}.")]


def _run(service: str, action: Callable[[SigningKeyManager], Awaitable[T]]) -> T:
    if service not in SIGNING_SERVICES:
        fail(
            f"portvakt keys: unknown service {service!r}; choose from {', '.join(SIGNING_SERVICES)}",
            EXIT_USAGE,
        )
    settings = settings_or_exit()

    async def main() -> T:
        database = Database.connect(settings.database_url)
        try:
            return await action(create_signing_key_manager(settings, database, SystemClock(), service))
        finally:
            await database.dispose()

    with cli_errors():
        try:
            return asyncio.run(main())
        except DBAPIError as exc:
            fail(
                f"portvakt keys: the database cannot be read ({type(exc.orig).__name__}); "
                "is it reachable and migrated (`portvakt migrate`)?",
                EXIT_ERROR,
            )


def _time(value: object) -> str:
    return "-" if value is None else str(value)


def _print_keys(service: str, keys: list[KeyInfo]) -> None:
    if not keys:
        stdout.print(f"No {service} signing keys yet (the first is created when the service starts).")
        return
    table = Table(title=f"{service} signing keys")
    for column in ("generation", "kid", "state", "publish_at", "activate_at", "retire_at", "remove_at"):
        table.add_column(column, no_wrap=column == "kid")
    for key in keys:
        table.add_row(
            str(key.generation),
            key.kid,
            key.state.value,
            _time(key.publish_at),
            _time(key.activate_at),
            _time(key.retire_at),
            _time(key.remove_at),
        )
    stdout.print(table)


@keys_app.command("list")
def list_keys(service: ServiceOption = "maskinporten", json_output: bool = JsonOption) -> None:
    """List a service's signing keys with their state and life-cycle times."""
    keys = _run(service, lambda manager: manager.list_keys())
    if json_output:
        emit_json({"service": service, "keys": [key.as_json() for key in keys]})
    else:
        _print_keys(service, keys)


@keys_app.command("rotate")
def rotate(
    service: ServiceOption = "maskinporten",
    now: Annotated[
        bool,
        typer.Option(
            "--now", help="Emergency: activate a new key immediately and retire the current one at once."
        ),
    ] = False,
    json_output: bool = JsonOption,
) -> None:
    """Schedule the next signing key (published now, active after the pre-publish period)."""
    result = _run(service, lambda manager: manager.rotate(now=now))
    if json_output:
        emit_json(
            {
                "service": service,
                "created": result.created,
                "key": result.key.as_json(),
                "retired": list(result.retired),
                "withdrawn": list(result.withdrawn),
            }
        )
        return
    key = result.key
    if not result.created:
        stdout.print(
            f"A successor is already scheduled: {key.kid} (generation {key.generation}), "
            f"active from {key.activate_at}"
        )
        return
    if key.state.value == "active":
        stdout.print(f"New {service} signing key {key.kid} (generation {key.generation}) is active now")
    else:
        stdout.print(
            f"New {service} signing key {key.kid} (generation {key.generation}) is published; "
            f"active from {key.activate_at}"
        )
    for kid in result.retired:
        stdout.print(f"Retired {kid}; it stays in the JWKS until its tokens have expired")
    for kid in result.withdrawn:
        stdout.print(f"Withdrew the scheduled key {kid}")
