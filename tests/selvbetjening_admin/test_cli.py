"""`portvakt admin org|prefix|user|delegation-source|audit …` (selvbetjening.md §7): exit codes, --json and
what ends up stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from portvakt.cli import app
from portvakt.domain.clock import SystemClock
from portvakt.registry.admin import AdminService, admin_service
from portvakt.registry.model import ScopeSettings
from portvakt.registry.service import Actor
from portvakt.settings import Settings
from portvakt.storage.engine import Database, null_pool_sync_engine
from portvakt.storage.tables.portal import portal_users
from tests.selvbetjening_admin.conftest import ALTINN_ISSUER, CONSUMER, PID, PLATFORM, PROVIDER

pytestmark = pytest.mark.db
T = TypeVar("T")


class Admin:
    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, ["admin", *args])

    def ok(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    def users(self) -> list[dict[str, Any]]:
        engine = null_pool_sync_engine(self.database_url)
        with engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(select(portal_users))]
        engine.dispose()
        return found

    def service(self, actor: Actor, work: Callable[[AdminService], Awaitable[T]]) -> T:
        """Run use cases directly (test set-up), on the same database as the CLI."""

        async def main() -> T:
            database = Database.connect(self.database_url)
            try:
                settings = Settings(
                    database_url=self.database_url, data_dir=self.tmp_path / "data", _env_file=None
                )
                return await work(admin_service(settings, database, SystemClock(), actor))
            finally:
                await database.dispose()

        return asyncio.run(main())

    def register(self, email: str, name: str = "Åse Øvrebø") -> str:
        """A user as the portal registers them (there is no `user add`: users come from registration)."""

        async def work(portal: AdminService) -> str:
            return (await portal.register_user(email, name, password_hash="scrypt$x")).user_id

        return self.service(Actor(channel="portal", name=email), work)


@pytest.fixture
def admin(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Admin:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PORTVAKT_PLATFORM_ORGNO", raising=False)
    admin = Admin(database_url, tmp_path)

    async def seed(service: AdminService) -> None:
        await service.bootstrap(altinn_issuer=ALTINN_ISSUER)
        await service.add_organisation(
            PROVIDER, "TILBYDER AS", email_domains=["tilbyder.no"], terms_signed=True
        )
        await service.add_organisation(CONSUMER, "KONSUMENT AS", email_domains=["konsument.no"])
        await service.assign_prefix("test", PROVIDER)
        await service.create_scope("test", "api/les", ScopeSettings(description="Les"))

    admin.service(Actor.cli(), seed)
    return admin


def test_org_update_changes_only_what_is_given(admin: Admin) -> None:
    updated = admin.ok(
        "org",
        "update",
        CONSUMER,
        "--name",
        "NYTT NAVN AS",
        "--domain",
        "Konsument.no",
        "--domain",
        "nytt.no",
        "--terms-signed",
        "--invoice-reference",
        "PO-17",
        "--invoice-email",
        "Faktura@Konsument.no",
        "--notification-point",
        "drift@konsument.no",
        "--notification-point",
        "Drift@konsument.no",
    )
    assert (updated["name"], updated["email_domains"], updated["terms_signed"]) == (
        "NYTT NAVN AS",
        ["konsument.no", "nytt.no"],
        True,
    )
    assert updated["mercantile"] == {
        "invoice": {"reference": "PO-17", "email": "faktura@konsument.no", "address": None},
        "notification_points": ["drift@konsument.no"],
    }
    address = admin.ok("org", "update", CONSUMER, "--invoice-address", "Gate 1, 0150 Oslo")
    assert address["mercantile"]["invoice"] == {
        "reference": "PO-17",
        "email": "faktura@konsument.no",
        "address": "Gate 1, 0150 Oslo",
    }
    assert address["name"] == "NYTT NAVN AS"
    shown = admin.ok("org", "show", CONSUMER)
    assert shown == address
    cleared = admin.ok("org", "update", "--orgno", CONSUMER, "--no-domains", "--terms-not-signed")
    assert (cleared["email_domains"], cleared["terms_signed"]) == ([], False)
    human = admin("org", "update", CONSUMER, "--name", "KONSUMENT AS")
    assert human.exit_code == 0
    assert human.stdout.strip() == f"Organisation {CONSUMER} (KONSUMENT AS) updated"


def test_org_deactivate_and_list(admin: Admin) -> None:
    deactivated = admin.ok("org", "deactivate", CONSUMER)
    assert deactivated["active"] is False
    assert [org["orgno"] for org in admin.ok("org", "list")] == [PLATFORM, PROVIDER]
    assert [org["orgno"] for org in admin.ok("org", "list", "--all")] == [PLATFORM, PROVIDER, CONSUMER]
    human = admin("org", "list", "--all")
    assert f"{CONSUMER}  KONSUMENT AS  (deactivated)" in human.stdout


def test_prefix_revoke(admin: Admin) -> None:
    admin.ok("prefix", "assign", "ledig", CONSUMER)
    assert admin.ok("prefix", "revoke", "ledig") == {"prefix": "ledig", "orgno": CONSUMER}
    assert admin.ok("org", "show", CONSUMER)["prefixes"] == []
    human = admin("prefix", "assign", "ledig", PROVIDER)
    assert human.exit_code == 0


def test_user_commands(admin: Admin) -> None:
    user_id = admin.register("Ase@tilbyder.no")
    admin.register("bjorn@konsument.no", "Bjørn")
    listed = admin.ok("user", "list")
    assert [(u["email"], u["orgno"]) for u in listed] == [
        ("ase@tilbyder.no", PROVIDER),
        ("bjorn@konsument.no", CONSUMER),
    ]
    assert "password_hash" not in listed[0]
    assert [u["email"] for u in admin.ok("user", "list", "--orgno", CONSUMER)] == ["bjorn@konsument.no"]
    with_pid = admin("user", "set-pid", "ase@tilbyder.no", PID)
    assert with_pid.exit_code == 0
    assert with_pid.stdout.strip() == "National identity number set for ase@tilbyder.no"
    assert PID not in with_pid.stdout + with_pid.stderr
    assert admin.ok("user", "grant", "ase@tilbyder.no", "apier")["rights"] == ["APIer"]
    assert admin.ok("user", "grant", "ase@tilbyder.no", "leverandor")["rights"] == ["APIer", "leverandør"]
    granted = admin("user", "grant", "ase@tilbyder.no", "integrasjoner")
    assert granted.stdout.strip() == "Rights of ase@tilbyder.no: APIer, integrasjoner, leverandør"
    assert admin.ok("user", "revoke", "ase@tilbyder.no", "APIer")["rights"] == ["integrasjoner", "leverandør"]
    assert admin.ok("user", "set-org", "ase@tilbyder.no", CONSUMER)["orgno"] == CONSUMER
    assert admin.ok("user", "deactivate", "ase@tilbyder.no")["active"] is False
    shown = admin("user", "show", "ase@tilbyder.no")
    assert shown.stdout.strip() == (
        f"ase@tilbyder.no  Åse Øvrebø  org {CONSUMER}  "
        "rights: integrasjoner, leverandør  pid: set  (deactivated)"
    )
    stored = {row["user_id"]: row for row in admin.users()}[user_id]
    assert (stored["pid"], stored["rights"], stored["orgno"], stored["active"]) == (
        PID,
        ["integrasjoner", "leverandør"],
        CONSUMER,
        False,
    )


def test_delegation_source_add(admin: Admin) -> None:
    added = admin.ok("delegation-source", "add", "annen", "https://annen.example.no/")
    assert (added["name"], added["issuer"]) == ("annen", "https://annen.example.no/")
    assert [s["name"] for s in admin.ok("delegation-source", "list")] == ["altinn", "annen"]


@pytest.mark.parametrize(
    ("args", "exit_code", "stderr"),
    [
        pytest.param(
            ["org", "update", "310000051", "--name", "X"], 1, "Organisation not found", id="update-unknown"
        ),
        pytest.param(
            ["org", "update", CONSUMER, "--domain", "tilbyder.no"],
            1,
            "E-mail domain 'tilbyder.no' belongs to another organisation",
            id="domain-taken",
        ),
        pytest.param(
            ["org", "update", CONSUMER, "--invoice-email", "faktura"],
            1,
            "Invalid value for mercantile.invoice.email",
            id="mercantile",
        ),
        pytest.param(
            ["org", "update", CONSUMER, "--domain", "a.no", "--no-domains"],
            2,
            "Use either --domain or --no-domains",
            id="domains-twice",
        ),
        pytest.param(["org", "update"], 2, "Missing the organisation number", id="update-no-orgno"),
        pytest.param(
            ["org", "deactivate", "12"], 1, "Invalid organisation number: 12", id="deactivate-bad-orgno"
        ),
        pytest.param(
            ["prefix", "revoke", "test"], 1, "Prefix 'test' is used by existing scopes", id="prefix-in-use"
        ),
        pytest.param(
            ["prefix", "revoke", "ukjent"],
            1,
            "Prefix 'ukjent' is not assigned to any organisation",
            id="prefix-unknown",
        ),
        pytest.param(["prefix", "revoke"], 2, "Missing the prefix", id="prefix-missing"),
        pytest.param(["user", "set-pid", "ingen@tilbyder.no", PID], 1, "User not found", id="user-unknown"),
        pytest.param(
            ["user", "set-pid", "ase@tilbyder.no", "12345678901"], 1, "Invalid value for pid", id="bad-pid"
        ),
        pytest.param(
            ["user", "grant", "ase@tilbyder.no", "admin"], 1, "Invalid value for rights: admin", id="right"
        ),
        pytest.param(
            ["user", "set-org", "ase@tilbyder.no", "310000051"], 1, "Organisation not found", id="set-org"
        ),
        pytest.param(
            ["user", "list", "--orgno", "12"], 1, "Invalid organisation number: 12", id="list-bad-orgno"
        ),
        pytest.param(
            ["user", "deactivate", "ingen@tilbyder.no"], 1, "User not found", id="deactivate-unknown"
        ),
        pytest.param(
            ["delegation-source", "add", "altinn", "https://x.example.no/"],
            1,
            "Delegation source 'altinn' already exists",
            id="source-taken",
        ),
        pytest.param(["audit", "--since", "i går"], 2, "Invalid --since: i går", id="since"),
        pytest.param(["audit", "--orgno", "12"], 1, "Invalid organisation number: 12", id="audit-bad-orgno"),
    ],
)
def test_refusals(admin: Admin, args: list[str], exit_code: int, stderr: str) -> None:
    admin.register("ase@tilbyder.no")
    result = admin(*args)
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    assert stderr in result.stderr
    assert result.stdout == ""


def test_bad_pid_is_not_echoed(admin: Admin) -> None:
    admin.register("ase@tilbyder.no")
    result = admin("user", "set-pid", "ase@tilbyder.no", "12345678901")
    assert result.exit_code == 1
    assert "12345678901" not in result.stdout + result.stderr


def test_audit_lists_changes_by_organisation_and_time(admin: Admin) -> None:
    everything = admin.ok("audit")
    assert [e["action"] for e in everything][-4:] == [
        "organisation.create",
        "organisation.create",
        "prefix.assign",
        "scope.create",
    ]
    assert {(e["channel"], e["actor"], e["acting_orgno"]) for e in everything} == {("cli", "cli", PLATFORM)}
    provider = admin.ok("audit", "--orgno", PROVIDER)
    assert [(e["action"], e["entity_id"]) for e in provider] == [
        ("organisation.create", PROVIDER),
        ("prefix.assign", "test"),
        ("scope.create", "test:api/les"),
    ]
    assert provider[2]["after"]["name"] == "test:api/les"
    admin.ok("access", "grant", "test:api/les", CONSUMER)
    consumer = admin.ok("audit", "--orgno", CONSUMER)
    assert [e["action"] for e in consumer] == ["organisation.create"]  # the access belongs to the owner
    assert admin.ok("audit", "--since", "2999-01-01") == []
    assert len(admin.ok("audit", "--since", "2000-01-01T00:00Z")) == len(everything) + 1
    human = admin("audit", "--orgno", PROVIDER)
    assert human.exit_code == 0
    lines = human.stdout.strip().splitlines()
    assert lines[-1].endswith(
        f"cli  cli ({PLATFORM})  scope_access.grant  scope_access test:api/les|{CONSUMER}"
    )
