"""The `portvakt` console script: one Typer app with a command group per area (maskinporten.md §1.5)."""

from __future__ import annotations

import importlib
import os
from typing import Annotated

import typer

from portvakt.commandline import EXIT_USAGE, JsonOption, emit_json, fail, settings_or_exit, stdout

app = typer.Typer(
    name="portvakt",
    help="portvakt: Maskinporten, ID-porten, Samarbeidsportalen, KRR, RRH and Altinn as real services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups: (module, attribute, name). Each module owns its group's commands.
COMMAND_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("portvakt.testdata.cli", "testdata_app", "testdata"),
    ("portvakt.maskinporten.testca_cli", "testca_app", "testca"),
    ("portvakt.maskinporten.testca_cli", "testcert_app", "testcert"),
    ("portvakt.maskinporten.keys_cli", "keys_app", "keys"),
    ("portvakt.registry.cli", "admin_app", "admin"),
    ("portvakt.rrh.cli", "rrh_app", "rrh"),
    ("portvakt.krr.cli", "krr_app", "krr"),
    ("portvakt.altinn.cli", "altinn_app", "altinn"),
    ("portvakt.audit.cli", "lookup_audit_app", "lookup-audit"),
)
# Single commands: (module, attribute, name).
COMMANDS: tuple[tuple[str, str, str], ...] = (("portvakt.client.cli", "token", "token"),)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="Port (default: the port of PORTVAKT_PUBLIC_BASE).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    only: Annotated[str | None, typer.Option(help="Comma list of services to run, e.g. krr,rrh.")] = None,
    first_run: Annotated[
        bool,
        typer.Option(
            "--first-run/--no-first-run", help="Migrate and load demo data when the database is new."
        ),
    ] = True,
) -> None:
    """Run the platform (all six services by default) with uvicorn."""
    from urllib.parse import urlsplit

    import uvicorn

    from portvakt.app import create_app, parse_only
    from portvakt.bootstrap import prepare, print_welcome

    settings = settings_or_exit()
    try:
        services = parse_only(only)
    except ValueError as exc:
        fail(f"portvakt serve: {exc}", EXIT_USAGE)
    print_welcome(settings, services, prepare(settings) if first_run else None)
    bind_port = port or urlsplit(settings.public_base).port or 8080
    if workers == 1:
        uvicorn.run(
            create_app(settings, only=services), host=host, port=bind_port, log_config=None, access_log=False
        )
        return
    os.environ["PORTVAKT_SERVE_ONLY"] = ",".join(services)
    uvicorn.run(
        "portvakt.app:app_factory",
        factory=True,
        host=host,
        port=bind_port,
        workers=workers,
        log_config=None,
        access_log=False,
        timeout_worker_healthcheck=60,  # a worker still importing on a busy host is not hung
    )


@app.command()
def migrate(json_output: bool = JsonOption) -> None:
    """Apply the database migrations (safe to run again)."""
    from portvakt.storage.migrate import head_revision, upgrade

    settings = settings_or_exit()
    upgrade(settings.database_url)
    if json_output:
        emit_json({"database": settings.database_url.split("@")[-1], "revision": head_revision()})
    else:
        stdout.print(f"Database migrated to {head_revision()}")


def _register_groups() -> None:
    for module_name, attribute, name in COMMAND_GROUPS:
        module = importlib.import_module(module_name)
        app.add_typer(getattr(module, attribute), name=name)
    for module_name, attribute, name in COMMANDS:
        module = importlib.import_module(module_name)
        app.command(name=name)(getattr(module, attribute))


_register_groups()


def main() -> None:
    app()
