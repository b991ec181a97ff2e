"""Runs: submit (sync or async), list, read, cancel; the agents this server runs.

Sync submission starts the run in this process and waits up to `timeout` seconds: 200 with
the result when it ended, 202 with the approval ids when it waits for a human, 202 with the
run id when it is still running. Async submission queues the run (any worker serving the
agent, this server included, takes it) and answers 202 at once. Either way the run acts for
the token's tenant, with the token's role; `idempotency_key` makes a retry return the same
run instead of starting another.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from earned.digest import digest
from earned.runtime import Principal, RunStatus
from earned.server._auth import Identity
from earned.server._context import ApiContext
from earned.server._deps import Ctx, Reader, Runner
from earned.server._errors import Conflict, Forbidden, NotFound, Unavailable
from earned.server._schemas import Body, IdPath, JsonValue, Limit, Name, NameQuery, Offset
from earned.stages import Stage
from earned.store import RunRecord

__all__ = ["router", "run_links", "visible_run"]

router = APIRouter(prefix="/v1", tags=["runs"])


class RunSubmission(Body):
    """What to run, for whom, and whether to wait."""

    agent: Name = Field(description="A served agent's name (GET /v1/agents).")
    input: JsonValue = Field(default=None, description="The run's input: any JSON value.")
    mode: Literal["sync", "async"] = Field(
        default="sync", description="sync: wait up to `timeout`; async: queue and return."
    )
    timeout: float | None = Field(
        default=None, gt=0, le=300, description="Seconds a sync submission waits."
    )
    user: Name | None = Field(default=None, description="The user the run acts for.")
    idempotency_key: Name | None = Field(
        default=None, description="A retry with the same key returns the same run."
    )
    request_id: Name | None = None
    correlation_id: Name | None = None
    tenant: Name | None = Field(default=None, description="Admin tokens of every tenant only.")
    capability: Name | None = Field(default=None, description="Admin only: override.")
    stage: Stage | None = Field(default=None, description="Admin only: the stage to run at.")
    model: Name | None = Field(default=None, description="Admin only: run on this model.")


class RunLinks(BaseModel):
    """Where to follow a run."""

    run: str
    events: str
    trace: str


class RunAccepted(BaseModel):
    """A submitted run: its status, and its result once it ended."""

    run_id: str
    status: str
    result: dict[str, Any] | None = None
    approval_ids: list[str] = Field(default_factory=list)
    links: RunLinks


class CancelRequest(Body):
    """Why the run is cancelled."""

    reason: Name = "cancelled through the API"


def run_links(run_id: str) -> RunLinks:
    """The paths that follow a run."""
    return RunLinks(
        run=f"/v1/runs/{run_id}",
        events=f"/v1/runs/{run_id}/events",
        trace=f"/v1/traces/{run_id}",
    )


def visible_run(context: ApiContext, caller: Identity, run_id: str) -> RunRecord:
    """The run, or 404 when it does not exist or belongs to another tenant."""
    record = context.runs.get(run_id)
    if record is None or not caller.sees(record.tenant):
        raise NotFound(f"no run {run_id!r}", fix="list runs with GET /v1/runs")
    return record


def _engine(context: ApiContext) -> Any:
    if context.engine is None:
        raise Unavailable(
            "this server runs no agents",
            fix="start it with the agents to serve: earned serve MODULE:ATTR",
        )
    return context.engine


def _options(caller: Identity, body: RunSubmission) -> dict[str, Any]:
    overrides = {
        k: v
        for k, v in (("capability", body.capability), ("stage", body.stage), ("model", body.model))
        if v is not None
    }
    if overrides and caller.role != "admin":
        raise Forbidden(
            f"only admin tokens may set {', '.join(overrides)}",
            fix="leave them out: the agent's capability and rollout stage apply",
        )
    if body.tenant is not None and not caller.all_tenants:
        raise Forbidden("a tenant-scoped token runs in its own tenant", fix="leave `tenant` out")
    tenant = caller.tenant if caller.tenant is not None else body.tenant
    options: dict[str, Any] = {
        **{k: str(v) for k, v in overrides.items()},
        "principal": Principal(user=body.user or caller.name, role=caller.role, tenant=tenant),
        "request_id": body.request_id,
        "correlation_id": body.correlation_id,
    }
    if body.idempotency_key is not None:
        options["run_id"] = "run_" + digest([tenant, body.idempotency_key])[:26]
    return options


@router.post(
    "/runs",
    response_model=RunAccepted,
    status_code=200,
    summary="Submit a run (sync or async)",
    responses={202: {"model": RunAccepted, "description": "Queued, running, or waiting."}},
)
async def submit_run(body: RunSubmission, caller: Runner, context: Ctx) -> Any:
    """Start a run of a served agent; see the module docstring for sync and async."""
    engine = _engine(context)
    if body.agent not in {a.name for a in engine.agents}:
        raise NotFound(
            f"no agent {body.agent!r} is served here",
            fix="GET /v1/agents lists the agents this server runs",
        )
    options = _options(caller, body)
    if body.mode == "async":
        handle = await engine.submit(body.agent, body.input, **options)
        return _accepted(handle.run_id, "pending", 202)
    handle = await engine.start(body.agent, body.input, **options)
    timeout = min(body.timeout or context.settings.sync_timeout, context.settings.max_sync_timeout)
    try:
        record = await asyncio.wait_for(engine.settle(handle.run_id), timeout)
    except TimeoutError:
        return _accepted(handle.run_id, "running", 202)
    if record.finished:
        result = record.to_result().model_dump(mode="json")
        return _accepted(handle.run_id, record.status, 200, result=result)
    pending = context.approvals.list(run_id=handle.run_id, status="pending")
    return _accepted(handle.run_id, record.status, 202, approvals=[a.approval_id for a in pending])


def _accepted(
    run_id: str,
    status: str,
    code: int,
    *,
    result: dict[str, Any] | None = None,
    approvals: list[str] | None = None,
) -> JSONResponse:
    body = RunAccepted(
        run_id=run_id,
        status=status,
        result=result,
        approval_ids=approvals or [],
        links=run_links(run_id),
    )
    headers = {"Location": f"/v1/runs/{run_id}"} if code == 202 else None
    return JSONResponse(body.model_dump(mode="json"), status_code=code, headers=headers)


def run_view(context: ApiContext, record: RunRecord) -> dict[str, Any]:
    """A run's JSON: the record, its result once finished, its pending approvals."""
    data = dataclasses.asdict(record)
    data["finished"] = record.finished
    data["result"] = record.to_result().model_dump(mode="json") if record.finished else None
    waiting = context.approvals.list(run_id=record.run_id, status="pending")
    data["approval_ids"] = [a.approval_id for a in waiting]
    data["links"] = run_links(record.run_id).model_dump()
    return data


