"""Samarbeidsportalen: sessions, e-mail confirmations and the test outbox.

Revision ID: 0012_portal
Revises: 0011_altinn
"""

from __future__ import annotations

revision = "0012_portal"
down_revision = "0011_altinn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
