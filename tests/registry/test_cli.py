"""`portvakt admin …` (selvbetjening.md §7): exit codes, --json output and what ends up stored."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from portvakt.cli import app
from portvakt.registry.jwk import generate_rsa_key
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.tables.registry import client_keys, scope_access

pytestmark = pytest.mark.db

PROVIDER = "310000027"
CONSUMER = "310000035"


class Admin:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, ["admin", *args])

    def ok(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    def rows(self, table: Any) -> list[dict[str, Any]]:
        engine = null_pool_sync_engine(self.database_url)
        with engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(select(table))]
        engine.dispose()
        return found


@pytest.fixture
def admin(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Admin:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PORTVAKT_PLATFORM_ORGNO", raising=False)
    return Admin(database_url)


@pytest.fixture
def provider(admin: Admin) -> Admin:
    admin.ok("bootstrap")
    admin.ok("org", "add", PROVIDER, "--name", "TILBYDER AS", "--terms-signed")
    admin.ok("org", "add", "--orgnr", CONSUMER, "--name", "KONSUMENT AS", "--terms-signed")
    admin.ok("prefix", "assign", "test", PROVIDER)
    admin.ok("scope", "create", "test:api/les", "--description", "Les", "--integration-type", "maskinporten")
    return admin


def test_bootstrap_is_idempotent(admin: Admin) -> None:
    first = admin.ok("bootstrap")
    assert first["organisation"]["orgno"] == "310000019"
    assert first["organisation"]["prefixes"] == ["idporten", "krr", "portvakt"]
    assert "scope portvakt:admin" in first["created"]
    assert admin.ok("bootstrap")["created"] == []
    human = admin("bootstrap")
    assert human.exit_code == 0
    assert "already up to date" in human.stdout
    sources = admin.ok("delegation-source", "list")
    assert [(s["name"], s["issuer"]) for s in sources] == [("altinn", "http://localhost:8080/altinn/")]


def test_org_add_with_domains_and_api_access(admin: Admin) -> None:
    admin.ok("bootstrap")
    added = admin.ok(
        "org",
        "add",
        "--orgno",
        PROVIDER,
        "--name",
        "TILBYDER AS",
        "--domain",
        "Tilbyder.no",
        "--domain",
        "tilbyder.com",
        "--terms-signed",
        "--api-access",
    )
    assert (added["orgno"], added["email_domains"], added["terms_signed"]) == (
        PROVIDER,
        ["tilbyder.no", "tilbyder.com"],
        True,
    )
    assert added["access"] == [
        "idporten:dcr.read",
        "idporten:dcr.modify",
        "idporten:dcr.write",
        "idporten:scopes.write",
    ]
    shown = admin.ok("org", "show", PROVIDER)
    assert shown["email_domains"] == ["tilbyder.com", "tilbyder.no"]
    rows = {
        (row["scope"], row["state"]) for row in admin.rows(scope_access) if row["consumer_orgno"] == PROVIDER
    }
    assert ("idporten:dcr.write", "APPROVED") in rows
    assert [org["orgno"] for org in admin.ok("org", "list")] == ["310000019", PROVIDER]


@pytest.mark.parametrize(
    ("args", "exit_code", "stderr"),
    [
        pytest.param(
            ["org", "add", "123", "--name", "X"], 1, "Invalid organisation number: 123", id="bad-orgno"
        ),
        pytest.param(
            ["org", "add", PROVIDER, "--name", "X"],
            1,
            f"Organisation {PROVIDER} already exists",
            id="duplicate",
        ),
        pytest.param(["org", "add", "310000043"], 2, "Missing option --name", id="no-name"),
        pytest.param(
            ["org", "add", "310000043", "--orgno", "310000051", "--name", "X"],
            2,
            "Give the organisation number once",
            id="twice",
        ),
        pytest.param(["org", "show", "310000043"], 1, "Organisation not found", id="show-unknown"),
        pytest.param(
            ["prefix", "assign", "test", CONSUMER],
            1,
            "Prefix 'test' is assigned to another organisation",
            id="prefix-taken",
        ),
        pytest.param(["prefix", "assign", "Test", CONSUMER], 1, "Invalid prefix: Test", id="prefix-syntax"),
        pytest.param(
            ["scope", "create", "test:api/les", "--description", "x"],
            1,
            "Scope 'test:api/les' already exists",
            id="scope-taken",
        ),
        pytest.param(["scope", "create", "test:ny"], 1, "description is required", id="scope-description"),
        pytest.param(
            ["scope", "create", "krr:ny", "--orgno", PROVIDER, "--description", "x"],
            1,
            f"Prefix 'krr' is not assigned to organisation {PROVIDER}",
            id="scope-prefix-not-owned",
        ),
        pytest.param(["scope", "deactivate", "test:ingen"], 1, "Scope not found", id="deactivate-unknown"),
        pytest.param(
            ["access", "grant", "test:api/les", "12"],
            1,
            "Invalid organisation number: 12",
            id="grant-bad-orgno",
        ),
        pytest.param(
            ["access", "revoke", "test:api/les", CONSUMER], 1, "Scope access not found", id="revoke-no-row"
        ),
        pytest.param(
            ["client", "create", "--orgno", CONSUMER, "--name", "K", "--scope", "test:api/les"],
            1,
            f"Scope 'test:api/les' is not shared with organisation {CONSUMER} in this environment. "
            "Contact the API provider.",
            id="client-scope-not-shared",
        ),
        pytest.param(
            ["client", "create", "--orgno", CONSUMER, "--name", "K", "--generate-key"],
            2,
            "--generate-key needs a file",
            id="key-without-file",
        ),
        pytest.param(
            ["client", "create", "--name", "K"], 2, "Missing the organisation number", id="client-no-orgno"
        ),
        pytest.param(
            ["client", "add-key", "--client-id", "ingen", "--jwk-file", "nope.json"],
            2,
            "Cannot read nope.json",
            id="add-key-no-file",
        ),
    ],
)
def test_refusals(provider: Admin, args: list[str], exit_code: int, stderr: str) -> None:
    result = provider(*args)
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert stderr in result.stderr
    assert result.stdout == ""


def test_scope_create_with_options_deactivate_and_access(provider: Admin) -> None:
    created = provider.ok(
        "scope",
        "create",
        "--prefix",
        "test",
        "--subscope",
        "api/skriv",
        "--description",
        "Skriv",
        "--allowed-integration-types",
        "maskinporten",
        "--accessible-for-all",
        "--at-max-age",
        "120",
        "--delegation-source",
        "altinn",
    )
    assert {
        key: created[key] for key in ("name", "owner_orgno", "allowed_integration_types", "at_max_age")
    } == {
        "name": "test:api/skriv",
        "owner_orgno": PROVIDER,
        "allowed_integration_types": ["maskinporten"],
        "at_max_age": 120,
    }
    assert (created["accessible_for_all"], created["delegation_source"], created["active"]) == (
        True,
        "altinn",
        True,
    )
    granted = provider.ok("access", "grant", "--scope", "test:api/les", "--orgnr", CONSUMER)
    assert (granted["state"], granted["owner_orgno"]) == ("APPROVED", PROVIDER)
    revoked = provider.ok("access", "revoke", "test:api/les", CONSUMER)
    assert revoked["state"] == "DENIED"
    assert [
        (r["scope"], r["state"]) for r in provider.rows(scope_access) if r["consumer_orgno"] == CONSUMER
    ] == [("test:api/les", "DENIED")]
    deactivated = provider.ok("scope", "deactivate", "--scope", "test:api/skriv")
    assert deactivated["active"] is False
    assert provider.ok("scope", "show", "test:api/skriv")["active"] is False
    refused = provider("access", "grant", "test:api/skriv", CONSUMER)
    assert (refused.exit_code, refused.stderr.strip()) == (1, "Scope 'test:api/skriv' is deactivated")


@pytest.mark.parametrize("form", ["option", "positional"])
def test_client_create_with_a_generated_key(provider: Admin, tmp_path: Path, form: str) -> None:
    provider.ok("access", "grant", "test:api/les", CONSUMER)
    key_file = tmp_path / "keys" / "klient.jwk.json"
    where = ["--key-out", str(key_file)] if form == "option" else [str(key_file)]
    created = provider.ok(
        "client",
        "create",
        "--orgno",
        CONSUMER,
        "--name",
        "Min klient",
        "--scopes",
        "test:api/les",
        "--generate-key",
        *where,
    )
    assert (created["client_orgno"], created["integration_type"], created["scopes"]) == (
        CONSUMER,
        "maskinporten",
        ["test:api/les"],
    )
    assert created["token_endpoint_auth_method"] == "private_key_jwt"
    private = json.loads(key_file.read_text())
    assert private["kid"] == created["kid"] == created["jwks"]["keys"][0]["kid"]
    assert {"d", "p", "q", "alg", "use"} <= set(private)
    pem = key_file.with_name("klient.pem")
    assert pem.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    for path in (key_file, pem):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = [row for row in provider.rows(client_keys) if row["client_id"] == created["client_id"]]
    assert [row["kid"] for row in stored] == [created["kid"]]
    assert "d" not in stored[0]["jwk"]
    human = provider(
        "client",
        "create",
        "--orgno",
        CONSUMER,
        "--name",
        "To",
        "--scope",
        "test:api/les",
        "--generate-key",
        "--key-out",
        str(tmp_path / "to.json"),
    )
    assert human.exit_code == 0, human.stderr
    assert "client_id: " in human.stdout
    assert "kid: " in human.stdout


def test_client_create_for_a_secret_client_prints_the_secret_once(provider: Admin) -> None:
    created = provider.ok(
        "client",
        "create",
        "--orgno",
        CONSUMER,
        "--name",
        "Nettside",
        "--integration-type",
        "idporten",
        "--redirect-uri",
        "https://app.example.no/cb",
    )
    assert len(created["client_secret"]) == 43
    assert created["scopes"] == ["openid", "profile"]
    assert created["kid"] is None


def test_client_with_a_jwk_file_then_add_key(provider: Admin, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    first.write_text(
        json.dumps({"keys": [{**generate_rsa_key().public_jwk, "kid": "første".replace("ø", "o")}]})
    )
    created = provider.ok(
        "client",
        "create",
        "--orgno",
        PROVIDER,
        "--name",
        "Egen",
        "--scope",
        "test:api/les",
        "--jwk-file",
        str(first),
    )
    assert created["kid"] == "forste"
    second = tmp_path / "second.json"
    second.write_text(json.dumps({**generate_rsa_key().public_jwk, "kid": "andre"}))
    keys = provider.ok("client", "add-key", "--client-id", created["client_id"], "--jwk-file", str(second))
    assert [key["kid"] for key in keys["keys"]] == ["forste", "andre"]
    again = provider("client", "add-key", "--client-id", created["client_id"], "--jwk-file", str(second))
    assert (again.exit_code, again.stderr.strip()) == (1, "Duplicate kid: andre")


def test_delegation_source_add(admin: Admin) -> None:
    added = admin.ok("delegation-source", "add", "annen", "https://annen.example.no/")
    assert (added["name"], added["issuer"]) == ("annen", "https://annen.example.no/")
    again = admin("delegation-source", "add", "annen", "https://annen.example.no/")
    assert again.exit_code == 1


def test_an_unmigrated_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", f"sqlite:///{tmp_path / 'tom.db'}")
    result = CliRunner().invoke(app, ["admin", "bootstrap"])
    assert result.exit_code == 2
    assert "portvakt migrate" in result.stderr
