"""Altinn: parties, service owners, apps and policies, delegations, Maskinporten delegation schemes.

Revision ID: 0011_altinn
Revises: 0010_krr
"""

from __future__ import annotations

revision = "0011_altinn"
down_revision = "0010_krr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
