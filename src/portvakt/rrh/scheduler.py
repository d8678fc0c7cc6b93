"""The totalbestand triggers inside the service (rrh.md §10): daily at `PORTVAKT_RRH_TOTALBESTAND_TIME`
(Europe/Oslo) and at start-up when no file exists or the newest is older than 25 h."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from structlog.typing import FilteringBoundLogger

from portvakt.domain.clock import Clock
from portvakt.rrh.totalbestand import (
    BuildOutcome,
    TotalbestandBuildFailed,
    build_totalbestand,
    needs_build,
    remove_superseded,
)
from portvakt.web.logging import get_logger


def log() -> FilteringBoundLogger:
    """Looked up at the call: a logger bound at import would predate `configure_logging`."""
    return get_logger("portvakt.rrh.scheduler")


OSLO = ZoneInfo("Europe/Oslo")
CLEANUP_INTERVAL_SECONDS = 600.0


def next_run(now: datetime, at: str) -> datetime:
    """The next moment (after `now`) at local Oslo time `HH:MM`."""
    hour, minute = (int(part) for part in at.split(":"))
    local = now.astimezone(OSLO)
    candidate = datetime.combine(local.date(), time(hour, minute), tzinfo=OSLO)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour, minute), tzinfo=OSLO)
    return candidate


class TotalbestandScheduler:
    """Runs builds in a worker thread, one at a time in this process (other processes: the builder lock)."""

    def __init__(
        self,
        database_url: str,
        directory: Path,
        clock: Clock,
        at: str,
        *,
        tick: float = CLEANUP_INTERVAL_SECONDS,
    ) -> None:
        self.tick = tick
        self.database_url = database_url
        self.directory = directory
        self.clock = clock
        self.at = at
        self._lock = asyncio.Lock()
        self._startup: asyncio.Task[None] | None = None
        self._daily_task: asyncio.Task[None] | None = None

    async def build(self, trigger: str) -> BuildOutcome:
        async with self._lock:
            return await asyncio.to_thread(
                build_totalbestand, self.database_url, self.directory, self.clock, trigger
            )

    async def _guarded(self, trigger: str) -> None:
        try:
            await self.build(trigger)
        except TotalbestandBuildFailed:
            pass  # logged by the builder; the previous file stays current
        except Exception:
            log().exception("totalbestand_trigger_failed", trigger=trigger)

    async def _daily(self) -> None:
        """Wake at least every 10 minutes: remove superseded files (1 h after), build when due."""
        due = next_run(self.clock.now(), self.at)
        while True:
            remaining = (due - self.clock.now()).total_seconds()
            await asyncio.sleep(max(0.0, min(remaining, self.tick)))
            try:
                await asyncio.to_thread(remove_superseded, self.directory, self.clock)
            except OSError:
                log().exception("totalbestand_cleanup_failed")
            if self.clock.now() >= due:
                await self._guarded("schedule")
                due = next_run(self.clock.now(), self.at)

    async def start(self) -> None:
        if needs_build(self.directory, self.clock):
            self._startup = asyncio.create_task(self._guarded("startup"))
        self._daily_task = asyncio.create_task(self._daily())

    async def settled(self) -> None:
        """Wait until the start-up build (if any) has finished."""
        if self._startup is not None:
            await asyncio.shield(self._startup)

    async def stop(self) -> None:
        if self._daily_task is not None:
            self._daily_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._daily_task
        if self._startup is not None:
            await self._startup  # the build runs in a thread: let it finish before the engine goes away
        self._startup = self._daily_task = None
