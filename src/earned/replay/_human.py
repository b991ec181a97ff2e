"""The human decision a shadow run is compared with.

From a dataset: the case's expected fields (`expected_decision`, or `expected_class` when
classes are compared); a case that expects no decision is labelled `none`.

From a past trace, in this order:

1. the last review decision on the run's draft or audit item: the decision (or class) of
   the output the reviewer approved, as it was or as they edited it; an audit that passed
   its rubric approves the run's own output. A rejected draft or a failed audit says what
   the human did not want, not what they wanted: it gives no label.
2. the last approval decided on the run's calls: `approve`, `approve_edited` and `reject`
   map to decision labels (by default approve, approve, decline: the human let the action
   run or stopped it), and remember the tool and the arguments the human let run.

A trace with neither is unlabelled: it is run and shown, but not counted in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from earned.approvals import ApprovalStore
from earned.evals import Scenario
from earned.store import Database, RunRecord
from earned.store._tables import review_decisions

__all__ = [
    "DEFAULT_LABELS",
    "NO_DECISION",
    "Compared",
    "HumanDecision",
    "from_scenario",
    "from_trace",
]

#: What is compared: the decision (approve, decline, escalate, ...) or the class.
Compared = Literal["decision", "class"]
#: The label of "no decision" (a case that expects none, a run that made none).
NO_DECISION = "none"
#: Approval decisions as decision labels.
DEFAULT_LABELS: Mapping[str, str] = {
    "approve": "approve",
    "approve_edited": "approve",
    "reject": "decline",
}
_DECIDED = ("approved", "reserved", "consumed", "rejected")


@dataclass(frozen=True, kw_only=True)
class HumanDecision:
    """What a human decided for one input: the label the agent's is compared with.

    `label` None means the input has no usable human decision (it is not counted).
    Approval-based decisions also name the `tool` and the `arguments` the human let run.
    """

    label: str | None
    source: str
    reference: str | None = None
    cls: str | None = None
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _label(value: Any) -> str:
    return NO_DECISION if value is None else str(value)


def from_scenario(scenario: Scenario, compare: Compared = "decision") -> HumanDecision:
    """The labelled answer of a dataset case."""
    value = scenario.expected_decision if compare == "decision" else scenario.expected_class
    return HumanDecision(
        label=_label(value),
        source="dataset",
        reference=scenario.id,
        cls=scenario.expected_class,
    )


def _output_label(output: Any, compare: Compared) -> str | None:
    if not isinstance(output, dict):
        return None
    names = ("decision", "recommendation") if compare == "decision" else ("class",)
    for name in names:
        if name in output:
            return _label(output[name])
    return None


def _from_review(db: Database, record: RunRecord, compare: Compared) -> HumanDecision | None:
    c = review_decisions.c
    query = (
        sa.select(review_decisions)
        .where(c.run_id == record.run_id, c.item_kind.in_(("draft", "audit")))
        .order_by(c.decided_at.desc(), c.decision_id.desc())
        .limit(1)
    )
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    reference = row["decision_id"]
    if row["item_kind"] == "audit":
        if not row["passed"]:
            return HumanDecision(
                label=None, source="review", reference=reference, note="the audit failed"
            )
        output = record.output
    elif row["decision"] == "reject":
        note = f"the reviewer rejected the draft ({row['reason_code'] or 'no reason code'})"
        return HumanDecision(label=None, source="review", reference=reference, note=note)
    else:
        edited = row["edited"] if row["decision"] == "approve_edited" else None
        output = edited if edited is not None else row["original"]
    label = _output_label(output, compare)
    note = None if label is not None else f"the reviewed output has no {compare}"
    return HumanDecision(label=label, source="review", reference=reference, note=note)


def _from_approvals(
    db: Database, record: RunRecord, labels: Mapping[str, str]
) -> HumanDecision | None:
    rows = ApprovalStore(db).list(run_id=record.run_id, status=_DECIDED, limit=1000)
    decided = [r for r in rows if r.decision is not None]
    if not decided:
        return None
    row = max(decided, key=lambda r: (r.decided_at or 0.0, r.approval_id))
    decision = str(row.decision)
    label = labels.get(decision)
    return HumanDecision(
        label=label,
        source="approval",
        reference=row.approval_id,
        tool=row.tool,
        arguments=None if decision == "reject" else row.approved_arguments,
        note=None if label is not None else f"no label for the approval decision {decision!r}",
    )


def from_trace(
    db: Database,
    record: RunRecord,
    *,
    compare: Compared = "decision",
    labels: Mapping[str, str] = DEFAULT_LABELS,
) -> HumanDecision:
    """The human decision recorded for a past run (see the module docstring)."""
    review = _from_review(db, record, compare)
    if review is not None and review.label is not None:
        return review
    approval = _from_approvals(db, record, labels) if compare == "decision" else None
    if approval is not None and approval.label is not None:
        return approval
    found = review or approval
    if found is not None:
        return found
    return HumanDecision(
        label=None, source="none", note="no approval or review decision on this run"
    )
