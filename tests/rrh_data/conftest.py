"""A small generated population (SQLite, scenarios on), made once per session and copied where changed."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from portvakt.storage.migrate import upgrade
from portvakt.testdata.generate import GenerateOptions, generate

AS_OF = date(2026, 1, 1)


def options(**overrides: object) -> GenerateOptions:
    values: dict[str, object] = {
        "persons": 5_000,
        "entities": 1_500,
        "seed": 3,
        "as_of": AS_OF,
        "workers": 1,
        "progress": False,
    }
    values.update(overrides)
    return GenerateOptions(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def population_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rrh") / "population.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    generate(url, options(), env="test")
    return path


@pytest.fixture
def population_url(population_file: Path) -> str:
    """Read-only use of the shared population."""
    return f"sqlite:///{population_file}"


@pytest.fixture
def population_copy(population_file: Path, tmp_path: Path) -> str:
    """A private copy that a test may corrupt."""
    path = tmp_path / "copy.db"
    shutil.copyfile(population_file, path)
    return f"sqlite:///{path}"
