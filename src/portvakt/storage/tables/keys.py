"""Issuer signing keys and the JWT replay store (maskinporten.md §11, §12.3)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
