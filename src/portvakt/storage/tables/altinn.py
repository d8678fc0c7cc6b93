"""Altinn rule store (altinn.md §2): service owners and API keys, apps with policies, direct delegations,
Maskinporten delegation schemes and delegations, and the party-UUID index.

Parties themselves are the persons and entities of the population registers (`ordinal` → party id).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portvakt.storage.tables.base import BigIntPK, metadata

altinn_service_owners = Table(
    "altinn_service_owners",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("orgnr", String(9), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("orgnr"),
    comment="Altinn service owners (tjenesteeiere), altinn.md §2.2",
)

altinn_api_keys = Table(
    "altinn_api_keys",
    metadata,
    Column("key_id", String(8), primary_key=True),
    Column("owner_code", String(10), ForeignKey("altinn_service_owners.code"), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("label", String(200), nullable=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    comment="service-owner API keys, SHA-256 of the full key only (altinn.md §2.2)",
)
Index("ix_altinn_api_keys_owner_code", altinn_api_keys.c.owner_code)

altinn_apps = Table(
    "altinn_apps",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("org", String(10), ForeignKey("altinn_service_owners.code"), nullable=False),
    Column("app", String(63), nullable=False),
    Column("title", String(200), nullable=False),
    Column("policy", Text, nullable=False),
    Column("min_auth_level", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("org", "app"),
    CheckConstraint("min_auth_level BETWEEN 0 AND 4", name="min_auth_level"),
    comment="Altinn apps and their XACML-like policies (altinn.md §2.3); id = registration order",
)

altinn_delegations = Table(
    "altinn_delegations",
    metadata,
    Column("rule_guid", String(36), primary_key=True),
    Column("offered_by", String(11), nullable=False),
    Column("covered_by", String(11), nullable=False),
    Column("app_org", String(10), nullable=False),
    Column("app_name", String(63), nullable=False),
    Column("resource_id", String(32), nullable=True),
    Column("resource_value", String(64), nullable=True),
    Column("action", String(31), nullable=False),
    Column("delegated_by", String(11), nullable=False),
    Column("is_delegatable", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(
        "(resource_id IS NULL AND resource_value IS NULL)"
        " OR (resource_id IS NOT NULL AND resource_value IS NOT NULL)",
        name="resource_pair",
    ),
    comment="direct delegations, one rule (RuleGuid) per action (altinn.md §2.4)",
)
Index("ix_altinn_delegations_covered_by", altinn_delegations.c.covered_by)
Index("ix_altinn_delegations_offered_by", altinn_delegations.c.offered_by)

altinn_mp_schemes = Table(
    "altinn_mp_schemes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("resourceid", String(80), nullable=False),
    Column("title", String(200), nullable=False),
    Column("scopes", Text, nullable=False),
    UniqueConstraint("resourceid"),
    comment="Maskinporten delegation schemes; scopes as a JSON array (altinn.md §2.5)",
)

altinn_mp_delegations = Table(
    "altinn_mp_delegations",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("consumer_orgno", String(9), nullable=False),
    Column("supplier_orgno", String(9), nullable=False),
    Column("scheme_id", String(36), ForeignKey("altinn_mp_schemes.id"), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    comment="Maskinporten delegations from a consumer to a supplier (altinn.md §2.5, §7)",
)
Index("ix_altinn_mp_delegations_consumer_orgno", altinn_mp_delegations.c.consumer_orgno)
Index("ix_altinn_mp_delegations_supplier_orgno", altinn_mp_delegations.c.supplier_orgno)

altinn_party_uuids = Table(
    "altinn_party_uuids",
    metadata,
    Column("party_uuid", String(36), primary_key=True),
    Column("party_id", BigInteger, nullable=False),
    comment="party UUID → party id (UUIDv5 cannot be reversed), written with the population",
)

__all__ = [
    "altinn_api_keys",
    "altinn_apps",
    "altinn_delegations",
    "altinn_mp_delegations",
    "altinn_mp_schemes",
    "altinn_party_uuids",
    "altinn_service_owners",
    "metadata",
]
