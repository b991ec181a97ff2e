"""The review queue over HTTP: items, decisions, rubric scores, drafts, samples, exports.

Every item and every list is limited to the token's tenant; another tenant's item is a 404.
"""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from earned.review import (
    DATASETS,
    POSITIVE,
    REASONS,
    ROUTES,
    AuditSampler,
    ItemKind,
    ReasonCode,
    export_cases,
    reviewer_fatigue,
)
from earned.review._export import write_jsonl
from earned.server._deps import Ctx, Manager, Reader, ReviewerId, Runner
from earned.server._errors import BadRequest
from earned.server._runs import visible_run
from earned.server._schemas import Body, Id, IdPath, JsonValue, Limit, Name, Note

__all__ = ["router"]

router = APIRouter(prefix="/v1/review", tags=["review"])

ReasonQuery = Literal[
    "wrong_policy",
    "missing_data",
    "bad_tone",
    "unsafe_action",
    "hallucination",
    "unclear_reasoning",
    "approved",
]
DatasetQuery = Literal[
    "regression", "adversarial", "policy_gaps", "retrieval_gaps", "prompt_feedback", "positive"
]
Window = Annotated[str, Query(pattern=r"^\d{1,6}[smhdw]$", description="e.g. 24h, 7d")]


class Decision(Body):
    """A reviewer's decision on an approval or a draft."""

    action: Literal["approve", "approve_edited", "reject"]
    edited: JsonValue = Field(
        default=None, description="approve_edited: the output (or arguments) as they should be."
    )
    reason_code: ReasonCode | None = Field(
        default=None, description="Required for approve_edited and reject."
    )
    note: Note | None = Field(default=None, description="Required for approve_edited and reject.")
    expected_digest: Id | None = Field(default=None, description="Approvals: digest reviewed.")


class Score(Body):
    """A rubric score for an audit sample: 1-5 per criterion (GET /v1/review/rubric)."""

    scores: dict[Name, Annotated[int, Field(ge=1, le=5)]]
    reason_code: ReasonCode | None = Field(default=None, description="Required when failing.")
    note: Note | None = None


class DraftOffer(Body):
    """Offer a completed run's output (or this output) to reviewers as a draft."""

    run_id: Id
    output: JsonValue = Field(default=None, description="Default: the run's output.")
    note: Note | None = None


class SampleRequest(Body):
    """Draw a week's audit sample (seed 002: 30 to 50 runs plus every flagged one)."""

    week: Annotated[str, Field(pattern=r"^\d{4}-W\d{2}$")] | None = Field(
        default=None, description="ISO week, e.g. 2026-W07; default: the last complete week."
    )
    size: int = Field(default=40, ge=1, le=1000)
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)


@router.get("/queue", summary="Pending items: overdue first, then by risk, then by age")
def queue(
    caller: Reader,
    context: Ctx,
    kind: Annotated[list[ItemKind] | None, Query()] = None,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    """Approvals, drafts and audit samples of the token's tenant, in the order to work them."""
    items = context.review.list(tenant=caller.tenant, kinds=kind or (), limit=limit)
    now = context.clock()
    return [item.to_dict(now=now) for item in items]


@router.get("/items/{item_id}", summary="One item with its full review context")
def get_item(item_id: IdPath, caller: Reader, context: Ctx) -> dict[str, Any]:
    """The intended action or draft, the run's input and decisions, reviews so far, trace."""
    item = context.review.get(item_id, tenant=caller.tenant)
    return item.to_dict(now=context.clock())


@router.post("/items/{item_id}/decision", summary="Approve, approve with edits, or reject")
def decide(item_id: IdPath, body: Decision, caller: ReviewerId, context: Ctx) -> dict[str, Any]:
    """Record the decision (original, edit, reason, note) and route it by reason."""
    decision = context.review.decide(
        item_id,
        action=body.action,
        edited=body.edited,
        reason_code=body.reason_code,
        note=body.note,
        expected_digest=body.expected_digest,
        reviewer=caller.name,
        role=caller.role,
        tenant=caller.tenant,
    )
    return decision.to_dict()


@router.post("/items/{item_id}/score", summary="Score an audit sample on the rubric")
def score(item_id: IdPath, body: Score, caller: ReviewerId, context: Ctx) -> dict[str, Any]:
    """A failing score (any criterion below the pass mark) needs a reason code and a note."""
    decision = context.review.score(
        item_id,
        scores=dict(body.scores),
        reason_code=body.reason_code,
        note=body.note,
        reviewer=caller.name,
        role=caller.role,
        tenant=caller.tenant,
    )
    return decision.to_dict()


@router.post("/drafts", summary="Offer a completed run's output as a draft")
def offer_draft(body: DraftOffer, caller: Runner, context: Ctx) -> dict[str, Any]:
    """Runs completed at stage `assist` become drafts by themselves; this offers any other."""
    visible_run(context, caller, body.run_id)
    item = context.review.offer_draft(body.run_id, output=body.output, note=body.note)
    return item.to_dict(now=context.clock())


@router.get("/rubric", summary="The rubric audit samples are scored on")
def rubric(caller: Reader, context: Ctx) -> dict[str, Any]:
    """Criteria, the 1-5 scale and the pass mark."""
    return context.review.rubric.to_dict()


@router.get("/reasons", summary="Reason codes and where each routes its examples")
def reasons(caller: Reader) -> dict[str, Any]:
    """Seed 000's taxonomy and the datasets each code feeds."""
    return {
        "reasons": {
            code: {"means": words, "datasets": list(ROUTES[code])}
            for code, words in REASONS.items()
        },
        "approved": {"datasets": ["positive"]},
        "datasets": list(DATASETS),
    }


@router.post("/samples", summary="Draw a week's audit sample into the queue")
def sample(body: SampleRequest, caller: Manager, context: Ctx) -> dict[str, Any]:
    """A random sample of autonomous runs plus every flagged run of that week."""
    sampler = AuditSampler(context.db, clock=context.clock)
    drawn = sampler.sample(week=body.week, size=body.size, seed=body.seed, tenant=caller.tenant)
    return drawn.to_dict()


@router.get("/fatigue", summary="Reviewer fatigue: rubber-stamping signals")
def fatigue(caller: Manager, context: Ctx, window: Window = "7d") -> dict[str, Any]:
    """Approval rate near 100% and falling time-to-decision, per reviewer."""
    report = reviewer_fatigue(context.db, window=window, tenant=caller.tenant, clock=context.clock)
    return report.to_dict()


@router.get(
    "/export",
    summary="Routed examples as a JSONL eval dataset",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "JSONL."}},
)
def export(
    caller: Reader,
    context: Ctx,
    reason: Annotated[ReasonQuery | None, Query()] = None,
    dataset: Annotated[DatasetQuery | None, Query()] = None,
) -> Response:
    """One scenario a line, readable by `earned.evals.load_dataset`; the token's tenant only."""
    if (reason is None) == (dataset is None):
        raise BadRequest(
            "export one reason or one dataset",
            fix=f"pass ?reason= ({', '.join([*REASONS, POSITIVE])}) or ?dataset= "
            f"({', '.join(DATASETS)})",
        )
    store = context.review.store
    cases = export_cases(store, reason=reason, dataset=dataset, tenant=caller.tenant)
    buffer = io.StringIO()
    write_jsonl(cases, buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="review-{reason or dataset}.jsonl"'},
    )
