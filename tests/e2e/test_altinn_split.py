"""Maskinporten delegation across two real processes (maskinporten.md §7.3, altinn.md §7.1): Maskinporten
(with KRR) in one, Altinn in the other, one database. The token endpoint asks Altinn over HTTP with a token it
issues to itself; with Altinn stopped the grant fails with MP-901."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert

from portvakt.altinn.mp_delegations import scheme_id
from portvakt.domain.clock import SystemClock
from portvakt.maskinporten.ports import JWT_BEARER
from portvakt.settings import Settings
from portvakt.storage.engine import Database, null_pool_sync_engine
from portvakt.storage.tables.altinn import altinn_mp_delegations
from portvakt.storage.tables.population import entities
from tests.altinn.delegation_scenario import S30, S31, supplier_in
from tests.e2e.serving import free_port, portvakt_env, run_cli

pytestmark = [pytest.mark.slow]


@contextmanager
def serve_at(port: int, env: Mapping[str, str], cwd: Path, only: str) -> Iterator[subprocess.Popen[str]]:
    """`portvakt serve --only …` on a port chosen in advance (each process must know the other's URL)."""
    log_path = cwd / f"serve-{only.replace(',', '-')}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "portvakt", "serve", "--port", str(port), "--only", only],
            env=portvakt_env(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{only} exited:\n{log_path.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _population(url: str) -> None:
    engine = null_pool_sync_engine(url)
    with engine.begin() as connection:
        for ordinal, (orgnr, name, form) in enumerate(
            ((S30, "LEVERANDØR TEST AS", "AS"), (S31, "ETAT FOR TESTING", "ORGL")), start=1
        ):
            connection.execute(
                insert(entities).values(
                    ordinal=ordinal,
                    orgnr=orgnr,
                    name=name,
                    organisation_form=form,
                    registration_date=date(2020, 1, 1),
                    registered_in_business_register=True,
                    employees=1,
                )
            )
    engine.dispose()


def _delegate(url: str) -> None:
    engine = null_pool_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(altinn_mp_delegations).values(
                consumer_orgno=S31,
                supplier_orgno=S30,
                scheme_id=scheme_id("krr-paa-vegne-av"),
                created=datetime.now(UTC),
                created_by="test",
            )
        )
    engine.dispose()


def test_delegation_flow_split_across_two_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'split.db'}"
    mp_port, altinn_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{mp_port}/maskinporten/"
    env = {
        "PORTVAKT_DATABASE_URL": url,
        "PORTVAKT_DATA_DIR": str(tmp_path / "data"),
        "PORTVAKT_PUBLIC_BASE": f"http://127.0.0.1:{mp_port}",
        "PORTVAKT_MASKINPORTEN_BASE_URL": issuer.rstrip("/"),
        "PORTVAKT_ALTINN_BASE_URL": f"http://127.0.0.1:{altinn_port}/altinn",
    }
    assert run_cli(["migrate"], env, tmp_path).returncode == 0
    _population(url)
    with serve_at(altinn_port, env, tmp_path, "altinn") as altinn:
        _delegate(url)
        with serve_at(mp_port, env, tmp_path, "maskinporten,krr"):
            settings = Settings(
                _env_file=None,
                database_url=url,
                data_dir=tmp_path / "data",
                public_base=env["PORTVAKT_PUBLIC_BASE"],
                maskinporten_base_url=env["PORTVAKT_MASKINPORTEN_BASE_URL"],
                altinn_base_url=env["PORTVAKT_ALTINN_BASE_URL"],
            )

            async def scenario() -> object:
                database = Database.connect(url)
                try:
                    return await supplier_in(settings, database, SystemClock())
                finally:
                    await database.dispose()

            supplier = asyncio.run(scenario())

            def grant() -> httpx.Response:
                assertion = supplier.grant(issuer, int(time.time()), consumer_org=S31)  # type: ignore[attr-defined]
                return httpx.post(
                    f"{issuer}token", data={"grant_type": JWT_BEARER, "assertion": assertion}, timeout=10
                )

            granted = grant()
            assert granted.status_code == 200, granted.text
            revoked = run_cli(
                [
                    "altinn",
                    "mp-delegation",
                    "revoke",
                    "--consumer",
                    S31,
                    "--supplier",
                    S30,
                    "--resourceid",
                    "krr-paa-vegne-av",
                ],
                env,
                tmp_path,
            )
            assert revoked.returncode == 0, revoked.stderr
            refused = grant()
            assert refused.json()["error_uri"].endswith("/MP-251"), refused.text
            _delegate(url)
            assert grant().status_code == 200
            altinn.terminate()
            altinn.wait(timeout=15)
            down = grant()
            assert down.status_code == 503
            assert down.json()["error_uri"].endswith("/MP-901")
