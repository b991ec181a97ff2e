"""The tables earned keeps in the project database (SQLAlchemy Core).

Times are epoch seconds stored as double-precision floats, the same form `RunRequest`,
`RunResult` and `RunEvent` use. JSON columns are JSONB on PostgreSQL and JSON text on
SQLite; a Python None is stored as SQL NULL.

Every row carries `schema_version`: the format version of what it holds. Readers refuse
rows written by a newer version (see `earned.store.SchemaVersionError`).

Changes here go through a new Alembic revision in `earned/store/migrations/versions/`;
the migrations are frozen copies and never import this module.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "APPROVAL_SCHEMA_VERSION",
    "AUDIT_SCHEMA_VERSION",
    "BREAKER_SCHEMA_VERSION",
    "CONSOLE_SESSION_SCHEMA_VERSION",
    "EVAL_SCHEMA_VERSION",
    "FEEDBACK_SCHEMA_VERSION",
    "REVIEW_SCHEMA_VERSION",
    "ROLLOUT_SCHEMA_VERSION",
    "SPAN_SCHEMA_VERSION",
    "TOKEN_SCHEMA_VERSION",
    "api_tokens",
    "approval_events",
    "approvals",
    "attestations",
    "audit",
    "breakers",
    "capability_states",
    "console_sessions",
    "eval_case_results",
    "eval_datasets",
    "eval_manifests",
    "eval_runs",
    "feedback",
    "flags",
    "ledger",
    "metadata",
    "pins",
    "review_decisions",
    "review_items",
    "review_routes",
    "runs",
    "sessions",
    "spans",
    "versions",
]

#: Format of stored spans. Changelog: version 1, the first format.
SPAN_SCHEMA_VERSION = 1
#: Format of approvals, their events and ledger entries. Changelog: version 1, the first.
APPROVAL_SCHEMA_VERSION = 1
#: Format of user sessions and feedback. Changelog: version 1, the first.
FEEDBACK_SCHEMA_VERSION = 1
#: Format of audit entries. Changelog: version 1, the first.
AUDIT_SCHEMA_VERSION = 1
#: Format of eval datasets, manifests, eval runs and case results. Changelog: version 1.
EVAL_SCHEMA_VERSION = 1
#: Format of API tokens. Changelog: version 1, the first.
TOKEN_SCHEMA_VERSION = 1
#: Format of review items, decisions and routes. Changelog: version 1, the first.
REVIEW_SCHEMA_VERSION = 1

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def json_type() -> sa.types.TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL; None is stored as SQL NULL."""
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


