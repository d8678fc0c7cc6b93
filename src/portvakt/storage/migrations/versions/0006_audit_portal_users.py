"""Self-service change log (audit_events) and portal users.

Revision ID: 0006_audit_portal_users
Revises: 0005_signing_keys_replay
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_portal_users"
down_revision = "0005_signing_keys_replay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
