"""Per-run state: counters, budget, loop detector, taint, and the events emitted so far.

Everything here is derived from the run request and the results of checkpointed steps,
so re-executing the workflow after a crash rebuilds exactly the same state.
"""

from __future__ import annotations

import time
from typing import Any

from earned.digest import digest
from earned.errors import DeadlineExceeded, StepLimitExceeded
from earned.guards import Budget, LoopDetector, ScreenResult
from earned.messages import Usage
from earned.runtime._events import EventKind, RunEvent
from earned.runtime._services import Services
from earned.runtime._state import RunRequest

__all__ = ["RunState"]

#: How many tried actions and gathered results an escalation carries.
_CONTEXT_ITEMS = 20


class RunState:
    """Mutable state shared by every context (agent and sub-agents) of one run."""

    def __init__(self, request: RunRequest, services: Services) -> None:
        self.request = request
        self.services = services
        self.run_id = request.run_id
        self.nonce = digest(["untrusted", request.run_id])[:12]
        self.budget = Budget(max_tokens=request.limits.max_tokens, max_cost=request.limits.max_cost)
        self.loops = LoopDetector()
        self.usage = Usage()
        self.cost = 0.0
        self.cost_known = True
        self.steps = 0
        self.tool_calls = 0
        self.tainted = False
        self.decisions: list[dict[str, Any]] = []
        self.tried: list[dict[str, Any]] = []
        self.gathered: list[dict[str, Any]] = []
        self.fallback: str | None = None
        self.clock = request.created_at
        self._seq = 0

    # -- events ---------------------------------------------------------------------------

    def next_span_id(self) -> str:
        """A deterministic span id: the run id and this event's position in the run."""
        self._seq += 1
        return f"{self.run_id}:{self._seq:05d}"

    def open_span(
        self,
        kind: EventKind,
        name: str,
        parent: str | None,
        *,
        at: float | None = None,
        **attributes: Any,
    ) -> RunEvent:
        """Emit a span that has started (it is emitted again when it ends)."""
        event = RunEvent(
            run_id=self.run_id,
            span_id=self.next_span_id(),
            parent_id=parent,
            kind=kind,
            name=name,
            started_at=time.time() if at is None else at,
            attributes=attributes,
        )
        self.services.sink.emit(event)
        return event

    def close_span(
        self,
        span: RunEvent,
        *,
        at: float | None = None,
        status: str | None = None,
        **attributes: Any,
    ) -> RunEvent:
        """Emit the span again, ended."""
        ended = span.ended(time.time() if at is None else at, status=status, **attributes)
        self.services.sink.emit(ended)
        return ended

    def record(
        self,
        kind: EventKind,
        name: str,
        parent: str | None,
        *,
        started_at: float,
        ended_at: float,
        status: str = "ok",
        **attributes: Any,
    ) -> RunEvent:
        """Emit a finished span (a step whose timings came back from a checkpoint)."""
        event = RunEvent(
            run_id=self.run_id,
            span_id=self.next_span_id(),
            parent_id=parent,
            kind=kind,
            name=name,
            started_at=started_at,
            ended_at=ended_at,
            status=status,
            attributes=attributes,
        )
        self.services.sink.emit(event)
        self.clock = max(self.clock, ended_at)
        return event

    # -- guards ---------------------------------------------------------------------------

    def count_step(self, what: str) -> None:
        """Count a model or tool call against the step limit and check the deadline."""
        limit = self.request.limits.max_steps
        if self.steps >= limit:
            raise StepLimitExceeded(
                f"the run reached its step limit ({limit}) before finishing; raise "
                "limits.max_steps if this workflow legitimately needs more",
                limit=limit,
                next_step=what,
            )
        self.steps += 1
        deadline = self.request.deadline_at
        if deadline is not None and self.clock > deadline:
            raise DeadlineExceeded(
                f"the run passed its deadline of {self.request.limits.deadline_seconds:g}s",
                deadline_at=deadline,
                next_step=what,
            )

    def add_usage(self, usage: Usage, cost: float | None) -> None:
        """Add a model call's usage and cost to the run's totals."""
        self.usage = self.usage + usage
        if cost is None:
            self.cost_known = False
        else:
            self.cost += cost

    def mark_tainted(self, source: str, result: ScreenResult, parent: str | None) -> None:
        """Record flagged untrusted content: from now on every write needs approval."""
        self.tainted = True
        now = time.time()
        self.record(
            "guard",
            "prompt_injection",
            parent,
            started_at=now,
            ended_at=now,
            status="flagged",
            source=source,
            findings=[
                {"kind": f.kind, "detail": f.detail, "excerpt": f.excerpt} for f in result.findings
            ],
        )

    # -- escalation context ---------------------------------------------------------------

    def note_tried(self, item: dict[str, Any]) -> None:
        """Remember an action for the escalation context."""
        self.tried.append(item)
        del self.tried[:-_CONTEXT_ITEMS]

    def note_gathered(self, item: dict[str, Any]) -> None:
        """Remember a result for the escalation context."""
        self.gathered.append(item)
        del self.gathered[:-_CONTEXT_ITEMS]
