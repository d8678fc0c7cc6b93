"""Progress per stage: a rich bar on a terminal, otherwise a log line every 10 seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

LOG_INTERVAL_SECONDS = 10.0


class Advance(Protocol):
    def __call__(self, rows: int) -> None: ...


class StageProgress(Protocol):
    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Advance]:
        yield lambda rows: None


class NoProgress:
    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Advance]:
        yield lambda rows: None


class RichProgress:
    def __init__(self, console: Console) -> None:
        self._console = console

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Advance]:
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>10} rows/s"),
            TaskProgressColumn(),
            TimeRemainingColumn(),
        )
        started = time.monotonic()
        with Progress(*columns, console=self._console, transient=False) as progress:
            task = progress.add_task(name, total=max(total, 1), rate="-")
            done = 0

            def advance(rows: int) -> None:
                nonlocal done
                done += rows
                elapsed = max(time.monotonic() - started, 1e-6)
                progress.update(task, advance=rows, rate=f"{done / elapsed:,.0f}")

            yield advance


class LogProgress:
    """One line on stderr every 10 s per stage (no terminal: CI, logs)."""

    def __init__(self, interval: float = LOG_INTERVAL_SECONDS) -> None:
        self._interval = interval

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Advance]:
        started = last = time.monotonic()
        done = 0

        def advance(rows: int) -> None:
            nonlocal done, last
            done += rows
            now = time.monotonic()
            if now - last >= self._interval:
                last = now
                rate = done / max(now - started, 1e-6)
                sys.stderr.write(f"testdata: {name} {done:,}/{total:,} rows ({rate:,.0f} rows/s)\n")
                sys.stderr.flush()

        yield advance


def progress_for(enabled: bool, console: Console) -> StageProgress:
    if not enabled:
        return NoProgress()
    if console.is_terminal:
        return RichProgress(console)
    return LogProgress()
