"""Maskinporten crypto state: signing keys, test CA and certificates, JWT replay store.

Revision ID: 0004_maskinporten
Revises: 0003_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_maskinporten"
down_revision = "0003_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
