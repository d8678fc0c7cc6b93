"""Shared pieces of every CLI command (maskinporten.md §1.5): settings, exit codes, --json output.

Exit codes: 0 success; 1 a validation or business-rule error (the API's text on stderr); 2 a usage error or
an environment refusal.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from portvakt.domain.errors import EnvironmentRefusal, PortvaktError
from portvakt.settings import Settings, SettingsError, load_settings
from portvakt.web.logging import configure_logging

EXIT_ERROR = 1
EXIT_USAGE = 2

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    stderr.print(message, markup=False, highlight=False)
    raise typer.Exit(code)


def settings_or_exit(**overrides: Any) -> Settings:
    """Settings for a command, with logs configured to stderr (stdout carries only the command's output)."""
    try:
        settings = load_settings(**overrides)
        settings.check_startup()
    except SettingsError as exc:
        fail(f"portvakt: {exc}", EXIT_USAGE)
    configure_logging(settings.effective_log_format, settings.log_level)
    return settings


@contextmanager
def cli_errors() -> Iterator[None]:
    """Map typed errors to exit codes: environment refusals → 2, other portvakt errors → 1."""
    try:
        yield
    except EnvironmentRefusal as exc:
        fail(exc.message, EXIT_USAGE)
    except PortvaktError as exc:
        fail(exc.message, EXIT_ERROR)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")
