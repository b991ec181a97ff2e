"""The review queue: pending approvals, reviewer-assist drafts and audit samples in one list.

```python
queue = ReviewQueue(db)                       # a migrated earned.store.Database
for item in queue.list(tenant="acme"):        # overdue first, then by risk, then by age
    print(item.kind, item.context.get("action"), item.trace)
queue.decide(item.item_id, action="approve_edited", edited={...},
             reason_code="wrong_policy", note="section 4.1 applies", reviewer="bob",
             role="reviewer", tenant="acme")
```

**Drafts.** A run that ends `completed` at stage `assist` with an output is a draft: the
queue collects it (idempotently) every time it is listed. A run's stage is the one it acted
at: its capability's live stage (`RolloutStore`), capped by the run's own stage as the
enforcement point caps it (`capped_stage`), for runs that started since the capability
reached that stage; the run's own recorded stage otherwise (no matrix, an older run). An
application can also offer any completed run's output explicitly with
`offer_draft(run_id, output=...)`.

Every decision records the original, the edit, the reason code, the note and the final
decision, and routes the example by its reason (see `earned.review._reasons`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from earned.approvals import ApprovalRequest, Approvals
from earned.redaction import Redactor
from earned.review._errors import ItemNotFound, ReviewRefused
from earned.review._items import from_approval, from_row, sort_key
from earned.review._reasons import check_reason, datasets_for
from earned.review._records import DEFAULT_RUBRIC, Action, QueueItem, ReviewDecision, Rubric
from earned.review._store import LiveStage, ReviewStore, live_stages, new_decision_id
from earned.rollout import RolloutStore
from earned.stages import Stage
from earned.store import Database, RunRecord, RunStore

__all__ = ["ReviewQueue"]

#: The stage whose completed runs become drafts.
DRAFT_STAGE = "assist"
_ACTIONS = ("approve", "approve_edited", "reject")


class ReviewQueue:
    """List, show and decide review items; see the module docstring."""

    def __init__(
        self,
        db: Database,
        *,
        approvals: Approvals | None = None,
        clock: Callable[[], float] = time.time,
        redactor: Redactor | None = None,
        rubric: Rubric = DEFAULT_RUBRIC,
        draft_stage: str = DRAFT_STAGE,
        overdue_after: float = 3600.0,
        expiring_within: float = 600.0,
        draft_window: float = 30 * 86400.0,
    ) -> None:
        self.store = ReviewStore(db, clock=clock)
        self.runs = RunStore(db, clock=clock)
        self.rollout = RolloutStore(db, clock=clock)
        self.approvals = approvals or Approvals(db, clock=clock)
        self.clock = clock
        self.redactor = redactor or Redactor()
        self.rubric = rubric
        self.draft_stage = draft_stage
        self.overdue_after = overdue_after
        self.expiring_within = expiring_within
        self.draft_window = draft_window

    # -- reading --------------------------------------------------------------------------

    def collect(self) -> int:
        """Queue every run that completed at the draft stage within `draft_window`, once."""
        since = self.clock() - self.draft_window
        return self.store.collect_drafts(self.draft_stage, since=since, live=self._live_stages())

    def _live_stages(self) -> list[LiveStage]:
        """Per capability with a live stage: which runs' own stages make them drafts now."""
        if self.draft_stage not in Stage.__members__.values():
            return []
        return live_stages(self.rollout, {self.draft_stage})

    def list(
        self, *, tenant: str | None = None, kinds: Sequence[str] = (), limit: int = 100
    ) -> list[QueueItem]:
        """Pending items in the order to work them (`tenant=None`: every tenant)."""
        self.collect()
        now = self.clock()
        items: list[QueueItem] = []
        if not kinds or "approval" in kinds:
            pending = self.approvals.list(status="pending", tenant=tenant, limit=1000)
            items += [self._approval_item(a, now) for a in pending]
        row_kinds = [k for k in kinds if k != "approval"]
        if not kinds or row_kinds:
            rows = self.store.items(status="pending", tenant=tenant, kinds=row_kinds, limit=1000)
            items += [from_row(r, now=now, overdue_after=self.overdue_after) for r in rows]
        items.sort(key=sort_key)
        return items[: max(1, limit)]

    def get(self, item_id: str, *, tenant: str | None = None) -> QueueItem:
        """One item (any status) with the run's input and policy decisions.

        With `tenant`, an item of another tenant is reported as not found.
        """
        item = self._item(item_id)
        if tenant is not None and item.tenant != tenant:
            raise _not_found(item_id)
        run = self.runs.get(item.run_id)
        extra: dict[str, Any] = {"input": None, "run_status": None, "decisions": []}
        if run is not None:
            extra = {
                "input": run.input,
                "run_status": run.status,
                "decisions": run.decisions or [],
                "output": item.context.get("output", run.output),
            }
        history = [d.to_dict() for d in self.store.decisions(item_id=item_id, limit=100)]
        context = {**item.context, **extra, "reviews": history}
        return _replace_context(item, context)

    def history(self, item_id: str) -> list[ReviewDecision]:
        """Every decision recorded for an item, oldest first."""
        return self.store.decisions(item_id=item_id)

    def _item(self, item_id: str) -> QueueItem:
        now = self.clock()
        if item_id.startswith("apr_"):
            approval = self.approvals.store.get(item_id)
            if approval is None:
                raise _not_found(item_id)
            return self._approval_item(approval, now)
        row = self.store.item(item_id)
        if row is None and item_id.startswith("drf_") and self.collect():
            row = self.store.item(item_id)  # a draft not collected yet
        if row is None:
            raise _not_found(item_id)
        return from_row(row, now=now, overdue_after=self.overdue_after)

    def _approval_item(self, approval: ApprovalRequest, now: float) -> QueueItem:
        return from_approval(
            approval,
            now=now,
            overdue_after=self.overdue_after,
            expiring_within=self.expiring_within,
        )

    # -- drafts ---------------------------------------------------------------------------

    def offer_draft(self, run_id: str, *, output: Any = None, note: str | None = None) -> QueueItem:
        """Put a completed run's output (or `output`) in the queue as a draft; idempotent."""
        run = self.runs.get(run_id)
        if run is None:
            raise ItemNotFound(
                f"no run {run_id!r}; offer drafts of runs in this database",
                run_id=run_id,
                fix="pass the run id a completed run returned",
            )
        if run.status != "completed":
            raise ReviewRefused(
                f"run {run_id} is {run.status}; only a completed run's output can be a draft",
                check="kind",
                run_id=run_id,
                status=run.status,
                fix="offer the draft once the run has completed",
            )
        draft = run.output if output is None else self._redact(run_id, output)
        details = {"offered_note": self._redact(run_id, note)} if note else None
        self.store.add_items([_draft_row(run, draft, details, self.clock())])
        return self._item(f"drf_{run_id}")

    # -- deciding -------------------------------------------------------------------------

    def decide(
        self,
        item_id: str,
        *,
        action: Action,
        reviewer: str,
        role: str,
        tenant: str | None = None,
        edited: Any = None,
        reason_code: str | None = None,
        note: str | None = None,
        expected_digest: str | None = None,
    ) -> ReviewDecision:
        """Approve, approve with edits, or reject an approval or a draft; record and route it.

        Edits and rejections need a reason code and a note. An approval is decided through
        `Approvals` (every integrity check applies); `tenant` is the reviewer's tenant.
        """
        _check_decision(item_id, action, edited, reason_code, note)
        item = self._item(item_id)
        if tenant is not None and item.tenant != tenant:
            raise _not_found(item_id)
        if item.kind == "approval":
            return self._decide_approval(
                item, action, reviewer, role, tenant, edited, reason_code, note, expected_digest
            )
        if item.kind != "draft":
            raise ReviewRefused(
                f"{item_id} is an audit sample: it takes a rubric score, not a decision",
                check="kind",
                item_id=item_id,
                fix=f"score it: POST /v1/review/items/{item_id}/score",
            )
        self._check_open(item, reviewer)
        original = item.context.get("output")
        if action == "approve_edited" and edited == original:
            raise ReviewRefused(
                "the edited output is the same as the draft",
                check="edit",
                item_id=item_id,
                fix="approve it as it is, or change the output",
            )
        status = {"approve": "approved", "approve_edited": "edited", "reject": "rejected"}[action]
        decision = self._decision(item, action, reviewer, role, original, edited, reason_code, note)
        if not self.store.record(decision, item_status=status):
            raise _already_decided(item_id)
        return decision

    def _decide_approval(
        self,
        item: QueueItem,
        action: Action,
        reviewer: str,
        role: str,
        tenant: str | None,
        edited: Any,
        reason_code: str | None,
        note: str | None,
        expected_digest: str | None,
    ) -> ReviewDecision:
        words = f"{reason_code}: {note}" if reason_code else note
        if action == "reject":
            self.approvals.reject(
                item.item_id, actor=reviewer, role=role, tenant=tenant, reason=words or ""
            )
        else:
            if action == "approve_edited" and not isinstance(edited, dict):
                raise ReviewRefused(
                    "edited arguments must be a JSON object of the tool's arguments",
                    check="edit",
                    item_id=item.item_id,
                    fix='send "edited": {"amount": 20.0, ...}',
                )
            self.approvals.approve(
                item.item_id,
                actor=reviewer,
                role=role,
                tenant=tenant,
                arguments=edited if action == "approve_edited" else None,
                reason=words,
                expected_digest=expected_digest,
            )
        tool = item.context["tool"]
        original = {"tool": tool, "arguments": item.context["arguments"]}
        changed = {"tool": tool, "arguments": edited} if action == "approve_edited" else None
        decision = self._decision(
            item, action, reviewer, role, original, changed, reason_code, note
        )
        self.store.record(decision)
        return decision

    def score(
        self,
        item_id: str,
        *,
        scores: dict[str, int],
        reviewer: str,
        role: str,
        tenant: str | None = None,
        reason_code: str | None = None,
        note: str | None = None,
    ) -> ReviewDecision:
        """Score an audit sample on the rubric; a failing score needs a reason code and note."""
        item = self._item(item_id)
        if tenant is not None and item.tenant != tenant:
            raise _not_found(item_id)
        if item.kind != "audit":
            raise ReviewRefused(
                f"{item_id} is a {item.kind}: only audit samples take a rubric score",
                check="kind",
                item_id=item_id,
                fix=f"decide it: POST /v1/review/items/{item_id}/decision",
            )
        checked = self.rubric.check(scores)
        passed = self.rubric.passed(checked)
        if reason_code is not None:
            check_reason(reason_code)
        if not passed and (reason_code is None or not (note or "").strip()):
            raise ReviewRefused(
                "a failing rubric score needs a reason code and a note",
                check="reason_code",
                item_id=item_id,
                fix="send reason_code (e.g. hallucination) and a note",
            )
        self._check_open(item, reviewer)
        decision = self._decision(
            item, "score", reviewer, role, item.context.get("output"), None, reason_code, note
        )
        decision = _with_scores(decision, checked, passed, self.rubric.version)
        if not self.store.record(decision, item_status="scored"):
            raise _already_decided(item_id)
        return decision

    # -- helpers --------------------------------------------------------------------------

    def _check_open(self, item: QueueItem, reviewer: str) -> None:
        if item.status != "pending":
            raise _already_decided(item.item_id, item.status)
        if item.requester is not None and reviewer == item.requester:
            raise ReviewRefused(
                f"{reviewer} is the user this run acted for and cannot review it",
                check="self_approval",
                item_id=item.item_id,
                fix="another reviewer must decide",
            )

    def _redact(self, run_id: str, value: Any) -> Any:
        if value is None:
            return None
        try:
            return self.redactor.scope(f"review:{run_id}").value(value)
        finally:
            self.redactor.forget(f"review:{run_id}")

    def _decision(
        self,
        item: QueueItem,
        action: Action,
        reviewer: str,
        role: str,
        original: Any,
        edited: Any,
        reason_code: str | None,
        note: str | None,
    ) -> ReviewDecision:
        run = self.runs.get(item.run_id)
        datasets = datasets_for(reason_code) if reason_code or action != "score" else ()
        return ReviewDecision(
            decision_id=new_decision_id(),
            item_id=item.item_id,
            item_kind=item.kind,
            run_id=item.run_id,
            agent=item.agent,
            capability=item.capability,
            stage=item.stage,
            tenant=item.tenant,
            decision=action,
            reason_code=reason_code,
            note=self._redact(item.run_id, note),
            input=self._redact(item.run_id, run.input if run is not None else None),
            original=self._redact(item.run_id, original),
            edited=self._redact(item.run_id, edited),
            scores=None,
            passed=None,
            rubric=None,
            datasets=list(datasets),
            reviewer=reviewer,
            role=role,
            item_created_at=item.created_at,
            decided_at=self.clock(),
        )


