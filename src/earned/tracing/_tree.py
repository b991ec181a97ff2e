"""A trace as a tree: the run's spans nested under their parents, and its JSON forms.

`Trace.to_dict()` is the nested span tree (`earned traces show --json`).
`Trace.to_export()` is the portable trace document (`earned traces export --format json`),
modelled on seed 000's trace log: workflow, versions, prompt and model, the steps with their
tool arguments, returned fields and policy decisions, evaluator results and reviewer
actions, plus request and correlation ids, tokens, cost, latency and final status.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from earned.runtime._events import RunEvent
from earned.store import RunRecord
from earned.tracing._genai import is_evaluation

__all__ = ["TRACE_FORMAT", "TRACE_SCHEMA_VERSION", "SpanNode", "Trace"]

#: The `format` of an exported trace document.
TRACE_FORMAT = "earned.trace"
#: Version of the exported trace document. Changelog: version 1, the first format.
TRACE_SCHEMA_VERSION = 1

#: Attributes a step of the exported document carries, by span kind (name in the document).
_STEP_FIELDS: dict[str, dict[str, str]] = {
    "model_call": {
        "model": "model",
        "model_version": "model_version",
        "provider": "provider",
        "prompt_version": "prompt_version",
        "input_tokens": "input_tokens",
        "output_tokens": "output_tokens",
        "cost": "cost",
        "finish_reason": "finish_reason",
        "tool_calls": "tool_calls",
        "output": "output",
        "attempts": "attempts",
    },
    "tool_call": {
        "tool": "tool",
        "risk": "risk",
        "call_id": "call_id",
        "arguments": "tool_args",
        "fields_returned": "fields_returned",
        "fields_removed": "fields_removed",
        "rule_id": "rule_id",
        "policy_version": "policy_version",
        "attempts": "attempts",
        "cached": "cached",
        "idempotency_key": "idempotency_key",
        "error_type": "error_type",
        "logged": "logged",
    },
    "policy_decision": {
        "tool": "tool",
        "call_id": "call_id",
        "rule_id": "rule_id",
        "reason": "reason",
        "policy_version": "policy_version",
        "tainted": "tainted",
    },
}


@dataclass(kw_only=True)
class SpanNode:
    """One span and the spans under it.

    `decision` is the policy decision taken on this tool call (the `policy_decision`
    span of the same call, which the runtime records beside it).
    """

    span: RunEvent
    children: list[SpanNode] = field(default_factory=list["SpanNode"])
    decision: RunEvent | None = None

    def walk(self) -> Iterator[SpanNode]:
        """This node and every node under it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        """The span and its children as nested JSON."""
        span = self.span
        return {
            "span_id": span.span_id,
            "parent_id": span.parent_id,
            "kind": span.kind,
            "name": span.name,
            "status": span.status,
            "started_at": span.started_at,
            "ended_at": span.ended_at,
            "duration_ms": span.duration_ms,
            "attributes": span.attributes,
            "decision": None if self.decision is None else _decision(self.decision),
            "children": [child.to_dict() for child in self.children],
        }


def _decision(event: RunEvent) -> dict[str, Any]:
    attrs = event.attributes
    return {
        "effect": event.status,
        "rule_id": attrs.get("rule_id"),
        "reason": attrs.get("reason"),
        "policy_version": attrs.get("policy_version"),
        "span_id": event.span_id,
    }


def _sort_key(event: RunEvent) -> tuple[float, str]:
    return (event.started_at, event.span_id)


def _attach_decisions(nodes: list[SpanNode]) -> None:
    """Give each tool call the latest policy decision on the same call id before it."""
    latest: dict[str, RunEvent] = {}
    for node in nodes:
        span = node.span
        call_id = span.attributes.get("call_id")
        if span.kind == "policy_decision" and isinstance(call_id, str):
            latest[call_id] = span
        elif span.kind == "tool_call" and isinstance(call_id, str) and call_id in latest:
            node.decision = latest.pop(call_id)


