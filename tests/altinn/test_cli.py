"""`portvakt altinn …` (altinn.md §9): owners, keys (printed once, hashed), apps, delegations, rights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from portvakt.altinn.apikeys import key_hash
from portvakt.cli import app as cli
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.altinn import altinn_api_keys
from portvakt.testdata.generate import generate
from tests.altinn.conftest import P03, P11, P12, S02, SEED, _options

pytestmark = [pytest.mark.db, pytest.mark.slow]


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["altinn", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_cli_round_trip(database_url: str, tmp_path: Path) -> None:
    generate(database_url, _options(), env="test")
    env = {"PORTVAKT_DATABASE_URL": database_url, "PORTVAKT_DATA_DIR": str(tmp_path / "data")}
    code, out, _ = run(
        env, "service-owner", "create", "--code", "nav", "--name", "NAV", "--orgno", "889640782"
    )
    assert code == 0, out
    code, _, err = run(
        env, "service-owner", "create", "--code", "nav", "--name", "NAV", "--orgno", "889640782"
    )
    assert (code, err.strip()) == (1, "Service owner 'nav' already exists")
    code, _, err = run(env, "service-owner", "create", "--code", "X", "--name", "NAV", "--orgno", "889640782")
    assert code == 1

    code, out, _ = run(env, "api-key", "create", "--owner", "nav", "--json")
    assert code == 0
    created = json.loads(out)
    assert created["key"].startswith(f"pvak_{created['key_id']}_")
    engine = null_pool_sync_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            select(altinn_api_keys).where(altinn_api_keys.c.key_id == created["key_id"])
        ).one()
    engine.dispose()
    assert stored.sha256 == key_hash(created["key"])
    assert created["key"] not in json.dumps([str(value) for value in stored])

    code, out, _ = run(env, "app", "create", "--org", "nav", "--app", "dagpenger", "--json")
    assert code == 0
    assert json.loads(out)["resource_id"] == "app_nav_dagpenger"
    policy = tmp_path / "policy.json"
    policy.write_text(
        '{"rules":[{"subjects":[{"id":"urn:altinn:rolecode","value":"dagl"}],"resource":null,"actions":["sign"]}]}'
    )
    assert run(env, "app", "policy", "set", "nav/dagpenger", "--policy", str(policy))[0] == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules":[]}')
    code, _, err = run(env, "app", "policy", "set", "nav/dagpenger", "--policy", str(bad))
    assert (code, err.strip()) == (1, "Invalid policy: at least one rule is required")

    code, out, _ = run(env, "rights", P11, S02, "--owner", "nav")
    assert json.loads(out) == [
        {
            "RuleGuid": "",
            "AltinnAppId": "nav/dagpenger",
            "ResourceId": "urn:altinn:app",
            "ResourceValue": "dagpenger",
            "Action": "sign",
            "RightSourceType": "RoleTypeRight",
            "IsDelegatable": True,
            "rule": "ruleid:1",
        }
    ]
    # P11 (DAGL, so HADM) delegates `sign` for S02 to P03.
    code, out, err = run(
        env,
        "delegation",
        "create",
        "--from",
        S02,
        "--to",
        P03,
        "--app",
        "nav/dagpenger",
        "--action",
        "sign",
        "--by",
        P11,
        "--json",
    )
    assert code == 0, err
    (guid,) = json.loads(out)
    code, _, err = run(
        env,
        "delegation",
        "create",
        "--from",
        S02,
        "--to",
        P11,
        "--app",
        "nav/dagpenger",
        "--action",
        "sign",
        "--by",
        P12,
    )
    assert (code, err.strip()) == (1, f"{P12} holds no HADM for {S02}")
    code, _, err = run(
        env,
        "delegation",
        "create",
        "--from",
        S02,
        "--to",
        P03,
        "--app",
        "nav/dagpenger",
        "--action",
        "read",
        "--by",
        P11,
    )
    assert (code, err.strip()) == (1, "The policy of nav/dagpenger has no rule for read on that resource")
    rights = json.loads(run(env, "rights", P03, S02, "--owner", "nav")[1])
    assert [(r["RuleGuid"], r["RightSourceType"]) for r in rights] == [(guid, "DirectlyDelegated")]
    assert run(env, "delegation", "revoke", guid)[0] == 0
    assert run(env, "delegation", "revoke", guid)[0] == 1
    assert json.loads(run(env, "rights", P03, S02, "--owner", "nav")[1]) == []

    assert run(env, "api-key", "revoke", created["key_id"])[0] == 0
    listed = json.loads(run(env, "api-key", "list", "--owner", "nav", "--json")[1])
    assert listed[0]["revoked_at"] is not None
    assert run(env, "service-owner", "deactivate", "nav")[0] == 0

    code, out, _ = run(env, "api-key", "testdata-file")
    assert code == 0
    keys_file = Path(out.strip())
    assert keys_file.stat().st_mode & 0o777 == 0o600
    assert set(json.loads(keys_file.read_text())) == {"ttd", "digdir", "brg"}
    assert SEED == 3