runs = sa.Table(
    "earned_runs",
    metadata,
    sa.Column("run_id", sa.String(), primary_key=True),
    sa.Column("agent", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("input", json_type()),
    sa.Column("output", json_type()),
    sa.Column("error", json_type()),
    sa.Column("escalation", json_type()),
    sa.Column("user_id", sa.String()),
    sa.Column("role", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("capability", sa.String()),
    sa.Column("stage", sa.String()),
    sa.Column("environment", sa.String()),
    sa.Column("model", sa.String()),
    sa.Column("limits", json_type()),
    sa.Column("input_tokens", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("output_tokens", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("requests", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("cost", sa.Double(), nullable=False, server_default="0"),
    sa.Column("cost_known", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("steps", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("tainted", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("fallback", sa.String()),
    sa.Column("decisions", json_type()),
    sa.Column("versions", json_type()),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("started_at", sa.Double()),
    sa.Column("ended_at", sa.Double()),
    sa.Column("request_id", sa.String()),
    sa.Column("correlation_id", sa.String()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_runs_created_at", "created_at"),
    sa.Index("ix_earned_runs_agent_created_at", "agent", "created_at"),
    sa.Index("ix_earned_runs_status", "status"),
    sa.Index("ix_earned_runs_tenant_created_at", "tenant", "created_at"),
    sa.Index("ix_earned_runs_capability", "capability"),
    sa.Index("ix_earned_runs_status_created_at", "status", "created_at"),
    sa.Index("ix_earned_runs_user_id_created_at", "user_id", "created_at"),
    sa.Index("ix_earned_runs_cost", "cost"),
)

spans = sa.Table(
    "earned_spans",
    metadata,
    sa.Column("span_id", sa.String(), primary_key=True),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("parent_id", sa.String()),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("started_at", sa.Double(), nullable=False),
    sa.Column("ended_at", sa.Double()),
    sa.Column("duration_ms", sa.Double()),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("attributes", json_type(), nullable=False),
    sa.Column("tool", sa.String()),
    sa.Column("model", sa.String()),
    sa.Column("cost", sa.Double()),
    sa.Column("input_tokens", sa.Integer()),
    sa.Column("output_tokens", sa.Integer()),
    sa.Column("error_type", sa.String()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_spans_run_id_started_at", "run_id", "started_at"),
    sa.Index("ix_earned_spans_kind_started_at", "kind", "started_at"),
    sa.Index("ix_earned_spans_tool", "tool"),
    sa.Index("ix_earned_spans_error_type", "error_type"),
)


approvals = sa.Table(
    "earned_approvals",
    metadata,
    sa.Column("approval_id", sa.String(), primary_key=True),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("call_id", sa.String(), nullable=False),
    sa.Column("agent", sa.String(), nullable=False),
    sa.Column("tool", sa.String(), nullable=False),
    sa.Column("risk", sa.String(), nullable=False),
    sa.Column("arguments", json_type(), nullable=False),
    sa.Column("arguments_digest", sa.String(), nullable=False),
    sa.Column("summary", sa.String(), nullable=False),
    sa.Column("targets", json_type()),
    sa.Column("reason", sa.Text()),
    sa.Column("rule_id", sa.String(), nullable=False),
    sa.Column("rule_reason", sa.Text()),
    sa.Column("policy_version", sa.String(), nullable=False),
    sa.Column("approvers", json_type(), nullable=False),
    sa.Column("requester", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("capability", sa.String()),
    sa.Column("stage", sa.String()),
    sa.Column("context", json_type()),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("on_timeout", sa.String(), nullable=False),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("expires_at", sa.Double(), nullable=False),
    sa.Column("decision", sa.String()),
    sa.Column("decided_at", sa.Double()),
    sa.Column("decided_by", sa.String()),
    sa.Column("decided_role", sa.String()),
    sa.Column("decision_reason", sa.Text()),
    sa.Column("decision_expires_at", sa.Double()),
    sa.Column("edited_arguments", json_type()),
    sa.Column("approved_digest", sa.String()),
    sa.Column("reserved_at", sa.Double()),
    sa.Column("consumed_at", sa.Double()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_approvals_status_created_at", "status", "created_at"),
    sa.Index("ix_earned_approvals_run_id", "run_id"),
    sa.Index("ix_earned_approvals_tenant_created_at", "tenant", "created_at"),
    sa.Index("ix_earned_approvals_tool_decided_at", "tool", "decided_at"),
    sa.Index("ix_earned_approvals_capability_decided_at", "capability", "decided_at"),
)

approval_events = sa.Table(
    "earned_approval_events",
    metadata,
    sa.Column("event_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("approval_id", sa.String(), nullable=False),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("actor", sa.String()),
    sa.Column("role", sa.String()),
    sa.Column("details", json_type()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_approval_events_approval_id_at", "approval_id", "at"),
)

ledger = sa.Table(
    "earned_ledger",
    metadata,
    sa.Column("idempotency_key", sa.String(), primary_key=True),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("call_id", sa.String(), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("tool", sa.String(), nullable=False),
    sa.Column("risk", sa.String(), nullable=False),
    sa.Column("arguments_digest", sa.String(), nullable=False),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("result", json_type()),
    sa.Column("error", json_type()),
    sa.Column("approval_id", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_ledger_state_updated_at", "state", "updated_at"),
    sa.Index("ix_earned_ledger_run_id", "run_id"),
)

audit = sa.Table(
    "earned_audit",
    metadata,
    sa.Column("audit_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=False),
    sa.Column("before", json_type()),
    sa.Column("after", json_type()),
    sa.Column("reason", sa.Text()),
    sa.Column("details", json_type()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_audit_at", "at"),
    sa.Index("ix_earned_audit_action_at", "action", "at"),
    sa.Index("ix_earned_audit_target_at", "target", "at"),
)

sessions = sa.Table(
    "earned_sessions",
    metadata,
    sa.Column("session_id", sa.String(), primary_key=True),
    sa.Column("agent", sa.String()),
    sa.Column("capability", sa.String()),
    sa.Column("user_id", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("started_at", sa.Double(), nullable=False),
    sa.Column("last_at", sa.Double(), nullable=False),
    sa.Column("ended_at", sa.Double()),
    sa.Column("turns", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_sessions_started_at", "started_at"),
    sa.Index("ix_earned_sessions_user_id_started_at", "user_id", "started_at"),
)

feedback = sa.Table(
    "earned_feedback",
    metadata,
    sa.Column("feedback_id", sa.String(), primary_key=True),
    sa.Column("session_id", sa.String()),
    sa.Column("run_id", sa.String()),
    sa.Column("agent", sa.String()),
    sa.Column("capability", sa.String()),
    sa.Column("user_id", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("rating", sa.String(), nullable=False),
    sa.Column("comment", sa.Text()),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_feedback_at", "at"),
    sa.Index("ix_earned_feedback_run_id", "run_id"),
    sa.Index("ix_earned_feedback_session_id", "session_id"),
)

eval_datasets = sa.Table(
    "earned_eval_datasets",
    metadata,
    sa.Column("dataset_hash", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("source", sa.String()),
    sa.Column("cases", sa.Integer(), nullable=False),
    sa.Column("scenarios", json_type(), nullable=False),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_eval_datasets_name_created_at", "name", "created_at"),
)

eval_manifests = sa.Table(
    "earned_eval_manifests",
    metadata,
    sa.Column("manifest_hash", sa.String(), primary_key=True),
    sa.Column("capability", sa.String(), nullable=False),
    sa.Column("source", sa.String()),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("data", json_type(), nullable=False),
    sa.Column("first_seen_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_eval_manifests_capability_first_seen_at", "capability", "first_seen_at"),
)

eval_runs = sa.Table(
    "earned_eval_runs",
    metadata,
    sa.Column("eval_run_id", sa.String(), primary_key=True),
    sa.Column("project", sa.String()),
    sa.Column("suite", sa.String(), nullable=False),
    sa.Column("capability", sa.String(), nullable=False),
    sa.Column("agent", sa.String(), nullable=False),
    sa.Column("manifest_hash", sa.String(), nullable=False),
    sa.Column("dataset_hash", sa.String(), nullable=False),
    sa.Column("split", sa.String()),
    sa.Column("target_hash", sa.String(), nullable=False),
    sa.Column("model", sa.String()),
    sa.Column("judge_model", sa.String()),
    sa.Column("versions", json_type()),
    sa.Column("settings", json_type()),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("verdict", sa.String()),
    sa.Column("summary", json_type()),
    sa.Column("cases", sa.Integer(), nullable=False),
    sa.Column("cases_done", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("started_at", sa.Double(), nullable=False),
    sa.Column("ended_at", sa.Double()),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index(
        "ix_earned_eval_runs_suite_capability_started_at", "suite", "capability", "started_at"
    ),
    sa.Index("ix_earned_eval_runs_manifest_hash", "manifest_hash"),
    sa.Index("ix_earned_eval_runs_target_hash_status", "target_hash", "status"),
)

eval_case_results = sa.Table(
    "earned_eval_case_results",
    metadata,
    sa.Column("eval_run_id", sa.String(), primary_key=True),
    sa.Column("case_id", sa.String(), primary_key=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("passed", sa.Boolean(), nullable=False),
    sa.Column("scores", json_type(), nullable=False),
    sa.Column("output", json_type()),
    sa.Column("error", json_type()),
    sa.Column("trace", json_type()),
    sa.Column("cost", sa.Double(), nullable=False, server_default="0"),
    sa.Column("cost_known", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("turns", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("steps", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_eval_case_results_eval_run_id_position", "eval_run_id", "position"),
)

api_tokens = sa.Table(
    "earned_api_tokens",
    metadata,
    sa.Column("token_id", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("token_hash", sa.String(), nullable=False),
    sa.Column("prefix", sa.String(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("tenant", sa.String()),
    sa.Column("capabilities", json_type()),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("created_by", sa.String()),
    sa.Column("expires_at", sa.Double()),
    sa.Column("revoked_at", sa.Double()),
    sa.Column("revoked_by", sa.String()),
    sa.Column("last_used_at", sa.Double()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_api_tokens_token_hash", "token_hash", unique=True),
    sa.Index("ix_earned_api_tokens_tenant", "tenant"),
)

review_items = sa.Table(
    "earned_review_items",
    metadata,
    sa.Column("item_id", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("agent", sa.String(), nullable=False),
    sa.Column("capability", sa.String()),
    sa.Column("stage", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("requester", sa.String()),
    sa.Column("risk", sa.String(), nullable=False),
    sa.Column("output", json_type()),
    sa.Column("flags", json_type()),
    sa.Column("sample_week", sa.String()),
    sa.Column("details", json_type()),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("decided_at", sa.Double()),
    sa.Column("decided_by", sa.String()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_review_items_status_created_at", "status", "created_at"),
    sa.Index("ix_earned_review_items_run_id", "run_id"),
    sa.Index("ix_earned_review_items_tenant_created_at", "tenant", "created_at"),
    sa.Index("ix_earned_review_items_sample_week", "sample_week"),
)

review_decisions = sa.Table(
    "earned_review_decisions",
    metadata,
    sa.Column("decision_id", sa.String(), primary_key=True),
    sa.Column("item_id", sa.String(), nullable=False),
    sa.Column("item_kind", sa.String(), nullable=False),
    sa.Column("run_id", sa.String(), nullable=False),
    sa.Column("agent", sa.String(), nullable=False),
    sa.Column("capability", sa.String()),
    sa.Column("stage", sa.String()),
    sa.Column("tenant", sa.String()),
    sa.Column("decision", sa.String(), nullable=False),
    sa.Column("reason_code", sa.String()),
    sa.Column("note", sa.Text()),
    sa.Column("input", json_type()),
    sa.Column("original", json_type()),
    sa.Column("edited", json_type()),
    sa.Column("scores", json_type()),
    sa.Column("passed", sa.Boolean()),
    sa.Column("rubric", sa.String()),
    sa.Column("datasets", json_type(), nullable=False),
    sa.Column("reviewer", sa.String(), nullable=False),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("item_created_at", sa.Double(), nullable=False),
    sa.Column("decided_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_review_decisions_item_id", "item_id"),
    sa.Index("ix_earned_review_decisions_reason_code_decided_at", "reason_code", "decided_at"),
    sa.Index("ix_earned_review_decisions_reviewer_decided_at", "reviewer", "decided_at"),
    sa.Index("ix_earned_review_decisions_tenant_decided_at", "tenant", "decided_at"),
)

review_routes = sa.Table(
    "earned_review_routes",
    metadata,
    sa.Column("decision_id", sa.String(), primary_key=True),
    sa.Column("dataset", sa.String(), primary_key=True),
    sa.Column("tenant", sa.String()),
    sa.Column("decided_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_review_routes_dataset_decided_at", "dataset", "decided_at"),
)

#: Format of capability states, flags, versions, pins and attestations. Changelog: version 1.
ROLLOUT_SCHEMA_VERSION = 1

capability_states = sa.Table(
    "earned_capability_states",
    metadata,
    sa.Column("capability", sa.String(), primary_key=True),
    sa.Column("stage", sa.String(), nullable=False),
    sa.Column("previous_stage", sa.String()),
    sa.Column("stage_since", sa.Double(), nullable=False),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("updated_by", sa.String(), nullable=False),
    sa.Column("reason", sa.Text()),
    sa.Column("matrix_digest", sa.String()),
    sa.Column("tripped", sa.String()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
)

flags = sa.Table(
    "earned_flags",
    metadata,
    sa.Column("scope", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("owner", sa.String(), nullable=False),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("updated_by", sa.String(), nullable=False),
    sa.Column("reason", sa.Text()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
)

versions = sa.Table(
    "earned_versions",
    metadata,
    sa.Column("kind", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("digest", sa.String(), primary_key=True),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("author", sa.String(), nullable=False),
    sa.Column("message", sa.Text()),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_versions_kind_name_created_at", "kind", "name", "created_at"),
)

pins = sa.Table(
    "earned_pins",
    metadata,
    sa.Column("capability", sa.String(), primary_key=True),
    sa.Column("kind", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("digest", sa.String(), nullable=False),
    sa.Column("canary_digest", sa.String()),
    sa.Column("canary_percent", sa.Double()),
    sa.Column("canary_by", sa.String()),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("updated_by", sa.String(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
)

attestations = sa.Table(
    "earned_attestations",
    metadata,
    sa.Column("attestation_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("capability", sa.String(), nullable=False),
    sa.Column("item", sa.String(), nullable=False),
    sa.Column("attested_by", sa.String(), nullable=False),
    sa.Column("attested_at", sa.Double(), nullable=False),
    sa.Column("note", sa.Text()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_attestations_capability_item", "capability", "item"),
)

#: Format of circuit breaker states. Changelog: version 1, the first.
BREAKER_SCHEMA_VERSION = 1

breakers = sa.Table(
    "earned_breakers",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("scope", sa.String(), primary_key=True),
    sa.Column("state", sa.String(), nullable=False),
    sa.Column("generation", sa.Integer(), nullable=False),
    sa.Column("opened_at", sa.Double()),
    sa.Column("retry_at", sa.Double()),
    sa.Column("probe_until", sa.Double()),
    sa.Column("calls", sa.Integer(), nullable=False),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("reason", sa.Text()),
    sa.Column("reset_at", sa.Double()),
    sa.Column("reset_by", sa.String()),
    sa.Column("settings", json_type()),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.Column("updated_by", sa.String(), nullable=False),
    sa.Column("schema_version", sa.Integer(), nullable=False),
)

#: Format of web console sessions. Changelog: version 1, the first.
CONSOLE_SESSION_SCHEMA_VERSION = 1

#: Web console sessions: the SHA-256 of the session id (never the id), the API token it
#: acts as, when it expires (absolute and idle), and a one-shot message for the next page.
console_sessions = sa.Table(
    "earned_console_sessions",
    metadata,
    sa.Column("session_hash", sa.String(), primary_key=True),
    sa.Column("token_id", sa.String(), nullable=False),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("expires_at", sa.Double(), nullable=False),
    sa.Column("last_seen_at", sa.Double(), nullable=False),
    sa.Column("flash", sa.Text()),
    sa.Column("schema_version", sa.Integer(), nullable=False),
    sa.Index("ix_earned_console_sessions_expires_at", "expires_at"),
    sa.Index("ix_earned_console_sessions_token_id", "token_id"),
)
