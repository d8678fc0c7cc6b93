"""The Maskinporten registry (maskinporten.md §3, selvbetjening.md §3)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
