"""Portal users and their rights (selvbetjening.md §3.7, §8.1)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, String, Table, UniqueConstraint

from portvakt.storage.tables.base import metadata

portal_users = Table(
    "portal_users",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(255), nullable=False),
    Column("orgno", String(9), ForeignKey("organisations.orgno"), nullable=False),
    Column("pid", String(11), nullable=True),
    Column("rights", JSON, nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("email_confirmed", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_login", DateTime(timezone=True), nullable=True),
    UniqueConstraint("email"),
    UniqueConstraint("pid"),
    Index(None, "orgno"),
    comment="self-service portal users (selvbetjening.md §3.7); deactivated, never deleted",
)

__all__ = ["metadata", "portal_users"]