@dataclass(kw_only=True)
class Trace:
    """One run's trace: its stored record and its spans as a tree."""

    run: RunRecord
    spans: list[RunEvent]
    roots: list[SpanNode]

    @classmethod
    def build(cls, run: RunRecord, spans: list[RunEvent]) -> Trace:
        """Nest `spans` under their parents; spans whose parent is missing become roots."""
        ordered = sorted(spans, key=_sort_key)
        nodes = {event.span_id: SpanNode(span=event) for event in ordered}
        roots: list[SpanNode] = []
        for event in ordered:
            parent = nodes.get(event.parent_id) if event.parent_id else None
            (parent.children if parent is not None else roots).append(nodes[event.span_id])
        for node in nodes.values():
            _attach_decisions(node.children)
        _attach_decisions(roots)
        return cls(run=run, spans=ordered, roots=roots)

    @property
    def trace_id(self) -> str:
        """The trace's id: the run id."""
        return self.run.run_id

    def walk(self) -> Iterator[SpanNode]:
        """Every node, depth first, roots in start order."""
        for root in self.roots:
            yield from root.walk()

    def duration_ms(self) -> float | None:
        """The run's latency in milliseconds, or None while it runs."""
        start = self.run.started_at or self.run.created_at
        return None if self.run.ended_at is None else (self.run.ended_at - start) * 1000

    def summary(self) -> dict[str, Any]:
        """The run's identity and outcome: seed 004's day-one fields and more."""
        run = self.run
        return {
            "trace_id": run.run_id,
            "workflow": run.agent,
            "status": run.status,
            "capability": run.capability,
            "stage": run.stage,
            "environment": run.environment,
            "tenant": run.tenant,
            "user": run.user,
            "request_id": run.request_id,
            "correlation_id": run.correlation_id,
            "versions": run.versions or {},
            "prompt_version": (run.versions or {}).get("prompt"),
            "model": run.model or (run.versions or {}).get("model"),
            "started_at": run.started_at or run.created_at,
            "ended_at": run.ended_at,
            "duration_ms": self.duration_ms(),
            "tokens": {"input": run.input_tokens, "output": run.output_tokens},
            "cost": run.cost,
            "cost_known": run.cost_known,
            "steps_taken": run.steps,
            "tainted": run.tainted,
            "error": run.error,
            "escalation_reason": (run.escalation or {}).get("reason"),
        }

    def to_dict(self) -> dict[str, Any]:
        """The nested span tree with the run's summary (`earned traces show --json`)."""
        return {
            "schema_version": TRACE_SCHEMA_VERSION,
            "run": self.summary(),
            "spans": [root.to_dict() for root in self.roots],
        }

    def _top_steps(self) -> list[SpanNode]:
        """The run span's children (its attributes are the summary), else every root."""
        if len(self.roots) == 1 and self.roots[0].span.kind == "run":
            return self.roots[0].children
        return self.roots

    def to_export(self) -> dict[str, Any]:
        """The portable trace document (`earned traces export --format json`).

        Holds the run's input and output and the tool arguments as stored: the store
        keeps them redacted; pass the document through a redactor before it leaves.
        """
        run = self.run
        reviews = [_step(n) for n in self.walk() if n.span.kind == "approval"]
        return {
            "format": TRACE_FORMAT,
            "schema_version": TRACE_SCHEMA_VERSION,
            **self.summary(),
            "input": run.input,
            "output": run.output,
            "escalation": run.escalation,
            "decisions": run.decisions or [],
            "steps": [_step(node) for node in self._top_steps()],
            "evaluations": [_evaluation(n.span) for n in self.walk() if is_evaluation(n.span)],
            "reviewer_actions": reviews,
        }


def _step(node: SpanNode) -> dict[str, Any]:
    span = node.span
    step: dict[str, Any] = {
        "span_id": span.span_id,
        "kind": span.kind,
        "name": span.name,
        "status": span.status,
        "started_at": span.started_at,
        "duration_ms": span.duration_ms,
    }
    fields = _STEP_FIELDS.get(span.kind)
    if fields is None:
        step.update({k: v for k, v in span.attributes.items() if v is not None})
    else:
        step.update({out: span.attributes[k] for k, out in fields.items() if k in span.attributes})
    if node.decision is not None:
        step["policy"] = _decision(node.decision)
    evals = [_evaluation(c.span) for c in node.children if is_evaluation(c.span)]
    if evals:
        step["eval"] = evals
    children = [c for c in node.children if not is_evaluation(c.span)]
    if children:
        step["steps"] = [_step(child) for child in children]
    return step


def _evaluation(span: RunEvent) -> dict[str, Any]:
    attrs = span.attributes
    return {
        "name": attrs.get("evaluator") or span.name,
        "score": attrs.get("score"),
        "label": attrs.get("label") or span.status,
        "explanation": attrs.get("explanation"),
        "span_id": span.span_id,
        "parent_id": span.parent_id,
    }
