"""Map earned spans to the OpenTelemetry GenAI semantic conventions (no OTel import here).

- `run`, `sub_agent` -> `invoke_agent {agent}` (INTERNAL): `gen_ai.operation.name`
  `invoke_agent`, `gen_ai.agent.name`, `gen_ai.conversation.id` (the correlation id), the
  run's token totals.
- `model_call` -> `chat {model}` (CLIENT): `gen_ai.operation.name` `chat`,
  `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`,
  `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`, `gen_ai.response.finish_reasons`.
- `tool_call` -> `execute_tool {tool}` (INTERNAL): `gen_ai.operation.name` `execute_tool`,
  `gen_ai.tool.name`, `gen_ai.tool.call.id`, `gen_ai.tool.type`.
- `evaluation` -> a `gen_ai.evaluation.result` event on its parent span, with
  `gen_ai.evaluation.name`, `gen_ai.evaluation.score.value`, `gen_ai.evaluation.score.label`.
- anything else -> `{kind} {name}` (`policy_decision submit_refund`, `guard
  prompt_injection`), INTERNAL, with `earned.*` attributes.

earned's own facts (cost, policy rule, risk class, fields removed, status) are `earned.*`
attributes. Ids are deterministic: the OTel trace id is a hash of the run id, the span id a
hash of earned's span id, so exporting a run twice (live, then from the store) gives the
same ids. Content (run input and output, model output, tool arguments, escalation
reasons, custom event attributes, evaluator explanations) is only mapped when asked for,
and always through the redactor.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from earned.runtime._events import RunEvent

__all__ = [
    "EVALUATION_KIND",
    "GenAIEvent",
    "GenAISpan",
    "RunFacts",
    "is_evaluation",
    "map_spans",
    "otel_span_id",
    "otel_trace_id",
]

AttributeValue = (
    str | bool | int | float | Sequence[str] | Sequence[bool] | Sequence[int] | Sequence[float]
)
Redact = Callable[[Any], Any]

#: Span statuses that are errors in OTel terms (denials and escalations are outcomes).
_ERROR_STATUSES = frozenset({"error", "failed", "invalid_arguments", "unknown_tool"})
#: Attributes of span kinds without a specific mapping that are safe to export as-is.
_SAFE_KEYS = frozenset(
    {
        "tool",
        "call_id",
        "rule_id",
        "effect",
        "decision",
        "approval_id",
        "risk",
        "role",
        "kind",
        "source",
        "capability",
        "stage",
        "policy_version",
        "from_model",
        "to_model",
        "to",
        "tainted",
        "error_type",
        "attempts",
        "expires_at",
    }
)


#: The span kind evaluator results are recorded with (by `earned.evals`).
EVALUATION_KIND = "evaluation"


def is_evaluation(span: RunEvent) -> bool:
    """True for an evaluator's result (exported as an event on the span it judged)."""
    return str(span.kind) == EVALUATION_KIND


def otel_trace_id(run_id: str) -> int:
    """The 128-bit OTel trace id of a run: a hash of its run id (never zero)."""
    digest = hashlib.sha256(f"earned.trace:{run_id}".encode()).digest()
    return int.from_bytes(digest[:16], "big") or 1


def otel_span_id(span_id: str) -> int:
    """The 64-bit OTel span id of an earned span id (`run_id:seq`), never zero."""
    digest = hashlib.sha256(f"earned.span:{span_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") or 1


@dataclass(frozen=True, kw_only=True)
class GenAIEvent:
    """A span event (e.g. `gen_ai.evaluation.result`)."""

    name: str
    timestamp_ns: int
    attributes: dict[str, AttributeValue] = field(default_factory=dict[str, AttributeValue])


@dataclass(frozen=True, kw_only=True)
class GenAISpan:
    """One span in OTel terms, ready to be encoded as OTLP."""

    trace_id: int
    span_id: int
    parent_span_id: int | None
    name: str
    kind: Literal["internal", "client"]
    start_ns: int
    end_ns: int
    attributes: dict[str, AttributeValue]
    events: list[GenAIEvent] = field(default_factory=list[GenAIEvent])
    error: str | None = None
    earned_span_id: str = ""

    @property
    def is_error(self) -> bool:
        """True when the span's OTel status is ERROR."""
        return self.error is not None


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    """What the run record adds to its root span when exporting from the store."""

    input: Any = None
    output: Any = None
    status: str | None = None
    error_type: str | None = None


def _nanos(seconds: float) -> int:
    return round(seconds * 1e9)


