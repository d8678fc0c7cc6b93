"""First run: bring an empty installation to a usable state, and tell the operator where things are."""

from __future__ import annotations

from portvakt.commandline import stdout
from portvakt.settings import Settings
from portvakt.storage.migrate import upgrade


def prepare(settings: Settings, services: tuple[str, ...]) -> None:
    """Migrate; in test, load the demo data the first time. Idempotent."""
    upgrade(settings.database_url)


def print_welcome(settings: Settings, services: tuple[str, ...]) -> None:
    stdout.print(f"[bold]portvakt[/bold] ({settings.env.value}) on {settings.database_url.split('@')[-1]}")
    for name in services:
        stdout.print(f"  {name:<14} {settings.base_url(name)}/")
    stdout.print(f"  {'health':<14} {settings.public_base}/healthz  {settings.public_base}/readyz")
