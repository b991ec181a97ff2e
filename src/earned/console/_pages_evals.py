"""The evals pages: eval runs with their verdicts, history charts per suite, one report.

Eval runs are the agent team's, not a tenant's (as in the API): any logged-in user reads
them. The history chart of a (capability, suite) plots every gate's score over its
completed runs, the gate minimum as a dashed reference in the table below it; the report
page shows the run as it was judged (the stored gate results, not re-judged today).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from earned.console._charts import Series, day_label, line_chart, time_label
from earned.console._web import PageReader, page_router, render
from earned.server._deps import Ctx
from earned.server._errors import NotFound
from earned.server._schemas import IdPath, NameQuery

__all__ = ["history_charts", "router"]

router = page_router("/evals", area="evals")

#: Runs read for the history charts (newest first).
HISTORY_LIMIT = 200


def history_charts(entries: list[Any]) -> list[dict[str, Any]]:
    """One chart per (project, capability, suite): each gate's score over the completed runs."""
    groups: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for entry in entries:
        run = entry.run
        groups[(run.project or "-", run.capability, run.suite)].append(entry)
    charts = []
    for (project, capability, suite), found in sorted(groups.items()):
        ordered = sorted(found, key=lambda e: e.run.started_at)
        gates = sorted({name for e in ordered for name in e.scores})
        series = [
            Series(gate, [(e.run.started_at, e.scores.get(gate)) for e in ordered])
            for gate in gates
        ]
        span = ordered[-1].run.started_at - ordered[0].run.started_at
        svg = line_chart(
            series,
            title=f"{capability} · {suite}",
            x_format=day_label if span > 2 * 86_400 else time_label,
            y_format=lambda v: f"{v:.0%}",
            y_min=0.0,
            y_max=1.0,
            empty="no completed runs yet",
        )
        last = ordered[-1]
        charts.append(
            {
                "project": project,
                "capability": capability,
                "suite": suite,
                "svg": svg,
                "runs": len(ordered),
                "last": last,
                "regressions": list(last.regressions),
            }
        )
    return charts


@router.get("")
def evals_page(
    request: Request,
    user: PageReader,
    context: Ctx,
    capability: NameQuery = None,
    suite: NameQuery = None,
) -> HTMLResponse:
    """Eval history charts and the latest runs (filter by capability and suite)."""
    from earned.evals import history

    entries = history(context.evals, capability=capability, suite=suite, limit=HISTORY_LIMIT)
    runs = context.evals.runs(capability=capability, suite=suite, limit=50)
    return render(
        request,
        user,
        "evals/list.html",
        area="evals",
        charts=history_charts(entries),
        runs=runs,
        regressed={e.run.eval_run_id: list(e.regressions) for e in entries if e.regressed},
        capability=capability or "",
        suite=suite or "",
    )


@router.get("/{eval_run_id}")
def report_page(
    request: Request, eval_run_id: IdPath, user: PageReader, context: Ctx
) -> HTMLResponse:
    """One eval report as judged: gates, scores against their minimums, failing cases."""
    from earned.evals import load_report

    if context.evals.get_run(eval_run_id) is None:
        raise NotFound(f"no eval run {eval_run_id!r}", fix="pick one from the Evals page")
    report = load_report(context.evals, eval_run_id).to_dict(cases=True)
    return render(request, user, "evals/report.html", area="evals", report=report)
