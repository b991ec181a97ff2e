"""API tokens, the review queue's items, reviewer decisions and their dataset routes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _create_tokens() -> None:
    op.create_table(
        "earned_api_tokens",
        sa.Column("token_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("capabilities", _json(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("expires_at", sa.Double(), nullable=True),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.Column("last_used_at", sa.Double(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", name="pk_earned_api_tokens"),
    )
    op.create_index(
        "ix_earned_api_tokens_token_hash", "earned_api_tokens", ["token_hash"], unique=True
    )
    op.create_index("ix_earned_api_tokens_tenant", "earned_api_tokens", ["tenant"])


def _create_items() -> None:
    op.create_table(
        "earned_review_items",
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("capability", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("requester", sa.String(), nullable=True),
        sa.Column("risk", sa.String(), nullable=False),
        sa.Column("output", _json(), nullable=True),
        sa.Column("flags", _json(), nullable=True),
        sa.Column("sample_week", sa.String(), nullable=True),
        sa.Column("details", _json(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("decided_at", sa.Double(), nullable=True),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_earned_review_items"),
    )
    for name, columns in (
        ("ix_earned_review_items_status_created_at", ["status", "created_at"]),
        ("ix_earned_review_items_run_id", ["run_id"]),
        ("ix_earned_review_items_tenant_created_at", ["tenant", "created_at"]),
        ("ix_earned_review_items_sample_week", ["sample_week"]),
    ):
        op.create_index(name, "earned_review_items", columns)


def _create_decisions() -> None:
    op.create_table(
        "earned_review_decisions",
        sa.Column("decision_id", sa.String(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("item_kind", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("capability", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=True),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("reason_code", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("input", _json(), nullable=True),
        sa.Column("original", _json(), nullable=True),
        sa.Column("edited", _json(), nullable=True),
        sa.Column("scores", _json(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("rubric", sa.String(), nullable=True),
        sa.Column("datasets", _json(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("item_created_at", sa.Double(), nullable=False),
        sa.Column("decided_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name="pk_earned_review_decisions"),
    )
    for name, columns in (
        ("ix_earned_review_decisions_item_id", ["item_id"]),
        ("ix_earned_review_decisions_reason_code_decided_at", ["reason_code", "decided_at"]),
        ("ix_earned_review_decisions_reviewer_decided_at", ["reviewer", "decided_at"]),
        ("ix_earned_review_decisions_tenant_decided_at", ["tenant", "decided_at"]),
    ):
        op.create_index(name, "earned_review_decisions", columns)


def _create_routes() -> None:
    op.create_table(
        "earned_review_routes",
        sa.Column("decision_id", sa.String(), nullable=False),
        sa.Column("dataset", sa.String(), nullable=False),
        sa.Column("tenant", sa.String(), nullable=True),
        sa.Column("decided_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", "dataset", name="pk_earned_review_routes"),
    )
    op.create_index(
        "ix_earned_review_routes_dataset_decided_at",
        "earned_review_routes",
        ["dataset", "decided_at"],
    )


def upgrade() -> None:
    """Create the API token and review tables."""
    _create_tokens()
    _create_items()
    _create_decisions()
    _create_routes()


def downgrade() -> None:
    """Drop the API token and review tables."""
    op.drop_table("earned_review_routes")
    op.drop_table("earned_review_decisions")
    op.drop_table("earned_review_items")
    op.drop_table("earned_api_tokens")
