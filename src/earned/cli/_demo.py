"""`earned demo`: the refund agent's whole story, offline, then the console on 127.0.0.1.

Evals with their gates, shadow mode on historical tickets, live tickets at the current
stages (some waiting for a reviewer), the matrix with each capability's next promotion
judged, a summary in Rich tables (or `--json`), an admin token and the console's login link;
then the console serves until Ctrl-C (`--no-serve` stops after the summary).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.text import Text

from earned.cli._output import DatabaseOption, JsonOption, console, err_console, print_json
from earned.cli._render import status_text, table
from earned.errors import UserError

__all__ = ["demo_command"]

#: How long the demo's admin token lives (seconds).
TOKEN_LIFETIME = 7 * 86_400.0


def demo_command(
    database: DatabaseOption = None,
    json_: JsonOption = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the console after the summary.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address the console binds.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the console.")] = 8000,
    sample: Annotated[
        int, typer.Option(min=0, help="Cases per eval suite, spread evenly (0: every case).")
    ] = 50,
    shadow: Annotated[
        int, typer.Option(min=1, max=300, help="Historical tickets to run in shadow mode.")
    ] = 60,
    tickets: Annotated[
        int, typer.Option(min=1, max=253, help="Live tickets to run at the current stages.")
    ] = 24,
) -> None:
    """Run the refund agent's story offline, print it, and open the console.

    Creates the project database, sets up the refund example's capability matrix, runs its
    eval suites against their gates, runs submit_refund in shadow mode on historical
    tickets, runs live tickets at the current stages (injected tickets wait for a
    reviewer), judges every capability's next promotion, and prints a login link for the
    console, which it then serves on 127.0.0.1 until Ctrl-C.
    """
    from earned.demo import DemoOptions

    options = DemoOptions(
        database_url=database,
        sample=sample or None,
        shadow_cases=shadow,
        live_tickets=tickets,
    )
    if serve:
        _check_port(host, port)
    asyncio.run(_main(options, as_json=json_, serve=serve, host=host, port=port))


def _check_port(host: str, port: int) -> None:
    """UserError now, before minutes of work, when the console could not bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UserError(
                f"cannot serve the console on {host}:{port}: {exc.strerror}",
                fix="pass --port with a free port, or --no-serve",
            ) from None


async def _main(options: Any, *, as_json: bool, serve: bool, host: str, port: int) -> None:
    from earned.demo import tell_story

    story = await tell_story(options, None if as_json else _progress(), keep_engine=serve)
    try:
        secrets = await asyncio.to_thread(_tokens, story.database_url)
        base = f"http://{host}:{port}"
        links = {
            "console_url": f"{base}/console/",
            "login_url": f"{base}/console/login?token={secrets['admin']}",
            "token": secrets["admin"],
            "reviewer_login_url": f"{base}/console/login?token={secrets['reviewer']}",
            "reviewer_token": secrets["reviewer"],
            "serving": serve,
        }
        if as_json:
            print_json({**story.to_dict(), **links})
            sys.stdout.flush()
        else:
            _print_story(story, links)
        if serve:
            assert story.engine is not None
            await _serve(story, host, port)
    finally:
        if story.engine is not None:
            await story.engine.shutdown()


def _progress() -> Any:
    from earned.demo import StoryProgress
    from earned.evals._progress import RichProgress
    from earned.replay import ProgressBar

    err = err_console()
    return StoryProgress(
        evals=RichProgress(err),
        shadow=ProgressBar(err, what="disagreeing"),
        live=ProgressBar(err, what="waiting for a reviewer"),
    )


def _tokens(database_url: str) -> dict[str, str]:
    """An admin token (every tenant), and a reviewer of the live tickets' tenant.

    Policy names who may decide each approval (the refund agent's rules name `reviewer`), so
    the admin reads and manages everything but the waiting approvals are the reviewer's.
    """
    from earned.demo import DEMO_PRINCIPAL
    from earned.server import TokenStore
    from earned.store import Database

    db = Database(database_url)
    try:
        store = TokenStore(db)
        made = {
            "admin": store.create(
                name="earned-demo",
                role="admin",
                tenant=None,
                expires_in=TOKEN_LIFETIME,
                created_by="earned demo",
            ),
            "reviewer": store.create(
                name="demo-reviewer",
                role="reviewer",
                tenant=DEMO_PRINCIPAL.tenant,
                expires_in=TOKEN_LIFETIME,
                created_by="earned demo",
            ),
        }
    finally:
        db.close()
    return {role: issued.secret for role, issued in made.items()}


async def _serve(story: Any, host: str, port: int) -> None:
    """The API and console on the demo's engine, until Ctrl-C."""
    import uvicorn

    from earned.cli._serve import log_config
    from earned.evals import EvalProject
    from earned.server import create_app

    project = EvalProject.load(Path(story.example))
    app = create_app(engine=story.engine, eval_projects={project.name: project})
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=log_config("warning"),
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    err_console().print(f"console on http://{host}:{port}/console/ ; Ctrl-C to stop")
    await uvicorn.Server(config).serve()


# -- the summary ------------------------------------------------------------------------------


def _print_story(story: Any, links: dict[str, Any]) -> None:
    out = console()
    out.print(_matrix_table(story.capabilities, story.matrix))
    out.print(_evals_table(story.evals, story.sample))
    out.print(_shadow_panel(story.shadow))
    out.print(_runs_table(story.runs, story.runs_by_status))
    if story.approvals:
        out.print(_approvals_table(story.approvals))
    out.print(_next_panel(story, links))


def _verdict(passed: bool | None, words: str | None = None) -> Text:
    if passed is None:
        return Text(words or "-", style="dim")
    return Text(words or "pass", style="green") if passed else Text(words or "FAIL", style="red")


