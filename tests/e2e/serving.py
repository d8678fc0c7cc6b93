"""Run real `portvakt` processes for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def portvakt_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTVAKT_")}
    env.update(extra)
    return env


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portvakt", *args],
        env=portvakt_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Server:
    base: str
    process: subprocess.Popen[str]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(
    env: Mapping[str, str], cwd: Path, args: tuple[str, ...] = (), ready_timeout: float = 120
) -> Iterator[Server]:
    """Start `portvakt serve` on a free port and wait until /readyz answers 200."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = cwd / f"serve-{port}.log"
    full_env = {"PORTVAKT_PUBLIC_BASE": base, **env}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portvakt", "serve", "--port", str(port), *args],
            env=portvakt_env(full_env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = Server(base=base, process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"portvakt serve exited with {process.returncode}:\n{server.output()}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"portvakt serve not ready in {ready_timeout}s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
