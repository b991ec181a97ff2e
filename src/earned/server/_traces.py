"""Traces over HTTP: search (one indexed query), the span tree, and the export document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from earned.errors import ConfigError
from earned.server._auth import Identity
from earned.server._deps import Ctx, Reader
from earned.server._errors import BadRequest
from earned.server._runs import visible_run
from earned.server._schemas import IdPath, Limit, NameQuery, Offset
from earned.tracing import TraceQuery

__all__ = ["router", "trace_query"]

router = APIRouter(prefix="/v1/traces", tags=["traces"])

Seconds = Annotated[float | None, Query(ge=0, le=1e12)]
Dollars = Annotated[float | None, Query(ge=0, le=1e9)]
Csv = Annotated[str | None, Query(max_length=500, pattern=r"^[A-Za-z0-9_.:,-]*$")]


def trace_query(caller: Identity, *, tenant: str | None = None, **filters: Any) -> TraceQuery:
    """A trace search for `caller`: a tenant-scoped token searches its own tenant only.

    `tenant` is a filter only an all-tenant token can use; the API and the console both
    search through this.
    """
    return TraceQuery(tenant=caller.tenant if caller.tenant is not None else tenant, **filters)


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


@router.get("", summary="Search traces")
def search_traces(
    caller: Reader,
    context: Ctx,
    since: Seconds = None,
    until: Seconds = None,
    agent: NameQuery = None,
    capability: NameQuery = None,
    user: NameQuery = None,
    tenant: NameQuery = None,
    tool: NameQuery = None,
    status: Csv = None,
    error_type: Csv = None,
    min_cost: Dollars = None,
    max_cost: Dollars = None,
    cost_bucket: Annotated[
        Literal["free", "low", "medium", "high", "very_high"] | None, Query()
    ] = None,
    min_duration: Seconds = None,
    max_duration: Seconds = None,
    sort: Annotated[Literal["time", "cost", "latency"], Query()] = "time",
    ascending: bool = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Traces of the token's tenant matching every filter (times in epoch seconds).

    `status` and `error_type` take comma-separated values (any of them matches).
    """
    query = trace_query(
        caller,
        since=since,
        until=until,
        agent=agent,
        capability=capability,
        user=user,
        tenant=tenant,
        tool=tool,
        status=_csv(status),
        error_type=_csv(error_type),
        min_cost=min_cost,
        max_cost=max_cost,
        cost_bucket=cost_bucket,
        min_duration=min_duration,
        max_duration=max_duration,
        sort=sort,
        ascending=ascending,
        limit=limit,
        offset=offset,
    )
    found = context.traces.search(query)
    return {
        "total": context.traces.count(query),
        "traces": [t.to_dict() for t in found],
    }


@router.get("/{run_id}", summary="One trace: the run and its span tree")
def get_trace(run_id: IdPath, caller: Reader, context: Ctx) -> dict[str, Any]:
    """Spans, durations, tokens and cost, policy decisions, fields removed, guard hits."""
    visible_run(context, caller, run_id)
    return context.traces.get(run_id).to_dict()


@router.get("/{run_id}/export", summary="The trace document, or OTLP/JSON")
def export_trace(
    run_id: IdPath,
    caller: Reader,
    context: Ctx,
    format: Annotated[Literal["json", "otlp"], Query()] = "json",
) -> dict[str, Any]:
    """`json`: seed 000's trace format, redacted; `otlp`: GenAI-convention OTLP/JSON spans."""
    visible_run(context, caller, run_id)
    trace = context.traces.get(run_id)
    if format == "json":
        from earned.tracing import default_redactor

        redacted: dict[str, Any] = default_redactor().scope(run_id).value(trace.to_export())
        return redacted
    try:
        from earned.tracing import export_request, otlp_json, trace_spans
        from earned.tracing._otlp import make_resource

        spans = trace_spans(trace, include_content=False)
        return otlp_json(export_request(spans, make_resource()))
    except (ConfigError, ImportError) as exc:
        raise BadRequest(
            "this server cannot export OTLP: OpenTelemetry is not installed",
            fix="ask for format=json, or install earned[otel] on the server",
        ) from exc