def _check_decision(
    item_id: str, action: str, edited: Any, reason_code: str | None, note: str | None
) -> None:
    if action not in _ACTIONS:
        raise ReviewRefused(
            f"unknown action {action!r}; use approve, approve_edited or reject",
            check="kind",
            item_id=item_id,
            fix="audit samples take a score instead",
        )
    if reason_code is not None:
        check_reason(reason_code)
    if action == "approve":
        return
    if action == "approve_edited" and edited is None:
        raise ReviewRefused(
            "approve_edited needs the edited output (or arguments)",
            check="edit",
            item_id=item_id,
            fix='send "edited": the output as it should have been',
        )
    if reason_code is None:
        raise ReviewRefused(
            f"{action} needs a reason code",
            check="reason_code",
            item_id=item_id,
            fix="send reason_code: wrong_policy, missing_data, bad_tone, unsafe_action, "
            "hallucination or unclear_reasoning",
        )
    if not (note or "").strip():
        raise ReviewRefused(
            f"{action} needs a note saying what was wrong",
            check="note",
            item_id=item_id,
            fix='send "note": one sentence on what the reviewer changed and why',
        )


def _with_scores(
    decision: ReviewDecision, scores: dict[str, int], passed: bool, rubric: str
) -> ReviewDecision:
    datasets = decision.datasets or (["positive"] if passed else [])
    return replace(decision, scores=scores, passed=passed, rubric=rubric, datasets=datasets)


def _replace_context(item: QueueItem, context: dict[str, Any]) -> QueueItem:
    return replace(item, context=context)


def _draft_row(
    run: RunRecord, output: Any, details: dict[str, Any] | None, now: float
) -> dict[str, Any]:
    return {
        "item_id": f"drf_{run.run_id}",
        "kind": "draft",
        "run_id": run.run_id,
        "agent": run.agent,
        "capability": run.capability,
        "stage": run.stage,
        "tenant": run.tenant,
        "requester": run.user,
        "risk": "draft",
        "output": output,
        "details": details,
        "created_at": now,
    }


def _not_found(item_id: str) -> ItemNotFound:
    return ItemNotFound(
        f"no review item {item_id!r}",
        item_id=item_id,
        fix="list the queue (GET /v1/review/queue or `earned review list`) for item ids",
    )


def _already_decided(item_id: str, status: str | None = None) -> ReviewRefused:
    return ReviewRefused(
        f"{item_id} is not waiting for a review"
        + (f" (it is {status})" if status else "; someone decided it a moment ago"),
        check="not_pending",
        item_id=item_id,
        fix="reload the queue; decided items leave it",
    )
