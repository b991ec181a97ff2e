"""The report of one eval run: per gate, per class, blockers hit, the verdict and why.

It always states the manifest hash it was judged against. `to_dict()` is the `--json`
form; `render_report` prints it to a terminal; `earned.evals.render_html` writes the HTML
report with the failing cases and their traces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from earned.evals._gates import GateResult, minimum_words, percent
from earned.evals._records import CaseResult, EvalRunRecord, ManifestVersion

__all__ = ["REPORT_SCHEMA_VERSION", "EvalReport", "render_report"]

#: The JSON report format. Changelog: version 1, the first format.
REPORT_SCHEMA_VERSION = 1

_STATUS_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "no_cases": "dim",
}


@dataclass(frozen=True, kw_only=True)
class EvalReport:
    """A judged eval run: the run record, the manifest version, gate results and cases."""

    run: EvalRunRecord
    manifest: ManifestVersion
    gates: tuple[GateResult, ...]
    cases: tuple[CaseResult, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when no gate fails the suite."""
        return not any(g.blocking for g in self.gates)

    @property
    def verdict(self) -> str:
        """`passed` or `failed`."""
        return "passed" if self.passed else "failed"

    @property
    def unmet(self) -> list[str]:
        """Each unmet gate in words.

        For example `classification accuracy 93.1% < 95% minimum (ML engineer)`.
        """
        return [words for g in self.gates for words in g.unmet]

    @property
    def failing_cases(self) -> list[CaseResult]:
        """Cases where any evaluator failed, in dataset order."""
        return [c for c in self.cases if not c.passed]

    def summary(self) -> dict[str, Any]:
        """What is stored with the eval run: verdict, gates, unmet gates, counts."""
        return {
            "verdict": self.verdict,
            "gates": [g.to_dict() for g in self.gates],
            "unmet": self.unmet,
            "notes": list(self.notes),
            "cases": len(self.cases),
            "failed_cases": len(self.failing_cases),
            "scores": {g.eval: g.score for g in self.gates},
        }

    def to_dict(self, *, cases: bool = True, traces: bool = False) -> dict[str, Any]:
        """The JSON report; `cases` adds the failing cases (with traces when asked)."""
        run = self.run
        data: dict[str, Any] = {
            "schema_version": REPORT_SCHEMA_VERSION,
            "eval_run_id": run.eval_run_id,
            "project": run.project,
            "suite": run.suite,
            "capability": run.capability,
            "agent": run.agent,
            "status": run.status,
            "verdict": self.verdict,
            "manifest": {
                "hash": self.manifest.manifest_hash,
                "source": self.manifest.source,
                "first_seen_at": self.manifest.first_seen_at,
            },
            "dataset": {"hash": run.dataset_hash, "split": run.split, "cases": run.cases},
            "model": run.model,
            "judge_model": run.judge_model,
            "versions": run.versions,
            "settings": run.settings,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "gates": [g.to_dict() for g in self.gates],
            "unmet": self.unmet,
            "notes": list(self.notes),
            "counts": {"cases": len(self.cases), "failed": len(self.failing_cases)},
        }
        if cases:
            data["failing_cases"] = [c.to_dict(trace=traces) for c in self.failing_cases]
        return data


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def _gate_row(gate: GateResult) -> list[Text | str]:
    classes = ", ".join(
        f"{c.label} {percent(c.score)}" + ("" if c.met else f" < {minimum_words(c.minimum or 0)}")
        for c in gate.per_class
    )
    blockers = "; ".join(f"{b.condition}: {b.count}" for b in gate.blockers if b.hit) or (
        "none" if gate.blockers else "-"
    )
    status = gate.status.replace("_", " ")
    if gate.status == "skipped" and not gate.required:
        status = "skipped (optional)"
    return [
        gate.title,
        Text(percent(gate.score)),
        "-" if gate.minimum is None else minimum_words(gate.minimum),
        f"{gate.passed}/{gate.applicable}",
        classes or "-",
        Text(blockers, style="bold red" if any(b.hit for b in gate.blockers) else ""),
        gate.owner,
        Text(status, style=_STATUS_STYLE.get(gate.status, "")),
    ]


def _header(report: EvalReport) -> Text:
    run = report.run
    verdict_style = "bold green" if report.passed else "bold red"
    return Text.assemble(
        (f"{run.capability} / {run.suite}", "bold"),
        "  ",
        (report.verdict.upper(), verdict_style),
        f"  {len(report.cases)} cases, {len(report.failing_cases)} failing"
        f"  (eval run {run.eval_run_id})\n",
        (
            f"judged against manifest {report.manifest.manifest_hash} "
            f"({report.manifest.source or 'inline'}, "
            f"first seen {_when(report.manifest.first_seen_at)})\n"
            f"dataset {run.dataset_hash}"
            + (f" split {run.split}" if run.split else "")
            + f"; agent {run.agent}, model {run.model or run.versions.get('model', '-')}",
            "dim",
        ),
    )


def render_report(report: EvalReport, console: Console, *, show_cases: int = 10) -> None:
    """Print the report: header, gate table, unmet gates in words, a few failing cases."""
    table = Table(title=None, show_lines=False)
    for column in (
        "eval",
        "score",
        "minimum",
        "passed",
        "per class",
        "blockers hit",
        "owner",
        "result",
    ):
        table.add_column(column, overflow="fold")
    for gate in report.gates:
        table.add_row(*(c if isinstance(c, Text) else Text(c) for c in _gate_row(gate)))
    parts: list[Any] = [_header(report), table]
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    if report.unmet:
        parts.append(Text("unmet gates:", style="bold red"))
        parts += [Text(f"  - {words}", style="red") for words in report.unmet]
    failing = report.failing_cases
    if failing and show_cases:
        parts.append(Text(f"failing cases ({len(failing)}):", style="bold"))
        parts += [_case_line(c) for c in failing[:show_cases]]
        if len(failing) > show_cases:
            parts.append(
                Text(f"  ... and {len(failing) - show_cases} more (see --html)", style="dim")
            )
    console.print(Group(*parts))


def _case_line(case: CaseResult) -> Text:
    reasons = "; ".join(f"{name}: {s.reason}" for name, s in case.failures.items())
    return Text(f"  - {case.case_id} ({case.status}, run {case.run_id}): {reasons}")


def reports_passed(reports: Sequence[EvalReport]) -> bool:
    """True when every report passed."""
    return all(r.passed for r in reports)
