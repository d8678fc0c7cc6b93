"""Portal users and their rights (selvbetjening.md §3, §8.1)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
