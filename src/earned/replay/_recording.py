"""A recorded run, as a replay serves it: its input, its tool calls and their outcomes.

The calls come from the trace's spans (every tool call and policy decision, in order) and
the approvals filed for the run. Each call's outcome (policy decision, status, result) is
taken from the run's durable step records when they can be read: those are exact (they
are what a recovered run would get back). Otherwise it is rebuilt from the spans, which
are redacted and hold only the fields a tool declares for logging: such a recording says
`source="spans"`, and a replay from it is approximate. The input is likewise the exact
request when the step records have it, else the stored (redacted) input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from earned.approvals import ApprovalRequest, ApprovalStore
from earned.runtime import RunEvent
from earned.store import Database, RunRecord
from earned.tracing import TraceStore

__all__ = ["RecordSource", "RecordedApproval", "RecordedCall", "Recording", "load_recording"]

#: `steps`: exact outcomes from the durable step records; `spans`: rebuilt from the trace.
RecordSource = Literal["steps", "spans"]
#: Tool-call statuses that come out of a tool step (the others were refused before one).
_STEPPED = frozenset({"ok", "simulated", "error", "denied", "withheld", "unknown"})
#: Approval statuses that mean a human decided to let the call run.
_APPROVED = frozenset({"approved", "reserved", "consumed"})


@dataclass(frozen=True, kw_only=True)
class RecordedApproval:
    """A human's recorded decision on a held call."""

    status: str
    decision: str | None = None
    arguments: dict[str, Any] | None = None
    approver: str | None = None
    role: str | None = None
    reason: str | None = None
    approval_id: str | None = None

    @property
    def decided(self) -> bool:
        """True when a human approved or rejected the call."""
        return self.status in _APPROVED or self.status == "rejected"

    @property
    def approved(self) -> bool:
        """True when a human let the call run (as asked or edited)."""
        return self.status in _APPROVED


@dataclass(kw_only=True)
class RecordedCall:
    """One tool call of the recorded run with the outcome of each of its steps.

    `result` is the outcome of the call's first step (for a held call: `approval_required`);
    `approved_result` the outcome of the step that ran after a human approved it.
    """

    index: int
    tool: str
    call_id: str | None
    arguments: dict[str, Any]
    result: dict[str, Any]
    approval: RecordedApproval | None = None
    approved_arguments: dict[str, Any] | None = None
    approved_result: dict[str, Any] | None = None
    source: RecordSource = "spans"
    _decision: dict[str, Any] | None = field(default=None, repr=False)
    _concluded: RunEvent | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shown in replay reports."""
        return {
            "index": self.index,
            "tool": self.tool,
            "call_id": self.call_id,
            "arguments": self.arguments,
            "status": (self.approved_result or self.result).get("status"),
            "approval": None if self.approval is None else self.approval.status,
            "source": self.source,
        }


@dataclass(kw_only=True)
class Recording:
    """What a replay needs of a recorded run."""

    run: RunRecord
    input: Any
    input_exact: bool
    events: tuple[RunEvent, ...]
    calls: list[RecordedCall]
    checkpoints: list[tuple[str, Any]] = field(default_factory=list[tuple[str, Any]])
    problem: str | None = None

    @property
    def run_id(self) -> str:
        """The recorded run's id."""
        return self.run.run_id

    @property
    def source(self) -> RecordSource:
        """`steps` when every call's outcome is exact, else `spans`."""
        return "steps" if all(c.source == "steps" for c in self.calls) else "spans"


def load_recording(db: Database, run_id: str, *, records: Any = None) -> Recording:
    """The recording of run `run_id`; `records` reads its durable steps (`RecordedRuns`)."""
    traces = TraceStore(db)
    run = traces.run(run_id)
    events = tuple(sorted(traces.spans(run_id), key=lambda e: e.span_id))
    approvals = {a.call_id: a for a in ApprovalStore(db).list(run_id=run_id, limit=1000)}
    calls = _calls(events, approvals)
    request = records.request(run_id) if records is not None else None
    steps = records.steps(run_id) if records is not None else []
    checkpoints = _attach_steps(calls, steps)
    for call in calls:
        if call.source == "spans":
            _rebuild(call)
    exact = request if isinstance(request, dict) and "input" in request else None
    return Recording(
        run=run,
        input=run.input if exact is None else exact["input"],
        input_exact=exact is not None,
        events=events,
        calls=calls,
        checkpoints=checkpoints,
        problem=getattr(records, "problem", None)
        if records is not None
        else "no durable step records",
    )


# -- calls from spans ---------------------------------------------------------------------


def _decision(event: RunEvent) -> dict[str, Any]:
    a = event.attributes
    return {
        "effect": event.status,
        "rule_id": a.get("rule_id") or "",
        "reason": a.get("reason") or "",
        "policy_version": a.get("policy_version") or "",
        "approvers": [],
        "approval_waived": False,
        "returns": None,
        "capability": a.get("capability"),
        "stage": a.get("stage"),
    }


def _approval(row: ApprovalRequest | None, span: RunEvent | None) -> RecordedApproval | None:
    """The decision from the approval's row, else from its span (a trace from elsewhere)."""
    if row is not None:
        return RecordedApproval(
            status=row.status,
            decision=row.decision,
            arguments=row.edited_arguments,
            approver=row.decided_by,
            role=row.decided_role,
            reason=row.decision_reason,
            approval_id=row.approval_id,
        )
    if span is None:
        return None
    a = span.attributes
    return RecordedApproval(
        status=span.status,
        decision=a.get("decision"),
        approver=a.get("decided_by"),
        role=a.get("decided_role"),
        reason=a.get("reason"),
        approval_id=a.get("approval_id"),
    )


