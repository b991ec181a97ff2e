"""`earned eval run|history|show|manifest`: evals judged against gates declared before the run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from earned.cli._output import (
    DatabaseOption,
    JsonOption,
    console,
    err_console,
    local_time,
    print_json,
)
from earned.cli._render import table
from earned.config import Settings
from earned.errors import UserError
from earned.store import Database

__all__ = ["EXIT_GATE_FAILED", "evals_app"]

#: `earned eval run` exit code when any gate fails (0 when all pass, 2 on bad input).
EXIT_GATE_FAILED = 1

evals_app = typer.Typer(
    help="Run eval suites and judge them against release gates declared before the run.",
    no_args_is_help=True,
)


def _store(database: str | None) -> Any:
    from earned.evals import EvalStore

    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return EvalStore(db)


def _short(value: str | None) -> str:
    return "-" if value is None else value.removeprefix("sha256:")[:12]


@evals_app.command("run")
def run_command(
    project: Annotated[
        Path, typer.Argument(help="The agent's directory (with evals.yaml), or the evals.yaml.")
    ],
    suite: Annotated[
        str, typer.Option(help="Suite to run, e.g. golden, regression, adversarial, or all.")
    ] = "all",
    capability: Annotated[
        str | None, typer.Option(help="Only this capability (default: all of them).")
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Run the agent on this model, e.g. openai:gpt-4.1-mini.")
    ] = None,
    judge_model: Annotated[
        str | None, typer.Option(help="Model for LLM-judge gates (skipped without one).")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases run at once.")] = 8,
    durable: Annotated[
        bool, typer.Option(help="Run every case as a durable run on the engine (slower).")
    ] = False,
    resume: Annotated[
        bool, typer.Option(help="Resume an interrupted run of the same inputs.")
    ] = True,
    html: Annotated[
        Path | None, typer.Option(help="Also write an HTML report (failing cases, traces).")
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Run eval suites; exit 1 when any release gate fails (for CI), 0 when all pass.

    The gate manifests are hashed and stored before the first case runs, and every report
    says which manifest hash it was judged against.
    """
    from earned.evals import EvalProject, EvalRunner, RichProgress, run_project, write_html
    from earned.evals._history import load_report
    from earned.models import default_registry

    loaded = EvalProject.load(project)
    for name in (model, judge_model):
        if name is not None:
            default_registry().resolve(name)  # a bad model string fails before anything runs
    store = _store(database)
    show_progress = not json_ and err_console().is_terminal
    runner = EvalRunner(
        store,
        concurrency=concurrency,
        executor="durable" if durable else "inline",
        judge_model=judge_model,
        resume=resume,
        progress=RichProgress(err_console()) if show_progress else None,
    )
    reports = asyncio.run(
        run_project(loaded, runner, suite=suite, capability=capability, model=model)
    )
    if not reports:
        raise UserError(
            f"nothing to run: no capability of {loaded.name!r} is judged on suite {suite!r}",
            suite=suite,
        )
    if html is not None:
        write_html([load_report(store, r.run.eval_run_id, traces=True) for r in reports], html)
    passed = all(r.passed for r in reports)
    if json_:
        print_json({"passed": passed, "reports": [r.to_dict() for r in reports]})
    else:
        _print_reports(reports, html)
    raise typer.Exit(0 if passed else EXIT_GATE_FAILED)


def _print_reports(reports: list[Any], html: Path | None) -> None:
    from earned.evals import render_report

    out = console()
    for report in reports:
        render_report(report, out)
        out.print()
    failed = [f"{r.run.capability}/{r.run.suite}" for r in reports if not r.passed]
    if html is not None:
        out.print(f"HTML report: {html}")
    if failed:
        out.print(f"[bold red]release gates failed:[/] {', '.join(failed)}", markup=True)
    else:
        out.print("[bold green]all release gates passed[/]", markup=True)


