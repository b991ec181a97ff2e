"""earned.tracing's public names are pinned, documented, and cheap to import."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import earned.tracing
from earned.errors import ConfigError

PUBLIC = [
    "COST_BUCKETS", "DAILY_PRUNE_NAME", "DAILY_PRUNE_SCHEDULE", "DATA_CLASSES", "TRACE_FORMAT",
    "TRACE_SCHEMA_VERSION", "ContentRedactor", "DataClass", "GenAIEvent", "GenAISpan",
    "OTLPExporter", "PruneResult", "RetentionPolicy", "RunFacts", "ScopedRedactor", "SortKey",
    "SpanNode", "StepRunner", "Trace", "TraceQuery", "TraceStore", "TraceSummary", "daily_prune",
    "default_redactor", "export_request", "map_span", "map_spans", "otel_span_id",
    "otel_trace_id", "otlp_json", "parse_duration", "parse_time", "prune", "prune_due",
    "trace_spans",
]  # fmt: skip


def test_public_names_are_pinned_and_documented() -> None:
    assert sorted(earned.tracing.__all__) == sorted(PUBLIC)
    for name in earned.tracing.__all__:
        value = getattr(earned.tracing, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"earned.tracing.{name} has no docstring"


def test_importing_tracing_loads_neither_opentelemetry_nor_dbos() -> None:
    code = (
        "import sys, earned.tracing; "
        "print(sorted(m for m in ('opentelemetry', 'dbos', 'google.protobuf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_the_otel_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(ConfigError, match=r"pip install 'earned\[otel\]'"):
        earned.tracing.OTLPExporter("http://127.0.0.1:4318")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30),
        ("15m", 900),
        ("12h", 43_200),
        ("7d", 604_800),
        ("2w", 1_209_600),
        ("1.5 s", 1.5),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert earned.tracing.parse_duration(text) == seconds


def test_times_are_relative_or_iso_and_utc_by_default() -> None:
    now = 1_800_000_000.0
    assert earned.tracing.parse_time("7d", now=now) == now - 604_800
    assert earned.tracing.parse_time("now", now=now) == now
    assert earned.tracing.parse_time("2026-11-01", now=now) == 1_793_491_200.0
    assert earned.tracing.parse_time("2026-11-01T02:00:00+02:00", now=now) == 1_793_491_200.0
