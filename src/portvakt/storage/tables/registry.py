"""The Maskinporten registry (maskinporten.md §3, selvbetjening.md §3).

List-valued fields that are read and written whole (grant types, scopes on a client, URIs) are JSON
columns: the token endpoint reads a client with its keys in one query.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
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

organisations = Table(
    "organisations",
    metadata,
    Column("orgno", String(9), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("terms_signed", Boolean, nullable=False),
    Column("mercantile", JSON, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    comment="organisations registered on the platform (selvbetjening.md §3.1)",
)

organisation_email_domains = Table(
    "organisation_email_domains",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("orgno", String(9), ForeignKey("organisations.orgno"), nullable=False),
    Index(None, "orgno"),
    comment="e-mail domains; a domain belongs to at most one organisation",
)

prefixes = Table(
    "prefixes",
    metadata,
    Column("prefix", String(64), primary_key=True),
    Column("orgno", String(9), ForeignKey("organisations.orgno"), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Index(None, "orgno"),
    comment="scope prefixes assigned by the platform administrator (selvbetjening.md §3.2)",
)

delegation_sources = Table(
    "delegation_sources",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("issuer", String(1024), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    comment="known delegation sources (selvbetjening.md §3.6)",
)

scopes = Table(
    "scopes",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("prefix", String(64), ForeignKey("prefixes.prefix"), nullable=False),
    Column("subscope", String(255), nullable=False),
    Column("owner_orgno", String(9), ForeignKey("organisations.orgno"), nullable=False),
    Column("description", String(255), nullable=False),
    Column("long_description", Text, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("visibility", String(16), nullable=False),
    Column("token_type", String(16), nullable=False),
    Column("at_max_age", Integer, nullable=False),
    Column("authorization_max_lifetime", Integer, nullable=False),
    Column("requires_user_consent", Boolean, nullable=False),
    Column("requires_user_authentication", Boolean, nullable=False),
    Column("requires_pseudonymous_tokens", Boolean, nullable=False),
    Column("accessible_for_all", Boolean, nullable=False),
    Column("allowed_integration_types", JSON, nullable=False),
    Column("delegation_source", String(64), ForeignKey("delegation_sources.name"), nullable=True),
    Column("enforced_aud_for_introspection", JSON, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    Index(None, "owner_orgno"),
    comment="API scopes (selvbetjening.md §3.3); never deleted, only deactivated",
)

scope_access = Table(
    "scope_access",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("scope", String(255), ForeignKey("scopes.name"), nullable=False),
    Column("consumer_orgno", String(9), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    UniqueConstraint("scope", "consumer_orgno"),
    Index(None, "consumer_orgno"),
    comment="scope access per consumer: APPROVED or DENIED (selvbetjening.md §3.4)",
)

clients = Table(
    "clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("client_name", String(255), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("client_orgno", String(9), ForeignKey("organisations.orgno"), nullable=False),
    Column("supplier_orgno", String(9), ForeignKey("organisations.orgno"), nullable=True),
    Column("integration_type", String(32), nullable=False),
    Column("application_type", String(16), nullable=False),
    Column("token_endpoint_auth_method", String(32), nullable=False),
    Column("grant_types", JSON, nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("post_logout_redirect_uris", JSON, nullable=False),
    Column("frontchannel_logout_uri", String(2048), nullable=True),
    Column("frontchannel_logout_session_required", Boolean, nullable=False),
    Column("sso_disabled", Boolean, nullable=False),
    Column("client_uri", String(2048), nullable=True),
    Column("access_token_lifetime", Integer, nullable=False),
    Column("refresh_token_lifetime", Integer, nullable=False),
    Column("authorization_lifetime", Integer, nullable=False),
    Column("refresh_token_usage", String(16), nullable=False),
    Column("code_challenge_method", String(8), nullable=False),
    Column("client_secret_hash", String(128), nullable=True),
    Column("client_secret_expires_at", DateTime(timezone=True), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    Index(None, "client_orgno"),
    Index(None, "supplier_orgno"),
    comment="OAuth clients (selvbetjening.md §3.5); deactivated, never deleted",
)

client_keys = Table(
    "client_keys",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("client_id", String(64), ForeignKey("clients.client_id"), nullable=False),
    Column("kid", String(255), nullable=False),
    Column("jwk", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kid"),
    Index(None, "client_id"),
    comment="public JWKs registered on clients; kid unique over all clients (selvbetjening.md §4.7)",
)

__all__ = [
    "client_keys",
    "clients",
    "delegation_sources",
    "metadata",
    "organisation_email_domains",
    "organisations",
    "prefixes",
    "scope_access",
    "scopes",
]
