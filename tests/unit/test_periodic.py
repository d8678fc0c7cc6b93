"""Background jobs repeat until stopped, and a failing run does not end them."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from portvakt.periodic import PeriodicJob


async def test_a_job_repeats_survives_a_failure_and_stops() -> None:
    runs: list[int] = []
    four_runs = asyncio.Event()

    async def action() -> None:
        runs.append(len(runs))
        if len(runs) == 4:
            four_runs.set()
        if len(runs) == 2:
            raise RuntimeError("database away")

    job = PeriodicJob("test-job", 0.01, action)
    with capture_logs() as events:
        job.start()
        job.start()  # idempotent: still one loop
        await asyncio.wait_for(four_runs.wait(), timeout=10)
        await job.stop()
    assert not job.running
    stopped_at = len(runs)
    await asyncio.sleep(0.05)
    assert len(runs) == stopped_at
    failures = [event for event in events if event["event"] == "periodic_job_failed"]
    assert failures[0]["job"] == "test-job"
    assert failures[0]["error"] == "RuntimeError"
