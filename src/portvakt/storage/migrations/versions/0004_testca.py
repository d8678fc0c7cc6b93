"""Built-in test CA: the CA itself, issued certificates and their revocation.

Revision ID: 0004_testca
Revises: 0003_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_testca"
down_revision = "0003_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
