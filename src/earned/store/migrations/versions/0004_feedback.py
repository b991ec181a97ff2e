"""User sessions and feedback, reported by the application, for the user metrics.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_sessions() -> None:
    op.create_table(
        "earned_sessions",
        sa.Column("session_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("capability", sa.String(), nullable=True),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("last_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("turns", sa.Integer(), server_default="0", nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_earned_sessions"),
    )
    op.create_index("ix_earned_sessions_started_at", "earned_sessions", ["started_at"])
    op.create_index(
        "ix_earned_sessions_user_id_started_at", "earned_sessions", ["user_id", "started_at"]
    )


def _create_feedback() -> None:
    op.create_table(
        "earned_feedback",
        sa.Column("feedback_id", sa.String(), nullable=False),
        sa.Column("session_id", sa.String(), nullable=True),
        sa.Column("run_id", sa.String(), nullable=True),
        sa.Column("agent", sa.String(), nullable=True),
        sa.Column("capability", sa.String(), nullable=True),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("rating", sa.String(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id", name="pk_earned_feedback"),
    )
    op.create_index("ix_earned_feedback_at", "earned_feedback", ["at"])
    op.create_index("ix_earned_feedback_run_id", "earned_feedback", ["run_id"])
    op.create_index("ix_earned_feedback_session_id", "earned_feedback", ["session_id"])


def upgrade() -> None:
    """Create earned_sessions and earned_feedback."""
    _create_sessions()
    _create_feedback()


def downgrade() -> None:
    """Drop earned_feedback and earned_sessions."""
    op.drop_table("earned_feedback")
    op.drop_table("earned_sessions")
