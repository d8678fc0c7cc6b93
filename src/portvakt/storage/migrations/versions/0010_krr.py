"""KRR: the contact and reservation register and its change feed.

Revision ID: 0010_krr
Revises: 0009_idporten
"""

from __future__ import annotations

revision = "0010_krr"
down_revision = "0009_idporten"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
