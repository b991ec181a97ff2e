"""The capabilities pages: the matrix, one capability's ladder and gates, flags, kill switches.

Everything goes through the rollout API's own functions (`matrix_view`, `capability_view`,
`flip`, `promote_capability`, `rollback_capability` in `earned.server._rollout`), so a kill
switch pulled here is the same audited `RolloutStore.set_flag` as `earned flags kill` and
`POST /v1/rollout/kill`, judged by the same ownership rule, and a promotion is judged by the
same `Promotion` gates. Buttons are shown only to users who may use them; the server checks
again on every post.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from earned.console._charts import stage_ladder
from earned.console._web import (
    ConsoleUser,
    PageManager,
    PageReader,
    PostedForm,
    page_router,
    redirect,
    render,
)
from earned.errors import EarnedError
from earned.rollout import AGENT_SCOPE, Stage
from earned.server._context import ApiContext
from earned.server._deps import Ctx
from earned.server._errors import _status_of
from earned.server._rollout import (
    _flag_dict,
    capability_view,
    flip,
    matrix_view,
    open_rollout,
    promote_capability,
    rollback_capability,
)
from earned.server._schemas import IdPath

__all__ = ["router"]

router = page_router("/capabilities", area="capabilities")

STAGES = tuple(s.value for s in Stage)


def _ladder(
    row: dict[str, Any],
    *,
    width: int,
    step: int,
    next_stage: str | None = None,
    labels: bool = True,
) -> Any:
    return stage_ladder(
        STAGES,
        row["stage"],
        fallback=row["fallback"],
        target=next_stage,
        killed=not row["enabled"],
        width=width,
        step_height=step,
        labels=labels,
    )


@router.get("")
def matrix_page(request: Request, user: PageReader, context: Ctx) -> HTMLResponse:
    """The capability matrix: one row per capability with its ladder, and the agent flags."""
    if context.matrix is None:
        return _no_matrix(request, user)
    view = matrix_view(context)
    rows = [
        {**row, "ladder": _ladder(row, width=260, step=5, labels=False)}
        for row in view["capabilities"]
    ]
    flags = [_flag_dict(f) for f in open_rollout(context)[1].flags(AGENT_SCOPE)]
    return render(
        request,
        user,
        "capabilities/matrix.html",
        area="capabilities",
        view=view,
        rows=rows,
        flags=flags,
        may_manage=user.identity.can("manage"),
        may_agent=user.identity.can("manage") and user.identity.owns(None),
        owned={r["name"] for r in rows if user.identity.owns(r["name"])},
    )


@router.get("/{capability}")
def capability_page(
    request: Request, capability: IdPath, user: PageReader, context: Ctx
) -> HTMLResponse:
    """One capability: its ladder, the gates of its next move with evidence, flags, history."""
    if context.matrix is None:
        return _no_matrix(request, user)
    return _capability_page(request, user, context, capability)


def _no_matrix(request: Request, user: ConsoleUser) -> HTMLResponse:
    """503: the server runs without a capability matrix, and how to give it one."""
    return render(
        request,
        user,
        "error.html",
        status=503,
        area="capabilities",
        status_code=503,
        message="this server has no capability matrix",
        fix="start it with `earned serve --matrix capabilities.yaml` (or an engine with a "
        "matrix); `earned demo` starts one with the refund agent's matrix",
    )


def _capability_page(
    request: Request,
    user: ConsoleUser,
    context: ApiContext,
    capability: str,
    *,
    error: str | None = None,
    fix: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    row = capability_view(context, capability)
    following = row["next"]["to"] if row["next"] else None
    stops = []
    if row["next"]:
        gate = next((g for g in row["next"]["gates"] if g["gate"] == "stop_conditions"), None)
        stops = (gate or {}).get("evidence", {}).get("results", [])
    below = [s for s in STAGES if STAGES.index(s) < STAGES.index(row["stage"])]
    return render(
        request,
        user,
        "capabilities/capability.html",
        status=status,
        area="capabilities",
        row=row,
        ladder=_ladder(row, width=760, step=12, next_stage=following),
        stops=stops,
        below=below,
        error=error,
        fix=fix,
        may_manage=user.identity.can("manage") and user.identity.owns(capability),
    )


@router.post("/flags")
def set_flag_page(request: Request, user: PageManager, form: PostedForm, context: Ctx) -> Response:
    """Turn a flag on or off (the kill switch buttons post here); back to where it came from."""
    target = form.text("flag", label="the flag", max_length=200)
    value = form.choice("value", ("on", "off"), label="on or off")
    reason = form.text("reason", label="a reason (for the audit log)")
    back = form.get("back") or ""
    flag = flip(context, user.identity, target, value == "on", reason)
    word = "on" if flag["enabled"] else "OFF"
    path = _back(back, flag)
    return redirect(request, path, user=user, flash=f"{flag['flag']} is now {word} ({reason})")


def _back(back: str, flag: dict[str, Any]) -> str:
    if back == "capability" and flag["scope"] != AGENT_SCOPE:
        return f"/console/capabilities/{flag['scope']}"
    return "/console/capabilities"


@router.post("/{capability}/promote")
def promote_page(
    request: Request, capability: IdPath, user: PageManager, form: PostedForm, context: Ctx
) -> Response:
    """Promote one stage up when every gate passes; otherwise the page shows why not."""
    reason = form.text("reason", label="a reason (for the audit log)")
    try:
        moved = promote_capability(context, user.identity, capability, reason=reason)
    except EarnedError as exc:
        return _refusal(request, user, context, capability, exc)
    flash = f"promoted {capability}: {moved['from']} -> {moved['to']} (every gate passed)"
    return redirect(request, f"/console/capabilities/{capability}", user=user, flash=flash)


@router.post("/{capability}/rollback")
def rollback_page(
    request: Request, capability: IdPath, user: PageManager, form: PostedForm, context: Ctx
) -> Response:
    """Roll back now, to the fallback stage or a chosen stage below (no gates)."""
    reason = form.text("reason", label="a reason (for the audit log)")
    to = form.get("to")
    target = Stage(form.choice("to", STAGES, label="the stage")) if to else None
    try:
        moved = rollback_capability(context, user.identity, capability, to=target, reason=reason)
    except EarnedError as exc:
        return _refusal(request, user, context, capability, exc)
    flash = f"rolled back {capability}: {moved['from']} -> {moved['state']['stage']}"
    return redirect(request, f"/console/capabilities/{capability}", user=user, flash=flash)


def _refusal(
    request: Request, user: ConsoleUser, context: ApiContext, capability: str, exc: EarnedError
) -> HTMLResponse:
    """The capability page again, saying why the move was refused (a 403 stays an error)."""
    status = _status_of(exc)
    if status in (403, 404) or status >= 500:
        raise exc
    return _capability_page(
        request,
        user,
        context,
        capability,
        error=exc.message,
        fix=exc.details.get("fix"),
        status=status,
    )
