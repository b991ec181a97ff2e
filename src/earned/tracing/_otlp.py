"""OTLP: encode mapped spans as an ExportTraceServiceRequest, and send them to an endpoint.

Built on the OpenTelemetry SDK (`pip install 'earned[otel]'`), but not on its tracer: a
tracer makes its own ids and clocks, while earned's spans already happened, with
deterministic ids and recorded times. So each mapped span becomes an SDK `ReadableSpan`
carrying exactly earned's trace id, span id, parent and timestamps, and the SDK's own
pieces do the rest: the OTLP protobuf encoder, the batching span processor (a background
thread; a full queue drops spans instead of blocking the run) and the OTLP/HTTP exporter
(retries with backoff, headers, timeouts).

Nothing is exported unless an `OTLPExporter` is made and given to the engine as a sink
(or `OTLPExporter.from_env()` finds `EARNED_OTLP_ENDPOINT`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from earned._version import __version__
from earned.errors import ConfigError
from earned.runtime._events import RunEvent
from earned.tracing._genai import GenAISpan, RunFacts, is_evaluation, map_spans
from earned.tracing._redact import ContentRedactor, default_redactor
from earned.tracing._tree import Trace

if TYPE_CHECKING:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter

__all__ = [
    "OTLPExporter",
    "export_request",
    "otlp_json",
    "readable_spans",
    "trace_spans",
]

logger = logging.getLogger("earned.tracing")

_EXTRA_HINT = "pip install 'earned[otel]'"


def _require_otel() -> None:
    try:
        import opentelemetry.exporter.otlp.proto.http  # pyright: ignore[reportUnusedImport]
        import opentelemetry.sdk.trace  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as exc:
        raise ConfigError(
            f"OTLP export needs the OpenTelemetry SDK and OTLP exporter, which are not "
            f"installed; run: {_EXTRA_HINT}",
            missing=exc.name,
            fix=_EXTRA_HINT,
        ) from exc


def make_resource(
    service_name: str = "earned", attributes: Mapping[str, Any] | None = None
) -> Resource:
    """The OTel resource exported spans carry: `service.name` plus `attributes`."""
    _require_otel()
    from opentelemetry.sdk.resources import Resource

    # Not Resource.create: its detectors add a random service.instance.id and read the
    # environment; an export of the same trace must give the same bytes.
    return Resource({"service.name": service_name, **(attributes or {})})


def readable_spans(spans: Iterable[GenAISpan], resource: Resource) -> list[ReadableSpan]:
    """SDK `ReadableSpan`s with exactly the mapped ids, parents, times and attributes."""
    _require_otel()
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

    scope = InstrumentationScope("earned", __version__)
    out: list[ReadableSpan] = []
    for span in spans:
        context = SpanContext(
            span.trace_id, span.span_id, is_remote=False, trace_flags=TraceFlags(1)
        )
        parent = (
            None
            if span.parent_span_id is None
            else SpanContext(span.trace_id, span.parent_span_id, is_remote=False)
        )
        status = Status(StatusCode.ERROR, span.error) if span.is_error else Status(StatusCode.UNSET)
        out.append(
            ReadableSpan(
                name=span.name,
                context=context,
                parent=parent,
                resource=resource,
                attributes=span.attributes,
                events=[Event(e.name, e.attributes, e.timestamp_ns) for e in span.events],
                kind=SpanKind.CLIENT if span.kind == "client" else SpanKind.INTERNAL,
                status=status,
                start_time=span.start_ns,
                end_time=span.end_ns,
                instrumentation_scope=scope,
            )
        )
    return out


def export_request(spans: Iterable[GenAISpan], resource: Resource) -> ExportTraceServiceRequest:
    """The OTLP `ExportTraceServiceRequest` protobuf of `spans`."""
    _require_otel()
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    return encode_spans(readable_spans(spans, resource))


def otlp_json(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """The OTLP/JSON form of a request: ids as hex strings, enums as integers."""
    from google.protobuf.json_format import MessageToDict

    data = MessageToDict(request, use_integers_for_enums=True)
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = _b64_to_hex(span[key])
    return data


def _b64_to_hex(value: str) -> str:
    import base64

    return base64.b64decode(value).hex()


def trace_spans(
    trace: Trace, *, include_content: bool = False, redactor: ContentRedactor | None = None
) -> list[GenAISpan]:
    """A stored trace's spans mapped to GenAI conventions (content only when asked)."""
    redact = None
    if include_content:
        scoped = (redactor or default_redactor()).scope(trace.trace_id)
        redact = scoped.value
    run = trace.run
    facts = RunFacts(
        input=run.input,
        output=run.output,
        status=run.status,
        error_type=(run.error or {}).get("type") or (run.escalation or {}).get("kind"),
    )
    return map_spans(trace.spans, redact=redact, facts=facts)


def _traces_url(endpoint: str) -> str:
    """`endpoint` as the OTLP/HTTP traces URL: a base URL gets `/v1/traces` appended."""
    url = endpoint.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def _parse_headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"cannot read the OTLP header {item!r} in EARNED_OTLP_HEADERS; write "
                "name=value pairs separated by commas, e.g. authorization=Bearer abc",
                header=item,
            )
        headers[key.strip()] = value.strip()
    return headers


