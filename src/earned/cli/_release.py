"""`earned release check|attest`: the release review, on evidence or attested."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from earned.cli._output import DatabaseOption, JsonOption, console, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.errors import UserError
from earned.rollout import (
    CapabilityMatrix,
    ReleaseReport,
    attest,
    checklist_for,
    load_matrix,
    release_check,
)
from earned.rollout._release import DEFAULT_MAX_AGE_DAYS
from earned.rollout._release_ctx import when
from earned.store import Database

__all__ = ["load_agents", "release_app"]

release_app = typer.Typer(
    help="The release review of a capability: seed 000's release checklist and seed 004's "
    "production readiness checklist, checked on evidence where it can be, attested by a "
    "person where it cannot.",
    no_args_is_help=True,
)

MatrixOption = Annotated[
    Path,
    typer.Option(
        "--matrix",
        envvar="EARNED_MATRIX",
        help="The capability matrix file (default: ./capabilities.yaml).",
    ),
]
ChecklistOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--checklist",
        help="A team's checklist file: adds items, or replaces items of the same id "
        "(repeatable; a release.yaml next to the matrix is read first).",
    ),
]
_DEFAULT_MATRIX = Path("capabilities.yaml")
_STYLES = {"pass": "green", "fail": "bold red", "missing_attestation": "yellow", "stale": "yellow"}


def _open(matrix_path: Path, database: str | None) -> tuple[CapabilityMatrix, Database]:
    if not matrix_path.is_file():
        raise UserError(
            f"no capability matrix at {matrix_path}",
            fix="pass --matrix PATH (or set EARNED_MATRIX) to your capabilities.yaml",
            path=str(matrix_path),
        )
    matrix = load_matrix(matrix_path)
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return matrix, db


def load_agents(refs: list[str], matrix: CapabilityMatrix) -> list[Any]:
    """The agents `refs` name; without refs, those of the evals.yaml next to the matrix."""
    from earned.cli._loading import load_agent

    if refs:
        return [load_agent(ref) for ref in refs]
    if matrix.base is None or not (matrix.base / "evals.yaml").is_file():
        return []
    from earned.evals import EvalProject

    project = EvalProject.load(matrix.base)
    agents: dict[str, Any] = {}
    for spec in project.capabilities.values():
        if spec.agent not in agents:
            agents[spec.agent] = spec.load_agent()
    return list(agents.values())


@release_app.command("check")
def check_command(
    capability: Annotated[str, typer.Argument(help="The capability (a row of the matrix).")],
    matrix: MatrixOption = _DEFAULT_MATRIX,
    agent: Annotated[
        list[str] | None,
        typer.Option(
            "--agent",
            help="The agent whose tools and policy are checked, MODULE:ATTR or file.py:ATTR "
            "(repeatable; default: the agents of the evals.yaml next to the matrix).",
        ),
    ] = None,
    checklist: ChecklistOption = None,
    max_age_days: Annotated[
        float,
        typer.Option(help="Days an attestation counts (an item's own max_age_days wins)."),
    ] = DEFAULT_MAX_AGE_DAYS,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Run the release checklist for CAPABILITY: exit 0 when every item passes, 1 otherwise.

    Automated items look at the evidence (matrix, audit log, pins, eval runs, traces,
    reviewer decisions, metrics endpoint, the agent's tools and policy); attestation items
    need a recent `earned release attest`. Nothing is written.
    """
    if max_age_days <= 0:
        raise UserError(f"--max-age-days must be above 0, got {max_age_days:g}")
    spec_matrix, db = _open(matrix, database)
    try:
        spec_matrix.get(capability)
        items = checklist_for(spec_matrix, checklist or [])
        agents = load_agents(agent or [], spec_matrix)
        report = release_check(
            db, spec_matrix, capability, agents=agents, checklist=items, max_age_days=max_age_days
        )
    finally:
        db.close()
    if json_:
        print_json(report.to_dict())
    else:
        _print(report)
    if not report.passed:
        raise typer.Exit(1)


def _print(report: ReleaseReport) -> None:
    rows = [
        [
            item.id,
            item.source,
            item.kind,
            Text(item.status.replace("_", " "), style=_STYLES.get(item.status, "")),
            item.evidence,
            item.fix,
        ]
        for item in report.items
    ]
    out = console()
    counts = report.to_dict()["counts"]
    title = (
        f"release check: {report.capability} (stage {report.stage or 'not live'}) "
        f"against {report.matrix}, {when(report.checked_at)}"
    )
    out.print(table(title, ["item", "source", "kind", "status", "evidence", "fix"], rows))
    verdict = (
        Text("every item passes", style="bold green")
        if report.passed
        else Text(f"{counts['failing']} of {counts['items']} items do not pass", style="bold red")
    )
    out.print(verdict)


def _actor(actor: str | None) -> str:
    return actor or os.environ.get("USER") or getpass.getuser()


@release_app.command("attest")
def attest_command(
    capability: Annotated[str, typer.Argument(help="The capability (a row of the matrix).")],
    item: Annotated[str, typer.Argument(help="The attestation item's id, e.g. teams_informed.")],
    note: Annotated[str, typer.Option("--note", help="What you checked, and how.")],
    as_: Annotated[
        str | None,
        typer.Option("--as", envvar="EARNED_USER", help="Who attests (default: $USER)."),
    ] = None,
    matrix: MatrixOption = _DEFAULT_MATRIX,
    checklist: ChecklistOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Record that you checked ITEM for CAPABILITY (who, when, note); audited.

    It counts in `earned release check` until the capability changes stage or it grows
    older than its maximum age (--max-age-days there, or the item's own).
    """
    spec_matrix, db = _open(matrix, database)
    try:
        items = checklist_for(spec_matrix, checklist or [])
        found = attest(
            db, spec_matrix, capability, item, note=note, actor=_actor(as_), checklist=items
        )
    finally:
        db.close()
    if json_:
        print_json(found.to_dict())
        return
    console().print(
        f"attested {found.item} for {found.capability}: {found.attested_by}, "
        f"{when(found.attested_at)} ({found.note})"
    )
