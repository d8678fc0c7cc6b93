"""Benchmark of the KRR bulk lookup (krr.md §6, §9; the KRR issue's deliverable 8).

    .venv/bin/python -m bench.krr --database-url sqlite:////tmp/krrbench/bench.db [--workers 2]
                                  [--duration 20] [--connections 4] [--ids 1000]

The database must hold a generated population (e.g. `portvakt testdata generate --persons 1000000
--entities 2000 --no-krr-feed-history`); it is not changed except for the lookup audit rows the benchmark
writes. `portvakt serve --only krr --workers N` (default: one worker per core) runs on 127.0.0.1 and wrk
(one thread, `--latency`) posts `POST /krr/rest/v2/personer` with `--ids` registered identifiers per request
(bodies drawn from 64 prepared random samples), once with `Accept: application/json` and once with
`Accept: application/jose`. The token comes from a small Maskinporten-shaped issuer in this process
(`PORTVAKT_KRR_MASKINPORTEN_ISSUERS`), so every request pays the RS256 verification, the consumer-block
check, the set-based lookup, the rendering, the audit insert (one event + one HMAC row per identifier) and,
for JOSE, the RSA-3072 signature. Reports persons/s, requests/s, p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bench.rrh import Issuer, _free_port
from portvakt.storage.engine import backend_of, null_pool_sync_engine
from portvakt.storage.tables.krr import krr_person

console = Console(width=160)
VENV_BIN: Final = Path(sys.executable).parent
SCOPE: Final = "krr:global/kontaktinformasjon.read krr:global/digitalpost.read"
SAMPLES: Final = 64


def identifiers(database_url: str, limit: int = 200_000) -> list[str]:
    engine = null_pool_sync_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(krr_person.c.personidentifikator).limit(limit)).scalars().all()
    engine.dispose()
    if not rows:
        raise SystemExit("no KRR persons in the database: generate a population first")
    return list(rows)


def _script(path: Path, bodies: list[str]) -> None:
    quoted = ",\n".join("[[" + body + "]]" for body in bodies)
    path.write_text(
        "local bodies = {\n" + quoted + "\n}\n"
        "local count = 0\n"
        "request = function()\n"
        "  return wrk.format('POST', '/krr/rest/v2/personer', nil, bodies[math.random(#bodies)])\n"
        "end\n"
        "response = function(status)\n"
        "  if status ~= 200 then count = count + 1 end\n"
        "end\n"
        "done = function() io.write(string.format('non200 %d\\n', count)) end\n"
    )


def _wrk(base: str, script: Path, headers: list[str], connections: int, duration: int) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
    ]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, base], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latencies = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    failures = int(re.search(r"non200 (\d+)", output).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50": latencies.get("50", "?"),
        "p99": latencies.get("99", "?"),
        "failures": failures,
    }


@contextmanager
def serving(env: dict[str, str], cwd: Path, args: tuple[str, ...]) -> Iterator[str]:
    """`portvakt serve` on a free port until /readyz answers; terminated (by its own pid) afterwards."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("PORTVAKT_")}, **env}
    full["PORTVAKT_PUBLIC_BASE"] = base
    log = (cwd / "serve.log").open("w")
    command = [str(VENV_BIN / "portvakt"), "serve", "--port", str(port), "--no-first-run", *args]
    process = subprocess.Popen(command, env=full, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"portvakt serve did not start:\n{(cwd / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--ids", type=int, default=1000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")

    work = Path(tempfile.mkdtemp(prefix="krr-bench-"))
    known = identifiers(args.database_url)
    rng = random.Random(1)
    bodies = [
        json.dumps(
            {"personidentifikatorer": rng.sample(known, min(args.ids, len(known)))}, separators=(",", ":")
        )
        for _ in range(SAMPLES)
    ]
    script = work / "personer.lua"
    _script(script, bodies)
    issuer = Issuer()
    token = issuer.token(SCOPE, args.duration * 4 + 600)
    env = {
        "PORTVAKT_DATABASE_URL": args.database_url,
        "PORTVAKT_DATA_DIR": str(work / "data"),
        "PORTVAKT_KRR_MASKINPORTEN_ISSUERS": issuer.url,
        "PORTVAKT_LOG_LEVEL": "WARNING",
    }
    results: dict[str, dict[str, Any]] = {}
    with serving(env, work, ("--only", "krr", "--workers", str(args.workers))) as base:
        for kind in ("json", "jose"):
            headers = [
                f"Authorization: Bearer {token}",
                "Content-Type: application/json",
                f"Accept: application/{kind}",
            ]
            _wrk(base, script, headers, args.connections, 5)  # warm-up
            results[kind] = _wrk(base, script, headers, args.connections, args.duration)
    table = Table(
        "backend", "workers", "ids/request", "accept", "connections", "duration",
        "persons/s", "requests/s", "p50", "p99", "non-200",
    )  # fmt: skip
    for kind, result in results.items():
        table.add_row(
            backend_of(args.database_url),
            str(args.workers),
            str(args.ids),
            f"application/{kind}",
            str(args.connections),
            f"{args.duration} s",
            f"{result['rps'] * args.ids:,.0f}",
            f"{result['rps']:.1f}",
            result["p50"],
            result["p99"],
            str(result["failures"]),
        )
    console.print(table)
    ratio = results["jose"]["rps"] / results["json"]["rps"] if results["json"]["rps"] else 0.0
    console.print(f"JOSE throughput = {ratio:.0%} of JSON", highlight=False)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
