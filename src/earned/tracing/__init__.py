"""Traces: search stored runs, read them as span trees, export them, and prune them.

```python
from earned.tracing import TraceQuery, TraceStore

traces = TraceStore(db)
failed = ("failed", "escalated")
worst = traces.search(TraceQuery(since=week_ago, status=failed, sort="cost", limit=5))
trace = traces.get(worst[0].run_id)          # the run and its span tree
document = trace.to_export()                 # seed 000's trace format, as JSON
```

`OTLPExporter` sends spans to any OTLP/HTTP endpoint using the OpenTelemetry GenAI
semantic conventions (`pip install 'earned[otel]'`); it is opt-in, and content is only
exported when asked for, always redacted. `prune` and `prune_due` enforce retention per
data class and record each prune in the audit log.
"""

from __future__ import annotations

from earned.tracing._genai import (
    GenAIEvent,
    GenAISpan,
    RunFacts,
    map_span,
    map_spans,
    otel_span_id,
    otel_trace_id,
)
from earned.tracing._otlp import OTLPExporter, export_request, otlp_json, trace_spans
from earned.tracing._redact import ContentRedactor, ScopedRedactor, default_redactor
from earned.tracing._retention import (
    DAILY_PRUNE_NAME,
    DAILY_PRUNE_SCHEDULE,
    DATA_CLASSES,
    DataClass,
    PruneResult,
    RetentionPolicy,
    StepRunner,
    daily_prune,
    prune,
    prune_due,
)
from earned.tracing._search import COST_BUCKETS, SortKey, TraceQuery, TraceStore, TraceSummary
from earned.tracing._time import parse_duration, parse_time
from earned.tracing._tree import TRACE_FORMAT, TRACE_SCHEMA_VERSION, SpanNode, Trace

__all__ = [
    "COST_BUCKETS",
    "DAILY_PRUNE_NAME",
    "DAILY_PRUNE_SCHEDULE",
    "DATA_CLASSES",
    "TRACE_FORMAT",
    "TRACE_SCHEMA_VERSION",
    "ContentRedactor",
    "DataClass",
    "GenAIEvent",
    "GenAISpan",
    "OTLPExporter",
    "PruneResult",
    "RetentionPolicy",
    "RunFacts",
    "ScopedRedactor",
    "SortKey",
    "SpanNode",
    "StepRunner",
    "Trace",
    "TraceQuery",
    "TraceStore",
    "TraceSummary",
    "daily_prune",
    "default_redactor",
    "export_request",
    "map_span",
    "map_spans",
    "otel_span_id",
    "otel_trace_id",
    "otlp_json",
    "parse_duration",
    "parse_time",
    "prune",
    "prune_due",
    "trace_spans",
]
