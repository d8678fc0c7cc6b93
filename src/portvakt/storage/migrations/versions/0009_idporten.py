"""ID-porten: authorization transactions, SSO sessions, codes, grants, refresh and opaque tokens.

Revision ID: 0009_idporten
Revises: 0008_lookup_audit_rrh
"""

from __future__ import annotations

revision = "0009_idporten"
down_revision = "0008_lookup_audit_rrh"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
