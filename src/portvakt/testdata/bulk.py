"""Bulk loading: rows packed in the workers, written by one writer in batches (§7).

SQLite: `executemany` with `synchronous=OFF` and foreign-key enforcement off during the load.
PostgreSQL: `COPY … FROM STDIN` with the rows already encoded in COPY text format by the workers.
Secondary indexes and foreign keys are dropped before the load and recreated after it, then ANALYZE.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, ForeignKeyConstraint, Index, Table, inspect, text
from sqlalchemy.schema import AddConstraint, DropConstraint

from portvakt.storage.engine import Backend

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Packed:
    """Rows of one table ready for the writer: batches of (row count, backend-specific payload)."""

    table: str
    columns: tuple[str, ...]
    batches: tuple[tuple[int, Any], ...]

    @property
    def rows(self) -> int:
        return sum(count for count, _ in self.batches)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def pack(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Row],
    *,
    backend: Backend,
    batch_size: int,
    plain: bool = False,
) -> Packed:
    """Split rows in batches and encode them for the backend. `plain`: values are only str, int and None."""
    batches: list[tuple[int, Any]] = []
    for start in range(0, len(rows), batch_size):
        part = rows[start : start + batch_size]
        if backend == "postgresql":
            lines = ["\t".join([_copy_value(v) for v in row]) for row in part]
            batches.append((len(part), ("\n".join(lines) + "\n").encode()))
        elif plain:
            batches.append((len(part), list(part)))
        else:
            batches.append((len(part), [tuple([_sqlite_value(v) for v in row]) for row in part]))
    return Packed(table, tuple(columns), tuple(batches))


class BulkWriter:
    """The single writer of a load: one connection, one transaction per batch."""

    def __init__(
        self,
        engine: Engine,
        backend: Backend,
        *,
        heartbeat: Callable[[], None] | None = None,
        heartbeat_seconds: float = 30.0,
    ) -> None:
        self.backend = backend
        self._engine = engine
        self._raw: Any = None
        self._heartbeat = heartbeat
        self._heartbeat_seconds = heartbeat_seconds
        self._last_beat = time.monotonic()
        self.rows_written: dict[str, int] = {}

    def open(self) -> None:
        self._raw = self._engine.raw_connection()
        if self.backend == "sqlite":
            connection = self._raw.driver_connection
            connection.commit()
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute("PRAGMA foreign_keys=OFF")

    def close(self) -> None:
        if self._raw is None:
            return
        try:
            if self.backend == "sqlite":
                connection = self._raw.driver_connection
                connection.rollback()
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute("PRAGMA foreign_keys=ON")
            else:
                self._raw.driver_connection.rollback()
        finally:
            self._raw.close()
            self._raw = None

    def write(self, packed: Packed) -> int:
        assert self._raw is not None, "BulkWriter.open() first"
        connection = self._raw.driver_connection
        columns = ", ".join(packed.columns)
        for _count, payload in packed.batches:
            if self.backend == "postgresql":
                with (
                    connection.cursor() as cursor,
                    cursor.copy(f"COPY {packed.table} ({columns}) FROM STDIN") as copy,
                ):
                    copy.write(payload)
            else:
                marks = ", ".join("?" * len(packed.columns))
                # Table and column names come from the schema, never from input.
                statement = f"INSERT INTO {packed.table} ({columns}) VALUES ({marks})"  # noqa: S608
                connection.executemany(statement, payload)
            connection.commit()
            if self._heartbeat is not None and time.monotonic() - self._last_beat >= self._heartbeat_seconds:
                self._last_beat = time.monotonic()
                self._heartbeat()
        self.rows_written[packed.table] = self.rows_written.get(packed.table, 0) + packed.rows
        return packed.rows

    def write_rows(self, table: str, columns: Sequence[str], rows: Sequence[Row], batch_size: int) -> int:
        return self.write(pack(table, columns, rows, backend=self.backend, batch_size=batch_size))


def _secondary_indexes(tables: Iterable[Table]) -> list[Index]:
    return [
        index
        for table in tables
        for index in sorted(table.indexes, key=lambda i: str(i.name))
        if not index.unique
    ]


def _foreign_keys(tables: Iterable[Table]) -> list[ForeignKeyConstraint]:
    return [fk for table in tables for fk in sorted(table.foreign_key_constraints, key=lambda f: str(f.name))]


def drop_deferred_schema(engine: Engine, tables: Sequence[Table]) -> None:
    """Drop the secondary indexes (and on PostgreSQL the foreign keys) of the tables about to be loaded."""
    with engine.begin() as connection:
        for index in _secondary_indexes(tables):
            connection.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
        if engine.dialect.name == "postgresql":
            for fk in _foreign_keys(tables):
                connection.execute(DropConstraint(fk, if_exists=True))


def _stored_name(engine: Engine, constraint: ForeignKeyConstraint) -> str | None:
    """The name the database holds: PostgreSQL keeps 63 characters, so SQLAlchemy shortens longer
    conventional names with a hash suffix (`fk_…_foreig_9618`) — compare against that, not the long one."""
    rendered = engine.dialect.identifier_preparer.format_constraint(constraint)
    return None if rendered is None else str(rendered).strip('"')


def restore_deferred_schema(engine: Engine, tables: Sequence[Table]) -> None:
    """Recreate whatever `drop_deferred_schema` removed (idempotent), check foreign keys on SQLite."""
    with engine.begin() as connection:
        inspector = inspect(connection)
        for table in tables:
            present = {ix["name"] for ix in inspector.get_indexes(table.name)}
            for index in _secondary_indexes([table]):
                if index.name not in present:
                    index.create(connection)
            if engine.dialect.name == "postgresql":
                fks = {fk["name"] for fk in inspector.get_foreign_keys(table.name)}
                for fk in _foreign_keys([table]):
                    if _stored_name(engine, fk) not in fks:
                        connection.execute(AddConstraint(fk))
        if engine.dialect.name == "sqlite":
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(5)
            relevant = [p for p in problems if p[0] in {t.name for t in tables}]
            if relevant:
                raise RuntimeError(f"foreign key violations after the load: {relevant}")


def analyze(engine: Engine, tables: Sequence[Table]) -> None:
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"ANALYZE {table.name}"))


def empty_tables(engine: Engine, tables: Sequence[Table]) -> None:
    """Delete every row of these tables (given parents first). Use a NullPool engine: the SQLite pragma
    that lets the deletes run in any order dies with the connection."""
    if not tables:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)}"))
        else:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in reversed(tables):
                connection.execute(table.delete())