def _matrix_table(rows: list[dict[str, Any]], version: str) -> Any:
    cells = []
    for row in rows:
        unmet = [g for g in row["gates"] if not g["passed"]]
        if row["next"] is None:
            verdict = Text("top of the ladder", style="dim")
        elif unmet:
            verdict = Text("unmet: " + "; ".join(_unmet(g) for g in unmet), style="red")
        else:
            verdict = Text(f"every gate passes ({len(row['gates'])})", style="green")
        cells.append([row["capability"], row["owner"], row["stage"], row["next"] or "-", verdict])
    columns = ["capability", "owner", "stage", "next stage", "promotion gates"]
    return table(f"capability matrix {version}", columns, cells)


def _unmet(gate: dict[str, Any]) -> str:
    evidence = gate["evidence"]
    if gate["gate"] == "time_at_stage":
        return f"time_at_stage {evidence['days']:.1f} of {evidence['required']:g} days"
    if gate["gate"] == "eval":
        runs = evidence.get("runs") or {}
        failed = [s for s, r in runs.items() if r["verdict"] != "passed"]
        return f"eval ({', '.join(failed)} failed)" if failed else "eval (no passing run)"
    return gate["gate"]


def _evals_table(suites: list[dict[str, Any]], sample: int | None) -> Any:
    cells = []
    for suite in suites:
        gates = Text()
        for gate in suite["gates"]:
            if gate["status"] in ("passed", "failed"):
                score = f" {gate['score']:.1%}" if gate["score"] is not None else ""
                gates.append(f"{gate['eval']}{score}  ", style=_gate_style(gate["status"]))
        cells.append(
            [
                suite["capability"],
                suite["suite"],
                _verdict(suite["verdict"] == "passed", suite["verdict"]),
                f"{suite['cases'] - suite['failed_cases']}/{suite['cases']}",
                gates,
            ]
        )
    size = f"{sample} cases per suite" if sample else "every case"
    title = f"eval suites against their gates ({size})"
    return table(title, ["capability", "suite", "verdict", "cases passed", "gates"], cells)


def _gate_style(status: str) -> str:
    return "green" if status == "passed" else "bold red"


def _shadow_panel(shadow: dict[str, Any]) -> Panel:
    agreement = shadow["agreement"]
    share = "-" if agreement is None else f"{agreement:.1%}"
    lines = [
        f"{shadow['capability']} on {shadow['cases']} historical tickets: agreed with the "
        f"human decision on {shadow['agreed']} of {shadow['labelled']} ({share})",
        f"writes simulated: {shadow['simulated_writes']}, executed: "
        f"{shadow['executed_writes']}; runs: "
        + ", ".join(f"{n} {s}" for s, n in shadow["statuses"].items()),
    ]
    for case in shadow["disagreements"][:3]:
        lines.append(f"  disagreed: human {case['human']}, agent {case['agent']} ({case['key']})")
    return Panel("\n".join(lines), title="shadow mode", title_align="left")


def _runs_table(runs: list[dict[str, Any]], by_status: dict[str, int]) -> Any:
    cells = [
        [
            r["ticket_id"],
            status_text(r["status"]),
            r["class"] or "-",
            str(r["outcome"] or "-")[:70],
            r["rules"][-1] if r["rules"] else "-",
        ]
        for r in runs
    ]
    counts = ", ".join(f"{n} {s}" for s, n in by_status.items())
    title = f"live tickets at the current stages: {counts}"
    return table(title, ["ticket", "status", "class", "outcome", "deciding rule"], cells)


def _approvals_table(approvals: list[dict[str, Any]]) -> Any:
    cells = [
        [a["approval_id"], a["tool"], a["rule"], " or ".join(a["approvers"]), a["summary"][:60]]
        for a in approvals
    ]
    columns = ["approval", "tool", "rule", "who may decide", "what"]
    return table("waiting for a reviewer", columns, cells)


def _next_panel(story: Any, links: dict[str, Any]) -> Panel:
    seconds = story.seconds
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items() if k != "total")
    lines = [
        f"stored in {story.database_url} ({seconds['total']:.1f}s: {steps})",
        f"admin token (shown once): {links['token']}",
    ]
    if links["serving"]:
        lines.append(f"open the console: {links['login_url']}")
        if story.approvals:
            lines.append(
                f"decide the {len(story.approvals)} waiting approval(s) as a reviewer "
                f"(policy names the reviewer role): {links['reviewer_login_url']}"
            )
    else:
        if _from_root(story):
            lines.append(f"first: export EARNED_DATABASE_URL={_absolute(story)}")
        lines += [
            "serve the console later, then open the login link:",
            f"  {_from_root(story)}earned serve examples.refund_agent.agent:AGENT "
            "--matrix examples/refund_agent/capabilities.yaml --evals examples/refund_agent",
            f"  {links['login_url']}   (admin)",
            f"  {links['reviewer_login_url']}   (reviewer of tenant demo)",
        ]
    lines.append(
        f"explore: {_from_root(story)}earned matrix --matrix "
        "examples/refund_agent/capabilities.yaml | earned approvals list | earned eval history"
    )
    return Panel("\n".join(lines), title="earned demo", title_align="left")


def _root(story: Any) -> Path:
    """The checkout holding the example (its parent of `examples/refund_agent`)."""
    return Path(story.example).resolve().parents[1]


def _from_root(story: Any) -> str:
    """`cd ROOT && ` when the demo ran outside the checkout (the hints use its paths)."""
    root = _root(story)
    return "" if Path.cwd().resolve() == root else f"cd {root} && "


def _absolute(story: Any) -> str:
    """The demo's database URL, a relative SQLite path made absolute."""
    url = str(story.database_url)
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        url = prefix + str((Path.cwd() / url[len(prefix) :]).resolve())
    return url
