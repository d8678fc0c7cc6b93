"""Benchmark of the Altinn PDP (altinn.md §5): decisions/s for single and 100-element multi-requests.

    .venv/bin/python -m bench.altinn [--database-url URL | --persons N --entities M] [--duration 20]
                                     [--connections 8] [--multi 100]

Without `--database-url`, a temporary SQLite database is generated with `portvakt testdata generate`
(`--persons`, `--entities`, seed 1). With it, the database must already hold generated test data (any
size). Questions are drawn from the ER roles in the database (a key-role holder asking for its entity on a
digdir/brg app, Task_1, a random action), so about half are Permit. `portvakt serve --only altinn` runs on
127.0.0.1; tokens come from a small in-process issuer (`PORTVAKT_ALTINN_MASKINPORTEN_ISSUERS`), so every
request pays RS256 verification. The client is asyncio + httpx with `--connections` concurrent requests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bench.rrh import Issuer, _free_port
from portvakt.storage.engine import backend_of, null_pool_sync_engine
from portvakt.storage.tables.altinn import altinn_apps
from portvakt.storage.tables.population import er_roles

VENV_BIN: Final = Path(sys.executable).parent
ACTION_ID: Final = "urn:oasis:names:tc:xacml:1.0:action:action-id"
ACTIONS: Final = ("read", "write", "instantiate", "delete", "sign", "complete")
KEY_ROLES: Final = ("DAGL", "LEDE", "INNH")
console = Console(width=160)


def generate(database_url: str, persons: int, entities: int, work: Path) -> None:
    env = {**os.environ, "PORTVAKT_DATABASE_URL": database_url, "PORTVAKT_DATA_DIR": str(work / "data")}
    for command in (
        ["migrate"],
        ["testdata", "generate", "--persons", str(persons), "--entities", str(entities)],
    ):
        subprocess.run([str(VENV_BIN / "portvakt"), *command], env=env, check=True, cwd=work)


def questions(database_url: str, count: int) -> list[tuple[str, str, str, str, str]]:
    """(subject, party orgnr, org, app, action) drawn from the stored ER roles and apps."""
    engine = null_pool_sync_engine(database_url)
    with engine.connect() as connection:
        holders = connection.execute(
            select(er_roles.c.holder_national_id, er_roles.c.entity_orgnr)
            .where(er_roles.c.role_code.in_(KEY_ROLES), er_roles.c.holder_national_id.is_not(None))
            .limit(50_000)
        ).all()
        apps = connection.execute(
            select(altinn_apps.c.org, altinn_apps.c.app).where(altinn_apps.c.org != "ttd")
        ).all()
    engine.dispose()
    if not holders or not apps:
        raise SystemExit("the database has no generated ER roles or Altinn apps")
    rng = random.Random(1)
    found = []
    for _ in range(count):
        subject, party = holders[rng.randrange(len(holders))]
        org, app = apps[rng.randrange(len(apps))]
        found.append((subject, party, org, app, rng.choice(ACTIONS)))
    return found


def body(batch: list[tuple[str, str, str, str, str]]) -> dict[str, Any]:
    subjects, actions, resources, references = [], [], [], []
    for index, (subject, party, org, app, action) in enumerate(batch):
        subjects.append(
            {
                "Id": f"s{index}",
                "Attribute": [{"AttributeId": "urn:altinn:person:identifier-no", "Value": subject}],
            }
        )
        actions.append({"Id": f"a{index}", "Attribute": [{"AttributeId": ACTION_ID, "Value": action}]})
        resources.append(
            {
                "Id": f"r{index}",
                "Attribute": [
                    {"AttributeId": "urn:altinn:org", "Value": org},
                    {"AttributeId": "urn:altinn:app", "Value": app},
                    {"AttributeId": "urn:altinn:task", "Value": "Task_1"},
                    {"AttributeId": "urn:altinn:organization:identifier-no", "Value": party},
                ],
            }
        )
        references.append({"ReferenceId": [f"s{index}", f"a{index}", f"r{index}"]})
    request: dict[str, Any] = {"AccessSubject": subjects, "Action": actions, "Resource": resources}
    if len(batch) > 1:
        request["MultiRequests"] = {"RequestReference": references}
    return {"Request": request}


@contextmanager
def serving(env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTVAKT_")},
        **env,
        "PORTVAKT_PUBLIC_BASE": base,
    }
    log = (cwd / "serve.log").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "portvakt"), "serve", "--port", str(port), "--only", "altinn"],
        env=full,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
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
        process.wait(timeout=30)
        log.close()


async def load(
    base: str, token: str, bodies: list[dict[str, Any]], duration: float, connections: int
) -> dict[str, Any]:
    latencies: list[float] = []
    decisions = 0
    permits = 0
    failures = 0
    stop = time.monotonic() + duration
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal decisions, permits, failures
            index = offset
            while time.monotonic() < stop:
                started = time.monotonic()
                response = await client.post(
                    "/altinn/authorization/api/v1/authorize", json=bodies[index % len(bodies)]
                )
                latencies.append(time.monotonic() - started)
                index += connections
                if response.status_code != 200:
                    failures += 1
                    continue
                results = response.json()["Response"]
                decisions += len(results)
                permits += sum(result["Decision"] == "Permit" for result in results)

        began = time.monotonic()
        await asyncio.gather(*(worker(offset) for offset in range(connections)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "requests/s": len(latencies) / elapsed,
        "decisions/s": decisions / elapsed,
        "permit %": 100 * permits / max(decisions, 1),
        "p50 ms": 1000 * statistics.median(latencies),
        "p99 ms": 1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0,
        "non-200": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--entities", type=int, default=3_000)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--multi", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="altinn-bench-"))
    database_url = args.database_url
    if database_url is None:
        database_url = f"sqlite:///{work / 'altinn.db'}"
        console.print(f"generating {args.persons} persons, {args.entities} entities …")
        generate(database_url, args.persons, args.entities, work)
    drawn = questions(database_url, 20_000)
    singles = [body([question]) for question in drawn[:5000]]
    multis = [body(drawn[start : start + args.multi]) for start in range(0, len(drawn), args.multi)]
    issuer = Issuer()
    token = issuer.token("altinn:authorization/authorize", int(args.duration) * 3 + 600)
    env = {
        "PORTVAKT_DATABASE_URL": database_url,
        "PORTVAKT_DATA_DIR": str(work / "data"),
        "PORTVAKT_ALTINN_MASKINPORTEN_ISSUERS": issuer.url,
        "PORTVAKT_LOG_LEVEL": "WARNING",
    }
    table = Table(
        "backend",
        "request",
        "connections",
        "requests/s",
        "decisions/s",
        "permit %",
        "p50 ms",
        "p99 ms",
        "non-200",
    )
    with serving(env, work) as base:
        asyncio.run(load(base, token, singles, 3, args.connections))  # warm-up
        for label, bodies in (("single", singles), (f"multi ×{args.multi}", multis)):
            result = asyncio.run(load(base, token, bodies, args.duration, args.connections))
            table.add_row(
                backend_of(database_url),
                label,
                str(args.connections),
                f"{result['requests/s']:.0f}",
                f"{result['decisions/s']:.0f}",
                f"{result['permit %']:.0f}",
                f"{result['p50 ms']:.1f}",
                f"{result['p99 ms']:.1f}",
                str(result["non-200"]),
            )
    console.print(table)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
