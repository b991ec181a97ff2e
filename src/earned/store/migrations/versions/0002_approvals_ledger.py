"""Approvals, their history, and the idempotency ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _create_approvals() -> None:
    op.create_table(
        "earned_approvals",
        sa.Column("approval_id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("tool", sa.String(), nullable=False),
        sa.Column("risk", sa.String(), nullable=False),
        sa.Column("arguments", _json(), nullable=False),
        sa.Column("arguments_digest", sa.String(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("targets", _json(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("rule_reason", sa.Text(), nullable=True),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("approvers", _json(), nullable=False),
        sa.Column("requester", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("capability", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("context", _json(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("on_timeout", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("decision", sa.String(), nullable=True),
        sa.Column("decided_at", sa.Double(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_role", sa.String(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decision_expires_at", sa.Double(), nullable=True),
        sa.Column("edited_arguments", _json(), nullable=True),
        sa.Column("approved_digest", sa.String(), nullable=True),
        sa.Column("reserved_at", sa.Double(), nullable=True),
        sa.Column("consumed_at", sa.Double(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("approval_id", name="pk_earned_approvals"),
    )
    for name, columns in (
        ("ix_earned_approvals_status_created_at", ["status", "created_at"]),
        ("ix_earned_approvals_run_id", ["run_id"]),
        ("ix_earned_approvals_tenant_created_at", ["tenant", "created_at"]),
        ("ix_earned_approvals_tool_decided_at", ["tool", "decided_at"]),
        ("ix_earned_approvals_capability_decided_at", ["capability", "decided_at"]),
    ):
        op.create_index(name, "earned_approvals", columns)


def _create_approval_events() -> None:
    op.create_table(
        "earned_approval_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("approval_id", sa.String(), nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=True),
        sa.Column("role", sa.String(), nullable=True),
        sa.Column("details", _json(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_earned_approval_events"),
    )
    op.create_index(
        "ix_earned_approval_events_approval_id_at", "earned_approval_events", ["approval_id", "at"]
    )


def _create_ledger() -> None:
    op.create_table(
        "earned_ledger",
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("call_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(), nullable=False),
        sa.Column("risk", sa.String(), nullable=False),
        sa.Column("arguments_digest", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("result", _json(), nullable=True),
        sa.Column("error", _json(), nullable=True),
        sa.Column("approval_id", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_earned_ledger"),
    )
    op.create_index("ix_earned_ledger_state_updated_at", "earned_ledger", ["state", "updated_at"])
    op.create_index("ix_earned_ledger_run_id", "earned_ledger", ["run_id"])


def upgrade() -> None:
    """Create earned_approvals, earned_approval_events and earned_ledger."""
    _create_approvals()
    _create_approval_events()
    _create_ledger()


def downgrade() -> None:
    """Drop the approval and ledger tables."""
    op.drop_table("earned_ledger")
    op.drop_table("earned_approval_events")
    op.drop_table("earned_approvals")