def attribute(value: Any) -> AttributeValue | None:
    """`value` as an OTel attribute value: scalars as they are, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple) and value:
        items: list[Any] = list(value)
        for kind in (str, bool, int, float):
            if all(type(item) is kind for item in items):
                return items
    if isinstance(value, list | tuple) and not value:
        return []
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _put(attrs: dict[str, AttributeValue], key: str, value: Any) -> None:
    converted = attribute(value)
    if converted is not None:
        attrs[key] = converted


def _split_model(model: str) -> tuple[str | None, str]:
    provider, _, name = model.partition(":")
    return (provider, name) if name else (None, model)


def _messages(role: str, content: Any, finish_reason: Any = None) -> str:
    text = content if isinstance(content, str) else json.dumps(content, sort_keys=True, default=str)
    message: dict[str, Any] = {"role": role, "parts": [{"type": "text", "content": text}]}
    if finish_reason is not None:
        message["finish_reason"] = finish_reason
    return json.dumps([message], ensure_ascii=False)


def _agent_attrs(span: RunEvent, attrs: dict[str, AttributeValue], redact: Redact | None) -> None:
    a = span.attributes
    _put(attrs, "gen_ai.operation.name", "invoke_agent")
    _put(attrs, "gen_ai.agent.name", a.get("agent") or span.name)
    _put(attrs, "gen_ai.conversation.id", a.get("correlation_id"))
    _put(attrs, "gen_ai.usage.input_tokens", a.get("input_tokens"))
    _put(attrs, "gen_ai.usage.output_tokens", a.get("output_tokens"))
    for key in ("capability", "stage", "tenant", "user", "role", "environment", "request_id"):
        _put(attrs, f"earned.{key}", a.get(key))
    _put(attrs, "earned.correlation_id", a.get("correlation_id"))
    _put(attrs, "earned.cost", a.get("cost"))
    _put(attrs, "earned.steps", a.get("steps"))
    versions = a.get("versions")
    if isinstance(versions, Mapping):
        for key, value in versions.items():
            _put(attrs, f"earned.version.{key}", value)
    if redact is not None:
        _put(attrs, "earned.escalation_reason", redact(a.get("escalation_reason")))


def _chat_attrs(span: RunEvent, attrs: dict[str, AttributeValue], redact: Redact | None) -> str:
    a = span.attributes
    model = str(a.get("model") or span.name)
    provider, request_model = _split_model(model)
    _put(attrs, "gen_ai.operation.name", "chat")
    _put(attrs, "gen_ai.provider.name", a.get("provider") or provider)
    _put(attrs, "gen_ai.request.model", request_model)
    _put(attrs, "gen_ai.response.model", a.get("model_version"))
    _put(attrs, "gen_ai.usage.input_tokens", a.get("input_tokens"))
    _put(attrs, "gen_ai.usage.output_tokens", a.get("output_tokens"))
    if a.get("finish_reason") is not None:
        _put(attrs, "gen_ai.response.finish_reasons", [str(a["finish_reason"])])
    _put(attrs, "earned.model", model)
    _put(attrs, "earned.cost", a.get("cost"))
    _put(attrs, "earned.prompt_version", a.get("prompt_version"))
    _put(attrs, "earned.attempts", a.get("attempts"))
    _put(attrs, "earned.tool_calls", a.get("tool_calls"))
    if redact is not None and a.get("output"):
        content = redact(a.get("output"))
        _put(
            attrs, "gen_ai.output.messages", _messages("assistant", content, a.get("finish_reason"))
        )
    return f"chat {request_model}"


def _tool_attrs(span: RunEvent, attrs: dict[str, AttributeValue], redact: Redact | None) -> str:
    a = span.attributes
    tool = str(a.get("tool") or span.name)
    _put(attrs, "gen_ai.operation.name", "execute_tool")
    _put(attrs, "gen_ai.tool.name", tool)
    _put(attrs, "gen_ai.tool.call.id", a.get("call_id"))
    _put(attrs, "gen_ai.tool.type", "function")
    _put(attrs, "earned.tool.risk", a.get("risk"))
    _put(attrs, "earned.policy.rule_id", a.get("rule_id"))
    _put(attrs, "earned.policy.version", a.get("policy_version"))
    _put(attrs, "earned.tool.fields_returned", a.get("fields_returned"))
    _put(attrs, "earned.tool.fields_removed", a.get("fields_removed"))
    _put(attrs, "earned.tool.attempts", a.get("attempts"))
    _put(attrs, "earned.tool.cached", a.get("cached"))
    if redact is not None:
        if "arguments" in a:
            args = redact(a["arguments"])
            _put(attrs, "gen_ai.tool.call.arguments", json.dumps(args, sort_keys=True, default=str))
        _put(attrs, "earned.tool.logged", redact(a.get("logged")) or None)
    return f"execute_tool {tool}"


def _other_attrs(span: RunEvent, attrs: dict[str, AttributeValue], redact: Redact | None) -> str:
    a = span.attributes
    for key, value in a.items():
        if key in _SAFE_KEYS:
            _put(attrs, f"earned.{key}", value)
    if span.kind == "policy_decision":
        _put(attrs, "earned.policy.effect", span.name)
        _put(attrs, "earned.policy.reason", a.get("reason"))
    if span.kind == "guard" and isinstance(a.get("findings"), list):
        kinds = sorted({str(f.get("kind")) for f in a["findings"] if isinstance(f, Mapping)})
        _put(attrs, "earned.guard.findings", kinds)
    if redact is not None:
        content = {k: v for k, v in a.items() if k not in _SAFE_KEYS}
        if content:
            _put(attrs, "earned.content", redact(content))
    subject = a.get("tool") if span.kind == "policy_decision" else span.name
    return f"{span.kind} {subject}"


def _evaluation_event(span: RunEvent, redact: Redact | None) -> GenAIEvent:
    a = span.attributes
    attrs: dict[str, AttributeValue] = {}
    _put(attrs, "gen_ai.evaluation.name", a.get("evaluator") or span.name)
    score = a.get("score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        _put(attrs, "gen_ai.evaluation.score.value", float(score))
    _put(attrs, "gen_ai.evaluation.score.label", a.get("label") or span.status)
    if redact is not None:
        _put(attrs, "gen_ai.evaluation.explanation", redact(a.get("explanation")))
    return GenAIEvent(
        name="gen_ai.evaluation.result",
        timestamp_ns=_nanos(span.ended_at or span.started_at),
        attributes=attrs,
    )


def map_span(
    span: RunEvent, *, redact: Redact | None = None, facts: RunFacts | None = None
) -> GenAISpan:
    """One earned span in OTel GenAI terms (`redact` given: content included, redacted)."""
    attrs: dict[str, AttributeValue] = {"earned.span_id": span.span_id, "earned.kind": span.kind}
    _put(attrs, "earned.status", span.status)
    kind: Literal["internal", "client"] = "internal"
    if span.kind in ("run", "sub_agent"):
        _agent_attrs(span, attrs, redact)
        name = f"invoke_agent {span.attributes.get('agent') or span.name}"
        if span.kind == "run":
            _put(attrs, "earned.run_id", span.run_id)
    elif span.kind == "model_call":
        name, kind = _chat_attrs(span, attrs, redact), "client"
    elif span.kind == "tool_call":
        name = _tool_attrs(span, attrs, redact)
    else:
        name = _other_attrs(span, attrs, redact)
    error_type = span.attributes.get("error_type")
    status = span.status
    if span.kind == "run" and facts is not None:
        status = facts.status or status
        error_type = error_type or facts.error_type
        if redact is not None:
            if facts.input is not None:
                _put(attrs, "gen_ai.input.messages", _messages("user", redact(facts.input)))
            if facts.output is not None:
                _put(attrs, "gen_ai.output.messages", _messages("assistant", redact(facts.output)))
    _put(attrs, "error.type", error_type)
    error = None
    if status in _ERROR_STATUSES:
        error = str(error_type or status)
        attrs.setdefault("error.type", error)
    return GenAISpan(
        trace_id=otel_trace_id(span.run_id),
        span_id=otel_span_id(span.span_id),
        parent_span_id=None if span.parent_id is None else otel_span_id(span.parent_id),
        name=name,
        kind=kind,
        start_ns=_nanos(span.started_at),
        end_ns=_nanos(span.ended_at if span.ended_at is not None else span.started_at),
        attributes=attrs,
        error=error,
        earned_span_id=span.span_id,
    )


def map_spans(
    spans: Iterable[RunEvent], *, redact: Redact | None = None, facts: RunFacts | None = None
) -> list[GenAISpan]:
    """Map a run's spans; evaluation spans become `gen_ai.evaluation.result` events.

    An evaluation whose parent is not among `spans` is attached to the run's root span.
    """
    spans = list(spans)
    mapped: dict[str, GenAISpan] = {}
    evaluations: list[RunEvent] = []
    for span in spans:
        if is_evaluation(span):
            evaluations.append(span)
        else:
            mapped[span.span_id] = map_span(span, redact=redact, facts=facts)
    roots = [s for s in spans if s.parent_id is None and not is_evaluation(s)]
    for evaluation in evaluations:
        target = mapped.get(evaluation.parent_id or "")
        if target is None and roots:
            target = mapped[roots[0].span_id]
        if target is not None:
            target.events.append(_evaluation_event(evaluation, redact))
    return list(mapped.values())
