"""Issuer signing keys and the JWT replay store (maskinporten.md §11, §12.3)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from portvakt.storage.tables.base import BigIntPK, metadata

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("kid", String(64), nullable=False),
    Column("private_key", Text, nullable=False),  # PKCS#8 DER, sealed (portvakt.oauth.sealing)
    Column("publish_at", DateTime(timezone=True), nullable=False),
    Column("activate_at", DateTime(timezone=True), nullable=False),
    Column("retire_at", DateTime(timezone=True), nullable=True),
    Column("remove_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # One successor per generation: concurrent processes planning the same rotation create one key.
    UniqueConstraint("service", "generation"),
    UniqueConstraint("service", "kid"),
    comment="issuer signing keys per service; state derived from the timestamps",
)

jwt_replay = Table(
    "jwt_replay",
    metadata,
    Column("key", Text, primary_key=True),
    Column("expires_at", Integer, nullable=False),
    Index(None, "expires_at"),
    comment="seen JWT grants and client assertions until expires_at (epoch seconds)",
)

__all__ = ["jwt_replay", "metadata", "signing_keys"]
