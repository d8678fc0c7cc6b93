"""RRH totalbestand builds and legal bases (rrh.md §10, §13)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
