"""Web console sessions: `earned_console_sessions` (hashed session ids bound to API tokens).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the console session table and its indexes."""
    op.create_table(
        "earned_console_sessions",
        sa.Column("session_hash", sa.String(), nullable=False),
        sa.Column("token_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("last_seen_at", sa.Double(), nullable=False),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name="pk_earned_console_sessions"),
    )
    op.create_index(
        "ix_earned_console_sessions_expires_at", "earned_console_sessions", ["expires_at"]
    )
    op.create_index("ix_earned_console_sessions_token_id", "earned_console_sessions", ["token_id"])


def downgrade() -> None:
    """Drop the console session table."""
    op.drop_index("ix_earned_console_sessions_token_id", table_name="earned_console_sessions")
    op.drop_index("ix_earned_console_sessions_expires_at", table_name="earned_console_sessions")
    op.drop_table("earned_console_sessions")
