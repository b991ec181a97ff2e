"""`earned metrics` and `earned alerts check|rules`: agent-ops metrics and their alert rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from earned.cli._output import DatabaseOption, JsonOption, console, print_json
from earned.cli._render import table
from earned.config import Settings
from earned.metrics import (
    FAMILIES,
    AlertReport,
    AlertResult,
    AlertRule,
    MetricsReader,
    MetricsReport,
    MetricValue,
    RuleSet,
    check_alerts,
    format_value,
    load_rules,
)
from earned.metrics._rules import compare
from earned.store import Database

__all__ = ["alerts_app", "metrics_command"]

alerts_app = typer.Typer(help="Check agent-ops alert rules and list them.", no_args_is_help=True)

RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Alert rules YAML (default: the shipped seed 001 rules)."),
]
_SEVERITY_STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
_STATUS_STYLES = {"firing": "bold red", "ok": "green", "no_data": "dim"}


def _reader(database: str | None) -> MetricsReader:
    db = Database(Settings.load(database_url=database).database_url)
    db.upgrade()
    return MetricsReader(db)


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="seconds")


def metrics_command(
    window: Annotated[str, typer.Option(help="How far back: 5m, 1h, 24h, 7d, ...")] = "1h",
    agent: Annotated[str | None, typer.Option(help="Only this agent.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only this capability.")] = None,
    tool: Annotated[str | None, typer.Option(help="Only this tool.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help="Group by tool, agent, capability or tenant (repeatable)."),
    ] = None,
    rules: RulesOption = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Tool, agent, cost and user metrics from the stored traces, beside their alert thresholds.

    A value past a threshold is marked BREACHED (thresholds relative to a baseline are
    evaluated by `earned alerts check`).
    """
    rule_set = load_rules(rules)
    where = {"agent": agent, "capability": capability, "tool": tool, "tenant": tenant}
    report = _reader(database).compute(window=window, where=where, by=by or [])
    if json_:
        data = report.to_dict()
        for entry, value in zip(data["metrics"], report.values, strict=True):
            entry["alerts"] = [_threshold_json(r, value) for r in rule_set.for_metric(value.metric)]
        print_json(data)
        return
    _render_metrics(report, rule_set, console())


def _breached(rule: AlertRule, value: MetricValue) -> bool | None:
    """Whether the value is past the rule's absolute threshold; None when that cannot be said."""
    if rule.baseline is not None or rule.threshold is None or value.value is None:
        return None
    if value.samples < rule.min_samples:
        return None
    return compare(value.value, rule.op, rule.threshold)


def _threshold_json(rule: AlertRule, value: MetricValue) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "op": rule.op,
        "threshold": rule.threshold,
        "baseline": None if rule.baseline is None else rule.baseline.model_dump(),
        "window": rule.window,
        "min_samples": rule.min_samples,
        "breached": _breached(rule, value),
    }


def _threshold_text(rule: AlertRule) -> str:
    unit = rule.definition.unit
    parts = [] if rule.threshold is None else [f"{rule.op} {format_value(rule.threshold, unit)}"]
    if rule.baseline is not None:
        parts.append(f"{rule.op} {rule.baseline.factor:g}x baseline")
    return f"{' and '.join(parts)} ({rule.window})"


def _verdict(rules: list[AlertRule], value: MetricValue) -> Text:
    marks = [_breached(r, value) for r in rules]
    if any(marks):
        return Text("BREACHED", style="bold red")
    if any(m is False for m in marks):
        return Text("ok", style="green")
    return Text("-", style="dim")


