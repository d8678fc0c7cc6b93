"""ID-porten: transactions, SSO sessions, authorization codes, grants and tokens (idporten.md)."""

from __future__ import annotations

from portvakt.storage.tables.base import metadata

__all__ = ["metadata"]
