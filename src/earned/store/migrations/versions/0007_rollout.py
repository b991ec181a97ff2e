"""Progressive autonomy: capability stages, flags, versions, pins, release attestations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the rollout tables."""
    op.create_table(
        "earned_capability_states",
        sa.Column("capability", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("previous_stage", sa.String(), nullable=True),
        sa.Column("stage_since", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("matrix_digest", sa.String(), nullable=True),
        sa.Column("tripped", sa.String(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("capability", name="pk_earned_capability_states"),
    )
    op.create_table(
        "earned_flags",
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "name", name="pk_earned_flags"),
    )
    op.create_table(
        "earned_versions",
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", "digest", name="pk_earned_versions"),
    )
    op.create_index(
        "ix_earned_versions_kind_name_created_at", "earned_versions", ["kind", "name", "created_at"]
    )
    op.create_table(
        "earned_pins",
        sa.Column("capability", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("canary_digest", sa.String(), nullable=True),
        sa.Column("canary_percent", sa.Double(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("capability", "kind", name="pk_earned_pins"),
    )
    op.create_table(
        "earned_attestations",
        sa.Column("attestation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("capability", sa.String(), nullable=False),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("attested_by", sa.String(), nullable=False),
        sa.Column("attested_at", sa.Double(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("attestation_id", name="pk_earned_attestations"),
    )
    op.create_index(
        "ix_earned_attestations_capability_item", "earned_attestations", ["capability", "item"]
    )


def downgrade() -> None:
    """Drop the rollout tables."""
    for table in (
        "earned_attestations",
        "earned_pins",
        "earned_versions",
        "earned_flags",
        "earned_capability_states",
    ):
        op.drop_table(table)
