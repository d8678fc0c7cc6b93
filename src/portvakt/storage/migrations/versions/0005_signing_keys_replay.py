"""Issuer signing keys (all services) and the JWT replay store.

Revision ID: 0005_signing_keys_replay
Revises: 0004_testca
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_signing_keys_replay"
down_revision = "0004_testca"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
