"""The trace explorer: search with filters, and one trace as a span tree.

The search is the API's (`trace_query`: a tenant-scoped token searches its tenant only) over
the same indexed `TraceStore.search`; a trace is shown only when `visible_run` says the
user's token may see its run. Filters are read here rather than by FastAPI, so a wrong value
is shown next to the form ("since: cannot read 'yesterday' ...") instead of as an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from earned.console._forms import check_filters, number
from earned.console._web import PageReader, page_router, redact, render
from earned.errors import UserError
from earned.server._context import ApiContext
from earned.server._deps import Ctx
from earned.server._runs import visible_run
from earned.server._schemas import IdPath
from earned.server._traces import trace_query
from earned.tracing import SpanNode, Trace, TraceQuery, parse_time

__all__ = ["PAGE_SIZE", "router"]

router = page_router("/traces", area="traces")

PAGE_SIZE = 50
STATUSES = (
    "completed", "failed", "escalated", "denied", "waiting_approval", "running", "cancelled",
)  # fmt: skip
SORTS = {"time": "newest first", "cost": "most expensive", "latency": "slowest"}
Text = Annotated[str | None, Query(max_length=200)]
_TEXT_FILTERS = ("agent", "capability", "tool", "user", "tenant")


@dataclass(frozen=True, kw_only=True)
class Filters:
    """The search form as typed (strings), to show again and to build page links."""

    values: dict[str, str]

    def link(self, **changes: str | int) -> str:
        """The query string of this search with `changes` (empty values left out)."""
        merged: dict[str, Any] = {**self.values, **changes}
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


@router.get("")
def search(
    request: Request,
    user: PageReader,
    context: Ctx,
    since: Text = None,
    until: Text = None,
    agent: Text = None,
    capability: Text = None,
    tool: Text = None,
    user_id: Annotated[str | None, Query(alias="user", max_length=200)] = None,
    tenant: Text = None,
    status: Text = None,
    min_cost: Text = None,
    max_cost: Text = None,
    sort: Text = None,
    order: Text = None,
    page: Annotated[int, Query(ge=1, le=20_000)] = 1,
) -> Response:
    """Traces of the user's tenant matching every filter, a page at a time."""
    typed = {
        "since": since, "until": until, "agent": agent, "capability": capability,
        "tool": tool, "user": user_id, "tenant": tenant, "status": status,
        "min_cost": min_cost, "max_cost": max_cost, "sort": sort, "order": order,
    }  # fmt: skip
    filters = Filters(values={k: (v or "").strip() for k, v in typed.items()})
    error = None
    rows: list[Any] = []
    total = 0
    try:
        query = _query(context, user.identity, filters.values, page)
        rows = context.traces.search(query)
        total = context.traces.count(query)
    except UserError as exc:
        error = exc.message
    return render(
        request,
        user,
        "traces/search.html",
        status=400 if error else 200,
        area="traces",
        filters=filters,
        f=filters.values,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        error=error,
        statuses=STATUSES,
        sorts=SORTS,
    )


def _query(context: ApiContext, caller: Any, values: dict[str, str], page: int) -> TraceQuery:
    """The `TraceQuery` for the form's values; UserError naming the field that is wrong."""
    check_filters(values)
    now = context.clock()
    times = {
        name: parse_time(values[name], now=now, what=name) if values[name] else None
        for name in ("since", "until")
    }
    sort = values["sort"] or "time"
    if sort not in SORTS:
        raise UserError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    if values["order"] not in ("", "asc", "desc"):
        raise UserError(f"order must be asc or desc, got {values['order']!r}")
    if values["status"] and values["status"] not in STATUSES:
        raise UserError(f"status must be one of {', '.join(STATUSES)}, got {values['status']!r}")
    text = {name: values[name] or None for name in _TEXT_FILTERS}
    return trace_query(
        caller,
        since=times["since"],
        until=times["until"],
        agent=text["agent"],
        capability=text["capability"],
        tool=text["tool"],
        user=text["user"],
        tenant=text["tenant"],
        status=(values["status"],) if values["status"] else (),
        min_cost=number(values["min_cost"], label="min cost ($)"),
        max_cost=number(values["max_cost"], label="max cost ($)"),
        sort=sort,
        ascending=values["order"] == "asc",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


@router.get("/{run_id}")
def trace_page(request: Request, run_id: IdPath, user: PageReader, context: Ctx) -> Response:
    """One trace: the run's summary, its input and output, and its span tree."""
    visible_run(context, user.identity, run_id)
    trace = context.traces.get(run_id)
    summary = trace.summary()
    return render(
        request,
        user,
        "traces/trace.html",
        area="traces",
        run=summary,
        input=redact(context, run_id, trace.run.input),
        output=redact(context, run_id, trace.run.output),
        escalation=redact(context, run_id, trace.run.escalation),
        spans=[_node(context, trace, node) for node in trace.roots],
        span_count=len(trace.spans),
        review_item=_review_item(context, trace),
    )


def _node(context: ApiContext, trace: Trace, node: SpanNode) -> dict[str, Any]:
    """A span as the tree template shows it: timing bar, key facts, redacted attributes."""
    span = node.span
    start = trace.run.started_at or trace.run.created_at
    end = trace.run.ended_at or max([s.ended_at or s.started_at for s in trace.spans] + [start])
    total = max(end - start, 1e-9)
    attrs = redact(context, trace.run.run_id, span.attributes) or {}
    decision = node.to_dict()["decision"]
    return {
        "span": span,
        "left": round(max(0.0, span.started_at - start) / total * 100, 2),
        "width": round((span.duration_ms or 0.0) / 1000 / total * 100, 2),
        "tokens": _tokens(attrs),
        "cost": attrs.get("cost"),
        "tool": attrs.get("tool"),
        "attributes": attrs,
        "decision": None if decision is None else redact(context, trace.run.run_id, decision),
        "children": [_node(context, trace, child) for child in node.children],
    }


def _tokens(attrs: dict[str, Any]) -> str | None:
    found = [attrs.get("input_tokens"), attrs.get("output_tokens")]
    if all(v is None for v in found):
        return None
    return f"{found[0] or 0} in / {found[1] or 0} out"


def _review_item(context: ApiContext, trace: Trace) -> str | None:
    """The review item of a run waiting for approval (to link to it), if there is one."""
    if trace.run.status != "waiting_approval":
        return None
    pending = context.approvals.list(status="pending", run_id=trace.run.run_id, limit=1)
    return pending[0].approval_id if pending else None