def _calls(
    events: tuple[RunEvent, ...], approvals: dict[str, ApprovalRequest]
) -> list[RecordedCall]:
    """Every call that reached a tool step, in order, with its spans attached."""
    calls: list[RecordedCall] = []
    held: dict[tuple[Any, str], RecordedCall] = {}
    decided: dict[tuple[Any, str], dict[str, Any]] = {}
    waiting: RecordedCall | None = None  # the held call whose approval span comes next
    for event in events:
        a = event.attributes
        tool = str(a.get("tool") or event.name)
        key = (a.get("call_id"), tool)
        if event.kind == "approval" and waiting is not None:
            if waiting.approval is None:
                waiting.approval = _approval(None, event)
            waiting = None
        elif event.kind == "policy_decision" and event.status == "require_approval":
            row = approvals.get(str(a.get("call_id")))
            waiting = RecordedCall(
                index=len(calls),
                tool=tool,
                call_id=a.get("call_id"),
                arguments=dict(row.arguments) if row is not None else {},
                result={},
                approval=_approval(row, None),
                _decision=_decision(event),
            )
            calls.append(waiting)
            held[key] = waiting
        elif event.kind == "policy_decision":
            decided[key] = _decision(event)
        elif event.kind == "tool_call" and event.status in _STEPPED:
            _conclude(calls, held, decided, key, event)
    return calls


def _conclude(
    calls: list[RecordedCall],
    held: dict[tuple[Any, str], RecordedCall],
    decided: dict[tuple[Any, str], dict[str, Any]],
    key: tuple[Any, str],
    event: RunEvent,
) -> None:
    arguments = event.attributes.get("arguments")
    arguments = dict(arguments) if isinstance(arguments, dict) else {}
    call = held.pop(key, None)
    if call is not None:
        call.approved_arguments = arguments
        if not call.arguments:
            call.arguments = arguments
        call._concluded = event
        return
    calls.append(
        RecordedCall(
            index=len(calls),
            tool=key[1],
            call_id=key[0],
            arguments=arguments,
            result={},
            _decision=decided.pop(key, None),
            _concluded=event,
        )
    )


# -- outcomes -----------------------------------------------------------------------------


def _attach_steps(calls: list[RecordedCall], steps: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Give each call its exact step outcomes, when the step records line up with the spans.

    Returns the other checkpointed steps (`step:...`, `versions`) in order.
    """
    first: dict[str, list[dict[str, Any]]] = {}
    after: dict[str, list[dict[str, Any]]] = {}
    checkpoints: list[tuple[str, Any]] = []
    for step in steps:
        name, output = step["name"], step["output"]
        if step["error"] is not None or not isinstance(name, str):
            continue
        if name.startswith("tool:") and name.endswith(":approved"):
            after.setdefault(name[5:-9], []).append(output)
        elif name.startswith("tool:"):
            first.setdefault(name[5:], []).append(output)
        elif not name.startswith(("model:", "approval:", "DBOS.")):
            checkpoints.append((name, output))
    for tool in {c.tool for c in calls}:
        mine = [c for c in calls if c.tool == tool]
        approved = [c for c in mine if c.approved_arguments is not None and c.approval]
        outcomes, later = first.get(tool, []), after.get(tool, [])
        if len(outcomes) != len(mine) or len(later) != len(approved):
            continue  # the records do not line up with the trace: rebuild from spans
        for call, outcome in zip(mine, outcomes, strict=True):
            call.result, call.source = outcome, "steps"
        for call, outcome in zip(approved, later, strict=True):
            call.approved_result = outcome
    return checkpoints


def _rebuild(call: RecordedCall) -> None:
    """The call's outcomes from its spans (redacted; results are the logged fields only)."""
    decision = call._decision or _decision_of(call._concluded)
    if call.approval is not None or (decision or {}).get("effect") == "require_approval":
        call.result = {"decision": decision, "status": "approval_required"}
        if call._concluded is not None:
            call.approved_result = _outcome(call._concluded, decision)
        _timed(call.result, call._concluded)
    elif call._concluded is not None:
        call.result = _outcome(call._concluded, decision)


def _decision_of(event: RunEvent | None) -> dict[str, Any]:
    a = {} if event is None else event.attributes
    return {
        "effect": "allow",
        "rule_id": a.get("rule_id") or "",
        "reason": "",
        "policy_version": a.get("policy_version") or "",
        "approvers": [],
        "approval_waived": False,
        "returns": None,
        "capability": a.get("capability"),
        "stage": a.get("stage"),
    }


def _timed(result: dict[str, Any], event: RunEvent | None) -> None:
    result["started_at"] = event.started_at if event is not None else 0.0
    result["ended_at"] = (event.ended_at or event.started_at) if event is not None else 0.0


def _outcome(event: RunEvent, decision: dict[str, Any]) -> dict[str, Any]:
    a = event.attributes
    logged = a.get("logged")
    result: dict[str, Any] = {
        "decision": decision,
        "status": event.status,
        "value": dict(logged) if isinstance(logged, dict) else {},
        "removed": list(a.get("fields_removed") or []),
        "attempts": a.get("attempts", 0),
        "cached": bool(a.get("cached")),
    }
    error_type = a.get("error_type")
    if event.status in ("error", "unknown"):
        error = a.get("error") if isinstance(a.get("error"), dict) else {}
        result["error"] = {
            "type": error_type or "ToolError",
            "message": (error or {}).get("message") or f"{event.name} failed ({error_type})",
            "transient": False,
            "details": {},
        }
    if event.status == "withheld":
        result["withheld"] = {"rule_id": a.get("rule_id"), "reason": "withheld by policy"}
    _timed(result, event)
    return result
