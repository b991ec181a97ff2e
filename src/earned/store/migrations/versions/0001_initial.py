"""Runs and spans.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _create_runs() -> None:
    op.create_table(
        "earned_runs",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("input", _json(), nullable=True),
        sa.Column("output", _json(), nullable=True),
        sa.Column("error", _json(), nullable=True),
        sa.Column("escalation", _json(), nullable=True),
        sa.Column("user_id", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("capability", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("environment", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("limits", _json(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("output_tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("requests", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cost", sa.Double(), server_default="0", nullable=False),
        sa.Column("cost_known", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("steps", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tainted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("fallback", sa.String(), nullable=True),
        sa.Column("decisions", _json(), nullable=True),
        sa.Column("versions", _json(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=True),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("request_id", sa.String(), nullable=True),
        sa.Column("correlation_id", sa.String(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_earned_runs"),
    )
    op.create_index("ix_earned_runs_created_at", "earned_runs", ["created_at"])
    op.create_index("ix_earned_runs_agent_created_at", "earned_runs", ["agent", "created_at"])
    op.create_index("ix_earned_runs_status", "earned_runs", ["status"])
    op.create_index("ix_earned_runs_tenant_created_at", "earned_runs", ["tenant", "created_at"])
    op.create_index("ix_earned_runs_capability", "earned_runs", ["capability"])


def _create_spans() -> None:
    op.create_table(
        "earned_spans",
        sa.Column("span_id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("parent_id", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("tool", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("cost", sa.Double(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("error_type", sa.String(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("span_id", name="pk_earned_spans"),
    )
    op.create_index("ix_earned_spans_run_id_started_at", "earned_spans", ["run_id", "started_at"])
    op.create_index("ix_earned_spans_kind_started_at", "earned_spans", ["kind", "started_at"])
    op.create_index("ix_earned_spans_tool", "earned_spans", ["tool"])


def upgrade() -> None:
    """Create earned_runs and earned_spans with their indexes."""
    _create_runs()
    _create_spans()


def downgrade() -> None:
    """Drop earned_spans and earned_runs."""
    op.drop_table("earned_spans")
    op.drop_table("earned_runs")
