"""The review queue: approvals, reviewer-assist drafts and audit samples, decided with reasons.

- `ReviewQueue`: one queue of pending approvals, drafts (runs that completed at stage
  `assist`, or outputs offered with `offer_draft`) and audit samples, worked overdue-first,
  then by risk, then by age; every item carries the context a reviewer needs and its trace.
  `decide` approves, approves with edits, or rejects; `score` scores an audit on the rubric.
- Reason codes (seed 000): wrong_policy, missing_data, bad_tone, unsafe_action,
  hallucination, unclear_reasoning. Every decision stores the original, the edit, the reason,
  the note and the decision, and is routed by reason into datasets (`ROUTES`).
- `export_cases` / `write_jsonl`: a reason's (or a dataset's) examples as JSONL that
  `earned.evals.load_dataset` reads (`earned review export --reason R`).
- `AuditSampler`: each week, a random sample of autonomous runs plus every flagged one.
- `reviewer_fatigue`: approval rates near 100% and falling time-to-decision, per reviewer.

See docs/review.md.
"""

from earned.review._errors import ItemNotFound, ReviewRefused
from earned.review._export import case_for, export_cases, write_jsonl
from earned.review._fatigue import FatigueReport, ReviewerLoad, reviewer_fatigue
from earned.review._items import RISK_RANK
from earned.review._queue import DRAFT_STAGE, ReviewQueue
from earned.review._reasons import (
    DATASETS,
    POSITIVE,
    REASONS,
    ROUTES,
    Dataset,
    ReasonCode,
    check_reason,
    datasets_for,
)
from earned.review._records import (
    DEFAULT_RUBRIC,
    Action,
    Criterion,
    ItemKind,
    QueueItem,
    ReviewDecision,
    Rubric,
)
from earned.review._sampling import AUTONOMOUS_STAGES, AuditSample, AuditSampler, week_bounds
from earned.review._store import ReviewStore

__all__ = [
    "AUTONOMOUS_STAGES",
    "DATASETS",
    "DEFAULT_RUBRIC",
    "DRAFT_STAGE",
    "POSITIVE",
    "REASONS",
    "RISK_RANK",
    "ROUTES",
    "Action",
    "AuditSample",
    "AuditSampler",
    "Criterion",
    "Dataset",
    "FatigueReport",
    "ItemKind",
    "ItemNotFound",
    "QueueItem",
    "ReasonCode",
    "ReviewDecision",
    "ReviewQueue",
    "ReviewRefused",
    "ReviewStore",
    "ReviewerLoad",
    "Rubric",
    "case_for",
    "check_reason",
    "datasets_for",
    "export_cases",
    "reviewer_fatigue",
    "week_bounds",
    "write_jsonl",
]
