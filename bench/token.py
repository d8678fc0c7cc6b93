# ruff: noqa: E402  (imports follow the sys.path fix below)
"""Benchmark of the Maskinporten token endpoint (`POST /maskinporten/token`) against its crypto ceiling.

    .venv/bin/python bench/token.py                      # mode 1: SQLite, one worker pinned to core 0
    .venv/bin/python bench/token.py --all                # every mode (PostgreSQL and Redis need servers)
    .venv/bin/python bench/token.py --mode sqlite-workers --duration 30

A run: a temporary data directory and database (SQLite file, or a temporary PostgreSQL database created
and dropped again), `portvakt migrate`, the demo client (`portvakt.registry.demo.ensure_demo_client`).
The crypto ceiling (RS256 verify + RS256 sign per second with `cryptography`, RSA 2048) is measured on
the server's core. Grants are then generated on all cores: one distinct, single-use grant (fresh `jti`)
per request, `iat` when its chunk is signed and `exp - iat` = 120 s, so the run lies inside their window.
Then `portvakt serve` on 127.0.0.1 with the default settings (structured console logs at INFO, the SQL
replay store unless the mode says Redis, the §3 registry cache); wrk (one thread, a fixed number of
connections) fires the grants for a warm-up and a measured period; its Lua script counts non-200
responses, and a run with any is reported as failed. The ceiling is measured again afterwards and the
faster measurement used. See docs/benchmarks.md, "Maskinporten token endpoint".
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/token.py`, this file's directory comes first on sys.path and the file would shadow
# the standard library's `token` module (imported by inspect, tokenize, …): take the directory off.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from rich.console import Console
from rich.table import Table

ROOT: Final = Path(__file__).resolve().parent.parent
LUA_SCRIPT: Final = Path(__file__).resolve().parent / "token.lua"
VENV_BIN: Final = Path(sys.executable).parent
JWT_BEARER: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_LIFETIME: Final = 120  # seconds, the maximum the endpoint accepts (exp - iat)
SERVER_CORE: Final = "0"
LOADER_CORE: Final = "1"
DEFAULT_POSTGRES: Final = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS: Final = "redis://127.0.0.1:6379/15"
SPARE: Final = 1.2  # grants generated per expected request: the estimate is the ceiling, never exceeded

console = Console(width=max(shutil.get_terminal_size().columns, 150))


@dataclass(frozen=True)
class Mode:
    name: str
    title: str
    workers: int
    pinned: bool
    backend: str  # "sqlite" | "postgresql"
    redis: bool = False


MODES: Final = {
    "sqlite": Mode("sqlite", "SQLite, 1 worker pinned (core 0; wrk on core 1)", 1, True, "sqlite"),
    "sqlite-workers": Mode("sqlite-workers", "SQLite, 2 workers unpinned", 2, False, "sqlite"),
    "postgresql": Mode("postgresql", "PostgreSQL, 1 worker pinned", 1, True, "postgresql"),
    "postgresql-workers": Mode(
        "postgresql-workers", "PostgreSQL, 2 workers unpinned", 2, False, "postgresql"
    ),
    "sqlite-redis": Mode("sqlite-redis", "SQLite + Redis replay, 1 worker pinned", 1, True, "sqlite", True),
}


@dataclass
class Result:
    mode: Mode
    tokens_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    verify_per_second: float = 0.0
    sign_per_second: float = 0.0
    ceiling: float = 0.0  # for the cores the server may use
    ok: int = 0
    non200: int = 0
    socket_errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    exhausted: bool = False
    error: str | None = None
    server_cpu: float = 0.0  # CPU seconds of the server processes per second of the measured run

    @property
    def ratio(self) -> float:
        return self.tokens_per_second / self.ceiling if self.ceiling else 0.0

    @property
    def clean(self) -> bool:
        return self.error is None and self.non200 == 0 and self.socket_errors == 0 and not self.exhausted


# -- helpers --------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def require_tools(pinned: bool) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get update && apt-get install -y wrk  (Debian/Ubuntu)")
    if pinned and shutil.which("taskset") is None:
        sys.exit("taskset is not installed: apt-get install -y util-linux")
    if pinned and (os.cpu_count() or 1) < 2:
        sys.exit("pinned modes need 2 cores (server on core 0, wrk on core 1)")


def pin(command: list[str], core: str | None) -> list[str]:
    return ["taskset", "-c", core, *command] if core is not None else command


# -- crypto ceiling -------------------------------------------------------------------------------


def crypto_rates(seconds: float = 2.0) -> tuple[float, float]:
    """RS256 verify/s and sign/s on RSA 2048 in this process (run it pinned to the server's core)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    message = b"eyJhbGciOiJSUzI1NiJ9." + b"x" * 300
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    signature = key.sign(message, pkcs1, sha256)

    def rate(operation: Any) -> float:
        for _ in range(20):
            operation()
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            for _ in range(50):
                operation()
            count += 50
        return count / elapsed

    verify = rate(lambda: public.verify(signature, message, pkcs1, sha256))
    sign = rate(lambda: key.sign(message, pkcs1, sha256))
    return verify, sign


def measure_ceiling(core: str | None) -> tuple[float, float]:
    command = pin([sys.executable, str(Path(__file__).resolve()), "--internal-crypto-rates"], core)
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    rates = json.loads(output)
    return float(rates["verify"]), float(rates["sign"])


# -- grants ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantSpec:
    pem: bytes
    kid: str
    client_id: str
    audience: str
    scope: str


def _grant_chunk(args: tuple[GrantSpec, int]) -> list[str]:
    spec, count = args
    iat = int(time.time())  # per chunk: the chunks used first are the oldest, none older than the start
    key = serialization.load_pem_private_key(spec.pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    header = b64url(orjson.dumps({"alg": "RS256", "kid": spec.kid}))
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    prefix = f"grant_type={quote(JWT_BEARER, safe='')}&assertion="
    lines = []
    for _ in range(count):
        claims = {
            "aud": spec.audience,
            "iss": spec.client_id,
            "scope": spec.scope,
            "iat": iat,
            "exp": iat + GRANT_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        signing_input = f"{header}.{b64url(orjson.dumps(claims))}"
        signature = key.sign(signing_input.encode("ascii"), pkcs1, sha256)
        lines.append(prefix + signing_input + "." + b64url(signature))
    return lines


def generate_grants(spec: GrantSpec, count: int, path: Path) -> float:
    """`count` distinct grants, one form body per line, signed on every core; returns the seconds taken."""
    started = time.perf_counter()
    chunk = 500
    jobs = [(spec, min(chunk, count - start)) for start in range(0, count, chunk)]
    with multiprocessing.get_context("spawn").Pool(os.cpu_count()) as pool, path.open("w") as out:
        for lines in pool.imap(_grant_chunk, jobs):
            out.write("\n".join(lines) + "\n")
    return time.perf_counter() - started


# -- environment: database, demo client, server ---------------------------------------------------


@contextlib.contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh database on the server of `base_url`, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from portvakt.storage.engine import sync_url

    admin_url = sync_url(base_url)
    name = f"portvakt_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def bench_env(database_url: str, data_dir: Path, port: int, redis_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTVAKT_")}
    env.update(
        PORTVAKT_DATABASE_URL=database_url,
        PORTVAKT_DATA_DIR=str(data_dir),
        PORTVAKT_PUBLIC_BASE=f"http://127.0.0.1:{port}",
        # The production log format (one JSON line per token request); the test default renders for humans.
        PORTVAKT_LOG_FORMAT="json",
    )
    if redis_url:
        env["PORTVAKT_REDIS_URL"] = redis_url
    return env


def prepare_database(env: dict[str, str]) -> GrantSpec:
    """Migrate, then create the demo client (idempotent) and read its key back from the data directory."""
    subprocess.run(
        [str(VENV_BIN / "portvakt"), "migrate"], env=env, check=True, capture_output=True, cwd=ROOT
    )
    from portvakt.domain.clock import SystemClock
    from portvakt.registry.demo import ensure_demo_client
    from portvakt.registry.jwk import pem_path_for
    from portvakt.settings import Settings
    from portvakt.storage.engine import Database

    settings = Settings(
        database_url=env["PORTVAKT_DATABASE_URL"],
        data_dir=Path(env["PORTVAKT_DATA_DIR"]),
        public_base=env["PORTVAKT_PUBLIC_BASE"],
        _env_file=None,
    )

    async def demo() -> GrantSpec:
        database = Database.connect(settings.database_url)
        try:
            client = await ensure_demo_client(settings, database, SystemClock())
        finally:
            await database.dispose()
        assert client is not None
        return GrantSpec(
            pem=pem_path_for(client.key_file).read_bytes(),
            kid=client.kid,
            client_id=client.client_id,
            audience=settings.maskinporten_issuer,
            scope=client.scope,
        )

    return asyncio.run(demo())


@contextlib.contextmanager
def server(
    env: dict[str, str], port: int, workers: int, core: str | None, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    command = [str(VENV_BIN / "portvakt"), "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            pin(command, core),
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
        try:
            wait_ready(port, process, log, workers)
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def log_tail(log: Path, chars: int = 2000) -> str:
    """The end of the server log without the readiness probes' own request lines."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if "/readyz" not in line]
    return "\n".join(lines)[-chars:]


def wait_ready(
    port: int, process: subprocess.Popen[bytes], log: Path, workers: int, timeout: float = 90.0
) -> None:
    """/readyz answers 200 and every worker has logged its startup, and no worker died while settling
    (uvicorn kills and restarts a worker that is slow to start on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portvakt serve exited ({process.returncode}):\n{log_tail(log)}")
        text = log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
                if response.status == 200 and text.count("Application startup complete") >= workers:
                    time.sleep(2.0)
                    if log.read_text(errors="replace").count(" died") == text.count(" died"):
                        return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"portvakt serve not ready after {timeout} s:\n{log_tail(log)}")


# -- load -----------------------------------------------------------------------------------------


def run_wrk(
    port: int, grants: Path, out: Path, *, connections: int, seconds: float, core: str | None
) -> dict[str, Any]:
    env = dict(
        os.environ,
        TOKEN_BENCH_GRANTS=str(grants),
        TOKEN_BENCH_PATH="/maskinporten/token",
        TOKEN_BENCH_OUT=str(out),
        TOKEN_BENCH_THREADS="1",
    )
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}/maskinporten/token",
    ]
    completed = subprocess.run(pin(command, core), env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {completed.stderr.strip()} {completed.stdout.strip()}"
        )
    if completed.stderr.strip():
        console.print(f"[yellow]wrk: {completed.stderr.strip()}[/yellow]")
    summary: dict[str, Any] = json.loads(out.read_text())
    return summary


def process_tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pids[index]}/task").iterdir():
                pids += [int(child) for child in (task / "children").read_text().split()]
        index += 1
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def start_profiler(
    output: Path | None, pid: int, seconds: float, core: str | None
) -> subprocess.Popen[bytes] | None:
    """py-spy (not a project dependency: `uv pip install --python .venv/bin/python py-spy`) on the server
    process, in collapsed-stack format, sampling from the loader's core."""
    if output is None:
        return None
    py_spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if py_spy is None:
        sys.exit("--profile needs py-spy: uv pip install --python .venv/bin/python py-spy")
    command = [py_spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--nonblocking"]
    command += ["--duration", str(max(int(seconds) - 1, 1)), "--output", str(output)]
    return subprocess.Popen(pin(command, core), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_mode(mode: Mode, args: argparse.Namespace) -> Result:
    result = Result(mode)
    server_core = SERVER_CORE if mode.pinned else None
    loader_core = LOADER_CORE if mode.pinned else None
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="portvakt-bench-")))
        if mode.backend == "postgresql":
            database_url = stack.enter_context(postgres_database(args.database_url or DEFAULT_POSTGRES))
        else:
            database_url = f"sqlite:///{work / 'portvakt.db'}"
        port = free_port()
        env = bench_env(database_url, work / "data", port, args.redis_url if mode.redis else None)
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        console.print(
            f"[bold]{mode.title}[/bold]: load average {load}; preparing {database_url.split('@')[-1]}"
        )
        spec = prepare_database(env)

        verify, sign = measure_ceiling(server_core)
        one_core = 1 / (1 / verify + 1 / sign)
        console.print(f"  crypto before: verify {verify:,.0f}/s, sign {sign:,.0f}/s → {one_core:,.0f}/s/core")
        # Enough grants for the ceiling (the endpoint cannot beat it), generated before the server starts.
        warmup_count = int(one_core * mode.workers * args.warmup * SPARE) + args.connections
        count = min(
            int(one_core * mode.workers * args.duration * SPARE) + args.connections, args.max_requests
        )
        warmup_file, grant_file = work / "warmup.txt", work / "grants.txt"
        took = generate_grants(spec, warmup_count + count, grant_file)
        with grant_file.open() as source, warmup_file.open("w") as warm, (work / "run.txt").open("w") as run:
            for index, line in enumerate(source):
                (warm if index < warmup_count else run).write(line)
        grant_file.unlink()
        console.print(f"  {warmup_count + count:,} grants generated on all cores in {took:.1f} s")
        if took + args.warmup + args.duration > GRANT_LIFETIME - 20:
            console.print(
                "  [yellow]the machine is slow: the first grants may expire (MP-130) before they are sent; "
                "use a shorter --duration[/yellow]"
            )
        with server(env, port, mode.workers, server_core, work / "server.log") as process:
            if args.warmup > 0:
                warm_summary = run_wrk(
                    port,
                    warmup_file,
                    work / "warmup.json",
                    connections=args.connections,
                    seconds=args.warmup,
                    core=loader_core,
                )
                if warm_summary["non200"]:
                    console.print(f"  [red]warm-up had {warm_summary['non200']} non-200 responses[/red]")
            profiler = start_profiler(args.profile, process.pid, args.duration, loader_core)
            cpu_before = cpu_seconds(process.pid)
            summary = run_wrk(
                port,
                work / "run.txt",
                work / "run.json",
                connections=args.connections,
                seconds=args.duration,
                core=loader_core,
            )
            result.server_cpu = (cpu_seconds(process.pid) - cpu_before) / (summary["duration_us"] / 1e6)
            if profiler is not None:
                profiler.wait(timeout=30)
        # The ceiling is the faster of two measurements (before and after the load): other work on the
        # machine can only slow it down, and a slow ceiling would flatter the ratio.
        verify_after, sign_after = measure_ceiling(server_core)
        result.verify_per_second, result.sign_per_second = max(verify, verify_after), max(sign, sign_after)
        result.ceiling = mode.workers / (1 / result.verify_per_second + 1 / result.sign_per_second)
        console.print(
            f"  crypto after: verify {verify_after:,.0f}/s, sign {sign_after:,.0f}/s; "
            f"ceiling {result.ceiling / mode.workers:,.0f}/s/core"
        )
        if args.keep_log:
            shutil.copy(work / "server.log", args.keep_log)
    duration = summary["duration_us"] / 1e6
    result.ok, result.non200 = summary["ok"], summary["non200"]
    result.statuses = summary["statuses"]
    result.exhausted = summary["exhausted"]
    result.socket_errors = sum(
        summary[name] for name in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    result.tokens_per_second = summary["ok"] / duration if duration else 0.0
    result.p50_ms, result.p99_ms = summary["p50_us"] / 1000, summary["p99_us"] / 1000
    if result.exhausted:
        result.error = "ran out of pre-generated grants (raise --max-requests or lower --duration)"
    return result


def print_results(results: Sequence[Result], connections: int, duration: float) -> None:
    table = Table(title=f"Maskinporten token endpoint: wrk, {connections} connections, {duration:g} s")
    for column in (
        "mode",
        "tokens/s",
        "p50 ms",
        "p99 ms",
        "verify/s",
        "sign/s",
        "ceiling/s",
        "ratio",
        "server CPU",
        "status",
    ):
        table.add_column(column, justify="left" if column in ("mode", "status") else "right")
    for result in results:
        if result.clean:
            status = f"ok ({result.ok:,} × 200)"
        elif result.error and not result.ok:
            status = f"[red]error: {result.error}[/red]"
        else:
            problems = [f"{count} × {code}" for code, count in sorted(result.statuses.items())]
            if result.socket_errors:
                problems.append(f"{result.socket_errors} socket errors")
            if result.error:
                problems.append(result.error)
            status = "[red]ERRORS: " + ", ".join(problems) + "[/red]"
        table.add_row(
            result.mode.title,
            f"{result.tokens_per_second:,.0f}",
            f"{result.p50_ms:.1f}",
            f"{result.p99_ms:.1f}",
            f"{result.verify_per_second:,.0f}",
            f"{result.sign_per_second:,.0f}",
            f"{result.ceiling:,.0f}",
            f"{result.ratio:.2f}",
            f"{result.server_cpu:.0%}",
            status,
        )
    console.print(table)
    console.print(
        "ceiling = 1 / (1/verify + 1/sign) on the server's core (× workers for the unpinned modes); "
        "ratio = tokens/s ÷ ceiling"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/token.py",
        description="Benchmark the Maskinporten token endpoint with wrk against the RS256 crypto ceiling.",
        epilog="Modes: " + "; ".join(f"{name}: {mode.title}" for name, mode in MODES.items()),
    )
    parser.add_argument(
        "--mode", action="append", choices=sorted(MODES), help="mode to run (repeatable; default: sqlite)"
    )
    parser.add_argument("--all", action="store_true", help="run every mode")
    parser.add_argument(
        "--database-url",
        help=f"PostgreSQL server for the postgresql modes (a temporary database is created on it and "
        f"dropped; default {DEFAULT_POSTGRES}); giving it without --mode adds the postgresql mode",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS,
        help=f"Redis for the sqlite-redis mode (default {DEFAULT_REDIS})",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds, not measured (default 3)")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="upper bound on grants per run (default 200000)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the (single-worker) server during the measured run: raw stacks here",
    )
    parser.add_argument("--keep-log", type=Path, help="copy the last server log here")
    parser.add_argument("--internal-crypto-rates", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duration + args.warmup > GRANT_LIFETIME / 2:
        parser.error(f"warm-up + duration must stay under {GRANT_LIFETIME // 2} s (the grants' lifetime)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.internal_crypto_rates:
        verify, sign = crypto_rates()
        print(json.dumps({"verify": verify, "sign": sign}))
        return 0
    if args.all:
        names = list(MODES)
    elif args.mode:
        names = list(dict.fromkeys(args.mode))
    else:
        names = ["sqlite"] + (["postgresql"] if args.database_url else [])
    modes = [MODES[name] for name in names]
    require_tools(any(mode.pinned for mode in modes))
    results = []
    for mode in modes:
        try:
            results.append(run_mode(mode, args))
        except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
            console.print(f"[red]{mode.title}: {exc}[/red]")
            results.append(Result(mode, error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    print_results(results, args.connections, args.duration)
    return 0 if all(result.clean for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
