"""RRH data: ownership graph, foreign persons and entities, beneficial-owner registrations.

Revision ID: 0007_rrh_data
Revises: 0006_audit_portal_users
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_rrh_data"
down_revision = "0006_audit_portal_users"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
