"""`portvakt testdata generate|verify|digest`: exit codes and output (§6, §11.7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from portvakt.cli import app

runner = CliRunner()
WINDOW = "is outside 2025-11-05 … 2030-05-14, where the scenario ages hold; use --no-scenarios"
SMALL = ["--persons", "400", "--entities", "30", "--workers", "1", "--no-progress", "--as-of", "2026-01-01"]
PROD_ENV = {
    "PORTVAKT_ENV": "prod",
    "PORTVAKT_PUBLIC_BASE": "https://portvakt.example.no",
    "PORTVAKT_PLATFORM_ORGNO": "991825827",
    "PORTVAKT_KEY_ENCRYPTION_KEY": "A" * 43,
    "PORTVAKT_IDPORTEN_AUTHENTICATORS": "bankid",
    "PORTVAKT_ALLOW_SQLITE_IN_PROD": "true",
}


def invoke(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["testdata", *args], env={"PORTVAKT_DATABASE_URL": url, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_generate_prints_a_summary_and_verify_and_digest_succeed(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    code, out, _ = invoke(migrated_sqlite_url, "generate", *SMALL, "--report", str(report))
    assert code == 0
    assert "Test data generated: seed 1, as-of 2026-01-01, id style tenor, 1 workers" in out
    assert "persons" in out
    assert "420" in out

    code, out, _ = invoke(migrated_sqlite_url, "verify")
    assert (code, out.strip()) == (0, "Test data verified: every invariant holds.")

    code, out, _ = invoke(migrated_sqlite_url, "digest")
    assert code == 0
    assert out.strip() in report.read_text(encoding="utf-8")
    assert len(out.strip()) == 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--as-of", "2031-01-01"],
            f"--as-of 2031-01-01 {WINDOW}",
            id="as_of_after_window",
        ),
        pytest.param(
            ["--as-of", "2025-11-04"],
            f"--as-of 2025-11-04 {WINDOW}",
            id="as_of_before_window",
        ),
        pytest.param(
            ["--as-of", "1.1.2026"], "--as-of must be a date YYYY-MM-DD, got '1.1.2026'", id="as_of_format"
        ),
        pytest.param(
            ["--id-style", "dolly"], "--id-style must be one of tenor, plus40, ordinary", id="id_style"
        ),
        pytest.param(["--size", "huge"], "--size must be one of demo, full", id="size"),
        pytest.param(["--entities", "3"], "--entities must be at least 4", id="too_few_entities"),
    ],
)
def test_generate_refuses_bad_options_with_exit_2(
    migrated_sqlite_url: str, args: list[str], message: str
) -> None:
    code, _, err = invoke(migrated_sqlite_url, "generate", "--workers", "1", *args)
    assert code == 2
    assert message in err


def test_no_scenarios_lifts_the_as_of_window(migrated_sqlite_url: str) -> None:
    code, out, _ = invoke(
        migrated_sqlite_url,
        "generate",
        "--persons",
        "300",
        "--entities",
        "10",
        "--workers",
        "1",
        "--no-progress",
        "--no-scenarios",
        "--as-of",
        "2031-01-01",
    )
    assert code == 0, out
    assert "as-of 2031-01-01" in out


def test_generate_is_refused_in_prod(migrated_sqlite_url: str) -> None:
    code, _, err = invoke(migrated_sqlite_url, "generate", *SMALL, env=PROD_ENV)
    assert code == 2
    assert err.strip() == "Test data cannot be generated in the prod environment"


def test_existing_data_needs_replace(migrated_url: str) -> None:
    """On both backends: PostgreSQL shortens long foreign-key names, which the restore must match."""
    assert invoke(migrated_url, "generate", *SMALL)[0] == 0
    first_digest = invoke(migrated_url, "digest")[1]

    code, _, err = invoke(migrated_url, "generate", *SMALL, "--seed", "2")
    assert code == 2
    assert "Population data already exists: use --replace to generate it again" in err
    assert invoke(migrated_url, "digest")[1] == first_digest

    code, _, err = invoke(migrated_url, "generate", *SMALL, "--seed", "2", "--replace")
    assert code == 0, err
    assert invoke(migrated_url, "digest")[1] != first_digest
    assert invoke(migrated_url, "verify")[0] == 0


def test_generate_needs_a_migrated_database(tmp_path: Path) -> None:
    code, _, err = invoke(f"sqlite:///{tmp_path / 'new.db'}", "generate", *SMALL)
    assert code == 2
    assert "The database is not migrated: run `portvakt migrate` first" in err


@pytest.mark.parametrize(
    "command", [pytest.param("verify", id="verify"), pytest.param("digest", id="digest")]
)
def test_verify_and_digest_need_a_data_set(migrated_sqlite_url: str, command: str) -> None:
    code, _, err = invoke(migrated_sqlite_url, command)
    assert code == 1
    assert "No test data has been generated in this database" in err
