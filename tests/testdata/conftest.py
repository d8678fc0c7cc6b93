"""Fixtures of the generator tests: migrated databases and a small generated data set."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from portvakt.storage.migrate import upgrade
from portvakt.testdata.generate import GenerateOptions, generate

AS_OF = date(2026, 1, 1)


def small_options(**overrides: object) -> GenerateOptions:
    values: dict[str, object] = {
        "persons": 3_000,
        "entities": 400,
        "seed": 7,
        "as_of": AS_OF,
        "workers": 1,
        "progress": False,
    }
    values.update(overrides)
    return GenerateOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'testdata.db'}"
    upgrade(url)
    return url


@pytest.fixture
def migrated_url(empty_database_url: str) -> str:
    """A migrated, empty database on each backend."""
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def small_population(migrated_sqlite_url: str) -> str:
    generate(migrated_sqlite_url, small_options(), env="test")
    return migrated_sqlite_url
