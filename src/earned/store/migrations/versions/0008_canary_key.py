"""Canaries remember what keeps them sticky: `earned_pins.canary_by`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the canary's stickiness key (tenant, user, or a field of the run's input)."""
    op.add_column("earned_pins", sa.Column("canary_by", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop the canary's stickiness key."""
    with op.batch_alter_table("earned_pins") as batch:
        batch.drop_column("canary_by")