def _render_metrics(report: MetricsReport, rules: RuleSet, out: Console) -> None:
    scope = ", ".join(f"{k}={v}" for k, v in report.where.items())
    out.print(
        f"[bold]metrics over the last {report.window}[/] (until {_when(report.until)})"
        + (f" where {scope}" if scope else "")
    )
    columns = [*report.by, "metric", "value", "samples", "alert threshold", ""]
    for family in FAMILIES:
        values = [v for v in report.values if v.definition.family == family]
        values.sort(key=lambda v: tuple(v.group.get(d) or "" for d in report.by))  # stable
        if not values:
            continue
        rows: list[list[Any]] = []
        for value in values:
            on = rules.for_metric(value.metric)
            rows.append([
                *(value.group.get(d) for d in report.by),
                value.metric,
                format_value(value.value, value.definition.unit),
                value.samples,
                "; ".join(_threshold_text(r) for r in on) or "-",
                _verdict(on, value),
            ])  # fmt: skip
        out.print(table(f"{family} metrics", columns, rows))
    _render_errors(report, out)
    if report.skipped:
        names = ", ".join(sorted(report.skipped))
        out.print(f"[dim]not shown, they cannot be cut this way: {names}[/]")


def _render_errors(report: MetricsReport, out: Console) -> None:
    rows: list[list[Any]] = []
    for value in report.values:
        if value.metric != "new_error_types":
            continue
        new = set(value.details.get("new", []))
        for error_type, count in value.details.get("errors", {}).items():
            mark = Text("NEW", style="bold red") if error_type in new else ""
            rows.append([*(value.group.get(d) for d in report.by), error_type, count, mark])
    if rows:
        out.print(table("tool errors", [*report.by, "error type", "calls", ""], rows))


@alerts_app.command("check")
def check_command(
    rules: RulesOption = None,
    window: Annotated[
        str | None, typer.Option(help="Evaluate every rule over this window instead of its own.")
    ] = None,
    database: DatabaseOption = None,
    json_: JsonOption = False,
) -> None:
    """Evaluate every alert rule; print what fires with its runbook entry.

    Exit code 1 when any alert fires, 0 when none does, 2 for bad input (a rules file
    mistake is reported with its line and the fix).
    """
    rule_set = load_rules(rules)
    report = check_alerts(_reader(database), rule_set, window=window)
    if json_:
        print_json(report.to_dict())
    else:
        _render_alerts(report, console())
    if report.firing:
        raise typer.Exit(1)


def _render_alerts(report: AlertReport, out: Console) -> None:
    for alert in report.firing:
        out.print(_alert_panel(alert))
    rows = [
        [
            r.rule.id,
            Text(r.rule.severity, style=_SEVERITY_STYLES[r.rule.severity]),
            Text(r.status.replace("_", " "), style=_STATUS_STYLES[r.status]),
            r.message,
        ]
        for r in report.results
    ]
    out.print(table(f"alert rules ({report.source})", ["rule", "severity", "status", ""], rows))
    firing = len(report.firing)
    if firing:
        out.print(f"[bold red]{firing} alert{'s' if firing > 1 else ''} firing[/]")
    else:
        out.print("[green]no alert fires[/]")


def _alert_panel(alert: AlertResult) -> Panel:
    entry = alert.runbook
    body = Group(
        Text(alert.message),
        Text.assemble(("symptom: ", "bold"), entry.symptom),
        Text.assemble(("likely cause: ", "bold"), entry.likely_cause),
        Text.assemble(("response: ", "bold"), entry.response),
    )
    style = _SEVERITY_STYLES[alert.rule.severity]
    title = f"[{style}]{alert.rule.severity.upper()}[/] {alert.rule.id}"
    return Panel(body, title=title, title_align="left", subtitle=f"runbook: {entry.id}")


@alerts_app.command("rules")
def rules_command(rules: RulesOption = None, json_: JsonOption = False) -> None:
    """Load a rules file (reporting the first mistake with its line and fix) and list its rules."""
    rule_set = load_rules(rules)
    if json_:
        print_json(
            {
                "rules": [r.model_dump(exclude={"line"}) for r in rule_set.rules],
                "runbook": rule_set.runbook.source,
            }
        )
        return
    rows = [
        [
            r.id,
            r.describe(),
            Text(r.severity, style=_SEVERITY_STYLES[r.severity]),
            r.runbook,
            r.description or "-",
        ]
        for r in rule_set.rules
    ]
    columns = ["rule", "condition", "severity", "runbook", "description"]
    title = f"{rule_set.source} (runbook: {rule_set.runbook.source})"
    console().print(table(title, columns, rows))
