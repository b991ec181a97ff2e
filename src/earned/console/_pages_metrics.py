"""The metrics dashboard: latency percentiles, approval rate, cost, tool success, alerts.

The numbers are the API's (`MetricsReader.compute`, `check_alerts` with the same rules as
`GET /v1/alerts`), cut to the user's tenant when the token has one. Each chart splits the
window into buckets (12 five-minute buckets for 1h, 24 hours for 24h, days for 7d and 30d)
and computes every metric over each bucket; tool success is one bar per tool over the whole
window. Firing alerts come first, each linked to its runbook entry on the same page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from earned.console._charts import Bar, Series, bar_chart, day_label, line_chart, time_label
from earned.console._web import PageReader, page_router, render
from earned.metrics import MetricsReport, check_alerts
from earned.server._auth import Identity
from earned.server._context import ApiContext
from earned.server._deps import Ctx
from earned.server._metrics import rules_for

__all__ = ["BUCKETS", "router", "series_over"]

router = page_router("/metrics", area="metrics")

#: Each window the dashboard offers: (bucket seconds, bucket count).
BUCKETS: dict[str, tuple[float, int]] = {
    "1h": (300.0, 12),
    "24h": (3600.0, 24),
    "7d": (86_400.0, 7),
    "30d": (86_400.0, 30),
}
WindowQuery = Annotated[Literal["1h", "24h", "7d", "30d"], Query()]
_PER_BUCKET = (
    "run_latency_p50",
    "run_latency_p95",
    "run_latency_p99",
    "approval_rate",
    "cost_total",
    "sessions",
    "runs",
)
_BAD = "#dc2626"


def _where(caller: Identity) -> dict[str, str | None]:
    return {"tenant": caller.tenant} if caller.tenant is not None else {}


def series_over(
    context: ApiContext, caller: Identity, window: str
) -> list[tuple[float, MetricsReport]]:
    """(bucket end, report) for each bucket of `window`, oldest first."""
    size, count = BUCKETS[window]
    now = context.clock()
    ends = [now - size * (count - 1 - i) for i in range(count)]
    return [
        (end, context.metrics.compute(_PER_BUCKET, window=size, until=end, where=_where(caller)))
        for end in ends
    ]


def _value(report: MetricsReport, metric: str) -> float | None:
    found = report.get(metric)
    return None if found is None else found.value


def _charts(buckets: list[tuple[float, MetricsReport]], window: str) -> dict[str, Any]:
    label = time_label if BUCKETS[window][0] < 86_400 else day_label
    span = (buckets[0][0], buckets[-1][0])
    latency = [
        Series(name, [(end, _ms(_value(r, metric))) for end, r in buckets])
        for name, metric in (
            ("p50", "run_latency_p50"),
            ("p95", "run_latency_p95"),
            ("p99", "run_latency_p99"),
        )
    ]
    approval = [Series("approval rate", [(end, _value(r, "approval_rate")) for end, r in buckets])]
    per_session = [
        Series("cost per session", [(end, _per(r, "cost_total", "sessions")) for end, r in buckets])
    ]
    cost = [Bar(label(end), _value(r, "cost_total") or 0.0) for end, r in buckets]
    return {
        "latency": line_chart(
            latency,
            title="Run latency percentiles",
            x_format=label,
            y_format=_ms_text,
            x_range=span,
        ),
        "approval": line_chart(
            approval,
            title="Approval rate",
            x_format=label,
            y_format=lambda v: f"{v:.0%}",
            y_min=0.0,
            y_max=1.0,
            x_range=span,
        ),
        "per_session": line_chart(
            per_session,
            title="Cost per session",
            x_format=label,
            y_format=_dollars,
            x_range=span,
        ),
        "cost": bar_chart(
            cost,
            title="Cost per day" if label is day_label else "Cost per bucket",
            y_format=_dollars,
        ),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def _ms_text(value: float) -> str:
    return f"{value:.0f} ms" if value < 1000 else f"{value / 1000:.1f} s"


def _dollars(value: float) -> str:
    return f"${value:.4f}" if abs(value) < 1 else f"${value:,.2f}"


def _per(report: MetricsReport, numerator: str, denominator: str) -> float | None:
    top, bottom = _value(report, numerator), _value(report, denominator)
    return None if top is None or not bottom else top / bottom


def _tool_success(context: ApiContext, caller: Identity, window: str) -> Any:
    report = context.metrics.compute(
        ["tool_success_rate"], window=window, where=_where(caller), by=["tool"]
    )
    bars = [
        Bar(
            str(v.group.get("tool")),
            v.value,
            color=_BAD if v.value < 0.95 else None,
        )
        for v in report.values
        if v.value is not None
    ]
    return bar_chart(
        bars,
        title="Tool success rate by tool",
        y_format=lambda v: f"{v:.0%}",
        y_max=1.0,
        empty="no tool calls in this window",
    )


@router.get("")
def metrics_page(
    request: Request, user: PageReader, context: Ctx, window: WindowQuery = "24h"
) -> HTMLResponse:
    """The dashboard over `window`, with the alert rules' verdicts and the runbook."""
    caller = user.identity
    buckets = series_over(context, caller, window)
    charts = _charts(buckets, window)
    charts["tools"] = _tool_success(context, caller, window)
    rules = rules_for(context, caller)
    report = check_alerts(context.metrics, rules)
    results = sorted(report.results, key=lambda r: (not r.firing, r.status, r.rule.id))
    totals = context.metrics.compute(
        ["runs", "approval_rate", "cost_total", "run_latency_p95", "tool_success_rate"],
        window=window,
        where=_where(caller),
    )
    return render(
        request,
        user,
        "metrics/dashboard.html",
        area="metrics",
        window=window,
        windows=list(BUCKETS),
        charts=charts,
        alerts=results,
        firing=[r for r in results if r.firing],
        runbook=sorted(rules.runbook.entries.values(), key=lambda e: e.id),
        totals={v.metric: v.value for v in totals.values},
    )
