"""`portvakt keys list|rotate` (maskinporten.md §12.3, §1.5)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portvakt.cli import app

pytestmark = pytest.mark.db


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PORTVAKT_KEY_ENCRYPTION_KEY", raising=False)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["keys", *args], env=env)

    return invoke


def test_list_on_an_empty_table(run) -> None:  # type: ignore[no-untyped-def]
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"service": "maskinporten", "keys": []}
    human = run("list")
    assert human.exit_code == 0
    assert "No maskinporten signing keys yet" in human.stdout


def test_rotate_schedules_then_reports_the_scheduled_key_then_emergency(run) -> None:  # type: ignore[no-untyped-def]
    first = run("rotate", "--json")
    assert first.exit_code == 0, first.output
    first_doc = json.loads(first.stdout)
    assert first_doc["created"] is True
    assert first_doc["key"]["state"] == "active"  # no key yet: the first is active at once
    assert first_doc["key"]["generation"] == 1

    scheduled = json.loads(run("rotate", "--json").stdout)
    assert scheduled["created"] is True
    assert scheduled["key"]["state"] == "next"
    assert scheduled["key"]["generation"] == 2

    again = run("rotate")
    assert again.exit_code == 0
    assert f"A successor is already scheduled: {scheduled['key']['kid']}" in again.stdout

    emergency = run("rotate", "--now", "--json")
    assert emergency.exit_code == 0, emergency.output
    emergency_doc = json.loads(emergency.stdout)
    assert emergency_doc["key"]["state"] == "active"
    assert emergency_doc["retired"] == [first_doc["key"]["kid"]]
    assert emergency_doc["withdrawn"] == [scheduled["key"]["kid"]]

    listing = json.loads(run("list", "--json").stdout)
    assert [(key["generation"], key["state"]) for key in listing["keys"]] == [
        (1, "retired"),
        (2, "removed"),
        (3, "active"),
    ]
    assert set(listing["keys"][0]) == {
        "kid",
        "generation",
        "state",
        "publish_at",
        "activate_at",
        "retire_at",
        "remove_at",
    }
    human = run("list")
    assert human.exit_code == 0
    assert emergency_doc["key"]["kid"] in human.stdout


def test_services_are_separate(run) -> None:  # type: ignore[no-untyped-def]
    assert run("rotate", "--service", "idporten").exit_code == 0
    assert json.loads(run("list", "--json").stdout)["keys"] == []
    [key] = json.loads(run("list", "--service", "idporten", "--json").stdout)["keys"]
    assert key["state"] == "active"


@pytest.mark.parametrize("command", [pytest.param("list", id="list"), pytest.param("rotate", id="rotate")])
def test_unknown_service_is_a_usage_error(run, command: str) -> None:  # type: ignore[no-untyped-def]
    result = run(command, "--service", "krr")
    assert result.exit_code == 2
    assert "unknown service 'krr'" in result.stderr


def test_wrong_key_encryption_key_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    kek = secrets.token_urlsafe(32)
    assert run("rotate", env={"PORTVAKT_KEY_ENCRYPTION_KEY": kek}).exit_code == 0
    result = run("rotate", "--now", env={"PORTVAKT_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32)})
    assert result.exit_code == 1
    assert "wrong PORTVAKT_KEY_ENCRYPTION_KEY" in result.stderr
    assert len(json.loads(run("list", "--json").stdout)["keys"]) == 1


def test_unmigrated_database_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    result = CliRunner().invoke(app, ["keys", "list"])
    assert result.exit_code == 1
    assert "portvakt migrate" in result.stderr
