"""Population and entity registers (persons, entities, ER roles).

Revision ID: 0002_population
Revises: 0001_platform
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_population"
down_revision = "0001_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
