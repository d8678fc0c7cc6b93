"""RRH data: ownership graph and beneficial-owner registrations (rrh.md §5, §8; testdata §9.1–9.3)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
