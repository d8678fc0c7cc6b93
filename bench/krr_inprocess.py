"""CPU µs per `POST /krr/rest/v2/personer` (1,000 ids) in-process, without HTTP sockets.

    taskset -c 0 .venv/bin/python -m bench.krr_inprocess --database-url sqlite:////tmp/krrperf/bench.db
    ... --accept application/jose        # the signed representation
    ... --profile                        # cProfile, top 40 by own time (SORT=cumulative, TOP=n)

A side tool of bench/krr.py (same token issuer and bodies): the database must hold a generated population
(`portvakt testdata generate --persons 200000 --entities 2000 --no-krr-feed-history`). Requests are driven
one after the other through the whole ASGI app (platform middleware included) on uvloop, so the figure is
the CPU cost of one request (all threads of the process). Lookup audit rows are written as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

from bench.krr import SCOPE, identifiers
from bench.rrh import Issuer

PATH = "/krr/rest/v2/personer"


def scope_for(body: bytes, token: str, accept: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8080"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"accept", accept.encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
    }


async def drive(app: Any, bodies: list[bytes], token: str, accept: str) -> int:
    size = 0
    for body in bodies:
        delivered = False

        async def receive(body: bytes = body) -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        statuses: list[int] = []
        chunks: list[int] = []

        async def send(
            message: dict[str, Any], statuses: list[int] = statuses, chunks: list[int] = chunks
        ) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(len(message.get("body", b"")))

        await app(scope_for(body, token, accept), receive, send)
        if statuses != [200]:
            raise RuntimeError(f"personer answered {statuses}")
        size = sum(chunks)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--ids", type=int, default=1000)
    parser.add_argument("--accept", default="application/json")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured requests")
    args = parser.parse_args()

    known = identifiers(args.database_url)
    rng = random.Random(1)
    bodies = [
        json.dumps({"personidentifikatorer": rng.sample(known, args.ids)}, separators=(",", ":")).encode()
        for _ in range(64)
    ]
    issuer = Issuer()
    token = issuer.token(SCOPE, 3600)
    work = Path(tempfile.mkdtemp(prefix="krr-inprocess-"))
    os.environ.update(
        {
            "PORTVAKT_DATABASE_URL": args.database_url,
            "PORTVAKT_DATA_DIR": str(work / "data"),
            "PORTVAKT_KRR_MASKINPORTEN_ISSUERS": issuer.url,
            "PORTVAKT_LOG_LEVEL": "WARNING",
        }
    )

    from portvakt.app import create_app
    from portvakt.settings import Settings

    app = create_app(Settings(_env_file=None))
    warmup = 10
    measured = [bodies[i % len(bodies)] for i in range(args.requests)]

    async def run() -> None:
        async with app.lifespan():
            await drive(app, bodies[:warmup], token, args.accept)
            profiler = cProfile.Profile() if args.profile else None
            started_cpu, started = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            size = await drive(app, measured, token, args.accept)
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
            count = len(measured)
            print(
                f"{count} requests ({args.accept}, {size:,} bytes): "
                f"{1e6 * cpu / count:.0f} µs CPU, {1e6 * wall / count:.0f} µs wall each"
            )
            if profiler:
                stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "tottime"))
                stats.print_stats(int(os.environ.get("TOP", "40")))

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
