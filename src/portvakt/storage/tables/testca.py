"""The built-in test CA (maskinporten.md §6.3)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
