"""The lookup audit for KRR (krr.md §11; acceptance test §15.9): one event per authenticated call with the
hashed subjects, append-only in the database, a failed write fails the request, queryable per person."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from portvakt.app import PortvaktApp
from portvakt.cli import app as cli
from portvakt.storage.tables.lookup_audit import lookup_audit_event, lookup_audit_subject
from tests.krr.conftest import (
    CONSUMER,
    FEED,
    HENTENDRING,
    INGRID,
    KONTAKT,
    OLA,
    PERSON,
    SPRAAK_WRITE,
    SUPPLIER,
    UNKNOWN,
    V1,
    V2,
    Mint,
    active,
    bearer,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.db]

Seed = Callable[..., Any]


async def audit_rows(app: PortvaktApp) -> tuple[list[Any], list[Any]]:
    async with app.platform.database.engine.connect() as connection:
        events = (
            await connection.execute(select(lookup_audit_event).order_by(lookup_audit_event.c.id))
        ).all()
        subjects = (await connection.execute(select(lookup_audit_subject))).all()
    return list(events), list(subjects)


def digest(app: PortvaktApp, identifier: str) -> str:
    _key_id, _, encoded = (
        (app.platform.settings.data_dir / "audit-hmac.key").read_text().strip().partition(":")
    )
    return hmac.new(base64.b64decode(encoded), identifier.encode(), hashlib.sha256).hexdigest()


async def test_one_event_per_call_with_hashed_subjects(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint, citizen: Mint, seed: Seed
) -> None:
    await seed(active(INGRID, both=True))
    body = {"personidentifikatorer": [INGRID, UNKNOWN, INGRID], "inkluderIkkeRegistrerte": True}
    assert (await client.post(V2, json=body, headers=bearer(token(supplier=SUPPLIER)))).status_code == 200
    assert (
        await client.post(V1, json={"personidentifikatorer": []}, headers=bearer(token()))
    ).status_code == 400
    assert (await client.post(V1, json=body)).status_code == 401  # no token: application log only
    assert (await client.get(PERSON, headers=bearer(citizen()))).status_code == 200
    assert (
        await client.patch(PERSON, json={"spraak": "nn"}, headers=bearer(citizen(scope=SPRAAK_WRITE)))
    ).status_code == 200
    assert (
        await client.post(FEED, json={"fraEndringsId": 0}, headers=bearer(token(HENTENDRING)))
    ).status_code == 200
    events, subjects = await audit_rows(app)
    assert [(e.endpoint, e.http_status) for e in events] == [
        ("POST /rest/v2/personer", 200),
        ("POST /rest/v1/personer", 400),
        ("GET /rest/v1/person", 200),
        ("PATCH /rest/v1/person", 200),
        ("POST /rest/v2/krr/hentEndringer", 200),
    ]
    lookup, failed, own, patched, feed = events
    assert lookup.service == "krr"
    assert (lookup.client_id, lookup.consumer_orgno, lookup.supplier_orgno) == (
        "krr-test-client",
        CONSUMER,
        SUPPLIER,
    )
    assert lookup.scopes == "krr:global/digitalpost.read krr:global/kontaktinformasjon.read"
    assert lookup.subject_count == 2
    assert json.loads(lookup.detail) == {"api": "v2", "inkluderIkkeRegistrerte": True}
    assert len(lookup.trace_id) == 32
    by_event: dict[int, set[str]] = {}
    for row in subjects:
        by_event.setdefault(row.event_id, set()).add(row.subject_hmac)
    assert by_event[lookup.id] == {digest(app, INGRID), digest(app, UNKNOWN)}
    assert failed.id not in by_event
    assert failed.subject_count == 0
    assert by_event[own.id] == by_event[patched.id] == {digest(app, INGRID)}
    assert own.supplier_orgno is None
    assert own.client_id == "krr-api-klient"
    assert feed.subject_count == 2  # the seeding change and the PATCH change
    assert by_event[feed.id] == {digest(app, INGRID)}
    raw = " ".join(str(value) for event in events for value in event)
    assert INGRID not in raw
    assert UNKNOWN not in raw


async def test_forbidden_calls_are_audited_without_subjects(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint
) -> None:
    assert (
        await client.post(V1, json={"personidentifikatorer": [OLA]}, headers=bearer(token(HENTENDRING)))
    ).status_code == 403
    events, subjects = await audit_rows(app)
    assert [(e.endpoint, e.http_status, e.subject_count) for e in events] == [
        ("POST /rest/v1/personer", 403, 0)
    ]
    assert subjects == []


async def test_the_database_refuses_update_and_delete(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint
) -> None:
    await client.post(V1, json={"personidentifikatorer": [OLA]}, headers=bearer(token()))
    for statement in (
        "UPDATE lookup_audit_event SET http_status = 500",
        "DELETE FROM lookup_audit_event",
        "UPDATE lookup_audit_subject SET subject_hmac = 'x'",
        "DELETE FROM lookup_audit_subject",
    ):
        with pytest.raises(DBAPIError):
            async with app.platform.database.engine.begin() as connection:
                await connection.execute(text(statement))
    events, subjects = await audit_rows(app)
    assert [e.http_status for e in events] == [200]
    assert len(subjects) == 1


@pytest_asyncio.fixture(loop_scope="module")
async def broken_audit(app: PortvaktApp) -> AsyncIterator[None]:
    """A database that refuses new audit events (a real failed write, not a stub)."""
    engine = app.platform.database.engine
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "CREATE FUNCTION krr_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    "BEGIN RAISE EXCEPTION 'audit unavailable'; END $$"
                )
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER krr_test_refuse BEFORE INSERT ON lookup_audit_event "
                    "FOR EACH ROW EXECUTE FUNCTION krr_test_refuse()"
                )
            )
        else:
            await connection.execute(
                text(
                    "CREATE TRIGGER krr_test_refuse BEFORE INSERT ON lookup_audit_event "
                    "BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"
                )
            )
    yield
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("DROP TRIGGER krr_test_refuse ON lookup_audit_event"))
            await connection.execute(text("DROP FUNCTION krr_test_refuse()"))
        else:
            await connection.execute(text("DROP TRIGGER krr_test_refuse"))


@pytest.mark.usefixtures("broken_audit")
async def test_a_failed_audit_write_fails_the_request(
    client: httpx.AsyncClient, token: Mint, seed: Seed
) -> None:
    await seed(active(INGRID, both=True))
    response = await client.post(V1, json={"personidentifikatorer": [INGRID]}, headers=bearer(token(KONTAKT)))
    assert response.status_code == 500
    error = response.json()
    assert error["error"] == "Internal Server Error"
    assert error["message"].startswith("An unexpected error occurred (trace_id: ")
    assert len(error["message"].split("trace_id: ")[1].rstrip(")")) == 32
    assert INGRID not in response.text
    denied = await client.post(
        V1, json={"personidentifikatorer": [INGRID]}, headers=bearer(token(HENTENDRING))
    )
    assert denied.status_code == 500  # even the error outcome must be audited


async def test_lookup_audit_find_answers_who_looked_up_whom(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint, monkeypatch: pytest.MonkeyPatch
) -> None:
    await client.post(V1, json={"personidentifikatorer": [INGRID, OLA]}, headers=bearer(token()))
    await client.post(
        V1, json={"personidentifikatorer": [OLA]}, headers=bearer(token(KONTAKT, consumer=SUPPLIER))
    )
    settings = app.platform.settings
    monkeypatch.setenv("PORTVAKT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PORTVAKT_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    result = runner.invoke(cli, ["lookup-audit", "find", "--id", OLA, "--service", "krr", "--format", "json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [(item["consumer_orgno"], item["scopes"]) for item in found] == [
        (CONSUMER, "krr:global/digitalpost.read krr:global/kontaktinformasjon.read"),
        (SUPPLIER, KONTAKT),
    ]
    assert all(item["endpoint"] == "POST /rest/v1/personer" for item in found)
    table = runner.invoke(cli, ["lookup-audit", "find", "--id", INGRID])
    assert table.exit_code == 0
    assert "1 event(s)" in table.stdout
