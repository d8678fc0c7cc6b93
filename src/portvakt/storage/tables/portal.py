"""Portal users and their rights (selvbetjening.md §3.7, §8.1), and the portal's own state: server-side
sessions, e-mail confirmations, the test outbox, pending ID-porten logins and the sealed private key of the
built-in `selvbetjening-portal` client."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from portvakt.storage.tables.base import BigIntPK, metadata

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

portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("portal_users.user_id"), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    Column("idporten_pid", String(11), nullable=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index(None, "user_id"),
    Index(None, "last_seen"),
    comment="portal sessions (selvbetjening.md §8.1); stores the SHA-256 of the cookie id",
)

portal_confirmations = Table(
    "portal_confirmations",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("portal_users.user_id"), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("used", Boolean, nullable=False),
    Index(None, "user_id"),
    comment="e-mail confirmation links (24 h); only the token's SHA-256 is stored",
)

portal_outbox = Table(
    "portal_outbox",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    comment="mails of a test installation without SMTP, shown at {S}/test/utboks",
)

portal_login_states = Table(
    "portal_login_states",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("session_hash", String(64), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    comment="pending ID-porten logins of the portal (state, nonce, PKCE verifier), single use",
)

portal_client_keys = Table(
    "portal_client_keys",
    metadata,
    Column("kid", String(255), primary_key=True),
    Column("sealed_private_jwk", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    comment="private key of the built-in selvbetjening-portal client, sealed like signing keys",
)

__all__ = [
    "metadata",
    "portal_client_keys",
    "portal_confirmations",
    "portal_login_states",
    "portal_outbox",
    "portal_sessions",
    "portal_users",
]
