"""Where the token endpoint's time goes, without HTTP: CPU µs per `POST /maskinporten/token` in-process.

    taskset -c 0 .venv/bin/python -m bench.token_inprocess                 # the whole ASGI app
    taskset -c 0 .venv/bin/python -m bench.token_inprocess --direct        # the maskinporten app only
    PORTVAKT_LOG_LEVEL=WARNING taskset -c 0 .venv/bin/python -m bench.token_inprocess   # without the log line
    taskset -c 0 .venv/bin/python -m bench.token_inprocess --profile       # cProfile, top 40 by own time

A side tool of bench/token.py (same database set-up and grants): requests are driven one after the other
through the ASGI app on uvloop, so the figure is the CPU cost of one request (all threads of the
process), to compare with the RS256 verify + sign cost printed below it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

from bench.token import _grant_chunk, bench_env, crypto_rates, prepare_database

TOKEN_PATH = "/maskinporten/token"


def scope_for(body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": TOKEN_PATH,
        "raw_path": TOKEN_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8080"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"accept", b"application/json"),
        ],
    }


async def drive(app: Any, bodies: list[bytes], *, root_path: str = "") -> None:
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

        async def send(message: dict[str, Any], statuses: list[int] = statuses) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = scope_for(body)
        scope["root_path"] = root_path
        await app(scope, receive, send)
        if statuses != [200]:
            raise RuntimeError(f"token request answered {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--direct", action="store_true", help="skip the platform middleware and dispatcher")
    parser.add_argument("--profile", action="store_true", help="cProfile the measured requests")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="portvakt-inprocess-"))
    env = bench_env(f"sqlite:///{work / 'portvakt.db'}", work / "data", 8080, None)
    spec = prepare_database(env)
    warmup = 200
    bodies = [line.encode() for line in _grant_chunk((spec, args.requests + warmup))]
    os.environ.update({key: value for key, value in env.items() if key.startswith("PORTVAKT_")})

    from portvakt.app import create_app
    from portvakt.settings import Settings

    app = create_app(Settings(_env_file=None))
    routes = {route.name: route for route in app.dispatcher.routes}
    target: Any = routes["maskinporten"].app if args.direct else app
    root_path = routes["maskinporten"].prefix if args.direct else ""

    async def run() -> None:
        async with app.lifespan():
            await drive(target, bodies[:warmup], root_path=root_path)
            profiler = cProfile.Profile() if args.profile else None
            started_cpu, started = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            await drive(target, bodies[warmup:], root_path=root_path)
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
            count = len(bodies) - warmup
            print(f"{count} requests: {1e6 * cpu / count:.0f} µs CPU, {1e6 * wall / count:.0f} µs wall each")
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(40)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run())
    verify, sign = crypto_rates(1.0)
    print(f"RS256 on RSA 2048: verify {1e6 / verify:.0f} µs + sign {1e6 / sign:.0f} µs")


if __name__ == "__main__":
    main()
