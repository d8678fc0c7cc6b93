"""Totalbestand (rrh.md §10): a streamed ZIP build with constant memory, atomic swap, one builder at a time.

The ZIP is written through a forward-only writer (no seeks: zipfile then uses data descriptors), so the
SHA-256 of the bytes — the ETag — is computed while writing. Files are renamed into place and named by
`current.json`, which is itself swapped atomically; a download opens the named file at its start and keeps
the old inode even when a rebuild replaces and later deletes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, Engine, event, insert, select, text, update
from sqlalchemy.pool import NullPool
from structlog.typing import FilteringBoundLogger

from portvakt.domain.clock import Clock
from portvakt.domain.errors import PortvaktError
from portvakt.rrh.codelists import DEFAULT_LANGUAGE, code_lists
from portvakt.rrh.render import Renderer, timestamp
from portvakt.rrh.store import current_registrations
from portvakt.storage.engine import backend_of, create_sync_engine
from portvakt.storage.tables.totalbestand import rrh_totalbestand_builds
from portvakt.web.logging import get_logger


def log() -> FilteringBoundLogger:
    """Looked up at the call: a logger bound at import would predate `configure_logging`."""
    return get_logger("portvakt.rrh.totalbestand")


ENTRY_NAME = "totalbestand.json"
CURRENT_FILE = "current.json"
LOCK_FILE = ".build.lock"
ADVISORY_LOCK_KEY = 0x5252485F544F5441  # "RRH_TOTA"
BATCH_SIZE = 1000
CHUNK_SIZE = 64 * 1024
KEEP_FILES = 2
SUPERSEDED_GRACE = timedelta(hours=1)
STALE_AFTER = timedelta(hours=25)


class TotalbestandBuildFailed(PortvaktError):
    status_code = 500
    code = "totalbestand_build_failed"


@dataclass(frozen=True)
class CurrentBuild:
    """The content of `current.json`."""

    file: str
    etag: str
    last_modified: str
    size: int
    entity_count: int
    build_id: str
    started: str
    finished: str

    @property
    def last_modified_at(self) -> datetime:
        return datetime.fromisoformat(self.last_modified.replace("Z", "+00:00"))


@dataclass(frozen=True)
class BuildOutcome:
    """`current` is None when another process held the builder lock (the run was skipped)."""

    current: CurrentBuild | None
    duration_seconds: float = 0.0


class _HashingWriter:
    """A forward-only file wrapper: counts and hashes every byte; refuses seeks."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.position = 0

    def write(self, data: bytes, /) -> int:
        self._handle.write(data)
        self.sha256.update(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def seek(self, *_args: object) -> int:
        raise OSError("forward-only")

    def flush(self) -> None:
        self._handle.flush()

    def close(self) -> None:
        """The caller closes (and fsyncs) the underlying file."""


def read_current(directory: Path) -> CurrentBuild | None:
    try:
        document = json.loads((directory / CURRENT_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return CurrentBuild(**document)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_current(directory: Path, current: CurrentBuild) -> None:
    temporary = directory / f".{CURRENT_FILE}.{secrets.token_hex(4)}.tmp"
    with temporary.open("wb") as handle:
        handle.write(orjson.dumps(asdict(current)))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / CURRENT_FILE)
    _fsync_directory(directory)


# -- one builder at a time --------------------------------------------------------------------------


@contextlib.contextmanager
def builder_lock(database_url: str, directory: Path) -> Iterator[bool]:
    """PostgreSQL: `pg_try_advisory_lock` on a fixed key; SQLite: `flock` on `<dir>/.build.lock`.

    Yields whether this process holds the lock; processes that do not get it skip the run.
    """
    if backend_of(database_url) == "postgresql":
        engine = create_sync_engine(database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                held = bool(
                    connection.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                    ).scalar_one()
                )
                connection.commit()
                try:
                    yield held
                finally:
                    if held:
                        connection.execute(
                            text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                        )
                        connection.commit()
        finally:
            engine.dispose()
        return
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK_FILE).open("a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _snapshot_engine(database_url: str) -> Engine:
    """A read engine whose transactions are one consistent snapshot (PostgreSQL REPEATABLE READ; SQLite
    an explicit BEGIN, which pysqlite would otherwise not emit for reads)."""
    if backend_of(database_url) == "postgresql":
        return create_sync_engine(database_url, poolclass=NullPool, isolation_level="REPEATABLE READ")
    engine = create_sync_engine(database_url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


# -- the build ----------------------------------------------------------------------------------------


def _write_zip(connection: Connection, handle: IO[bytes]) -> tuple[str, int]:
    """Stream every current registration into the single ZIP entry; returns (etag, entity count)."""
    renderer = Renderer(code_lists(), DEFAULT_LANGUAGE)
    writer = _HashingWriter(handle)
    count = 0
    with (
        zipfile.ZipFile(writer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(ENTRY_NAME, mode="w", force_zip64=True) as entry,
    ):
        entry.write(b"[")
        for entity, registration in current_registrations(connection, BATCH_SIZE):
            element: dict[str, Any] = {
                "organisasjonsnummer": entity.orgnr,
                "foerstRegistrertIRegisterOverReelleRettighetshavere": timestamp(entity.first_registered_at),
            }
            if entity.deleted_at is not None:
                element["slettetIRegisterOverReelleRettighetshavere"] = timestamp(entity.deleted_at)
            element["registreringer"] = [renderer.registration(registration)]
            entry.write(b"," + orjson.dumps(element) if count else orjson.dumps(element))
            count += 1
        entry.write(b"]")
    return writer.sha256.hexdigest()[:32], count


def _record(engine: Engine, build_id: str, values: dict[str, Any], *, create: bool) -> None:
    with engine.begin() as connection:
        if create:
            connection.execute(insert(rrh_totalbestand_builds).values(build_id=build_id, **values))
        else:
            connection.execute(
                update(rrh_totalbestand_builds)
                .where(rrh_totalbestand_builds.c.build_id == build_id)
                .values(**values)
            )


def build_totalbestand(database_url: str, directory: Path, clock: Clock, trigger: str) -> BuildOutcome:
    """One build (§10). Skips (current None) when another process builds; raises TotalbestandBuildFailed
    when the build fails, leaving the previous file current."""
    directory.mkdir(parents=True, exist_ok=True)
    with builder_lock(database_url, directory) as held:
        if not held:
            log().info("totalbestand_build_skipped", reason="another builder holds the lock")
            return BuildOutcome(current=None)
        return _build_locked(database_url, directory, clock, trigger)


def _build_locked(database_url: str, directory: Path, clock: Clock, trigger: str) -> BuildOutcome:
    started = clock.now().astimezone(UTC)
    build_id = secrets.token_hex(16)
    name = f"totalbestand-{started.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}.zip"
    temporary = directory / f"{name}.tmp"
    records = create_sync_engine(database_url, poolclass=NullPool)
    snapshot = _snapshot_engine(database_url)
    try:
        _record(
            records, build_id, {"status": "running", "trigger": trigger, "started_at": started}, create=True
        )
        try:
            with temporary.open("wb") as handle, snapshot.begin() as connection:
                etag, count = _write_zip(connection, handle)
                handle.flush()
                os.fsync(handle.fileno())
            size = temporary.stat().st_size
            os.replace(temporary, directory / name)
            _fsync_directory(directory)
            finished = clock.now().astimezone(UTC)
            current = CurrentBuild(
                file=name,
                etag=etag,
                last_modified=timestamp(finished),
                size=size,
                entity_count=count,
                build_id=build_id,
                started=timestamp(started),
                finished=timestamp(finished),
            )
            _write_current(directory, current)
        except Exception as exc:
            temporary.unlink(missing_ok=True)
            log().error("totalbestand_build_failed", build_id=build_id, error=type(exc).__name__)
            _record(
                records,
                build_id,
                {
                    "status": "failed",
                    "finished_at": clock.now(),
                    "error": f"{type(exc).__name__}: {exc}"[:2000],
                },
                create=False,
            )
            raise TotalbestandBuildFailed("The totalbestand build failed", detail=type(exc).__name__) from exc
        _record(
            records,
            build_id,
            {
                "status": "complete",
                "finished_at": finished,
                "file_name": name,
                "etag": etag,
                "size": size,
                "entity_count": count,
            },
            create=False,
        )
    finally:
        records.dispose()
        snapshot.dispose()
    remove_superseded(directory, clock)
    duration = (finished - started).total_seconds()
    log().info("totalbestand_built", build_id=build_id, entities=count, size=size, seconds=duration)
    return BuildOutcome(current=current, duration_seconds=duration)


def remove_superseded(directory: Path, clock: Clock) -> list[str]:
    """Delete files older than the two newest, 1 h after the file that superseded them was written."""
    files = sorted(directory.glob("totalbestand-*.zip"), key=lambda path: path.name, reverse=True)
    removed = []
    now = clock.now().timestamp()
    for index in range(KEEP_FILES, len(files)):
        superseded_at = files[index - 1].stat().st_mtime
        if superseded_at + SUPERSEDED_GRACE.total_seconds() <= now:
            files[index].unlink(missing_ok=True)
            removed.append(files[index].name)
    return removed


def needs_build(directory: Path, clock: Clock) -> bool:
    """Start-up rule: no file yet, or the newest is older than 25 h."""
    current = read_current(directory)
    if current is None or not (directory / current.file).exists():
        return True
    return clock.now() - current.last_modified_at > STALE_AFTER


def build_history(connection: Connection, limit: int = 10) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(rrh_totalbestand_builds).order_by(rrh_totalbestand_builds.c.started_at.desc()).limit(limit)
    )
    return [dict(row._mapping) for row in rows]


# -- serving ------------------------------------------------------------------------------------------


@dataclass
class OpenedBuild:
    """The current build's metadata and an open handle on its file (taken at request start)."""

    current: CurrentBuild
    handle: IO[bytes]
    size: int

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self.handle.read(CHUNK_SIZE):
                yield chunk
        finally:
            self.handle.close()

    def close(self) -> None:
        self.handle.close()


def open_current(directory: Path) -> OpenedBuild | None:
    """Open the file named by `current.json`; None before the first build."""
    for _attempt in range(3):  # a rebuild may swap current.json between the two reads
        current = read_current(directory)
        if current is None:
            return None
        try:
            handle = (directory / current.file).open("rb")
        except FileNotFoundError:
            continue
        return OpenedBuild(current=current, handle=handle, size=os.fstat(handle.fileno()).st_size)
    return None
