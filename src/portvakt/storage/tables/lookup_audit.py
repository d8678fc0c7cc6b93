"""Append-only lookup audit shared by KRR and RRH (krr.md §11, rrh.md §11)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