@evals_app.command("history")
def history_command(
    project: Annotated[
        Path | None, typer.Argument(help="Only this project's runs (its directory).")
    ] = None,
    suite: Annotated[str | None, typer.Option(help="Only this suite.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only this capability.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many runs.")] = 20,
    tolerance: Annotated[
        float, typer.Option(min=0, help="Score drop (0-1) tolerated before flagging.")
    ] = 0.0,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show eval scores over time; flag regressions against the previous run and gate edits."""
    from earned.evals import EvalProject, history

    name = EvalProject.load(project).name if project is not None else None
    entries = history(
        _store(database),
        suite=suite,
        capability=capability,
        project=name,
        limit=limit,
        tolerance=tolerance,
    )
    if json_:
        print_json([e.to_dict() for e in entries])
        return
    rows = [
        [
            e.run.eval_run_id,
            local_time(e.run.started_at),
            f"{e.run.capability}/{e.run.suite}",
            e.run.verdict,
            ", ".join(
                f"{k} {'-' if v is None else f'{v * 100:.1f}%'}" for k, v in e.scores.items()
            ),
            _short(e.run.manifest_hash),
            "; ".join(e.regressions) or "-",
            "; ".join(e.notes) or "-",
        ]
        for e in entries
    ]
    console().print(
        table(
            None,
            [
                "eval run",
                "started",
                "suite",
                "verdict",
                "scores",
                "manifest",
                "regression",
                "notes",
            ],
            rows,
        )
    )


@evals_app.command("show")
def show_command(
    eval_run_id: Annotated[
        str, typer.Argument(help="The eval run id (see `earned eval history`).")
    ],
    html: Annotated[Path | None, typer.Option(help="Write the HTML report to this file.")] = None,
    cases: Annotated[int, typer.Option(min=0, help="Failing cases to list.")] = 10,
    traces: Annotated[
        bool, typer.Option(help="With --json: include the failing cases' traces.")
    ] = False,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Show a stored eval run's report, as it was judged when it ran."""
    from earned.evals import load_report, render_report, write_html

    store = _store(database)
    report = load_report(store, eval_run_id, traces=traces or html is not None)
    if html is not None:
        write_html([report], html)
    if json_:
        print_json(report.to_dict(traces=traces))
        return
    render_report(report, console(), show_cases=cases)
    if html is not None:
        console().print(f"HTML report: {html}")


@evals_app.command("manifest")
def manifest_command(
    path: Annotated[
        Path, typer.Argument(help="A gate manifest (YAML), or an agent directory with evals.yaml.")
    ],
    capability: Annotated[str | None, typer.Option(help="Only this capability.")] = None,
    freeze: Annotated[
        bool, typer.Option(help="Store this version now, so it is on record before any run.")
    ] = False,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Validate gate manifests; show their gates, hash and every stored version."""
    from earned.evals import manifest_history

    manifests = _manifests(path, capability)
    store = _store(database)
    out: list[dict[str, Any]] = []
    for manifest in manifests:
        if freeze:
            store.save_manifest(manifest)
        versions = manifest_history(store, manifest.capability)
        out.append(_manifest_dict(manifest, versions))
    if json_:
        print_json(out)
        return
    for manifest, data in zip(manifests, out, strict=True):
        _print_manifest(manifest, data)


def _manifests(path: Path, capability: str | None) -> list[Any]:
    from earned.evals import EvalProject, load_manifest

    if path.is_file() and path.name != "evals.yaml":
        manifest = load_manifest(path)
        if capability is not None and manifest.capability != capability:
            raise UserError(
                f"{path} gates {manifest.capability!r}, not {capability!r}", path=str(path)
            )
        return [manifest]
    project = EvalProject.load(path)
    return [
        project.capabilities[name].load_manifest() for name in project.capability_names(capability)
    ]


def _manifest_dict(manifest: Any, versions: list[Any]) -> dict[str, Any]:
    stored = next((v for v in versions if v.version.manifest_hash == manifest.hash), None)
    return {
        "capability": manifest.capability,
        "source": manifest.source,
        "hash": manifest.hash,
        "stored": stored is not None,
        "first_seen_at": None if stored is None else stored.version.first_seen_at,
        "gates": [
            {
                "eval": g.eval,
                "title": g.title,
                "evaluator": g.evaluator_ref,
                "options": g.options,
                "minimum": g.minimum,
                "per_class": g.per_class,
                "blockers": [b.to_dict() for b in g.blockers],
                "owner": g.owner,
                "suites": None if g.suites is None else list(g.suites),
                "required": g.required,
            }
            for g in manifest.gates
        ],
        "versions": [v.to_dict() for v in versions],
    }


def _print_manifest(manifest: Any, data: dict[str, Any]) -> None:
    out = console()
    seen = (
        f"stored, first seen {local_time(data['first_seen_at'])}"
        if data["stored"]
        else "not stored yet (stored by `earned eval run`, or now with --freeze)"
    )
    out.print(f"[bold]{manifest.capability}[/]  {manifest.source}", markup=True)
    out.print(f"hash {manifest.hash} ({seen})")
    rows = [
        [
            g["eval"],
            g["evaluator"],
            "-" if g["minimum"] is None else f"{g['minimum'] * 100:g}%",
            ", ".join(f"{k} {v * 100:g}%" for k, v in g["per_class"].items()) or "-",
            "; ".join(b["describe"] for b in g["blockers"]) or "-",
            g["owner"],
            ", ".join(g["suites"] or ["all"]),
        ]
        for g in data["gates"]
    ]
    out.print(
        table(
            None, ["eval", "evaluator", "minimum", "per class", "blockers", "owner", "suites"], rows
        )
    )
    if data["versions"]:
        version_rows = [
            [
                _short(v["manifest_hash"]),
                local_time(v["first_seen_at"]),
                v["runs_judged"],
                _edit_words(v),
            ]
            for v in data["versions"]
        ]
        out.print(
            table("stored versions", ["hash", "first seen", "runs judged", "edited"], version_rows)
        )


def _edit_words(version: dict[str, Any]) -> str:
    before = version["results_before"]
    if not before:
        return "-"
    last = before[-1]
    return (
        f"after {len(before)} result(s) under earlier versions "
        f"(last: {last['eval_run_id']} {last['suite']}, {last['verdict']})"
    )
