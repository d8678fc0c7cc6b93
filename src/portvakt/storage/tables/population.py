"""Population and entity registers (identifiers-and-testdata.md §8)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
