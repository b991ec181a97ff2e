"""Writes through the idempotency ledger, and approvals consumed exactly once.

    begin (intended) -> consume the approval -> invoke -> commit
                      +-> found before (a crash or a replay) -> reconcile, never repeat

Outcomes a write can end in, and what the ledger then says:

- it returned: `committed` (with the allowlisted result);
- a semantic error (the tool says it did nothing): `failed`;
- a transient error, a crash of the tool, or a crash of the process: `unknown`, then the
  tool's reconcile check decides: the effect exists (`reconciled`), it does not (`failed`,
  or `intended` again when resuming a crashed call), or nobody can tell (`escalated`, and
  the run escalates to a human).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from earned.approvals._records import LedgerEntry
from earned.digest import digest
from earned.errors import SemanticToolError
from earned.policy import Decision
from earned.runtime._services import Services
from earned.runtime._tool_exec import ToolInvocation, invoke_and_check

__all__ = ["run_ledgered"]

#: Error types after which a write certainly took no effect.
_NO_EFFECT = {SemanticToolError.__name__, "ToolArgumentsError"}


async def run_ledgered(
    inv: ToolInvocation, services: Services, decision: Decision
) -> dict[str, Any]:
    """Run a write at most once, whatever retries, replays and crashes happen around it."""
    ledger = services.ledger
    key = inv.context.idempotency_key
    assert key is not None
    created, entry = await asyncio.to_thread(
        ledger.begin,
        key,
        run_id=inv.context.run_id,
        call_id=inv.context.call_id,
        position=inv.position,
        tool=inv.tool.name,
        risk=inv.tool.risk.value,
        arguments_digest=inv.arguments_digest,
        approval_id=inv.approval_id,
        tenant=inv.request.tenant,
    )
    if not created:
        resumed = await _resume(inv, services, entry)
        if resumed is not None:
            return resumed
    refusal = (
        None
        if inv.approval_id is None
        else await asyncio.to_thread(_consume_approval, inv, services)
    )
    if refusal is not None:
        await asyncio.to_thread(ledger.fail, key, services.redact(inv.context.run_id, refusal))
        return {"status": "error", "error": refusal, "attempts": 0}
    body = await invoke_and_check(inv, decision)
    run_id = inv.context.run_id
    if body["status"] in ("ok", "withheld"):
        await asyncio.to_thread(ledger.commit, key, services.redact(run_id, body.get("value")))
        return body
    error = body["error"]
    if error["type"] in _NO_EFFECT:
        await asyncio.to_thread(ledger.fail, key, services.redact(run_id, error))
        return body
    reconciled = await _reconcile(inv, services, error)
    if reconciled is not None:
        return reconciled
    await asyncio.to_thread(ledger.not_applied, key, services.redact(run_id, error))
    return body


async def _resume(
    inv: ToolInvocation, services: Services, entry: LedgerEntry
) -> dict[str, Any] | None:
    """A call this ledger saw before: return its known outcome, or None to run it."""
    if entry.state in ("committed", "reconciled"):
        return {
            "status": "ok",
            "value": entry.result,
            "removed": [],
            "attempts": 0,
            "cached": False,
            "from_ledger": entry.state,
        }
    if entry.state == "failed":
        return {"status": "error", "error": entry.error, "attempts": 0, "from_ledger": "failed"}
    if entry.state == "escalated":
        return _unknown(inv, entry.error or {})
    crash = {
        "type": "Interrupted",
        "message": "the process stopped while the call was running",
        "transient": True,
        "details": {},
    }
    found = await _reconcile(inv, services, crash)
    if found is not None:
        return found
    await asyncio.to_thread(services.ledger.retry, inv.context.idempotency_key)
    return None


async def _reconcile(
    inv: ToolInvocation, services: Services, error: dict[str, Any]
) -> dict[str, Any] | None:
    """Ask the tool whether the effect exists. None means it certainly does not."""
    ledger, key = services.ledger, inv.context.idempotency_key
    error = services.redact(inv.context.run_id, error)
    await asyncio.to_thread(ledger.mark_unknown, key, error)
    if not inv.tool.can_reconcile:
        await asyncio.to_thread(ledger.escalate, key, error)
        return _unknown(inv, error)
    try:
        found = await inv.tool.reconcile(inv.context, inv.arguments)
    except Exception as exc:
        failure = {"type": type(exc).__name__, "message": f"reconcile check failed: {exc}"}
        await asyncio.to_thread(ledger.escalate, key, failure)
        return _unknown(inv, failure)
    if found is None:
        return None
    value = inv.tool.project(found).value
    stored = services.redact(inv.context.run_id, value)
    await asyncio.to_thread(ledger.reconciled, key, stored)
    return {
        "status": "ok",
        "value": value,
        "removed": [],
        "attempts": 0,
        "cached": False,
        "from_ledger": "reconciled",
    }


def _unknown(inv: ToolInvocation, error: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": "unknown",
        "attempts": 0,
        "error": {
            "type": "UnknownOutcome",
            "transient": False,
            "details": {"cause": error},
            "message": f"{inv.tool.name} may or may not have taken effect and it has no reconcile "
            f"check; look it up by idempotency key {inv.context.idempotency_key} before retrying",
        },
    }


def _consume_approval(inv: ToolInvocation, services: Services) -> dict[str, Any] | None:
    """Consume the approval bound to this call; an error dict when it cannot be used."""
    if inv.approval_id is None:
        return None
    store = services.approval_store
    row = store.get(inv.approval_id)
    if row is None:
        return _refusal(inv, "the approval does not exist")
    if row.edited_arguments is not None:  # kept as the reviewer typed them: normalise
        edited = inv.tool.validate(row.edited_arguments)
        bound = digest({"tool": inv.tool.name, "arguments": edited})
    else:  # the stored arguments are redacted for display: the digest is the binding
        bound = row.approved_digest
    if bound != inv.arguments_digest:
        return _refusal(inv, "the arguments do not match what was approved")
    moved = store.transition(
        inv.approval_id,
        allowed_from={"reserved"},
        to="consumed",
        event="consumed",
        details={
            "run_id": inv.context.run_id,
            "call_id": inv.context.call_id,
            "idempotency_key": inv.context.idempotency_key,
        },
        values={"consumed_at": time.time()},
    )
    if moved:
        return None
    current = store.get(inv.approval_id)
    if current is not None and current.status == "consumed":
        return None  # consumed by this very call before a crash; the ledger guards the effect
    status = current.status if current else "missing"
    return _refusal(inv, f"the approval is {status}, not reserved for this call")


def _refusal(inv: ToolInvocation, why: str) -> dict[str, Any]:
    return {
        "type": "ApprovalNotUsable",
        "transient": False,
        "message": f"{inv.tool.name} was not called: {why} (approval {inv.approval_id})",
        "details": {"approval_id": inv.approval_id},
    }
