"""Load alert-rule and runbook YAML files; every mistake is reported with its line and fix.

The shipped defaults (`rules.yaml`, `runbook.yaml` in this package) are seed 001's
thresholds and runbook; copy them next to your project and edit them freely.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from earned._yaml import LineDoc, YamlPath, did_you_mean
from earned.errors import UserError
from earned.metrics._catalog import METRICS
from earned.metrics._errors import RuleFileError
from earned.metrics._rules import AlertRule, RuleSet, Runbook, RunbookEntry
from earned.metrics._window import DIMENSIONS, parse_window

__all__ = [
    "SCHEMA_VERSION",
    "default_rules",
    "default_runbook",
    "load_rules",
    "load_rules_text",
    "load_runbook",
    "load_runbook_text",
]

#: The rule and runbook file format this earned reads. Version 1: the first format.
SCHEMA_VERSION = 1

_RULE_KEYS = {
    "id", "metric", "op", "threshold", "baseline", "window", "where", "group_by",
    "min_samples", "severity", "runbook", "description",
}  # fmt: skip
_ENTRY_KEYS = {"id", "symptom", "likely_cause", "response", "source"}
_OPERATOR_ALIASES = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "below": "<", "above": ">"}
_RULE_EXAMPLE = (
    "write e.g.\n  - id: tool-success-rate\n    metric: tool_success_rate\n    op: '<'\n"
    "    threshold: 0.95\n    window: 5m\n    runbook: all-tools-failing"
)


class _Doc(LineDoc):
    """A rules or runbook file: LineDoc plus the shared top-level check."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text, source, error=RuleFileError)

    def header(self, what: str, list_key: str, example: str) -> list[Any]:
        """Check the top level (a mapping with `version` and a list) and return the list."""
        data = self.data
        if not isinstance(data, dict):
            raise self.fail((), f"{what} file must be a mapping with `{list_key}:`", example)
        data = cast(dict[str, Any], data)
        version = data.get("version", SCHEMA_VERSION)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail(
                ("version",), f"version must be a positive integer, got {version!r}",
                f"write `version: {SCHEMA_VERSION}`",
            )  # fmt: skip
        if version > SCHEMA_VERSION:
            raise self.fail(
                ("version",),
                f"format version {version} is newer than this earned reads ({SCHEMA_VERSION})",
                f"upgrade earned, or write the file in format version {SCHEMA_VERSION}",
            )
        items = data.get(list_key)
        if not isinstance(items, list):
            raise self.fail((list_key,), f"`{list_key}` must be a list", example)
        return cast(list[Any], items)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(
            f"cannot read the file: {exc.strerror}",
            path=str(path),
            fix="check the path (it is relative to the current directory)",
        ) from None


# -- runbook ------------------------------------------------------------------------------

_RUNBOOK_EXAMPLE = (
    "write e.g.\n  version: 1\n  entries:\n    - id: all-tools-failing\n"
    "      symptom: All tool calls failing\n      likely_cause: External API down\n"
    "      response: Check API status pages, activate fallback tools"
)


def load_runbook_text(text: str, *, source: str = "<runbook>") -> Runbook:
    """A runbook from YAML text (`version`, `entries`); `source` names it in errors."""
    doc = _Doc(text, source)
    doc.check_keys((), cast(dict[str, Any], doc.data or {}), {"version", "entries"}, "keys")
    entries: dict[str, RunbookEntry] = {}
    for i, item in enumerate(doc.header("a runbook", "entries", _RUNBOOK_EXAMPLE)):
        path: YamlPath = ("entries", i)
        if not isinstance(item, dict):
            raise doc.fail(path, "each runbook entry must be a mapping", _RUNBOOK_EXAMPLE)
        item = cast(dict[str, Any], item)
        doc.check_keys(path, item, _ENTRY_KEYS, "runbook entry keys")
        entry = cast(RunbookEntry, _validated(doc, path, RunbookEntry, item))
        if entry.id in entries:
            raise doc.fail((*path, "id"), f"duplicate runbook entry {entry.id!r}", "rename it")
        entries[entry.id] = entry
    return Runbook(entries=entries, source=source)


def load_runbook(path: str | Path | None = None) -> Runbook:
    """The runbook in `path`, or the shipped default (seed 001's runbook) when None."""
    if path is None:
        return default_runbook()
    return load_runbook_text(_read(Path(path)), source=str(path))


def default_runbook() -> Runbook:
    """The shipped runbook: seed 001's table plus entries for earned's other default rules."""
    text = resources.files("earned.metrics").joinpath("runbook.yaml").read_text("utf-8")
    return load_runbook_text(text, source="earned/metrics/runbook.yaml")


# -- rules --------------------------------------------------------------------------------


def load_rules_text(
    text: str, *, source: str = "<rules>", runbook: Runbook | None = None
) -> RuleSet:
    """Rules from YAML text (`version`, optional `runbook: FILE`, `rules`).

    The runbook is `runbook` if given, else the file the YAML names (relative to `source`'s
    directory), else the shipped default.
    """
    doc = _Doc(text, source)
    top = cast(dict[str, Any], doc.data if isinstance(doc.data, dict) else {})
    doc.check_keys((), top, {"version", "runbook", "rules"}, "top-level keys")
    items = doc.header("a rules", "rules", _RULE_EXAMPLE)
    if runbook is None:
        runbook = _named_runbook(doc, top.get("runbook"))
    rules: list[AlertRule] = []
    for i, item in enumerate(items):
        rule = _rule(doc, ("rules", i), item, runbook)
        if any(r.id == rule.id for r in rules):
            raise doc.fail(("rules", i, "id"), f"duplicate rule id {rule.id!r}", "rename it")
        rules.append(rule)
    return RuleSet(rules=tuple(rules), runbook=runbook, source=source)


