"""Export routed review examples as JSONL eval datasets (`earned review export`).

Each line is a scenario the evals dataset loader accepts (`earned.evals.load_dataset`):
the run's input, tags naming the reason and the datasets, and in `metadata` the original,
the reviewer's edit, the final output, the reason code, the note and the decision. What a
case *expects* is left to a human: seed 000's "label first, then decide the fix".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from earned.errors import UserError
from earned.review._reasons import DATASETS, POSITIVE, REASONS
from earned.review._records import ReviewDecision
from earned.review._store import ReviewStore

__all__ = ["case_for", "export_cases", "write_jsonl"]

_PAGE = 1000


def case_for(decision: ReviewDecision) -> dict[str, Any]:
    """The eval scenario (as a JSONL line's dict) for one recorded review."""
    reason = decision.reason_code or POSITIVE
    return {
        "id": f"review-{decision.decision_id}",
        "input": decision.input,
        "tags": ["review", reason, *decision.datasets],
        "metadata": {
            "source": "earned.review",
            "decision_id": decision.decision_id,
            "item_id": decision.item_id,
            "item_kind": decision.item_kind,
            "run_id": decision.run_id,
            "agent": decision.agent,
            "capability": decision.capability,
            "stage": decision.stage,
            "decision": decision.decision,
            "reason_code": decision.reason_code,
            "note": decision.note,
            "original": decision.original,
            "edited": decision.edited,
            "final": decision.final,
            "datasets": decision.datasets,
            "rubric": decision.rubric,
            "scores": decision.scores,
            "passed": decision.passed,
            "decided_at": decision.decided_at,
        },
    }


def _check_choice(reason: str | None, dataset: str | None) -> None:
    if (reason is None) == (dataset is None):
        raise UserError(
            "export one reason or one dataset",
            reason=reason,
            dataset=dataset,
            fix=f"pass --reason ({', '.join([*REASONS, POSITIVE])}) or --dataset "
            f"({', '.join(DATASETS)})",
        )
    if reason is not None and reason not in REASONS and reason != POSITIVE:
        raise UserError(
            f"unknown reason {reason!r}",
            reason=reason,
            fix=f"use one of {', '.join([*REASONS, POSITIVE])}",
        )
    if dataset is not None and dataset not in DATASETS:
        raise UserError(
            f"unknown dataset {dataset!r}", dataset=dataset, fix=f"use one of {', '.join(DATASETS)}"
        )


def export_cases(
    store: ReviewStore,
    *,
    reason: str | None = None,
    dataset: str | None = None,
    tenant: str | None = None,
    since: float | None = None,
) -> Iterator[dict[str, Any]]:
    """Scenarios for every review with this reason (or routed to this dataset), oldest first.

    `reason="approved"` gives the positive examples. `tenant=None` exports every tenant's.
    """
    _check_choice(reason, dataset)
    filters: dict[str, Any] = {"tenant": tenant, "since": since}
    if reason == POSITIVE:
        filters["positive"] = True
    elif reason is not None:
        filters["reason_code"] = reason
    else:
        filters["dataset"] = dataset
    offset = 0
    while True:
        page = store.decisions(**filters, limit=_PAGE, offset=offset)
        for decision in page:
            yield case_for(decision)
        if len(page) < _PAGE:
            return
        offset += _PAGE


def write_jsonl(cases: Iterator[dict[str, Any]], out: str | Path | IO[str]) -> int:
    """Write cases one JSON object a line to a path or an open text stream; return how many."""
    if isinstance(out, str | Path):
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as stream:
            return write_jsonl(cases, stream)
    count = 0
    for case in cases:
        out.write(json.dumps(case, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
