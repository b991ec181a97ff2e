"""A trace as a Rich tree, for `earned traces show`.

One line per span: kind, name, status and duration, then what matters for that kind:
tokens and cost for model calls; the policy decision, the fields returned and removed for
tool calls; guard hits highlighted. Policy decisions taken on a tool call are folded into
the call's line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from rich.tree import Tree

from earned.tracing._genai import is_evaluation
from earned.tracing._tree import SpanNode, Trace

__all__ = ["render_trace"]

_STATUS_STYLES = {
    "ok": "green",
    "completed": "green",
    "allow": "green",
    "escalated": "yellow",
    "require_approval": "magenta",
    "waiting_approval": "magenta",
    "denied": "red",
    "deny": "red",
    "withheld": "red",
    "rejected": "red",
    "error": "bold red",
    "failed": "bold red",
    "flagged": "bold yellow",
    "fallback": "yellow",
    "cancelled": "dim",
}
_KIND_STYLES = {
    "run": "bold",
    "model_call": "cyan",
    "tool_call": "blue",
    "guard": "bold yellow",
    "escalation": "yellow",
    "approval": "magenta",
    "policy_decision": "dim",
}


def _ms(value: float | None) -> str:
    if value is None:
        return "open"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _list(values: Any) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list) and values else "-"


def _model_details(attrs: dict[str, Any]) -> Text:
    cost = attrs.get("cost")
    return Text(
        f"  tokens {attrs.get('input_tokens', 0)} in / {attrs.get('output_tokens', 0)} out"
        f"  {'$' + format(cost, '.4f') if isinstance(cost, int | float) else 'cost unknown'}"
        + (f"  {attrs['model_version']}" if attrs.get("model_version") else ""),
        style="cyan",
    )


def _tool_details(node: SpanNode) -> Text:
    attrs = node.span.attributes
    out = Text()
    decision = node.decision
    effect = decision.status if decision is not None else None
    rule = attrs.get("rule_id") or (decision.attributes.get("rule_id") if decision else None)
    if effect or rule:
        out.append("  policy ")
        out.append(str(effect or "?"), style=_STATUS_STYLES.get(str(effect), ""))
        out.append(f" ({rule})")
    if attrs.get("fields_returned") is not None:
        out.append(f"  returned: {_list(attrs.get('fields_returned'))}")
    if attrs.get("fields_removed"):
        out.append(f"  removed: {_list(attrs['fields_removed'])}", style="bold red")
    if attrs.get("cached"):
        out.append("  cached", style="dim")
    if isinstance(attrs.get("attempts"), int) and attrs["attempts"] > 1:
        out.append(f"  attempts {attrs['attempts']}")
    if attrs.get("error_type"):
        out.append(f"  {attrs['error_type']}", style="red")
    return out


def _other_details(node: SpanNode) -> Text:
    span, attrs = node.span, node.span.attributes
    if span.kind == "guard":
        findings: list[Any] = attrs.get("findings") or []
        kinds = _list(sorted({str(f.get("kind")) for f in findings if isinstance(f, dict)}))
        detail = f"  source {attrs.get('source')}: {kinds}" if findings else ""
        if attrs.get("to_model") or attrs.get("to"):
            detail += f"  fell back to {attrs.get('to_model') or attrs.get('to')}"
        return Text(detail or "  guard hit", style="bold yellow")
    if span.kind in ("escalation", "policy_decision"):
        rule = f" ({attrs['rule_id']})" if attrs.get("rule_id") else ""
        return Text(f"  {attrs.get('tool', '')}{rule} {attrs.get('reason') or ''}".rstrip())
    if is_evaluation(span):
        score = attrs.get("score")
        return Text(f"  score {score}" if score is not None else "", style="cyan")
    shown = {k: v for k, v in attrs.items() if isinstance(v, str | int | float | bool)}
    text = "  ".join(f"{k}={v}" for k, v in list(shown.items())[:4])
    return Text(f"  {text}" if text else "", style="dim")


def _label(node: SpanNode) -> Text:
    span = node.span
    line = Text()
    line.append(f"{span.kind} ", style=_KIND_STYLES.get(span.kind, "dim"))
    line.append(span.name, style="bold" if span.kind in ("run", "tool_call", "model_call") else "")
    line.append("  ")
    line.append(span.status, style=_STATUS_STYLES.get(span.status, ""))
    line.append(f"  {_ms(span.duration_ms)}", style="dim")
    if span.kind == "model_call":
        line.append_text(_model_details(span.attributes))
    elif span.kind == "tool_call":
        line.append_text(_tool_details(node))
    elif span.kind != "run":
        line.append_text(_other_details(node))
    return line


def _add(tree: Tree, node: SpanNode, folded: set[str]) -> None:
    branch = tree.add(_label(node))
    for child in node.children:
        if child.span.span_id not in folded:
            _add(branch, child, folded)


def render_trace(trace: Trace) -> Tree:
    """The trace as a Rich tree, headed by the run's outcome, cost, tokens and latency."""
    run = trace.run
    head = Text()
    head.append(f"trace {run.run_id}", style="bold")
    head.append(f"  {run.agent}  ")
    head.append(run.status, style=_STATUS_STYLES.get(run.status, ""))
    head.append(
        f"  {_ms(trace.duration_ms())}  ${run.cost:.4f}"
        f"  tokens {run.input_tokens} in / {run.output_tokens} out"
        f"  started {_when(run.started_at or run.created_at)} UTC",
        style="dim",
    )
    ids = [
        f"{k} {v}" for k, v in (("request", run.request_id), ("correlation", run.correlation_id))
    ]
    if run.request_id or run.correlation_id:
        head.append("  " + "  ".join(i for i in ids if not i.endswith("None")), style="dim")
    tree = Tree(head)
    folded = {n.decision.span_id for n in trace.walk() if n.decision is not None}
    for root in trace.roots:
        _add(tree, root, folded)
    return tree