def load_rules(path: str | Path | None = None, *, runbook: Runbook | None = None) -> RuleSet:
    """The rules in `path`, or the shipped defaults (seed 001's thresholds) when None."""
    if path is None:
        return default_rules()
    return load_rules_text(_read(Path(path)), source=str(path), runbook=runbook)


def default_rules() -> RuleSet:
    """The shipped rules: seed 001's alert thresholds and runbook, seed 002's latency."""
    text = resources.files("earned.metrics").joinpath("rules.yaml").read_text("utf-8")
    return load_rules_text(text, source="earned/metrics/rules.yaml", runbook=default_runbook())


def _named_runbook(doc: _Doc, name: Any) -> Runbook:
    if name is None:
        return default_runbook()
    if not isinstance(name, str) or not name:
        raise doc.fail(
            ("runbook",), "`runbook` must be a file path", "write `runbook: runbook.yaml`"
        )
    path = Path(name)
    if not path.is_absolute() and not doc.source.startswith("<"):
        path = Path(doc.source).parent / path
    return load_runbook(path)


def _rule(doc: _Doc, path: YamlPath, data: Any, runbook: Runbook) -> AlertRule:
    if not isinstance(data, dict):
        raise doc.fail(path, "each rule must be a mapping", _RULE_EXAMPLE)
    data = dict(cast(dict[str, Any], data))
    doc.check_keys(path, data, _RULE_KEYS, "rule keys")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise doc.fail(path, "a rule needs an `id` (a short unique name)", "add `id: my-rule`")
    metric = data.get("metric")
    if metric not in METRICS:
        raise doc.fail(
            (*path, "metric"), f"rule {rule_id!r}: unknown metric {metric!r}",
            did_you_mean(str(metric), METRICS, "metrics"),
        )  # fmt: skip
    data["op"] = _operator(doc, (*path, "op"), data.get("op"), rule_id)
    _check_window(doc, (*path, "window"), data.get("window", "5m"))
    _check_dimensions(doc, path, data, str(metric))
    entry = data.get("runbook")
    if not isinstance(entry, str) or runbook.get(entry) is None:
        raise doc.fail(
            (*path, "runbook"), f"rule {rule_id!r}: unknown runbook entry {entry!r}",
            did_you_mean(str(entry), runbook.entries, f"entries in {runbook.source}"),
        )  # fmt: skip
    if "threshold" not in data and "baseline" not in data:
        raise doc.fail(
            path, f"rule {rule_id!r} needs a `threshold`, a `baseline`, or both",
            "add `threshold: 0.95`, or `baseline: {windows: 7, factor: 3}` to compare with "
            "the mean of the previous 7 windows",
        )  # fmt: skip
    return cast(AlertRule, _validated(doc, path, AlertRule, {**data, "line": doc.line(path)}))


def _operator(doc: _Doc, path: YamlPath, op: Any, rule_id: str) -> str:
    valid = ("<", "<=", ">", ">=")
    op = _OPERATOR_ALIASES.get(str(op), op)
    if op not in valid:
        hint = f"valid operators: {', '.join(valid)} (or lt, lte, gt, gte)"
        raise doc.fail(path, f"rule {rule_id!r}: unknown operator {op!r}", hint)
    return str(op)


def _check_window(doc: _Doc, path: YamlPath, window: Any) -> None:
    try:
        parse_window(window)
    except UserError as exc:
        raise doc.fail(path, exc.message, "write a window such as 5m, 1h, 24h or 7d") from None


def _check_dimensions(doc: _Doc, path: YamlPath, data: dict[str, Any], metric: str) -> None:
    supported = METRICS[metric].dimensions
    where = data.get("where", {})
    if not isinstance(where, dict):
        raise doc.fail((*path, "where"), "`where` must map dimensions to values",
                       "write e.g. `where: {agent: refunds}`")  # fmt: skip
    group_by = data.get("group_by", [])
    if isinstance(group_by, str):
        group_by = data["group_by"] = [group_by]
    if not isinstance(group_by, list):
        raise doc.fail((*path, "group_by"), "`group_by` must be a list of dimensions",
                       "write e.g. `group_by: [tool]`")  # fmt: skip
    named = [((*path, "where", k), str(k)) for k in cast(dict[str, Any], where)]
    named += [((*path, "group_by", i), str(d)) for i, d in enumerate(cast(list[Any], group_by))]
    for where_path, dim in named:
        if dim not in DIMENSIONS:
            raise doc.fail(where_path, f"unknown dimension {dim!r}",
                           did_you_mean(dim, DIMENSIONS, "dimensions"))  # fmt: skip
        if dim not in supported:
            raise doc.fail(
                where_path, f"metric {metric!r} cannot be cut by {dim!r}",
                f"use one of {', '.join(supported)}, or a metric computed from tool calls",
            )  # fmt: skip


def _validated(doc: _Doc, path: YamlPath, model: type[Any], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where: YamlPath = (*path, *error["loc"])
        field = ".".join(str(p) for p in error["loc"]) or "the entry"
        raise doc.fail(
            where, f"{field}: {error['msg']} (got {error.get('input')!r})",
            f"see the {model.__name__} fields in docs/metrics.md",
        ) from None  # fmt: skip
