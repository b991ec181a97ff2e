"""Eval datasets, gate manifests, eval runs and case results.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _create_datasets() -> None:
    op.create_table(
        "earned_eval_datasets",
        sa.Column("dataset_hash", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("scenarios", _json(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dataset_hash", name="pk_earned_eval_datasets"),
    )
    op.create_index(
        "ix_earned_eval_datasets_name_created_at", "earned_eval_datasets", ["name", "created_at"]
    )


def _create_manifests() -> None:
    op.create_table(
        "earned_eval_manifests",
        sa.Column("manifest_hash", sa.String(), nullable=False),
        sa.Column("capability", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("first_seen_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("manifest_hash", name="pk_earned_eval_manifests"),
    )
    op.create_index(
        "ix_earned_eval_manifests_capability_first_seen_at",
        "earned_eval_manifests",
        ["capability", "first_seen_at"],
    )


def _create_runs() -> None:
    op.create_table(
        "earned_eval_runs",
        sa.Column("eval_run_id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=True),
        sa.Column("suite", sa.String(), nullable=False),
        sa.Column("capability", sa.String(), nullable=False),
        sa.Column("agent", sa.String(), nullable=False),
        sa.Column("manifest_hash", sa.String(), nullable=False),
        sa.Column("dataset_hash", sa.String(), nullable=False),
        sa.Column("split", sa.String(), nullable=True),
        sa.Column("target_hash", sa.String(), nullable=False),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("judge_model", sa.String(), nullable=True),
        sa.Column("versions", _json(), nullable=True),
        sa.Column("settings", _json(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=True),
        sa.Column("summary", _json(), nullable=True),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("cases_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("ended_at", sa.Double(), nullable=True),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("eval_run_id", name="pk_earned_eval_runs"),
    )
    for name, columns in (
        ("ix_earned_eval_runs_suite_capability_started_at", ["suite", "capability", "started_at"]),
        ("ix_earned_eval_runs_manifest_hash", ["manifest_hash"]),
        ("ix_earned_eval_runs_target_hash_status", ["target_hash", "status"]),
    ):
        op.create_index(name, "earned_eval_runs", columns)


def _create_case_results() -> None:
    op.create_table(
        "earned_eval_case_results",
        sa.Column("eval_run_id", sa.String(), nullable=False),
        sa.Column("case_id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("scores", _json(), nullable=False),
        sa.Column("output", _json(), nullable=True),
        sa.Column("error", _json(), nullable=True),
        sa.Column("trace", _json(), nullable=True),
        sa.Column("cost", sa.Double(), server_default="0", nullable=False),
        sa.Column("cost_known", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("turns", sa.Integer(), server_default="0", nullable=False),
        sa.Column("steps", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("eval_run_id", "case_id", name="pk_earned_eval_case_results"),
    )
    op.create_index(
        "ix_earned_eval_case_results_eval_run_id_position",
        "earned_eval_case_results",
        ["eval_run_id", "position"],
    )


def upgrade() -> None:
    """Create the eval tables: datasets, manifests, eval runs and case results."""
    _create_datasets()
    _create_manifests()
    _create_runs()
    _create_case_results()


def downgrade() -> None:
    """Drop the eval tables."""
    op.drop_table("earned_eval_case_results")
    op.drop_table("earned_eval_runs")
    op.drop_table("earned_eval_manifests")
    op.drop_table("earned_eval_datasets")
