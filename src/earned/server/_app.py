"""The app factory: `create_app(...)` takes its dependencies and returns a FastAPI app.

```python
from earned.server import create_app
from earned.store import Database

app = create_app(database=Database("sqlite:///./.earned/earned.db"), engine=engine)
# uvicorn.run(app, host="127.0.0.1", port=8000)   or `earned serve MODULE:ATTR`
```

Nothing happens at import or in `create_app`: the lifespan launches the engine (when one
is given and not launched yet), builds the stores, and shuts the engine down at the end if
it launched it. Tests drive the app in-process over httpx's ASGI transport.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from earned._version import __version__
from earned.approvals import Approvals, DecisionNotifier
from earned.console import ConsoleSettings, install_console
from earned.errors import UserError
from earned.review import ReviewQueue
from earned.server import (
    _approvals,
    _evals,
    _events,
    _health,
    _metrics,
    _review,
    _rollout,
    _runs,
    _tokens,
    _traces,
)
from earned.server._auth import TokenStore
from earned.server._context import ApiContext, SafeNotifier, ServerSettings
from earned.server._deps import reject_unknown_query
from earned.server._errors import ERROR_RESPONSES, install_error_handlers
from earned.server._middleware import BodyLimit, SecureHeaders
from earned.store import Database, RunStore, SpanStore
from earned.tracing import TraceStore

if TYPE_CHECKING:
    from earned.evals import EvalProject
    from earned.metrics import RuleSet
    from earned.rollout import CapabilityMatrix
    from earned.runtime import Engine

__all__ = ["API_DESCRIPTION", "create_app"]

API_DESCRIPTION = """\
The earned control plane: submit runs and follow them, decide approvals and review
drafts, search traces, read evals, metrics and alerts.

Every endpoint but `/healthz` and `/readyz` needs `Authorization: Bearer ern_...` (a token
from `earned tokens create --role R --tenant T`). A token sees only its tenant's runs,
traces, approvals and review items; another tenant's are a 404. Every error is
`{"error": {"type", "message", "fix"}}` with a 4xx status.
"""

#: The routers, one per area.
ROUTERS = (
    _health.router,
    _runs.router,
    _events.router,
    _approvals.router,
    _review.router,
    _traces.router,
    _evals.router,
    _metrics.router,
    _rollout.router,
    _tokens.router,
)


def create_app(
    *,
    database: Database | None = None,
    engine: Engine | None = None,
    tokens: TokenStore | None = None,
    notifier: DecisionNotifier | None = None,
    clock: Callable[[], float] = time.time,
    settings: ServerSettings | None = None,
    eval_projects: Mapping[str, EvalProject] | None = None,
    alert_rules: RuleSet | None = None,
    matrix: CapabilityMatrix | str | Path | None = None,
    console: ConsoleSettings | bool = True,
) -> FastAPI:
    """The API app, built on the dependencies given (nothing is read from globals).

    `database`: the project database (default: the engine's, once launched). `engine`: runs
    the served agents; without one, run submission answers 503. `notifier` wakes runs when
    an approval is decided (default: a DBOS message on the database). `clock` is used for
    token expiry, ages and windows. `console`: mount the web console under `/console`
    (settings, or False for an API without pages). `matrix` (a `CapabilityMatrix`, or the
    path of a `capabilities.yaml`, loaded in the lifespan) is what the rollout routes read
    and change (default: the engine's matrix, if it has one).
    """
    if database is None and engine is None:
        raise UserError(
            "create_app needs a database or an engine",
            fix="pass database=Database(url), engine=Engine([...]), or both",
        )
    config = settings or ServerSettings()
    lifespan = _lifespan(
        database, engine, tokens, notifier, clock, config, eval_projects, alert_rules, matrix
    )
    app = FastAPI(
        title="earned",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(reject_unknown_query)],
    )
    for router in ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)
    install_error_handlers(app)
    if console is not False:
        install_console(app, console if isinstance(console, ConsoleSettings) else None)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.openapi = _schema(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(SecureHeaders, content_security_policy=config.content_security_policy)
    return app


def _lifespan(
    database: Database | None,
    engine: Engine | None,
    tokens: TokenStore | None,
    notifier: DecisionNotifier | None,
    clock: Callable[[], float],
    config: ServerSettings,
    eval_projects: Mapping[str, EvalProject] | None,
    alert_rules: RuleSet | None,
    matrix: CapabilityMatrix | str | Path | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: launch the engine if needed, build the context, undo both."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
        launched = engine is not None and engine.db is None
        if engine is not None and launched:
            await engine.launch()
        db = database or (engine.db if engine is not None else None)
        assert db is not None
        from earned.runtime._durable import DBOSNotifier

        wake = notifier or DBOSNotifier(db.url)
        app.state.earned = _context(
            db, engine, tokens, SafeNotifier(wake), clock, config, eval_projects, alert_rules
        )
        app.state.earned.matrix = _load_matrix(matrix, engine)
        try:
            yield
        finally:
            await _stop_jobs(app.state.earned)
            del app.state.earned
            if notifier is None and isinstance(wake, DBOSNotifier):
                wake.close()
            if engine is not None and launched:
                await engine.shutdown()

    return lifespan


def _context(
    db: Database,
    engine: Engine | None,
    tokens: TokenStore | None,
    notifier: DecisionNotifier,
    clock: Callable[[], float],
    settings: ServerSettings,
    eval_projects: Mapping[str, EvalProject] | None,
    alert_rules: RuleSet | None,
) -> ApiContext:
    approvals = Approvals(db, notifier=notifier, clock=clock)
    redactor = engine.redactor if engine is not None else None
    return ApiContext(
        db=db,
        engine=engine,
        tokens=tokens or TokenStore(db, clock=clock),
        runs=RunStore(db, clock=clock),
        spans=SpanStore(db),
        traces=TraceStore(db, clock=clock),
        approvals=approvals,
        review=ReviewQueue(db, approvals=approvals, clock=clock, redactor=redactor),
        settings=settings,
        clock=clock,
        eval_projects=dict(eval_projects or {}),
        alert_rules=alert_rules,
    )


def _load_matrix(
    matrix: CapabilityMatrix | str | Path | None, engine: Engine | None
) -> CapabilityMatrix | None:
    """The matrix the rollout routes use: the one given, or the engine's."""
    if isinstance(matrix, str | Path):
        from earned.rollout import load_matrix

        return load_matrix(matrix)
    if matrix is None and engine is not None and engine.rollout is not None:
        return engine.rollout.matrix
    return matrix


def _schema(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi`, with optional query parameters typed as what a query can carry.

    A query parameter is present (a string) or absent; it cannot be JSON null. FastAPI writes
    `Optional[str]` as `anyOf: [string, null]`; the schema says `string` instead, so clients
    and fuzzers see the parameter as it really is.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operation in (op for ops in schema["paths"].values() for op in ops.values()):
                for param in operation.get("parameters", []):
                    if param.get("in") == "query":
                        param["schema"] = _without_null(param["schema"])
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) != 1 or len(options) == len(schema.get("anyOf", [])):
        return schema
    extra = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if schema.get("default") is not None:
        extra["default"] = schema["default"]
    return {**options[0], **extra}


async def _stop_jobs(context: Any) -> None:
    import asyncio

    tasks = [job.task for job in context.jobs.values() if job.task and not job.task.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
