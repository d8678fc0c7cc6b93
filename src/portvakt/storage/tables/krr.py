"""KRR: the contact and reservation register (krr.md §3) and its change feed (§8)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
