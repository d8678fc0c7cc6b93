"""The run marker: written before a load, completed after it (§6, interrupted runs).

A marker in state `loading` whose process is gone means a run was interrupted (exception, Ctrl-C, a
killed process): its tables are emptied before anything else reads or writes them. "Gone" is decided by
the process id on the same host, and by a heartbeat older than HEARTBEAT_TIMEOUT for another host.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, Engine, delete, insert, select, update

from portvakt import __version__
from portvakt.storage.tables.population import population_generation
from portvakt.testdata.stages import Plan

MarkerState = Literal["none", "complete", "running", "stale"]
HEARTBEAT_SECONDS = 30.0
HEARTBEAT_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class Marker:
    status: str
    host: str
    pid: int
    seed: int
    persons: int
    entities: int
    as_of: date
    id_style: str
    scenarios: bool
    stages: tuple[str, ...]
    package_version: str
    heartbeat_at: datetime


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_marker(connection: Connection) -> Marker | None:
    row = connection.execute(select(population_generation)).first()
    if row is None:
        return None
    return Marker(
        status=row.status,
        host=row.host,
        pid=row.pid,
        seed=row.seed,
        persons=row.persons,
        entities=row.entities,
        as_of=row.as_of,
        id_style=row.id_style,
        scenarios=bool(row.scenarios),
        stages=tuple(filter(None, row.stages.split(","))),
        package_version=row.package_version,
        heartbeat_at=row.heartbeat_at if row.heartbeat_at.tzinfo else row.heartbeat_at.replace(tzinfo=UTC),
    )


def marker_state(marker: Marker | None, now: datetime) -> MarkerState:
    if marker is None:
        return "none"
    if marker.status == "complete":
        return "complete"
    if marker.host == socket.gethostname():
        alive = marker.pid != os.getpid() and _process_alive(marker.pid)
        return "running" if alive else "stale"
    return "running" if now - marker.heartbeat_at < HEARTBEAT_TIMEOUT else "stale"


def write_loading_marker(engine: Engine, plan: Plan, stages: tuple[str, ...], started_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(delete(population_generation))
        connection.execute(
            insert(population_generation).values(
                id=1,
                status="loading",
                host=socket.gethostname(),
                pid=os.getpid(),
                seed=plan.seed,
                persons=plan.persons,
                entities=plan.entities,
                as_of=plan.as_of,
                id_style=plan.id_style,
                scenarios=plan.scenarios,
                stages=",".join(stages),
                package_version=__version__,
                started_at=started_at,
                heartbeat_at=started_at,
                finished_at=None,
            )
        )


def complete_marker(engine: Engine, finished_at: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(update(population_generation).values(status="complete", finished_at=finished_at))


def beat(engine: Engine, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(update(population_generation).values(heartbeat_at=now))


def clear_marker(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(population_generation))
