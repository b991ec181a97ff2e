"""earned.review's public names are pinned and documented."""

from __future__ import annotations

import inspect

import earned.review

PUBLIC = [
    "AUTONOMOUS_STAGES", "DATASETS", "DEFAULT_RUBRIC", "DRAFT_STAGE", "POSITIVE", "REASONS",
    "RISK_RANK", "ROUTES", "Action", "AuditSample", "AuditSampler", "Criterion", "Dataset",
    "FatigueReport", "ItemKind", "ItemNotFound", "QueueItem", "ReasonCode", "ReviewDecision",
    "ReviewQueue", "ReviewRefused", "ReviewStore", "ReviewerLoad", "Rubric", "case_for",
    "check_reason", "datasets_for", "export_cases", "reviewer_fatigue", "week_bounds",
    "write_jsonl",
]  # fmt: skip


def test_public_names_are_pinned_and_documented() -> None:
    assert sorted(earned.review.__all__) == sorted(PUBLIC)
    for name in earned.review.__all__:
        value = getattr(earned.review, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"earned.review.{name} has no docstring"
