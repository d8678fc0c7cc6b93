"""Benchmarks of RRH (rrh.md §8, §10).

    .venv/bin/python -m bench.rrh lookup [--entities 20000] [--duration 20] [--connections 16]
                                         [--database-url postgresql://…/rrhbench]
    .venv/bin/python -m bench.rrh totalbestand [--sizes 10000,100000] [--database-url postgresql://…/rrhbench]

`lookup`: a temporary SQLite database (or the PostgreSQL database given, emptied first) with `--entities`
registrable AS entities (one current registration with two beneficial owners each, 10 % with an earlier
registration too), `portvakt serve --only rrh` on 127.0.0.1, and wrk (`--latency`, one thread) looking up
random organisation numbers with one Maskinporten token. The token issuer is a small JWKS server in this
process (`PORTVAKT_RRH_MASKINPORTEN_ISSUERS`), so each request pays the full RS256 verification, the lookup,
the rendering and the audit insert.

`totalbestand`: for each size, a fresh database (SQLite file, or the PostgreSQL database given, emptied
first) seeded the same way, then `portvakt rrh totalbestand build --json` in a subprocess; reports the
build time and the subprocess's peak RSS (its `VmHWM`), to show that memory does not grow with the count.
"""

from __future__ import annotations

import argparse
import base64
import http.server
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, text

from portvakt.domain.identifiers import orgnr_check_digit
from portvakt.rrh.render import timestamp
from portvakt.storage.engine import backend_of, null_pool_sync_engine
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables import metadata
from portvakt.storage.tables.population import entities
from portvakt.storage.tables.rrh import rrh_entities, rrh_registrations

VENV_BIN: Final = Path(sys.executable).parent
console = Console(width=160)
BATCH = 5000
FIRST_NAMES = ("KARI", "OLA", "INGRID", "LARS", "SIGRID", "NILS", "ASTRID", "EIRIK")
LAST_NAMES = ("NORDMANN", "HANSEN", "JOHANSEN", "OLSEN", "LARSEN", "ANDERSEN", "PEDERSEN", "NILSEN")


def orgnrs(count: int, start: int = 31000000) -> list[str]:
    found: list[str] = []
    base = start
    while len(found) < count:
        check = orgnr_check_digit(f"{base:08d}")
        if check is not None:
            found.append(f"{base:08d}{check}")
        base += 1
    return found


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _owner(rng: random.Random, registered: str, exempt: bool) -> dict[str, Any]:
    year = rng.randint(1940, 2008)
    return {
        "folkeregistrertPerson": {
            "foedselsEllerDNummer": f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{year % 100:02d}"
            f"{rng.randint(10000, 99999)}",
            "foedselsdato": f"{year}-01-01",
            "foedselsaar": str(year),
            "navn": {"fornavn": rng.choice(FIRST_NAMES), "etternavn": rng.choice(LAST_NAMES)},
            "erDoed": False,
            "bostedsland": "NOR",
            "statsborgerskap": ["NOR"],
        },
        "erUnntattFraInnsyn": exempt,
        "foerstRegistrert": registered,
        "endret": registered,
        "posisjoner": [
            {
                "posisjonstype": "posisjonstype.eierskap",
                "stoerrelsesintervall": "stoerrelsesintervall.intervall2",
                "grunnlagstyper": ["grunnlagstype.direkte"],
                "mellomliggendeVirksomheter": [],
            }
        ],
    }


def _document(rng: random.Random, registered: datetime) -> str:
    stamp = timestamp(registered)
    document = {
        "registreringsid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "registreringsstatus": "registreringsstatus.rettighetsinformasjonErRegistrert",
        "registrert": stamp,
        "reelleRettighetshaverestatus": "reellerettighetshaverestatus.harReelleRettighetshavere",
        "reelleRettighetshavere": [_owner(rng, stamp, rng.random() < 0.05) for _ in range(2)],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def seed(database_url: str, count: int) -> list[str]:
    """Migrate and fill `count` registrable entities with registrations (contract format)."""
    upgrade(database_url)
    engine = null_pool_sync_engine(database_url)
    rng = random.Random(20261122)
    numbers = orgnrs(count)
    start = datetime(2024, 10, 3, 8, tzinfo=UTC)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in reversed(metadata.sorted_tables))
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    for offset in range(0, count, BATCH):
        chunk = numbers[offset : offset + BATCH]
        er, rrh, registrations = [], [], []
        for index, number in enumerate(chunk, start=offset):
            er.append(
                {
                    "ordinal": index + 1,
                    "orgnr": number,
                    "name": f"BENCH {index} AS",
                    "organisation_form": "AS",
                    "registration_date": date(2020, 1, 1),
                    "registered_in_business_register": True,
                    "employees": 1,
                }
            )
            first = start + timedelta(seconds=index)
            rrh.append({"orgnr": number, "first_registered_at": first, "deleted_at": None})
            moments = [first, first + timedelta(days=30)] if rng.random() < 0.1 else [first]
            for version, moment in enumerate(moments, start=1):
                document = _document(rng, moment)
                registrations.append(
                    {
                        "registration_id": json.loads(document)["registreringsid"],
                        "orgnr": number,
                        "version": version,
                        "registered_at": moment,
                        "is_current": version == len(moments),
                        "document": document,
                    }
                )
        with engine.begin() as connection:
            connection.execute(insert(entities), er)
            connection.execute(insert(rrh_entities), rrh)
            connection.execute(insert(rrh_registrations), registrations)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return numbers


# -- lookup ------------------------------------------------------------------------------------------


