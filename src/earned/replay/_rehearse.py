"""Running a rehearsal (a shadow or replay run) in process, stored like a live run.

Rehearsals do not go through the durable engine: they act on nothing (shadow runs simulate
every write, replays serve recorded results), so there is nothing to resume, and running
them in process keeps them off the live engine's queues and out of its recovery (a pending
rehearsal can never be picked up by a live worker). They are stored like live runs, in the
same tables and redacted the same way (the run record first, then its spans, then its
result), so `earned traces show` and the console show them; their run ids mark them (see
`earned.rehearsals`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from typing import Any

from earned.redaction import RedactingSink, Redactor
from earned.runtime import (
    Agent,
    MultiSink,
    RunEvent,
    RunRequest,
    RunResult,
    Services,
    execute_run,
)
from earned.store import Database, RunStore, SpanStore

__all__ = ["RehearsalStore", "default_redactor"]


def default_redactor(agents: Iterable[Agent]) -> Redactor:
    """The redactor an engine with these agents uses (the tools' sensitive fields added)."""
    return Redactor(sensitive_fields={f for a in agents for t in a.tools for f in t.sensitive})


class _Collector:
    """Keeps each rehearsal's (redacted) events until its caller takes them."""

    def __init__(self) -> None:
        self._events: dict[str, dict[str, RunEvent]] = {}
        self._lock = threading.Lock()

    def emit(self, event: RunEvent) -> None:
        with self._lock:
            self._events.setdefault(event.run_id, {})[event.span_id] = event

    def take(self, run_id: str) -> list[RunEvent]:
        with self._lock:
            found = self._events.pop(run_id, {})
        return sorted(found.values(), key=lambda e: e.span_id)


class RehearsalStore:
    """Runs rehearsals and stores them (runs, spans) in the project database."""

    def __init__(self, db: Database, *, redactor: Redactor) -> None:
        self.db = db
        self.redactor = redactor
        self.runs = RunStore(db, redactor=redactor)
        self.spans = SpanStore(db)
        self._collector = _Collector()
        self.sink = RedactingSink(MultiSink([self.spans, self._collector]), redactor)

    async def run(
        self, request: RunRequest, agent: Agent, services: Services
    ) -> tuple[RunResult, list[RunEvent]]:
        """Run `request` with `services` (whose sink must be `self.sink`); result and events."""
        await asyncio.to_thread(self.runs.create, request, status="running")
        result = await execute_run(request, agent, services)
        await asyncio.to_thread(self.runs.finish, result)
        return result, self._collector.take(request.run_id)

    def note(self, run_id: str, name: str, **attributes: Any) -> RunEvent:
        """Add an `evaluation` span to a finished rehearsal (e.g. how it compared)."""
        now = time.time()
        event = RunEvent(
            run_id=run_id,
            span_id=f"{run_id}:{name}",
            parent_id=None,
            kind="evaluation",
            name=name,
            started_at=now,
            ended_at=now,
            status="ok",
            attributes=attributes,
        )
        self.sink.emit(event)
        self._collector.take(run_id)
        return event

    def flush(self) -> None:
        """Write every span emitted so far."""
        self.spans.flush()

    def close(self) -> None:
        """Write the remaining spans and stop the span writer."""
        self.spans.close()
