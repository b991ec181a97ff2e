"""`earned serve`: the HTTP API (and the agents it runs) on 127.0.0.1 by default."""

from __future__ import annotations

import copy
import ipaddress
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from earned.cli._loading import load_agent
from earned.cli._output import err_console
from earned.config import Settings
from earned.errors import UserError

__all__ = ["log_config", "redacting_filter", "serve_command"]


def redacting_filter() -> logging.Filter:
    """The filter every server log handler has: PII and secrets (tokens) are redacted."""
    from earned.redaction import Redactor, redacting_log_filter

    return redacting_log_filter(Redactor(), scope="server")


def log_config(level: str = "info") -> dict[str, Any]:
    """Uvicorn's logging config with the redacting filter on every handler, earned included."""
    import uvicorn.config

    config: dict[str, Any] = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": "earned.cli._serve.redacting_filter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["loggers"]["earned"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _app(
    agents: list[str],
    database: str | None,
    evals: list[Path],
    public_metrics: bool,
    cors_origins: list[str],
    executor_id: str,
    matrix: Path | None = None,
) -> tuple[Any, str]:
    """The app to serve, and the names of the agents it runs."""
    from earned.evals import EvalProject
    from earned.runtime import Engine
    from earned.server import ServerSettings, create_app
    from earned.store import Database

    loaded = [load_agent(ref) for ref in agents]
    url = Settings.load(database_url=database).database_url
    projects = {p.name: p for p in (EvalProject.load(path) for path in evals)}
    engine = (
        Engine(loaded, database_url=url, executor_id=executor_id, matrix=matrix) if loaded else None
    )
    db = None
    if engine is None:
        db = Database(url)
        db.upgrade()
    settings = ServerSettings(public_metrics=public_metrics, cors_origins=tuple(cors_origins))
    app = create_app(
        database=db,
        engine=engine,
        settings=settings,
        eval_projects=projects,
        matrix=matrix if engine is None else None,
    )
    return app, ", ".join(a.name for a in loaded) or "no agents"


def serve_command(
    agents: Annotated[
        list[str] | None,
        typer.Argument(help="Agents to run: MODULE:ATTR (none: the API serves stored data)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    database: Annotated[
        str | None,
        typer.Option(envvar="EARNED_DATABASE_URL", help="Database URL (default: ./.earned)."),
    ] = None,
    evals: Annotated[
        list[Path] | None,
        typer.Option("--evals", help="An eval project (directory with evals.yaml) to run."),
    ] = None,
    public_metrics: Annotated[
        bool, typer.Option(help="Serve /metrics without a token (behind a firewall only).")
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="Allow browser calls from this origin (repeat)."),
    ] = None,
    executor_id: Annotated[
        str,
        typer.Option(envvar="EARNED_EXECUTOR_ID", help="Stable id to resume this server's runs."),
    ] = "local",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
    matrix: Annotated[
        Path | None,
        typer.Option(
            envvar="EARNED_MATRIX",
            help="The capability matrix (capabilities.yaml): the served agents run under it, "
            "and the rollout routes read and change it.",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API: runs, approvals, review queue, traces, evals, metrics.

    Every endpoint but /healthz and /readyz needs a token (`earned tokens create`). The
    OpenAPI schema is at /openapi.json. Stop it with Ctrl-C; runs in flight resume at the
    next start.
    """
    import uvicorn

    if log_level.lower() not in {"debug", "info", "warning", "error"}:
        raise UserError(
            f"unknown --log-level {log_level!r}", fix="use debug, info, warning or error"
        )
    app, names = _app(
        agents or [], database, evals or [], public_metrics, cors_origin or [], executor_id, matrix
    )
    if not _loopback(host):
        err_console().print(
            f"warning: binding {host}: the API is reachable from other machines; put TLS in "
            "front of it (a reverse proxy) and keep tokens secret",
            style="yellow",
        )
    err_console().print(
        f"earned API on http://{host}:{port} ({names}), console at "
        f"http://{host}:{port}/console; Ctrl-C to stop"
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=log_config(log_level),
        log_level=log_level.lower(),
        server_header=False,
        proxy_headers=False,
    )
