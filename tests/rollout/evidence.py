"""Evidence written through the real stores: eval runs, approval decisions, trace spans."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from earned.approvals import ApprovalRequest, ApprovalStore
from earned.evals import EvalRunRecord, EvalStore, load_manifest
from earned.runtime import RunEvent
from earned.store import Database, SpanStore

GATES = """\
version: 1
capability: payments
owner: finance
gates:
  - eval: tool_selection
    minimum: 98%
"""

_ids = itertools.count(1)


def write_gates(folder: Path, text: str = GATES) -> Path:
    path = folder / "gates.yaml"
    path.write_text(text)
    return path


def eval_run(db: Database, gates: Path, *, verdict: str, at: float, suite: str = "golden") -> str:
    """A completed eval run of `suite`, judged against the gates file as it is now."""
    manifest = load_manifest(gates)
    store = EvalStore(db, clock=lambda: at)
    store.save_manifest(manifest)
    run_id = f"ev_{next(_ids)}"
    store.create_run(
        EvalRunRecord(
            eval_run_id=run_id,
            suite=suite,
            capability=manifest.capability,
            agent="helpdesk",
            manifest_hash=manifest.hash,
            dataset_hash="d",
            target_hash="t",
            cases=100,
            started_at=at,
            updated_at=at,
        )
    )
    store.finish_run(run_id, verdict=verdict, summary={}, cases_done=100)
    return run_id


def decisions(db: Database, capability: str, *, approve: int, reject: int = 0, at: float) -> None:
    """`approve` approved and `reject` rejected approval requests for the capability's tool."""
    store = ApprovalStore(db, clock=lambda: at)
    for decision in ["approve"] * approve + ["reject"] * reject:
        n = next(_ids)
        request = ApprovalRequest(
            approval_id=f"ap_{n}",
            run_id=f"run_{n}",
            call_id="c1",
            agent="helpdesk",
            tool="pay",
            risk="irreversible",
            arguments={"amount": 30},
            arguments_digest=f"d{n}",
            summary="pay(amount=30)",
            targets=None,
            reason=None,
            rule_id="payments",
            rule_reason=None,
            policy_version="p",
            approvers=["reviewer"],
            requester="u",
            tenant="acme",
            capability=capability,
            stage="approval_required",
            context=None,
            status="pending",
            on_timeout="escalate",
            created_at=at,
            expires_at=at + 3600,
        )
        store.create(request)
        store.transition(
            request.approval_id,
            allowed_from=["pending"],
            to="approved" if decision == "approve" else "rejected",
            event=decision,
            actor="reviewer-1",
            values={"decision": decision, "decided_at": at, "decided_by": "reviewer-1"},
        )


def spans(db: Database, *events: dict[str, Any]) -> None:
    """Store spans: each dict has kind, name, at, and optionally status and attributes."""
    store = SpanStore(db)
    for event in events:
        n = next(_ids)
        store.emit(
            RunEvent(
                run_id=event.get("run_id", f"run_{n}"),
                span_id=f"s_{n}",
                parent_id=None,
                kind=event["kind"],
                name=event["name"],
                started_at=event["at"],
                ended_at=event["at"],
                status=event.get("status", "ok"),
                attributes=event.get("attributes", {}),
            )
        )
    store.close()


def denied(tool: str, at: float, rule_id: str = "default-deny") -> dict[str, Any]:
    return {
        "kind": "policy_decision",
        "name": "deny",
        "at": at,
        "status": "deny",
        "attributes": {"tool": tool, "rule_id": rule_id},
    }


def called(tool: str, at: float, status: str = "ok") -> dict[str, Any]:
    return {
        "kind": "tool_call",
        "name": tool,
        "at": at,
        "status": status,
        "attributes": {"tool": tool},
    }


def custom(name: str, at: float, **attributes: Any) -> dict[str, Any]:
    return {"kind": "custom", "name": name, "at": at, "attributes": attributes}
