"""Synthetic stored runs with chosen times, costs and outcomes, written through the stores."""

from __future__ import annotations

from typing import Any

from earned.messages import Usage
from earned.runtime._events import RunEvent
from earned.runtime._state import Escalation, Principal, RunRequest, RunResult
from earned.store import Database, RunStore, SpanStore

NOW = 1_800_000_000.0
DAY = 86_400.0


def seed_run(
    db: Database,
    run_id: str,
    *,
    agent: str = "refunds",
    status: str = "completed",
    age_days: float = 1.0,
    seconds: float = 2.0,
    cost: float = 0.0,
    tokens: tuple[int, int] = (100, 20),
    tool: str | None = "get_order",
    tool_error: str | None = None,
    error_type: str | None = None,
    escalation_kind: str | None = None,
    user: str = "u1",
    tenant: str = "acme",
    capability: str | None = "refund",
    finished: bool = True,
) -> None:
    """Store one run created `age_days` before NOW, lasting `seconds`, with a few spans."""
    start = NOW - age_days * DAY
    principal = Principal(user=user, role="operator", tenant=tenant)
    request = RunRequest(
        run_id=run_id,
        agent=agent,
        input={"text": "refund please"},
        principal=principal,
        capability=capability,
        created_at=start,
    )
    runs = RunStore(db, clock=lambda: start + seconds)
    runs.create(request, status="running")
    if finished:
        error = None if error_type is None else {"type": error_type, "message": "boom"}
        escalation = (
            None
            if escalation_kind is None
            else Escalation(reason="needs a human", kind=escalation_kind)
        )
        runs.finish(
            RunResult(
                run_id=run_id,
                agent=agent,
                status=status,  # type: ignore[arg-type]
                error=error,
                escalation=escalation,
                usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1], requests=1),
                cost=cost,
                steps=2,
                principal=principal,
                capability=capability,
                started_at=start,
                ended_at=start + seconds,
            )
        )
    with SpanStore(db) as spans:
        for event in _spans(run_id, start, seconds, tool, tool_error):
            spans.emit(event)


def _spans(
    run_id: str, start: float, seconds: float, tool: str | None, tool_error: str | None
) -> list[RunEvent]:
    root = f"{run_id}:00001"
    events = [
        RunEvent(
            run_id=run_id,
            span_id=root,
            parent_id=None,
            kind="run",
            name="refunds",
            started_at=start,
            ended_at=start + seconds,
            attributes={"agent": "refunds"},
        ),
        RunEvent(
            run_id=run_id,
            span_id=f"{run_id}:00002",
            parent_id=root,
            kind="model_call",
            name="openai:gpt-4.1-mini",
            started_at=start + 0.1,
            ended_at=start + 0.5,
            attributes={"model": "openai:gpt-4.1-mini", "input_tokens": 100, "cost": 0.001},
        ),
    ]
    if tool is not None:
        attrs: dict[str, Any] = {"tool": tool, "call_id": "c1", "error_type": tool_error}
        events.append(
            RunEvent(
                run_id=run_id,
                span_id=f"{run_id}:00003",
                parent_id=root,
                kind="tool_call",
                name=tool,
                started_at=start + 0.6,
                ended_at=start + 0.7,
                status="error" if tool_error else "ok",
                attributes=attrs,
            )
        )
    return events