class Issuer:
    """A Maskinporten-shaped issuer: metadata and JWKS over HTTP, tokens signed with its RSA key."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        self.kid = secrets.token_hex(8)
        self.jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": self.kid,
                    "alg": "RS256",
                    "use": "sig",
                    "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": _b64(numbers.e.to_bytes(3, "big")),
                }
            ]
        }
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("/.well-known/oauth-authorization-server"):
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}jwk"}
                else:
                    body = issuer.jwks
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bench-mp/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, scope: str, lifetime: int) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "RS256", "kid": self.kid}).encode())
        claims = {
            "iss": self.url,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": "rrh-bench",
            "scope": scope,
            "consumer": {"authority": "iso6523-actorid-upis", "ID": "0192:310000035"},
            "iat": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(12),
        }
        signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serving(env: dict[str, str], cwd: Path) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("PORTVAKT_")}, **env}
    full["PORTVAKT_PUBLIC_BASE"] = base
    log = (cwd / "serve.log").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "portvakt"), "serve", "--port", str(port), "--only", "rrh", "--no-first-run"],
        env=full,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
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


def lookup_bench(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    work = Path(tempfile.mkdtemp(prefix="rrh-bench-"))
    database_url = args.database_url or f"sqlite:///{work / 'rrh.db'}"
    console.print(f"seeding {args.entities} entities …")
    numbers = seed(database_url, args.entities)
    issuer = Issuer()
    token = issuer.token("brreg:reelle/offentlig", args.duration + 600)
    script = work / "lookup.lua"
    sample = random.Random(1).sample(numbers, min(len(numbers), 5000))
    script.write_text(
        "local ids = {" + ",".join(f'"{number}"' for number in sample) + "}\n"
        "local count = 0\n"
        "request = function()\n"
        "  local path = '/rrh/api/virksomheter/' .. ids[math.random(#ids)]\n"
        "  return wrk.format('GET', path)\n"
        "end\n"
        "response = function(status)\n"
        "  if status ~= 200 then count = count + 1 end\n"
        "end\n"
        "done = function() io.write(string.format('non200 %d\\n', count)) end\n"
    )
    env = {
        "PORTVAKT_DATABASE_URL": database_url,
        "PORTVAKT_DATA_DIR": str(work / "data"),
        "PORTVAKT_RRH_MASKINPORTEN_ISSUERS": issuer.url,
        "PORTVAKT_LOG_LEVEL": "WARNING",
    }
    with serving(env, work) as base:
        header = f"Authorization: Bearer {token}"
        warm = ["wrk", "-t1", f"-c{args.connections}", "-d5s", "-s", str(script), "-H", header, base]
        subprocess.run(warm, check=True, capture_output=True, text=True)
        command = [
            "wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
            "-s", str(script), "-H", header, base,
        ]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latencies = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE))
    failures = int(re.search(r"non200 (\d+)", output).group(1))  # type: ignore[union-attr]
    table = Table(
        "backend", "entities", "connections", "duration", "requests/s", "p50", "p90", "p99", "non-200"
    )
    table.add_row(
        backend_of(database_url),
        str(args.entities),
        str(args.connections),
        f"{args.duration} s",
        f"{rps:.0f}",
        latencies.get("50", "?"),
        latencies.get("90", "?"),
        latencies.get("99", "?"),
        str(failures),
    )
    console.print(table)
    shutil.rmtree(work, ignore_errors=True)


# -- totalbestand -----------------------------------------------------------------------------------


def build_once(database_url: str, work: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTVAKT_")}
    env |= {
        "PORTVAKT_DATABASE_URL": database_url,
        "PORTVAKT_DATA_DIR": str(work / "data"),
        "PORTVAKT_LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(VENV_BIN / "portvakt"), "rrh", "totalbestand", "build", "--json"],
        env=env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # The child's own high-water mark (VmHWM belongs to the address space of the exec'd program); the
    # rusage of wait4 would also count the parent's pages at fork time.
    peak_kib = 0
    status_file = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.1)
    output, errors = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"build failed: {errors.decode()}")
    result: dict[str, Any] = json.loads(output)
    result["wall_seconds"] = wall
    result["peak_rss_mib"] = peak_kib / 1024
    return result


def totalbestand_bench(args: argparse.Namespace) -> None:
    table = Table(
        "backend", "entities", "seed", "build (CLI)", "build wall incl. start-up", "ZIP size", "peak RSS"
    )
    for size in (int(part) for part in args.sizes.split(",")):
        work = Path(tempfile.mkdtemp(prefix="rrh-totalbestand-"))
        database_url = args.database_url or f"sqlite:///{work / 'rrh.db'}"
        seeded = time.perf_counter()
        seed(database_url, size)
        seeding = time.perf_counter() - seeded
        result = build_once(database_url, work)
        assert result["entity_count"] == size, result
        table.add_row(
            backend_of(database_url),
            f"{size:,}".replace(",", " "),
            f"{seeding:.1f} s",
            f"{result['duration_seconds']:.1f} s",
            f"{result['wall_seconds']:.1f} s",
            f"{result['size'] / 2**20:.1f} MiB",
            f"{result['peak_rss_mib']:.0f} MiB",
        )
        console.print(table)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    lookup = sub.add_parser("lookup")
    lookup.add_argument("--entities", type=int, default=20000)
    lookup.add_argument("--duration", type=int, default=20)
    lookup.add_argument("--connections", type=int, default=16)
    lookup.add_argument("--database-url", default=None)
    totalbestand = sub.add_parser("totalbestand")
    totalbestand.add_argument("--sizes", default="10000,100000")
    totalbestand.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.command == "lookup":
        lookup_bench(args)
    else:
        totalbestand_bench(args)


if __name__ == "__main__":
    main()
