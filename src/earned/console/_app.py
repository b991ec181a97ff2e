"""Mount the console on an API app: its routers, its static files, and `/` leading to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from earned.console import (
    _pages_audit,
    _pages_auth,
    _pages_evals,
    _pages_metrics,
    _pages_review,
    _pages_rollout,
    _pages_traces,
)
from earned.console._web import (
    PREFIX,
    ConsoleRoute,
    ConsoleSettings,
    ConsoleState,
    ConsoleUser,
    make_templates,
    page_router,
    session_user,
)
from earned.server._errors import NotFound

__all__ = ["PAGE_ROUTERS", "install_console"]

#: The console's routers, one per area. A new area adds its router here (docs/console.md).
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    _pages_auth.router,
    _pages_review.router,
    _pages_traces.router,
    _pages_rollout.router,
    _pages_evals.router,
    _pages_metrics.router,
    _pages_audit.router,
)

_root = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@_root.get("/")
def _to_console() -> Response:
    """`/` leads to the console."""
    return RedirectResponse(f"{PREFIX}/", status_code=307)


@_root.get(PREFIX)
def _to_console_home() -> Response:
    """`/console` leads to `/console/`."""
    return RedirectResponse(f"{PREFIX}/", status_code=307)


def _fallback() -> APIRouter:
    """Any other `/console/...` path: the console's own 404 page, not the API's JSON."""
    router = page_router("")

    @router.api_route("/{path:path}", methods=["GET", "POST"])
    def not_found(path: str, user: Annotated[ConsoleUser, Depends(session_user)]) -> Response:
        raise NotFound(
            f"there is no console page /console/{path}",
            fix="use the navigation bar (this page may come with a later version)",
        )

    return router


def install_console(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    """Add the console to `app` (built by `create_app`, which calls this)."""
    app.state.console = ConsoleState(
        settings=settings or ConsoleSettings(), templates=make_templates()
    )
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(packages=[("earned.console", "static")]),
        name="console-static",
    )
    app.include_router(_root)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.include_router(_fallback())
