"""The self-service change log (selvbetjening.md §9)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
