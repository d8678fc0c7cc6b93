"""ID-porten: PAR requests, login transactions, SSO sessions, codes, grants and tokens (idporten.md).

Times are epoch seconds (BIGINT). Structured values (validated requests, authentication results, lists)
are JSON text. Codes, refresh tokens, opaque access tokens and SSO cookies are stored as SHA-256 hashes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table, Text

from portvakt.storage.tables.base import metadata

__all__ = [
    "idporten_access_tokens",
    "idporten_codes",
    "idporten_grants",
    "idporten_installation",
    "idporten_par",
    "idporten_refresh_tokens",
    "idporten_transactions",
    "metadata",
    "sso_sessions",
]

idporten_installation = Table(
    "idporten_installation",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
    comment="installation secrets created at first start (pairwise subject key, §7.1)",
)

idporten_par = Table(
    "idporten_par",
    metadata,
    Column("request_uri_hash", String(64), primary_key=True),
    Column("client_id", String(255), nullable=False),
    Column("parameters", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used", Boolean, nullable=False),
    comment="pushed authorization requests (§4.2), single-use",
)

idporten_transactions = Table(
    "idporten_transactions",
    metadata,
    Column("tx", String(43), primary_key=True),
    Column("client_id", String(255), nullable=False),
    Column("request", Text, nullable=False),
    Column("csrf", String(43), nullable=False),
    Column("auth", Text, nullable=True),
    Column("sid", String(22), nullable=True),
    Column("consented", Text, nullable=True),
    Column("expires_at", BigInteger, nullable=False),
    Column("completed", Boolean, nullable=False),
    comment="login transactions (§5.1): validated request, authentication result, consent",
)

sso_sessions = Table(
    "sso_sessions",
    metadata,
    Column("sid", String(22), primary_key=True),
    Column("cookie_hash", String(64), nullable=False, unique=True),
    Column("pid", String(11), nullable=False),
    Column("acr", String(64), nullable=False),
    Column("amr", Text, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("given_name", String(200), nullable=True),
    Column("family_name", String(200), nullable=True),
    Column("locale", String(8), nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("clients", Text, nullable=False),
    comment="SSO sessions (§5.2); the browser cookie holds a random value stored here as a hash",
)

idporten_grants = Table(
    "idporten_grants",
    metadata,
    Column("grant_id", String(43), primary_key=True),
    Column("client_id", String(255), nullable=False),
    Column("pid", String(11), nullable=False),
    Column("sid", String(22), nullable=True),
    Column("scopes", Text, nullable=False),
    Column("resources", Text, nullable=False),
    Column("acr", String(64), nullable=False),
    Column("amr", Text, nullable=False),
    Column("auth_time", BigInteger, nullable=False),
    Column("given_name", String(200), nullable=True),
    Column("family_name", String(200), nullable=True),
    Column("locale", String(8), nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Index("ix_idporten_grants_sid", "sid"),
    comment="authorizations (§6, §7.3): what a code redemption created; revoked as a whole",
)

idporten_codes = Table(
    "idporten_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(255), nullable=False),
    Column("details", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used", Boolean, nullable=False),
    Column("grant_id", String(43), nullable=True),
    comment="authorization codes (§4.4), single-use; grant_id set on redemption",
)

idporten_refresh_tokens = Table(
    "idporten_refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "grant_id",
        String(43),
        ForeignKey("idporten_grants.grant_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("client_id", String(255), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("rotated", Boolean, nullable=False),
    Index("ix_idporten_refresh_tokens_grant_id", "grant_id"),
    comment="refresh tokens (§6.3); rotated = replaced by a newer one (ONETIME)",
)

idporten_access_tokens = Table(
    "idporten_access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "grant_id",
        String(43),
        ForeignKey("idporten_grants.grant_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("client_id", String(255), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("pid", String(11), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("claims", Text, nullable=True),
    Index("ix_idporten_access_tokens_grant_id", "grant_id"),
    comment="every issued access token (§7.1): hash of the jti (jwt) or of the token (opaque)",
)
