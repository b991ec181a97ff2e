"""Evals over HTTP: read stored eval runs and history; run a configured project's suites.

Eval runs are the agent team's, not a tenant's: any token may read them. Running evals
needs `manage` and a project the server was started with (`create_app(eval_projects=...)`,
`earned serve --evals DIR`): a request never names a path or code to load. A run goes on
in the background (an in-process job, inline executor); `GET /v1/evals/jobs/{id}` follows
it, and its reports are stored like any other eval run.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from earned.errors import EarnedError
from earned.server._context import ApiContext, EvalJob
from earned.server._deps import Ctx, Manager, Reader
from earned.server._errors import NotFound
from earned.server._schemas import Body, IdPath, Limit, Name, NameQuery

__all__ = ["router"]

router = APIRouter(prefix="/v1/evals", tags=["evals"])


class EvalRequest(Body):
    """Which configured project, suite and capability to run."""

    project: Name
    suite: Name = Field(default="all", description="A suite name, or all.")
    capability: Name | None = Field(default=None, description="Default: every capability.")


@router.get("/projects", summary="The eval projects this server can run")
def projects(caller: Reader, context: Ctx) -> list[dict[str, Any]]:
    """Each project's name, suites and capabilities."""
    return [
        {
            "name": name,
            "suites": sorted(project.suites),
            "capabilities": sorted(project.capabilities),
        }
        for name, project in sorted(context.eval_projects.items())
    ]


@router.get("/runs", summary="Stored eval runs, newest first")
def list_eval_runs(
    caller: Reader,
    context: Ctx,
    suite: NameQuery = None,
    capability: NameQuery = None,
    project: NameQuery = None,
    status: Annotated[Literal["running", "completed", "interrupted"] | None, Query()] = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """Eval runs with their verdicts and summaries."""
    found = context.evals.runs(
        suite=suite, capability=capability, project=project, status=status, limit=limit
    )
    return [r.to_dict() for r in found]


@router.get("/runs/{eval_run_id}", summary="One eval report, as it was judged")
def get_eval_run(
    eval_run_id: IdPath, caller: Reader, context: Ctx, cases: bool = True
) -> dict[str, Any]:
    """The report against the manifest hash it was judged on (not re-judged today)."""
    from earned.evals import load_report

    if context.evals.get_run(eval_run_id) is None:
        raise NotFound(f"no eval run {eval_run_id!r}", fix="list them with GET /v1/evals/runs")
    return load_report(context.evals, eval_run_id).to_dict(cases=cases)


@router.get("/history", summary="Scores over time, with regressions flagged")
def eval_history(
    caller: Reader,
    context: Ctx,
    suite: NameQuery = None,
    capability: NameQuery = None,
    project: NameQuery = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """Completed eval runs, each compared with its predecessor."""
    from earned.evals import history

    found = history(context.evals, suite=suite, capability=capability, project=project, limit=limit)
    return [entry.to_dict() for entry in found]


@router.post(
    "/runs",
    status_code=202,
    summary="Run a configured project's suites in the background",
    responses={202: {"description": "Started; follow the job."}},
)
async def start_eval(body: EvalRequest, caller: Manager, context: Ctx) -> Any:
    """Start the suites; 202 with the job to follow."""
    project = context.eval_projects.get(body.project)
    if project is None:
        raise NotFound(
            f"no eval project {body.project!r} is configured on this server",
            fix="GET /v1/evals/projects lists them; start the server with --evals DIR",
        )
    project.suite_names(body.suite)  # an unknown suite or capability is a 400 now
    project.capability_names(body.capability)
    job = EvalJob(
        job_id=f"evj_{uuid.uuid4().hex[:16]}",
        project=body.project,
        suite=body.suite,
        capability=body.capability,
        started_by=caller.name,
        started_at=context.clock(),
    )
    context.jobs[job.job_id] = job
    job.task = asyncio.create_task(_run(context, job))
    return JSONResponse(
        job.to_dict(),
        status_code=202,
        headers={"Location": f"/v1/evals/jobs/{job.job_id}"},
    )


async def _run(context: ApiContext, job: EvalJob) -> None:
    from earned.evals import EvalRunner, run_project

    project = context.eval_projects[job.project]
    try:
        runner = EvalRunner(context.evals, executor="inline")
        reports = await run_project(project, runner, suite=job.suite, capability=job.capability)
        job.eval_run_ids = [r.run.eval_run_id for r in reports]
        job.passed = all(r.passed for r in reports)
        job.status = "completed"
    except EarnedError as exc:
        job.status, job.error = "failed", exc.to_dict()
    except Exception as exc:  # a bug in an agent or evaluator: report it on the job
        job.status = "failed"
        job.error = {"type": type(exc).__name__, "message": str(exc)}
    finally:
        job.ended_at = context.clock()


@router.get("/jobs/{job_id}", summary="An eval job started through the API")
def get_job(job_id: IdPath, caller: Reader, context: Ctx) -> dict[str, Any]:
    """Its status, and the eval run ids once it finished."""
    job = context.jobs.get(job_id)
    if job is None:
        raise NotFound(f"no eval job {job_id!r}", fix="jobs live as long as the server process")
    return job.to_dict()
