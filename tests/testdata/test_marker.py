"""The run marker decides whether a `loading` data set belongs to a live run or to an interrupted one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from portvakt.testdata.marker import HEARTBEAT_TIMEOUT, Marker, marker_state

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


BASE = Marker(
    status="loading",
    host=socket.gethostname(),
    pid=os.getppid(),
    seed=1,
    persons=10,
    entities=10,
    as_of=date(2026, 1, 1),
    id_style="tenor",
    scenarios=True,
    stages=("persons",),
    package_version="0.1.0",
    heartbeat_at=NOW,
)


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        pytest.param({"status": "complete"}, "complete", id="complete"),
        pytest.param({}, "running", id="same_host_live_process"),
        pytest.param({"pid": -1}, "stale", id="same_host_dead_process"),
        pytest.param({"pid": os.getpid()}, "stale", id="this_process_itself"),
        pytest.param({"host": "elsewhere.example"}, "running", id="other_host_fresh_heartbeat"),
        pytest.param(
            {"host": "elsewhere.example", "heartbeat_at": NOW - HEARTBEAT_TIMEOUT - timedelta(seconds=1)},
            "stale",
            id="other_host_old_heartbeat",
        ),
    ],
)
def test_marker_state(changes: dict[str, object], state: str) -> None:
    if changes.get("pid") == -1:
        changes = {**changes, "pid": _dead_pid()}
    assert marker_state(replace(BASE, **changes), NOW) == state  # type: ignore[arg-type]


def test_no_marker() -> None:
    assert marker_state(None, NOW) == "none"
