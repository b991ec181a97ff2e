"""A stored run as a span tree, and as the portable trace document (seed 000's format)."""

from __future__ import annotations

import json

import pytest

from earned.runtime._events import RunEvent
from earned.store import RunRecord
from earned.tracing import TRACE_FORMAT, Trace, TraceStore
from tests.tracing.runs import CANARY_EMAIL, Recorded

pytestmark = pytest.mark.slow  # the module's runs go through the durable engine once


def test_the_tree_nests_every_span_under_the_run(recorded: Recorded) -> None:
    trace = TraceStore(recorded.db).get(recorded.completed)
    (root,) = trace.roots
    assert (root.span.kind, root.span.name, root.span.status) == ("run", "refunds", "completed")
    shape = [(n.span.kind, n.span.name, n.span.status) for n in root.children]
    assert shape == [
        ("model_call", "test:scripted", "ok"),
        ("policy_decision", "allow", "allow"),
        ("tool_call", "get_order", "ok"),
        ("model_call", "test:scripted", "ok"),
        ("policy_decision", "allow", "allow"),
        ("tool_call", "submit_refund", "ok"),
        ("model_call", "test:scripted", "ok"),
    ]
    assert len(list(trace.walk())) == len(trace.spans) == 8


def test_each_tool_call_carries_its_policy_decision(recorded: Recorded) -> None:
    trace = TraceStore(recorded.db).get(recorded.completed)
    calls = {n.span.name: n for n in trace.walk() if n.span.kind == "tool_call"}
    decision = calls["submit_refund"].decision
    assert decision is not None
    assert (decision.status, decision.attributes["rule_id"]) == ("allow", "small-refunds")
    assert calls["get_order"].span.attributes["fields_removed"] == ["card_number"]


def test_the_nested_json_keeps_ids_parents_times_and_status(recorded: Recorded) -> None:
    data = TraceStore(recorded.db).get(recorded.completed).to_dict()
    assert data["schema_version"] == 1
    (root,) = data["spans"]
    assert root["parent_id"] is None
    for child in root["children"]:
        assert child["parent_id"] == root["span_id"]
        assert child["span_id"].startswith(f"{recorded.completed}:")
        assert child["ended_at"] >= child["started_at"]
        assert child["duration_ms"] == pytest.approx(
            (child["ended_at"] - child["started_at"]) * 1000
        )
    run = data["run"]
    assert (run["request_id"], run["correlation_id"]) == ("req-1", "conv-1")
    assert (run["tokens"], run["cost"]) == ({"input": 360, "output": 90}, pytest.approx(0.54))


def test_the_exported_document_follows_the_seed_trace_format(recorded: Recorded) -> None:
    doc = TraceStore(recorded.db).get(recorded.completed).to_export()
    assert (doc["format"], doc["schema_version"], doc["trace_id"]) == (
        TRACE_FORMAT,
        1,
        recorded.completed,
    )
    assert doc["workflow"] == "refunds"
    assert set(doc["versions"]) >= {"prompt", "model", "tools", "policy", "code"}
    assert doc["prompt_version"] == doc["versions"]["prompt"]
    assert (doc["status"], doc["tenant"], doc["user"]) == ("completed", "acme", "u_42")
    assert doc["duration_ms"] > 0
    steps = {s["name"]: s for s in doc["steps"] if s["kind"] == "tool_call"}
    refund = steps["submit_refund"]
    # the engine redacts run events before they are stored
    assert refund["tool_args"] == {"order_id": "ord_1", "amount": 19.0, "email": "<EMAIL_1>"}
    assert CANARY_EMAIL not in json.dumps(doc)
    assert refund["policy"]["rule_id"] == "small-refunds"
    assert refund["policy"]["effect"] == "allow"
    assert steps["get_order"]["fields_returned"] == ["email", "status", "total"]
    chats = [s for s in doc["steps"] if s["kind"] == "model_call"]
    assert [c["input_tokens"] for c in chats] == [120, 120, 120]
    assert chats[-1]["output"].startswith("Refunded $19.00")
    assert doc["decisions"][0]["rule_id"] == "reads"


def test_escalated_and_failed_runs_say_why(recorded: Recorded) -> None:
    store = TraceStore(recorded.db)
    held = store.get(recorded.escalated).to_export()
    assert held["status"] == "escalated"
    assert "approval required" in held["escalation_reason"]
    failed = store.get(recorded.failed).to_export()
    assert failed["error"]["type"] == "SemanticToolError"
    (call,) = [s for s in failed["steps"] if s["kind"] == "tool_call"]
    assert (call["status"], call["error_type"]) == ("error", "SemanticToolError")


def _event(
    span_id: str, parent: str | None, kind: str, name: str, at: float, **attrs: object
) -> RunEvent:
    return RunEvent(
        run_id="r",
        span_id=span_id,
        parent_id=parent,
        kind=kind,
        name=name,  # type: ignore[arg-type]
        started_at=at,
        ended_at=at + 0.5,
        attributes=dict(attrs),
    )


def test_orphans_become_roots_and_evaluations_attach_to_their_step() -> None:
    record = RunRecord(run_id="r", agent="a", status="completed", created_at=0.0, updated_at=1.0)
    spans = [
        _event("r:2", "r:1", "step", "classify_ticket", 1.0),
        _event("r:3", "r:2", "evaluation", "classifier_accuracy", 2.0, score=1.0, label="pass"),
        _event("r:1", None, "run", "a", 0.0),
        _event("r:9", "r:gone", "custom", "late", 3.0),
    ]
    trace = Trace.build(record, spans)
    assert [n.span.span_id for n in trace.roots] == ["r:1", "r:9"]
    doc = trace.to_export()
    classify = doc["steps"][0]["steps"][0]
    assert classify["name"] == "classify_ticket"
    assert classify["eval"] == [
        {
            "name": "classifier_accuracy",
            "score": 1.0,
            "label": "pass",
            "explanation": None,
            "span_id": "r:3",
            "parent_id": "r:2",
        }
    ]
    assert [e["name"] for e in doc["evaluations"]] == ["classifier_accuracy"]
