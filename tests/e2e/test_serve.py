"""`portvakt serve` as a user runs it: first run on an empty database, health, readiness, refusals."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from portvakt.settings import SERVICES
from tests.e2e.serving import run_cli, serve

pytestmark = pytest.mark.slow


def test_first_run_migrates_and_serves_every_service(empty_database_url: str, tmp_path: Path) -> None:
    env = {"PORTVAKT_DATABASE_URL": empty_database_url, "PORTVAKT_DATA_DIR": str(tmp_path / "data")}
    with serve(env, tmp_path) as server:
        assert httpx.get(f"{server.base}/healthz").json() == {"status": "UP"}
        ready = httpx.get(f"{server.base}/readyz")
        assert ready.json()["checks"] == {"database": "UP", "migrations": "UP"}
        for service in SERVICES:
            assert httpx.get(f"{server.base}/{service}/health").status_code == 200
        output = server.output()
        for service in SERVICES:
            assert f"{server.base}/{service}/" in output


def test_only_runs_the_named_services(tmp_path: Path) -> None:
    env = {
        "PORTVAKT_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "PORTVAKT_DATA_DIR": str(tmp_path / "data"),
    }
    with serve(env, tmp_path, ("--only", "krr,rrh")) as server:
        assert httpx.get(f"{server.base}/krr/health").status_code == 200
        assert httpx.get(f"{server.base}/rrh/health").status_code == 200
        assert httpx.get(f"{server.base}/altinn/health").status_code == 404


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"PORTVAKT_ENV": "prod", "PORTVAKT_PUBLIC_BASE": "http://portvakt.example.no"},
            "PORTVAKT_ENV=prod requires https base URLs",
            id="prod-http",
        ),
        pytest.param({"PORTVAKT_ENV": "staging"}, "PORTVAKT_ENV:", id="unknown-env"),
        pytest.param({"PORTVAKT_KEY_ENCRYPTION_KEY": "short"}, "PORTVAKT_KEY_ENCRYPTION_KEY:", id="bad-kek"),
    ],
)
def test_bad_settings_stop_start_up_with_one_clear_line(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = run_cli(["serve", "--no-first-run"], env, tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]


def test_unknown_service_in_only_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["serve", "--only", "krr,foo", "--no-first-run"], {}, tmp_path, timeout=60)
    assert result.returncode == 2
    assert "unknown service(s) foo" in result.stderr


def test_migrate_command_reports_the_revision(tmp_path: Path) -> None:
    env = {"PORTVAKT_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    result = run_cli(["migrate", "--json"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"revision"' in result.stdout
    again = run_cli(["migrate"], env, tmp_path)
    assert again.returncode == 0
    assert "Database migrated to" in again.stdout
