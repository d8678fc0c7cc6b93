"""Background jobs that repeat while a process runs (replay purge, signing-key refresh)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from portvakt.web.logging import get_logger

log = get_logger("portvakt.periodic")


class PeriodicJob:
    """Runs `action` every `interval` seconds until stopped; a failed run is logged, the next one follows."""

    def __init__(self, name: str, interval: float, action: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self.interval = interval
        self.action = action
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.action()
            except Exception as exc:
                log.error("periodic_job_failed", job=self.name, error=type(exc).__name__, detail=str(exc))
