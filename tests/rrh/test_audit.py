"""The lookup audit (krr.md §11, rrh.md §11, acceptance test §15.9): one event per lookup with the HMACs of
the returned persons, append-only in the database, keys outside it, and `portvakt lookup-audit find`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from portvakt.app import PortvaktApp
from portvakt.audit.keys import InvalidAuditKeys, load_audit_keys, parse_audit_keys
from portvakt.cli import app as cli
from portvakt.domain.errors import EnvironmentRefusal
from portvakt.settings import Settings
from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.migrate import upgrade
from portvakt.storage.tables.lookup_audit import lookup_audit_event, lookup_audit_subject
from tests.rrh.builders import World
from tests.rrh.conftest import CONSUMER, KARI, LOOKUP, MINOR, OLA, Entities, Mint

pytestmark = pytest.mark.db


async def audit_rows(app: PortvaktApp) -> tuple[list[Any], list[Any]]:
    async with app.platform.database.engine.connect() as connection:
        events = (
            await connection.execute(select(lookup_audit_event).order_by(lookup_audit_event.c.id))
        ).all()
        subjects = (await connection.execute(select(lookup_audit_subject))).all()
    return list(events), list(subjects)


def key_of(settings: Settings) -> tuple[str, bytes]:
    key_id, _, encoded = (settings.data_dir / "audit-hmac.key").read_text().strip().partition(":")
    return key_id, base64.b64decode(encoded)


async def test_every_lookup_writes_an_event_with_the_hmacs_of_the_returned_persons(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint, cast: type[Entities]
) -> None:
    headers = {"Authorization": f"Bearer {token(supplier='310000027')}", "Accept-Language": "eng"}
    assert (await client.get(LOOKUP + cast.reported, headers=headers)).status_code == 200
    assert (await client.get(LOOKUP + cast.unknown, headers=headers)).status_code == 404
    assert (await client.get(LOOKUP + cast.reported)).status_code == 403  # no token: application log only
    events, subjects = await audit_rows(app)
    key_id, secret = key_of(app.platform.settings)
    found, missing = events
    assert (found.service, found.endpoint, found.http_status) == (
        "rrh",
        "GET /api/virksomheter/{organisasjonsnummer}",
        200,
    )
    assert (found.consumer_orgno, found.supplier_orgno, found.client_id) == (
        CONSUMER,
        "310000027",
        "rrh-test-client",
    )
    assert found.scopes == "brreg:reelle/offentlig"
    assert json.loads(found.detail) == {"organisasjonsnummer": cast.reported, "language": "eng"}
    assert found.subject_count == 3
    assert found.hmac_key_id == key_id
    assert len(found.trace_id) == 32
    expected = {
        hmac.new(secret, person.fnr.encode(), hashlib.sha256).hexdigest() for person in (KARI, MINOR, OLA)
    }
    assert {row.subject_hmac for row in subjects if row.event_id == found.id} == expected
    assert (missing.http_status, missing.subject_count) == (404, 0)
    assert [row for row in subjects if row.event_id == missing.id] == []


async def test_a_failed_audit_write_fails_the_request_without_data(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities], world: World
) -> None:
    with world.engine.begin() as connection:
        if world.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE lookup_audit_subject RENAME TO lookup_audit_subject_away"))
        else:
            connection.execute(
                text('ALTER TABLE "lookup_audit_subject" RENAME TO "lookup_audit_subject_away"')
            )
    try:
        response = await client.get(LOOKUP + cast.reported, headers=bearer)
    finally:
        with world.engine.begin() as connection:
            connection.execute(text("ALTER TABLE lookup_audit_subject_away RENAME TO lookup_audit_subject"))
    assert response.status_code == 500
    body = response.json()
    assert body["type"] == "Intern feil"
    assert body["message"] == (
        "Uventet feil på tjenesten. Vennligst prøv igjen senere, eller kontakt oss om problemet vedvarer"
    )
    assert "12837541245" not in response.text
    events, _ = await audit_rows(app)
    assert events == []  # the event and the data went down together


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(lambda: lookup_audit_event.update().values(http_status=200), id="update-event"),
        pytest.param(lookup_audit_event.delete, id="delete-event"),
        pytest.param(lambda: lookup_audit_subject.update().values(subject_hmac="x"), id="update-subject"),
        pytest.param(lookup_audit_subject.delete, id="delete-subject"),
    ],
)
def test_the_database_refuses_update_and_delete(empty_database_url: str, statement: Any) -> None:
    from datetime import UTC, datetime

    upgrade(empty_database_url)
    engine = null_pool_sync_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            event_id = connection.execute(
                insert(lookup_audit_event)
                .values(
                    occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
                    service="rrh",
                    endpoint="GET /api/virksomheter/json",
                    http_status=304,
                    trace_id="0" * 32,
                    client_id="c",
                    consumer_orgno=CONSUMER,
                    supplier_orgno=None,
                    scopes="brreg:reelle/offentlig",
                    subject_count=1,
                    hmac_key_id="k1",
                    detail="{}",
                )
                .returning(lookup_audit_event.c.id)
            ).scalar_one()
            connection.execute(insert(lookup_audit_subject).values(event_id=event_id, subject_hmac="ab" * 32))
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(statement())
        with engine.connect() as connection:
            assert connection.execute(select(lookup_audit_event.c.http_status)).scalar_one() == 304
            assert connection.execute(select(lookup_audit_subject.c.subject_hmac)).scalar_one() == "ab" * 32
    finally:
        engine.dispose()


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "data", _env_file=None)
    first = load_audit_keys(settings)
    path = tmp_path / "data" / "audit-hmac.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_audit_keys(settings) == first
    assert len(first.active.secret) == 32


def test_configured_keys_first_is_active_and_prod_needs_them(tmp_path: Path) -> None:
    old, new = base64.b64encode(b"o" * 32).decode(), base64.b64encode(b"n" * 40).decode()
    keys = parse_audit_keys(f"new:{new}, old:{old}")
    assert [key.key_id for key in keys.keys] == ["new", "old"]
    assert keys.active.key_id == "new"
    assert keys.digests("12837541245") == [
        hmac.new(b"n" * 40, b"12837541245", hashlib.sha256).hexdigest(),
        hmac.new(b"o" * 32, b"12837541245", hashlib.sha256).hexdigest(),
    ]
    prod = Settings(env="prod", database_url="sqlite://", data_dir=tmp_path, _env_file=None)
    with pytest.raises(EnvironmentRefusal, match="PORTVAKT_AUDIT_HMAC_KEYS"):
        load_audit_keys(prod)
    assert not (tmp_path / "audit-hmac.key").exists()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("nocolon", id="no-id"),
        pytest.param(f"k1:{base64.b64encode(b'short').decode()}", id="too-short"),
        pytest.param(
            f"k1:{base64.b64encode(b'x' * 32).decode()},k1:{base64.b64encode(b'y' * 32).decode()}", id="dup"
        ),
        pytest.param("k 1:abc", id="bad-id"),
    ],
)
def test_invalid_key_settings(value: str) -> None:
    with pytest.raises(InvalidAuditKeys):
        parse_audit_keys(value)


async def test_lookup_audit_find_lists_the_lookups_that_returned_the_person(
    app: PortvaktApp,
    client: httpx.AsyncClient,
    token: Mint,
    cast: type[Entities],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    headers = {"Authorization": f"Bearer {token()}"}
    await client.get(LOOKUP + cast.reported, headers=headers)  # KARI, MINOR, OLA
    await client.get(LOOKUP + cast.deleted, headers=headers)  # KARI (earlier registration)
    await client.get(LOOKUP + cast.unreported, headers=headers)  # nobody
    settings = app.platform.settings
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    result = runner.invoke(
        cli, ["lookup-audit", "find", "--id", KARI.fnr, "--service", "rrh", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {item["endpoint"] for item in found} == {"GET /api/virksomheter/{organisasjonsnummer}"}
    assert [item["detail"]["organisasjonsnummer"] for item in found] == [
        cast.reported,
        cast.deleted,
    ]
    assert {item["consumer_orgno"] for item in found} == {CONSUMER}
    minor = runner.invoke(cli, ["lookup-audit", "find", "--id", MINOR.fnr])
    assert minor.exit_code == 0
    assert "1 event(s)" in minor.stdout
    none = runner.invoke(cli, ["lookup-audit", "find", "--id", MINOR.fnr, "--service", "krr"])
    assert "0 event(s)" in none.stdout
    later = runner.invoke(
        cli, ["lookup-audit", "find", "--id", KARI.fnr, "--from", "2026-01-02", "--format", "json"]
    )
    assert json.loads(later.stdout) == []
    same_day = runner.invoke(
        cli, ["lookup-audit", "find", "--id", KARI.fnr, "--to", "2026-01-01", "--format", "json"]
    )
    assert len(json.loads(same_day.stdout)) == 2
    bad = runner.invoke(cli, ["lookup-audit", "find", "--id", "123"])
    assert bad.exit_code == 2


async def test_a_national_id_sent_as_organisation_number_is_not_stored(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    response = await client.get(LOOKUP + KARI.fnr, headers=bearer)
    assert response.status_code == 400
    [event], subjects = await audit_rows(app)
    assert (event.http_status, json.loads(event.detail)) == (
        400,
        {"organisasjonsnummer": None, "language": "nob"},
    )
    assert KARI.fnr not in event.detail
    assert subjects == []