@router.get("/runs", summary="List runs, newest first")
def list_runs(
    caller: Reader,
    context: Ctx,
    agent: NameQuery = None,
    status: Annotated[RunStatus | None, Query()] = None,
    capability: NameQuery = None,
    tenant: NameQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Runs of the token's tenant (an all-tenant token may filter by `tenant`)."""
    scope = caller.tenant if caller.tenant is not None else tenant
    records = context.runs.list(
        agent=agent,
        status=status,
        capability=capability,
        tenant=scope,
        limit=limit,
        offset=offset,
    )
    return [{**dataclasses.asdict(r), "links": run_links(r.run_id).model_dump()} for r in records]


@router.get("/runs/{run_id}", summary="A run's status, and its result once it ended")
def get_run(run_id: IdPath, caller: Reader, context: Ctx) -> dict[str, Any]:
    """The run, its result when finished, and the approvals it waits for."""
    return run_view(context, visible_run(context, caller, run_id))


@router.post("/runs/{run_id}/cancel", summary="Cancel a run that has not ended")
async def cancel_run(
    run_id: IdPath, caller: Runner, context: Ctx, body: CancelRequest | None = None
) -> dict[str, Any]:
    """Cancel the run; it stops before its next step. 409 when it already ended."""
    record = await asyncio.to_thread(visible_run, context, caller, run_id)
    engine = _engine(context)
    if record.finished:
        raise Conflict(
            f"run {run_id} already ended ({record.status})",
            fix="only unfinished runs can be cancelled",
        )
    reason = body.reason if body is not None else CancelRequest().reason
    result = await engine.cancel(run_id, reason=f"{reason} (by {caller.name})")
    return result.model_dump(mode="json")


@router.get("/agents", summary="The agents this server runs")
def list_agents(caller: Reader, context: Ctx) -> list[dict[str, Any]]:
    """Each served agent: name, capability, description, versions and tools."""
    if context.engine is None:
        return []
    return [
        {
            "name": agent.name,
            "capability": agent.capability,
            "description": agent.description,
            "versions": agent.versions(),
            "tools": [{"name": t.name, "risk": t.risk} for t in agent.tools],
        }
        for agent in sorted(context.engine.agents, key=lambda a: a.name)
    ]
