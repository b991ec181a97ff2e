"""OTLP: the encoded request, and the exporter, live as a sink and after the fact, over HTTP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from earned.errors import ConfigError
from earned.redaction import Redactor
from earned.runtime._events import RunEvent
from earned.store import Database
from earned.tracing import (
    OTLPExporter,
    TraceStore,
    export_request,
    otel_span_id,
    otel_trace_id,
    otlp_json,
    trace_spans,
)
from earned.tracing._otlp import make_resource
from tests.tracing.collector import collector
from tests.tracing.runs import CANARY_EMAIL, Recorded, record_runs


def ids_of(spans: Sequence[object]) -> set[tuple[str, str, str, str]]:
    return {
        (s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(), s.name)  # type: ignore[attr-defined]
        for s in spans
    }


@pytest.mark.slow
def test_otlp_json_has_hex_ids_integer_kinds_and_exact_times(recorded: Recorded) -> None:
    trace = TraceStore(recorded.db).get(recorded.completed)
    spans = trace_spans(trace)
    data = otlp_json(export_request(spans, make_resource("refund-service")))
    (resource,) = data["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "refund-service"}} in resource[
        "resource"
    ]["attributes"]
    (scope,) = resource["scopeSpans"]
    assert scope["scope"]["name"] == "earned"
    out = {s["name"]: s for s in scope["spans"]}
    agent = out["invoke_agent refunds"]
    assert agent["traceId"] == format(otel_trace_id(recorded.completed), "032x")
    assert agent["spanId"] == format(otel_span_id(f"{recorded.completed}:00001"), "016x")
    assert "parentSpanId" not in agent
    assert out["chat scripted"]["kind"] == 3  # SPAN_KIND_CLIENT
    assert out["execute_tool get_order"]["kind"] == 1  # SPAN_KIND_INTERNAL
    assert out["execute_tool get_order"]["parentSpanId"] == agent["spanId"]
    started = trace.run.started_at or trace.run.created_at
    assert int(agent["startTimeUnixNano"]) == round(started * 1e9)
    assert otlp_json(export_request(spans, make_resource("refund-service"))) == data


@pytest.mark.slow
def test_a_stored_trace_is_sent_after_the_fact(recorded: Recorded) -> None:
    trace = TraceStore(recorded.db).get(recorded.completed)
    with (
        collector() as received,
        OTLPExporter(received.url, headers={"authorization": "Bearer t0k"}) as exporter,
    ):
        assert exporter.export(trace) == 8
    assert received.headers[0]["authorization"] == "Bearer t0k"
    assert received.headers[0]["content-type"] == "application/x-protobuf"
    assert {s.name for s in received.spans()} >= {"invoke_agent refunds", "chat scripted"}
    assert all(CANARY_EMAIL.encode() not in body for body in received.bodies)


@pytest.mark.slow
def test_live_export_gives_the_same_spans_as_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    with collector() as received:
        exporter = OTLPExporter(received.url, include_content=True, redactor=Redactor())
        runs = asyncio.run(record_runs(url, sinks=(exporter,)))
        exporter.close()
        live = received.spans()
    with Database(url) as db:
        store = TraceStore(db)
        stored = [trace_spans(store.get(run_id)) for run_id in runs.values()]
    expected = {
        (
            format(s.trace_id, "032x"),
            format(s.span_id, "016x"),
            "" if s.parent_span_id is None else format(s.parent_span_id, "016x"),
            s.name,
        )
        for spans in stored
        for s in spans
    }
    assert ids_of(live) == expected
    assert len(live) == len(expected)  # each span exported once
    bodies = b"".join(received.bodies)
    assert CANARY_EMAIL.encode() not in bodies
    assert b"<EMAIL_1>" in bodies  # the content was there, redacted


class BlockedExporter(SpanExporter):
    """An exporter stuck on a dead collector until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait()
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


def event(n: int, **attrs: object) -> RunEvent:
    return RunEvent(
        run_id="r",
        span_id=f"r:{n:05d}",
        parent_id=None if n == 1 else "r:00001",
        kind="run" if n == 1 else "custom",
        name=f"s{n}",
        started_at=1.0,
        ended_at=2.0,
        attributes=dict(attrs),
    )


def test_a_stuck_collector_never_blocks_the_run() -> None:
    stuck = BlockedExporter()
    exporter = OTLPExporter(
        "http://127.0.0.1:9", span_exporter=stuck, max_queue_size=16, batch_size=4
    )
    for n in range(2, 2_000):
        exporter.emit(event(n))
    assert not stuck.release.is_set()  # every emit returned while the export was stuck
    stuck.release.set()
    exporter.close()
    assert 0 < stuck.exported < 2_000  # a full queue drops spans instead of waiting


class CountingExporter(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def test_open_spans_wait_for_their_end_and_re_emitted_spans_go_once() -> None:
    sink = CountingExporter()
    with OTLPExporter("http://127.0.0.1:9", span_exporter=sink) as exporter:
        opened = RunEvent(
            run_id="r",
            span_id="r:00002",
            parent_id="r:00001",
            kind="step",
            name="classify",
            started_at=1.0,
        )
        exporter.emit(opened)
        exporter.emit(opened.ended(1.5))
        exporter.emit(opened.ended(1.5))  # a recovered run re-emits the same span
        exporter.emit(event(3, value=object()))  # an attribute that is not JSON
    assert sorted(s.name for s in sink.spans) == ["custom s3", "step classify"]
    assert exporter.dropped == 0


def test_a_late_evaluation_rides_on_a_carrier_span_under_the_judged_span() -> None:
    sink = CountingExporter()
    with OTLPExporter("http://127.0.0.1:9", span_exporter=sink) as exporter:
        exporter.emit(event(2))
        exporter.emit(
            RunEvent(
                run_id="r",
                span_id="r:00003",
                parent_id="r:00002",
                kind="evaluation",  # type: ignore[arg-type]
                name="tone",
                started_at=3.0,
                ended_at=3.0,
                attributes={"score": 0.5},
            )
        )
    carrier = next(s for s in sink.spans if s.name == "custom evaluation")
    assert carrier.parent is not None
    assert carrier.parent.span_id == otel_span_id("r:00002")
    (result,) = carrier.events
    assert result.name == "gen_ai.evaluation.result"
    assert result.attributes == {
        "gen_ai.evaluation.name": "tone",
        "gen_ai.evaluation.score.value": 0.5,
        "gen_ai.evaluation.score.label": "ok",
    }


def test_export_is_opt_in_through_the_environment() -> None:
    assert OTLPExporter.from_env({}) is None
    exporter = OTLPExporter.from_env(
        {
            "EARNED_OTLP_ENDPOINT": "http://127.0.0.1:4318",
            "EARNED_OTLP_HEADERS": "authorization=Bearer x, x-team=support",
            "EARNED_OTLP_SERVICE_NAME": "refunds",
        }
    )
    assert exporter is not None
    try:
        assert exporter.endpoint == "http://127.0.0.1:4318/v1/traces"
        assert not exporter.include_content
        assert exporter.resource.attributes["service.name"] == "refunds"
    finally:
        exporter.close()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EARNED_OTLP_ENDPOINT": "127.0.0.1:4318"}, "must be an http"),
        (
            {"EARNED_OTLP_ENDPOINT": "http://h:4318", "EARNED_OTLP_HEADERS": "novalue"},
            "name=value pairs",
        ),
    ],
)
def test_bad_exporter_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        OTLPExporter.from_env(env)
