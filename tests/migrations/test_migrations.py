"""Migrations: upgrade from empty, head matches the models, downgrade and re-upgrade — on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from portvakt.storage.engine import null_pool_sync_engine
from portvakt.storage.migrate import downgrade, head_revision, is_current, upgrade
from portvakt.storage.tables import metadata


def test_upgrade_from_empty_reaches_head(empty_database_url: str) -> None:
    assert not is_current(empty_database_url)
    upgrade(empty_database_url)
    assert is_current(empty_database_url)
    engine = null_pool_sync_engine(empty_database_url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert set(metadata.tables) <= tables


def test_head_matches_the_models(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = null_pool_sync_engine(empty_database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_is_idempotent_and_downgrade_reverses_it(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    engine = null_pool_sync_engine(empty_database_url)
    with engine.connect() as connection:
        remaining = set(inspect(connection).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set()
    upgrade(empty_database_url)
    assert is_current(empty_database_url)
    assert head_revision()
