"""Metrics and alerts over HTTP, and `/metrics` for Prometheus.

`/v1/metrics` and `/v1/alerts` are cut to the token's tenant: a tenant-scoped token gets
only the metrics that can be cut by tenant (the rest are listed as skipped), and the alert
rules evaluated for its tenant. `/metrics` covers every tenant, so it needs a token that
sees every tenant (a `viewer --all-tenants` scrape token, or an admin), unless the server
was started with `public_metrics` (for a scraper behind a network boundary).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from earned.errors import ConfigError
from earned.metrics import METRICS, RuleSet, check_alerts, default_rules
from earned.metrics._window import DIMENSIONS
from earned.server._auth import Identity
from earned.server._context import ApiContext
from earned.server._deps import Ctx, Reader, bearer, identity
from earned.server._errors import BadRequest, Forbidden, Unavailable
from earned.server._schemas import NameQuery

__all__ = ["router", "rules_for"]

router = APIRouter(tags=["metrics"])

Window = Annotated[str, Query(pattern=r"^\d{1,6}[smhdw]$", description="e.g. 5m, 1h, 7d")]
By = Annotated[str | None, Query(max_length=100, pattern=r"^[a-z,]*$")]


@router.get("/v1/metrics", summary="Agent-ops metrics over a window")
def metrics(
    caller: Reader,
    context: Ctx,
    window: Window = "1h",
    agent: NameQuery = None,
    capability: NameQuery = None,
    tool: NameQuery = None,
    tenant: NameQuery = None,
    by: By = None,
) -> dict[str, Any]:
    """Every metric (seed 001), filtered and grouped (`by=tool,agent`)."""
    groups = [g for g in (by or "").split(",") if g]
    unknown = [g for g in groups if g not in DIMENSIONS]
    if unknown or ("tenant" in groups and not caller.all_tenants):
        raise BadRequest(
            f"cannot group by {', '.join(unknown) or 'tenant'}",
            fix=f"group by {', '.join(d for d in DIMENSIONS if d != 'tenant')}"
            + (" or tenant" if caller.all_tenants else ""),
        )
    where = {"agent": agent, "capability": capability, "tool": tool}
    where["tenant"] = caller.tenant if caller.tenant is not None else tenant
    scoped = where["tenant"] is not None
    names = [m for m, d in METRICS.items() if not scoped or "tenant" in d.dimensions]
    report = context.metrics.compute(names, window=window, where=where, by=groups)
    data = report.to_dict()
    if scoped:
        left_out = {m: "cannot be cut by tenant" for m in METRICS if m not in names}
        data["skipped"] = {**left_out, **data["skipped"]}
    return data


@router.get("/v1/alerts", summary="Evaluate the alert rules now")
def alerts(caller: Reader, context: Ctx, window: Window | None = None) -> dict[str, Any]:
    """Every rule's verdict (firing, ok, no data) with its runbook entry."""
    rules = rules_for(context, caller)
    return check_alerts(context.metrics, rules, window=window).to_dict()


def rules_for(context: ApiContext, caller: Identity) -> RuleSet:
    """The server's alert rules as `caller` may see them: cut to its tenant, if it has one."""
    rules = context.alert_rules or default_rules()
    if caller.tenant is None:
        return rules
    kept = []
    for rule in rules.rules:
        if "tenant" in METRICS[rule.metric].dimensions:
            kept.append(rule.model_copy(update={"where": {**rule.where, "tenant": caller.tenant}}))
    return rules.model_copy(update={"rules": tuple(kept)})


def _scraper(
    context: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Identity | None:
    if context.settings.public_metrics:
        return None
    caller = identity(context, credentials).need("read")
    if not caller.all_tenants:
        raise Forbidden(
            "/metrics covers every tenant; a tenant-scoped token cannot read it",
            fix="scrape with a viewer token made with --all-tenants, or use /v1/metrics",
        )
    return caller


@router.get(
    "/metrics",
    summary="Prometheus metrics (earned_* gauges over the last 5 minutes)",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format."}},
)
async def prometheus(
    context: Ctx, scraper: Annotated[Identity | None, Depends(_scraper)]
) -> Response:
    """The Prometheus exposition, computed from the database when scraped."""
    try:
        body, content_type = await asyncio.to_thread(context.prometheus_exposition)
    except ConfigError as exc:
        raise Unavailable(
            exc.message, fix="pip install 'earned[prometheus]' on the server"
        ) from exc
    return Response(body, media_type=content_type)
