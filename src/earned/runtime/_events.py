"""Run events: span-shaped records of everything a run did, and the sinks that receive them.

Every event has a deterministic `span_id` (`run_id:seq`), so a run recovered after a crash
re-emits the same ids and a sink can upsert instead of duplicating. A span emitted when it
starts (`ended_at` None) is emitted again, with the same id, when it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["EventKind", "EventSink", "MemorySink", "MultiSink", "RunEvent"]

EventKind = Literal[
    "run",
    "step",
    "model_call",
    "tool_call",
    "policy_decision",
    "guard",
    "approval",
    "sub_agent",
    "escalation",
    "evaluation",
    "custom",
]


@dataclass(frozen=True, kw_only=True)
class RunEvent:
    """One span of a run: what happened, when, under which parent, with which attributes."""

    run_id: str
    span_id: str
    parent_id: str | None
    kind: EventKind
    name: str
    started_at: float
    ended_at: float | None = None
    status: str = "ok"
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float | None:
        """Milliseconds from start to end, or None while the span is open."""
        return None if self.ended_at is None else (self.ended_at - self.started_at) * 1000

    def ended(self, at: float, *, status: str | None = None, **attributes: Any) -> RunEvent:
        """The same span, closed at `at` with extra attributes."""
        return replace(
            self,
            ended_at=at,
            status=status or self.status,
            attributes={**self.attributes, **attributes},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunEvent:
        """Rebuild an event from its JSON form."""
        return cls(**data)


@runtime_checkable
class EventSink(Protocol):
    """Receives events as a run emits them; must be cheap (buffer, do not block)."""

    def emit(self, event: RunEvent) -> None:
        """Take one event (an event with a known span_id replaces the earlier one)."""
        ...


class MemorySink:
    """Keeps events in memory, in first-emitted order, replacing re-emitted spans."""

    def __init__(self) -> None:
        self._events: dict[str, RunEvent] = {}
        self._lock = threading.Lock()

    def emit(self, event: RunEvent) -> None:
        """Store or replace the event."""
        with self._lock:
            self._events[event.span_id] = event

    def events(self, run_id: str | None = None, *, kind: EventKind | None = None) -> list[RunEvent]:
        """Events, optionally of one run and one kind."""
        with self._lock:
            return [
                e
                for e in self._events.values()
                if (run_id is None or e.run_id == run_id) and (kind is None or e.kind == kind)
            ]

    def clear(self) -> None:
        """Forget every event."""
        with self._lock:
            self._events.clear()


class MultiSink:
    """Sends every event to each of several sinks."""

    def __init__(self, sinks: Iterable[EventSink]) -> None:
        self.sinks: Sequence[EventSink] = tuple(sinks)

    def emit(self, event: RunEvent) -> None:
        """Forward the event to every sink."""
        for sink in self.sinks:
            sink.emit(event)
