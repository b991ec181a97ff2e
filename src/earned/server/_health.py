"""`/healthz` (the process answers) and `/readyz` (the database and the engine are usable)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earned.server._deps import Ctx
from earned.server._errors import error_body

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Always 200 while the process serves requests; needs no token."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database is migrated and the engine is launched",
    responses={503: {"description": "Not ready; the body says which check failed."}},
)
def readyz(context: Ctx) -> Any:
    """200 when the database answers at this earned's migration and the engine (if any) runs."""
    checks: dict[str, str] = {}
    try:
        current, head = context.db.current_revision(), context.db.head_revision()
        checks["database"] = "ok" if current == head else f"at migration {current}, needs {head}"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    engine = context.engine
    if engine is not None:
        checks["engine"] = "ok" if engine.db is not None else "not launched"
    failing = {k: v for k, v in checks.items() if v != "ok"}
    if failing:
        body = error_body(
            "NotReady",
            "not ready: " + "; ".join(f"{k} {v}" for k, v in failing.items()),
            "wait for startup to finish; if it persists, check the database URL and restart "
            "the server (it migrates the database at startup)",
            checks=checks,
        )
        return JSONResponse(body, status_code=503)
    return {"status": "ready", "checks": checks}