class OTLPExporter:
    """Sends spans to an OTLP/HTTP endpoint using the GenAI semantic conventions.

    As an `EventSink` (`Engine([...], sinks=[OTLPExporter(url)])`) it exports each span
    when it ends: batched on a background thread, never blocking the run; `close()`
    flushes. `export(trace)` sends a stored trace after the fact, with the same ids.

    `endpoint` is a collector's base URL (`http://127.0.0.1:4318`) or its full traces URL
    (`.../v1/traces`). Message content (inputs, outputs, tool arguments) is exported only
    with `include_content=True`, and always through `redactor` (default: earned's).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        headers: Mapping[str, str] | None = None,
        include_content: bool = False,
        redactor: ContentRedactor | None = None,
        service_name: str = "earned",
        resource_attributes: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        max_queue_size: int = 2048,
        batch_size: int = 512,
        schedule_delay: float = 1.0,
        span_exporter: SpanExporter | None = None,
    ) -> None:
        _require_otel()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ConfigError(
                f"the OTLP endpoint must be an http(s) URL, got {endpoint!r}; e.g. "
                "http://127.0.0.1:4318 (an OTLP/HTTP collector) or .../v1/traces",
                endpoint=endpoint,
            )
        self.endpoint = _traces_url(endpoint)
        self.include_content = include_content
        self._redactor = (redactor or default_redactor()) if include_content else None
        self.resource = make_resource(service_name, resource_attributes)
        self._exporter: SpanExporter = span_exporter or OTLPSpanExporter(
            endpoint=self.endpoint, headers=dict(headers or {}), timeout=timeout
        )
        self._processor = BatchSpanProcessor(
            self._exporter,
            max_queue_size=max_queue_size,
            max_export_batch_size=min(batch_size, max_queue_size),
            schedule_delay_millis=schedule_delay * 1000,
        )
        self._pending: dict[str, list[RunEvent]] = {}
        self._ended: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.dropped = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> OTLPExporter | None:
        """An exporter configured by the environment, or None when export is not enabled.

        `EARNED_OTLP_ENDPOINT` turns export on; `EARNED_OTLP_HEADERS` (`k=v,k2=v2`) adds
        headers; `EARNED_OTLP_INCLUDE_CONTENT=1` exports redacted content;
        `EARNED_OTLP_SERVICE_NAME` names the service (default `earned`).
        """
        source = os.environ if env is None else env
        endpoint = source.get("EARNED_OTLP_ENDPOINT", "").strip()
        if not endpoint:
            return None
        settings: dict[str, Any] = {
            "headers": _parse_headers(source.get("EARNED_OTLP_HEADERS", "")),
            "include_content": source.get("EARNED_OTLP_INCLUDE_CONTENT", "") in ("1", "true"),
            "service_name": source.get("EARNED_OTLP_SERVICE_NAME") or "earned",
        }
        return cls(endpoint, **{**settings, **options})

    def __enter__(self) -> OTLPExporter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _redact(self, run_id: str) -> Any:
        if self._redactor is None:
            return None
        return self._redactor.scope(run_id).value

    # -- live: the EventSink side ---------------------------------------------------------

    def emit(self, event: RunEvent) -> None:
        """Export the span once it has ended (never raises into the run, never blocks)."""
        if event.ended_at is None or self._closed:
            return
        try:
            self._emit(event)
        except Exception:
            self.dropped += 1
            logger.exception("earned could not export span %s", event.span_id)

    def _emit(self, event: RunEvent) -> None:
        with self._lock:
            ended = self._ended.setdefault(event.run_id, set())
            if event.span_id in ended:
                return  # a recovered run re-emits ended spans: export each once
            ended.add(event.span_id)
            if is_evaluation(event) and event.parent_id not in ended:
                self._pending.setdefault(event.parent_id or "", []).append(event)
                return
            evaluations = self._pending.pop(event.span_id, [])
            if event.parent_id is None and event.kind == "run":
                del self._ended[event.run_id]  # the run is over: forget its ids
        batch = [event, *evaluations]
        if is_evaluation(event):  # its span already left: carry the event on a child
            carrier = _evaluation_carrier(event)
            batch = [carrier, replace(event, parent_id=carrier.span_id)]
        spans = map_spans(batch, redact=self._redact(event.run_id))
        for span in readable_spans(spans, self.resource):
            self._processor.on_end(span)

    def flush(self, timeout: float = 30.0) -> bool:
        """Send every span emitted so far; True when all were sent in time."""
        return self._processor.force_flush(int(timeout * 1000))

    def close(self) -> None:
        """Flush and stop the background thread; later spans are ignored."""
        if self._closed:
            return
        self._closed = True
        self._processor.force_flush()
        self._processor.shutdown()

    # -- after the fact -------------------------------------------------------------------

    def export(self, trace: Trace) -> int:
        """Send a stored trace now, with the same ids as a live export; returns the span count."""
        from opentelemetry.sdk.trace.export import SpanExportResult

        spans = trace_spans(trace, include_content=self.include_content, redactor=self._redactor)
        result = self._exporter.export(readable_spans(spans, self.resource))
        if result is not SpanExportResult.SUCCESS:
            raise ConfigError(
                f"the OTLP endpoint {self.endpoint} did not accept trace {trace.trace_id!r} "
                "(see the log for the HTTP error); check the URL, the headers and that the "
                "collector is running",
                endpoint=self.endpoint,
                run_id=trace.trace_id,
            )
        return len(spans)


def _evaluation_carrier(evaluation: RunEvent) -> RunEvent:
    """A zero-length span under the evaluated span, to carry a late evaluation's event."""
    return RunEvent(
        run_id=evaluation.run_id,
        span_id=f"{evaluation.span_id}:carrier",
        parent_id=evaluation.parent_id,
        kind="custom",
        name="evaluation",
        started_at=evaluation.started_at,
        ended_at=evaluation.ended_at,
        status=evaluation.status,
    )
