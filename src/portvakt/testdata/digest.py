"""`portvakt testdata digest` (§7): SHA-256 over every population table as canonical JSON lines.

Tables in stage order; rows sorted by primary key (byte order for text keys); one line per row, keys
sorted, no spaces. Binary columns (certificates, key material) and columns with `info={"digest": False}`
are left out, because they are random.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Column, Engine, LargeBinary, String, Table, collate, select


def _digested(column: Column[Any]) -> bool:
    return not isinstance(column.type, LargeBinary) and column.info.get("digest", True) is not False


def canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, bool | int | str | float) or value is None:
        return value
    if isinstance(value, dict | list):
        return value
    return str(value)


def _order_by(table: Table, postgres: bool) -> list[Any]:
    keys = []
    for column in table.primary_key.columns:
        keys.append(collate(column, "C") if postgres and isinstance(column.type, String) else column)
    return keys


def table_digest_lines(engine: Engine, table: Table, sink: Any) -> int:
    columns = [c for c in table.columns if _digested(c)]
    names = [str(c.name) for c in columns]
    postgres = engine.dialect.name == "postgresql"
    count = 0
    sink.update(f"# {table.name}\n".encode())
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=20_000).execute(
            select(*columns).order_by(*_order_by(table, postgres))
        )
        for row in result:
            document = {name: canonical(value) for name, value in zip(names, row, strict=True)}
            sink.update(orjson.dumps(document, option=orjson.OPT_SORT_KEYS) + b"\n")
            count += 1
    return count


def population_digest(engine: Engine, tables: Sequence[Table]) -> str:
    sha = hashlib.sha256()
    for table in tables:
        table_digest_lines(engine, table, sha)
    return sha.hexdigest()
