"""Exports: a reason's (or a dataset's) routed examples as JSONL the evals loader reads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from earned.errors import UserError
from earned.evals import load_dataset, parse_dataset
from earned.review import ReviewQueue, export_cases, write_jsonl
from earned.store import Database
from tests.review.seed import Clock, seed_run


@pytest.fixture
def reviewed(db: Database) -> ReviewQueue:
    """Four decided drafts of two tenants: an approval, an edit, two rejections."""
    for run_id, tenant in (("r1", "acme"), ("r2", "acme"), ("r3", "acme"), ("r4", "globex")):
        seed_run(db, run_id, stage="assist", tenant=tenant, output={"reply": f"draft {run_id}"},
                 input={"ticket": f"refund {run_id}"})  # fmt: skip
    clock = Clock()
    review = ReviewQueue(db, clock=clock)
    review.decide("drf_r1", action="approve", reviewer="bob", role="reviewer")
    clock.now += 1
    review.decide("drf_r2", action="approve_edited", edited={"reply": "fixed"},
                  reason_code="hallucination", note="no such order", reviewer="bob",
                  role="reviewer")  # fmt: skip
    clock.now += 1
    review.decide("drf_r3", action="reject", reason_code="wrong_policy", note="4.1 applies",
                  reviewer="bob", role="reviewer")  # fmt: skip
    clock.now += 1
    review.decide("drf_r4", action="reject", reason_code="hallucination", note="invented",
                  reviewer="eve", role="reviewer")  # fmt: skip
    return review


def test_export_by_reason_is_a_dataset_the_evals_loader_reads(
    reviewed: ReviewQueue, tmp_path: Path
) -> None:
    out = tmp_path / "hallucination.jsonl"
    count = write_jsonl(export_cases(reviewed.store, reason="hallucination"), out)
    assert count == 2
    dataset = load_dataset(out)
    assert [s.input for s in dataset] == [{"ticket": "refund r2"}, {"ticket": "refund r4"}]
    first = dataset.scenarios[0]
    assert first.tags == ["review", "hallucination", "adversarial", "regression"]
    meta = first.metadata
    assert (meta["decision"], meta["reason_code"], meta["note"]) == (
        "approve_edited",
        "hallucination",
        "no such order",
    )
    assert (meta["original"], meta["edited"], meta["final"]) == (
        {"reply": "draft r2"},
        {"reply": "fixed"},
        {"reply": "fixed"},
    )
    assert meta["run_id"] == "r2"


def test_approved_examples_export_as_positive(reviewed: ReviewQueue) -> None:
    cases = list(export_cases(reviewed.store, reason="approved"))
    assert [c["metadata"]["run_id"] for c in cases] == ["r1"]
    assert cases[0]["tags"] == ["review", "approved", "positive"]


def test_export_by_dataset_gathers_every_reason_routed_there(reviewed: ReviewQueue) -> None:
    runs = [c["metadata"]["run_id"] for c in export_cases(reviewed.store, dataset="regression")]
    assert runs == ["r2", "r3", "r4"]
    gaps = [c["metadata"]["run_id"] for c in export_cases(reviewed.store, dataset="policy_gaps")]
    assert gaps == ["r3"]


def test_export_can_keep_one_tenant(reviewed: ReviewQueue) -> None:
    cases = export_cases(reviewed.store, reason="hallucination", tenant="acme")
    assert [c["metadata"]["run_id"] for c in cases] == ["r2"]


def test_written_jsonl_round_trips_through_parse_dataset(reviewed: ReviewQueue) -> None:
    buffer = io.StringIO()
    write_jsonl(export_cases(reviewed.store, dataset="regression"), buffer)
    dataset = parse_dataset(buffer.getvalue(), name="regression")
    assert len(dataset) == 3
    assert len({s.id for s in dataset}) == 3


@pytest.mark.parametrize(
    ("reason", "dataset", "message"),
    [
        (None, None, "one reason or one dataset"),
        ("hallucination", "regression", "one reason or one dataset"),
        ("typo", None, "unknown reason"),
        (None, "typo", "unknown dataset"),
    ],
)
def test_export_says_what_to_ask_for(
    db: Database, reason: str | None, dataset: str | None, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        list(export_cases(ReviewQueue(db).store, reason=reason, dataset=dataset))
