"""Self-service API additions to the registry.

Revision ID: 0009_selvbetjening_api
Revises: 0008_lookup_audit_rrh
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_selvbetjening_api"
down_revision = "0008_lookup_audit_rrh"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
