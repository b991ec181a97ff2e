"""The audit log, and the indexes trace search and retention need.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (index name, table, columns) added to earned_runs and earned_spans for trace search.
TRACE_INDEXES = (
    # "the five most expensive failures last week": status IN (...) AND created_at >= ...
    ("ix_earned_runs_status_created_at", "earned_runs", ["status", "created_at"]),
    ("ix_earned_runs_user_id_created_at", "earned_runs", ["user_id", "created_at"]),
    ("ix_earned_runs_cost", "earned_runs", ["cost"]),
    ("ix_earned_spans_error_type", "earned_spans", ["error_type"]),
)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    """Create earned_audit and the trace-search indexes."""
    op.create_table(
        "earned_audit",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("before", _json(), nullable=True),
        sa.Column("after", _json(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", _json(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("audit_id", name="pk_earned_audit"),
    )
    op.create_index("ix_earned_audit_at", "earned_audit", ["at"])
    op.create_index("ix_earned_audit_action_at", "earned_audit", ["action", "at"])
    op.create_index("ix_earned_audit_target_at", "earned_audit", ["target", "at"])
    for name, table, columns in TRACE_INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    """Drop earned_audit and the trace-search indexes."""
    for name, table, _columns in reversed(TRACE_INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("earned_audit")
