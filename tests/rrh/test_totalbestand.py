"""Totalbestand (rrh.md §10, acceptance test §15.8): ZIP content, conditional GET, HEAD, 503, atomic swap,
one builder at a time, and a download that outlives a rebuild."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from portvakt.app import PortvaktApp
from portvakt.domain.clock import FixedClock
from portvakt.rrh.scheduler import TotalbestandScheduler, next_run
from portvakt.rrh.totalbestand import (
    ENTRY_NAME,
    build_totalbestand,
    builder_lock,
    open_current,
    read_current,
    remove_superseded,
)
from tests.rrh.builders import World, at, not_reported, orgnr
from tests.rrh.conftest import Entities, Mint
from tests.rrh.test_lookup import assert_error

pytestmark = pytest.mark.db

URL = "/rrh/api/virksomheter/json"


async def rebuild(app: PortvaktApp) -> dict[str, Any]:
    scheduler: TotalbestandScheduler = app.platform.components["rrh.totalbestand"]
    await scheduler.settled()
    outcome = await scheduler.build("test")
    assert outcome.current is not None
    return json.loads((scheduler.directory / "current.json").read_text())


def elements(body: bytes) -> list[dict[str, Any]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == [ENTRY_NAME]
        assert archive.getinfo(ENTRY_NAME).compress_type == zipfile.ZIP_DEFLATED
        document: list[dict[str, Any]] = json.loads(archive.read(ENTRY_NAME))
    return document


async def test_zip_holds_every_registrable_entity_with_its_current_registration(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    current = await rebuild(app)
    response = await client.get(URL, headers=bearer)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["etag"] == f'"{current["etag"]}"'
    assert response.headers["content-disposition"] == 'attachment; filename="totalbestand.zip"'
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["accept-ranges"] == "none"
    assert int(response.headers["content-length"]) == len(response.content) == current["size"]
    assert "last-modified" in response.headers
    document = elements(response.content)
    assert [item["organisasjonsnummer"] for item in document] == sorted(
        [cast.reported, cast.unreported, cast.deleted]
    )
    assert current["entity_count"] == 3
    for item in document:
        assert len(item["registreringer"]) == 1
        assert item["registreringer"][0]["erGjeldendeRegistrering"] is True
    reported = next(item for item in document if item["organisasjonsnummer"] == cast.reported)
    assert reported["registreringer"][0]["registrert"] == "2025-02-11T13:11:28.956Z"
    assert (
        reported["registreringer"][0]["registreringsstatus"]["kodenavn"]
        == "Rettighetsinformasjon er registrert"
    )
    deleted = next(item for item in document if item["organisasjonsnummer"] == cast.deleted)
    assert deleted["slettetIRegisterOverReelleRettighetshavere"] == "2025-03-01T09:00:00.000Z"


async def test_etag_is_the_sha256_prefix_of_the_zip_bytes(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    import hashlib

    current = await rebuild(app)
    body = (await client.get(URL, headers=bearer)).content
    assert hashlib.sha256(body).hexdigest()[:32] == current["etag"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param(lambda etag, date: {"If-None-Match": f'"{etag}"'}, 304, id="etag"),
        pytest.param(lambda etag, date: {"If-None-Match": f'"other", W/"{etag}"'}, 304, id="weak-in-list"),
        pytest.param(lambda etag, date: {"If-None-Match": "*"}, 304, id="star"),
        pytest.param(lambda etag, date: {"If-None-Match": '"other"'}, 200, id="etag-differs"),
        pytest.param(lambda etag, date: {"If-Modified-Since": date}, 304, id="not-modified-since"),
        pytest.param(
            lambda etag, date: {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
            200,
            id="modified-since",
        ),
        pytest.param(
            lambda etag, date: {"If-None-Match": '"other"', "If-Modified-Since": date},
            200,
            id="if-none-match-wins",
        ),
        pytest.param(lambda etag, date: {"Range": "bytes=0-10"}, 200, id="range-ignored"),
    ],
)
async def test_conditional_get(
    app: PortvaktApp,
    client: httpx.AsyncClient,
    bearer: dict[str, str],
    cast: type[Entities],
    headers: Any,
    status: int,
) -> None:
    await rebuild(app)
    first = await client.get(URL, headers=bearer)
    response = await client.get(
        URL, headers={**bearer, **headers(first.headers["etag"].strip('"'), first.headers["last-modified"])}
    )
    assert response.status_code == status
    assert response.headers["etag"] == first.headers["etag"]
    assert response.headers["last-modified"] == first.headers["last-modified"]
    if status == 304:
        assert response.content == b""
    else:
        assert response.content == first.content


async def test_head_gives_headers_only(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str], cast: type[Entities]
) -> None:
    current = await rebuild(app)
    response = await client.head(URL, headers=bearer)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(current["size"])
    assert response.headers["etag"] == f'"{current["etag"]}"'


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        pytest.param("application/zip", 200, id="zip"),
        pytest.param("application/octet-stream", 200, id="octet-stream"),
        pytest.param("*/*", 200, id="any"),
        pytest.param("application/json", 406, id="json-refused"),
    ],
)
async def test_totalbestand_accept(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str], accept: str, status: int
) -> None:
    await rebuild(app)
    response = await client.get(URL, headers={**bearer, "Accept": accept})
    assert response.status_code == status
    if status == 406:
        assert_error(
            response,
            406,
            "Ikke akseptert",
            "Not Acceptable",
            f"Medietypen i Accept-headeren støttes ikke: {accept}",
        )


async def test_503_before_the_first_file(
    app: PortvaktApp, client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    scheduler: TotalbestandScheduler = app.platform.components["rrh.totalbestand"]
    await scheduler.settled()
    (scheduler.directory / "current.json").unlink(missing_ok=True)
    response = await client.get(URL, headers=bearer)
    assert_error(
        response,
        503,
        "Ikke tilgjengelig",
        "Service Unavailable",
        "Totalbestanden er ikke klar ennå. Prøv igjen senere",
    )
    assert response.headers["retry-after"] == "300"


async def test_a_download_started_before_a_rebuild_completes_intact(
    app: PortvaktApp, world: World, cast: type[Entities]
) -> None:
    """The handle opened at request start keeps the old inode, even when the file is replaced and removed."""
    scheduler: TotalbestandScheduler = app.platform.components["rrh.totalbestand"]
    first = await rebuild(app)
    opened = open_current(scheduler.directory)
    assert opened is not None
    head = opened.handle.read(16)
    chunks = opened.chunks()
    extra = orgnr(39990056)
    world.entity(extra)
    world.rrh(extra, [not_reported(at("2025-01-01T00:00:00"))])
    second = await rebuild(app)
    assert second["etag"] != first["etag"]
    os.unlink(scheduler.directory / first["file"])  # superseded and removed while the download runs
    body = head + b"".join(chunks)
    assert [item["organisasjonsnummer"] for item in elements(body)] == sorted(
        [cast.reported, cast.unreported, cast.deleted]
    )
    new = open_current(scheduler.directory)
    assert new is not None
    assert len(elements(b"".join(new.chunks()))) == 4


def test_one_builder_at_a_time(database_url: str, tmp_path: Path, clock: FixedClock) -> None:
    directory = tmp_path / "totalbestand"
    with builder_lock(database_url, directory) as held:
        assert held
        skipped = build_totalbestand(database_url, directory, clock, "test")
        assert skipped.current is None
        assert read_current(directory) is None
    built = build_totalbestand(database_url, directory, clock, "test")
    assert built.current is not None
    assert read_current(directory) == built.current
    assert sorted(path.name for path in directory.iterdir() if not path.name.startswith(".")) == sorted(
        [built.current.file, "current.json"]
    )


def test_old_files_are_removed_an_hour_after_being_superseded(tmp_path: Path, clock: FixedClock) -> None:
    names = [f"totalbestand-2026010{day}T000000Z-0000000{day}.zip" for day in range(1, 5)]
    for name in names:
        (tmp_path / name).write_bytes(b"zip")
    now = clock.now().timestamp()
    os.utime(tmp_path / names[2], (now - 3000, now - 3000))  # superseded the second file 50 min ago
    os.utime(tmp_path / names[1], (now - 7200, now - 7200))  # superseded the first file 2 h ago
    assert remove_superseded(tmp_path, clock) == [names[0]]
    assert sorted(path.name for path in tmp_path.iterdir()) == names[1:]


@pytest.mark.parametrize(
    ("now", "at_time", "expected"),
    [
        pytest.param("2026-01-01T12:00:00+00:00", "00:00", "2026-01-01T23:00:00+00:00", id="winter-midnight"),
        pytest.param("2026-07-01T12:00:00+00:00", "00:00", "2026-07-01T22:00:00+00:00", id="summer-midnight"),
        pytest.param("2026-01-01T02:00:00+00:00", "03:30", "2026-01-01T02:30:00+00:00", id="later-today"),
    ],
)
def test_daily_schedule_in_oslo_time(now: str, at_time: str, expected: str) -> None:
    from datetime import datetime

    assert next_run(datetime.fromisoformat(now), at_time) == datetime.fromisoformat(expected)


async def test_totalbestand_download_is_audited(
    app: PortvaktApp, client: httpx.AsyncClient, token: Mint, cast: type[Entities]
) -> None:
    from sqlalchemy import select

    from portvakt.storage.tables.lookup_audit import lookup_audit_event, lookup_audit_subject

    current = await rebuild(app)
    headers = {"Authorization": f"Bearer {token()}"}
    await client.get(URL, headers=headers)
    await client.get(URL, headers={**headers, "If-None-Match": f'"{current["etag"]}"'})
    await client.head(URL, headers=headers)
    async with app.platform.database.engine.connect() as connection:
        events = (await connection.execute(select(lookup_audit_event))).all()
        subjects = (await connection.execute(select(lookup_audit_subject))).all()
    assert [(event.endpoint, event.http_status) for event in events] == [
        ("GET /api/virksomheter/json", 200),
        ("GET /api/virksomheter/json", 304),
        ("GET /api/virksomheter/json", 200),
    ]
    assert {json.loads(event.detail)["build_id"] for event in events} == {current["build_id"]}
    assert {event.subject_count for event in events} == {3}
    assert subjects == []


def test_startup_rule(tmp_path: Path, clock: FixedClock, database_url: str) -> None:
    from portvakt.rrh.totalbestand import needs_build

    assert needs_build(tmp_path, clock)
    build_totalbestand(database_url, tmp_path, clock, "test")
    assert not needs_build(tmp_path, clock)
    clock.advance(timedelta(hours=25, seconds=1))
    assert needs_build(tmp_path, clock)


async def test_the_daily_trigger_builds_when_due(
    database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    import asyncio

    from portvakt.rrh.totalbestand import build_history
    from portvakt.storage.engine import null_pool_sync_engine

    directory = tmp_path / "totalbestand"
    build_totalbestand(database_url, directory, clock, "test")  # a fresh file: no start-up build
    scheduler = TotalbestandScheduler(database_url, directory, clock, "03:00", tick=0.05)
    await scheduler.start()
    await asyncio.sleep(0.2)
    engine = null_pool_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            assert [row["trigger"] for row in build_history(connection)] == ["test"]
        clock.advance(timedelta(days=1))
        for _ in range(200):
            await asyncio.sleep(0.05)
            with engine.connect() as connection:
                triggers = [row["trigger"] for row in build_history(connection)]
            if "schedule" in triggers:
                break
        assert sorted(triggers) == ["schedule", "test"]
    finally:
        engine.dispose()
        await scheduler.stop()
