"""What an evaluator sees: the scenario, the run's result and its recorded events.

Evaluators judge the recorded run, not only the final answer. `EvalContext` gives them
the run's result and every event (tool calls with their arguments, status and policy rule,
policy decisions, model calls, custom events), plus views that read the conventions an
agent uses to expose its intermediate decisions:

- classification: the last custom event named `classification` (attribute `output`),
  recorded with `ctx.record("classification", output=..., confidence=...)`; else the output
  field `class`.
- decision: the last custom event named `decision` (attribute `output`); else the output
  field `decision`, else `recommendation`.
- citations: the output field `citations` (a list) and `citation` (a string), and custom
  events named `citation` (attribute `section`). A version suffix (`...@2025-02-01`) is
  dropped, so `refund_policy.section_3.2@v3` cites `refund_policy.section_3.2`.
- refusal: the output field `refused` is true, or a custom event named `refusal`.
- output: a run that ended without an output (escalated, or waiting for an approval) is
  judged on the last custom event named `output`, recorded with
  `ctx.record("output", **answer)` before the step that may hand off.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from earned.digest import canonical_json
from earned.evals._scenario import Scenario
from earned.runtime import RunEvent, RunResult

__all__ = ["UNAUTHORIZED_STATUSES", "WRITE_RISKS", "EvalContext", "ToolCallRecord"]

#: Tool-call statuses that count as an unauthorized tool attempt.
UNAUTHORIZED_STATUSES: frozenset[str] = frozenset({"denied", "unknown_tool"})
#: Risk classes that change state somewhere.
WRITE_RISKS: frozenset[str] = frozenset({"internal_write", "external_write", "irreversible"})


@dataclass(frozen=True, kw_only=True)
class ToolCallRecord:
    """One tool call as the run recorded it (a `tool_call` span)."""

    tool: str
    status: str
    arguments: dict[str, Any] = field(default_factory=dict)
    risk: str | None = None
    rule_id: str | None = None
    call_id: str | None = None
    span_id: str = ""

    @property
    def unauthorized(self) -> bool:
        """True for a call policy denied or a tool the agent does not have."""
        return self.status in UNAUTHORIZED_STATUSES

    @property
    def executed(self) -> bool:
        """True when the tool ran and returned a result."""
        return self.status == "ok"

    @property
    def is_write(self) -> bool:
        """True for a tool whose risk class writes (internal, external or irreversible)."""
        return self.risk in WRITE_RISKS

    @classmethod
    def from_event(cls, event: RunEvent) -> ToolCallRecord:
        """The record of a `tool_call` span."""
        attrs = event.attributes
        arguments = attrs.get("arguments")
        return cls(
            tool=str(attrs.get("tool") or event.name),
            status=event.status,
            arguments=cast(dict[str, Any], arguments) if isinstance(arguments, dict) else {},
            risk=attrs.get("risk"),
            rule_id=attrs.get("rule_id"),
            call_id=attrs.get("call_id"),
            span_id=event.span_id,
        )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in cast(dict[str, Any], value).values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in cast(list[Any], value):
            yield from _strings(item)


def normalise_section(citation: str) -> str:
    """A citation without its version suffix and surrounding brackets or spaces."""
    return citation.strip().strip("[]").split("@", 1)[0].strip()


@dataclass(frozen=True, kw_only=True)
class EvalContext:
    """One case: the scenario, how the run ended, and every event it recorded."""

    scenario: Scenario
    result: RunResult
    events: tuple[RunEvent, ...] = ()

    @cached_property
    def ordered_events(self) -> tuple[RunEvent, ...]:
        """Events in the order the run emitted them (span ids carry the sequence)."""
        return tuple(sorted(self.events, key=lambda e: e.span_id))

    def events_of(self, kind: str, name: str | None = None) -> list[RunEvent]:
        """Events of one kind (and name), in run order."""
        return [
            e for e in self.ordered_events if e.kind == kind and (name is None or e.name == name)
        ]

    def custom(self, name: str) -> list[RunEvent]:
        """Custom events recorded with `ctx.record(name, ...)`, in run order."""
        return self.events_of("custom", name)

    @cached_property
    def output(self) -> Any:
        """The run's output; for a run that ended without one, the last `output` event.

        A run that hands off before it finishes (it escalated, or waits for an approval)
        has no output. An agent may record what it would answer with
        `ctx.record("output", **answer)` before such a step; evaluators then read that.
        """
        if self.result.output is not None:
            return self.result.output
        events = self.custom("output")
        return dict(events[-1].attributes) if events else None

    @property
    def awaiting_approval(self) -> bool:
        """True when the run escalated because a call needs a human's approval."""
        escalation = self.result.escalation
        return escalation is not None and "pending_call" in escalation.details

    def output_field(self, name: str) -> Any:
        """A field of a dict output, or None."""
        output = self.output
        return cast(dict[str, Any], output).get(name) if isinstance(output, dict) else None

    @cached_property
    def output_text(self) -> str:
        """The output as text: a string as is, every string inside a dict or list joined."""
        output = self.output
        if output is None:
            return ""
        if isinstance(output, str):
            return output
        texts = list(_strings(output))
        return "\n".join(texts) if texts else canonical_json(output)

    @cached_property
    def tool_calls(self) -> tuple[ToolCallRecord, ...]:
        """Every tool call the run attempted, in order, whatever its status.

        A call held for approval that never ran (the run escalated, or a reviewer rejected
        it) is included with status `approval_required`: the agent did choose that tool.
        """
        records: list[ToolCallRecord | None] = []
        held: dict[Any, int] = {}
        for event in self.ordered_events:
            call_id = event.attributes.get("call_id")
            if event.kind == "tool_call":
                held.pop(call_id, None)
                records.append(ToolCallRecord.from_event(event))
            elif event.kind == "policy_decision" and event.status == "require_approval":
                held[call_id] = len(records)
                records.append(None)
        for call_id, index in held.items():
            records[index] = self._held_call(call_id)
        return tuple(r for r in records if r is not None)

    def _held_call(self, call_id: Any) -> ToolCallRecord:
        decisions = [
            e
            for e in self.ordered_events
            if e.kind == "policy_decision"
            and e.status == "require_approval"
            and e.attributes.get("call_id") == call_id
        ]
        event = decisions[-1]
        pending: dict[str, Any] = {}
        escalation = self.result.escalation
        if escalation is not None:
            found = escalation.details.get("pending_call")
            if isinstance(found, dict) and cast(dict[str, Any], found).get("call_id") == call_id:
                pending = cast(dict[str, Any], found)
        arguments = pending.get("arguments")
        return ToolCallRecord(
            tool=str(event.attributes.get("tool") or pending.get("tool") or event.name),
            status="approval_required",
            arguments=cast(dict[str, Any], arguments) if isinstance(arguments, dict) else {},
            risk=pending.get("risk"),
            rule_id=event.attributes.get("rule_id"),
            call_id=call_id,
            span_id=event.span_id,
        )

    @property
    def tools_called(self) -> list[str]:
        """Names of the tools the run attempted, in order (repeats kept)."""
        return [c.tool for c in self.tool_calls]

    @property
    def unauthorized_calls(self) -> list[ToolCallRecord]:
        """Calls policy denied, or to tools the agent does not have."""
        return [c for c in self.tool_calls if c.unauthorized]

    @cached_property
    def classification(self) -> str | None:
        """The class the agent chose (see the module docstring for the convention)."""
        events = self.custom("classification")
        if events:
            value = events[-1].attributes.get("output")
            return None if value is None else str(value)
        value = self.output_field("class")
        return None if value is None else str(value)

    @cached_property
    def decision(self) -> str | None:
        """The decision the agent recommended or took: approve, decline, escalate, ..."""
        events = self.custom("decision")
        if events:
            value = events[-1].attributes.get("output")
            return None if value is None else str(value)
        for name in ("decision", "recommendation"):
            value = self.output_field(name)
            if isinstance(value, str):
                return value
        return None

    @cached_property
    def citations(self) -> tuple[str, ...]:
        """Policy sections the agent cited, normalised, first-cited first, no repeats."""
        found: list[str] = []
        many = self.output_field("citations")
        if isinstance(many, list):
            found += [str(c) for c in cast(list[Any], many) if c]
        one = self.output_field("citation")
        if isinstance(one, str) and one:
            found.append(one)
        for event in self.custom("citation"):
            section = event.attributes.get("section", event.attributes.get("output"))
            if section:
                found.append(str(section))
        return tuple(dict.fromkeys(normalise_section(c) for c in found))

    @property
    def refused(self) -> bool:
        """True when the agent said it refuses (output `refused`, or a `refusal` event)."""
        return bool(self.output_field("refused")) or bool(self.custom("refusal"))

    @cached_property
    def amount(self) -> float | None:
        """The money at stake, or None.

        The decision event's or the output's `amount`, else the last `amount` argument of a
        tool call, else the scenario's `metadata.amount`.
        """
        candidates: list[Any] = []
        events = self.custom("decision")
        if events:
            candidates.append(events[-1].attributes.get("amount"))
        candidates.append(self.output_field("amount"))
        candidates += [c.arguments.get("amount") for c in reversed(self.tool_calls)]
        candidates.append(self.scenario.metadata.get("amount"))
        for value in candidates:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
        return None

    @property
    def model_calls(self) -> list[RunEvent]:
        """The run's model-call spans."""
        return self.events_of("model_call")

    @property
    def turns(self) -> int:
        """Model calls in the run; a run with none (a static workflow) counts its steps."""
        return len(self.model_calls) or self.result.steps

    @property
    def cost(self) -> float | None:
        """The run's cost in dollars, or None when a price was unknown."""
        return self.result.cost if self.result.cost_known else None
