"""The relational schema, one module per area, all on one `metadata` (the Alembic target)."""

from portvakt.storage.tables import platform as platform
from portvakt.storage.tables.base import metadata as metadata

__all__ = ["metadata"]
