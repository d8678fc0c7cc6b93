"""First run: bring an installation to a usable state, and tell the operator where things are."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from portvakt.commandline import stdout
from portvakt.domain.clock import SystemClock
from portvakt.portal.idporten_login import ensure_client as ensure_portal_client
from portvakt.registry.demo import DemoClient, ensure_demo_client
from portvakt.registry.repository import bootstrap_platform
from portvakt.settings import Settings
from portvakt.storage.engine import Database
from portvakt.storage.migrate import upgrade
from portvakt.testdata.generate import ensure_demo_population


@dataclass(frozen=True)
class FirstRun:
    population_generated: bool
    demo_client: DemoClient | None


async def _registry(settings: Settings) -> DemoClient | None:
    database = Database.connect(settings.database_url)
    try:
        if settings.is_prod:
            await bootstrap_platform(settings, database, SystemClock())
            await ensure_portal_client(settings, database, SystemClock())
            return None
        demo = await ensure_demo_client(settings, database, SystemClock())
        await ensure_portal_client(settings, database, SystemClock())  # selvbetjening.md §7, §8.1
        return demo
    finally:
        await database.dispose()


def prepare(settings: Settings) -> FirstRun:
    """Migrate; bootstrap the platform organisation (selvbetjening.md §7); in test, the first time, the
    demo population and a ready demo client. Idempotent: every start may run it."""
    upgrade(settings.database_url)
    generated = ensure_demo_population(
        settings.database_url, env=settings.env.value, platform_orgno=settings.platform_orgno or ""
    )
    return FirstRun(population_generated=generated, demo_client=asyncio.run(_registry(settings)))


def print_welcome(settings: Settings, services: tuple[str, ...], first_run: FirstRun | None) -> None:
    stdout.print(f"[bold]portvakt[/bold] ({settings.env.value}) on {settings.database_url.split('@')[-1]}")
    if first_run is not None and first_run.population_generated:
        stdout.print("  generated the demo population (portvakt testdata verify checks it)")
    for name in services:
        stdout.print(f"  {name:<14} {settings.base_url(name)}/")
    stdout.print(f"  {'health':<14} {settings.public_base}/healthz  {settings.public_base}/readyz")
    demo = first_run.demo_client if first_run is not None else None
    if demo is not None and "maskinporten" in services:
        stdout.print("\nGet a Maskinporten token with the demo client:", highlight=False)
        command = f"portvakt token --client-id {demo.client_id} --key {demo.key_file} --scope {demo.scope}"
        stdout.print(
            f"  {command} --decode",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
