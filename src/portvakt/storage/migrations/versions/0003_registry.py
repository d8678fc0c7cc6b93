"""Maskinporten registry: organisations, prefixes, scopes, access, clients, keys, delegation sources.

Revision ID: 0003_registry
Revises: 0002_population
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_registry"
down_revision = "0002_population"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
