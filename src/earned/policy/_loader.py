"""Load a YAML policy file; every mistake is reported with its line and the fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from earned._yaml import LineDoc, YamlPath, did_you_mean
from earned.errors import PolicyFileError
from earned.policy._policy import DEFAULT_APPROVERS, Policy
from earned.policy._rules import OPERATORS, Condition, Predicate, ResultPredicate, Rule
from earned.stages import Stage
from earned.tools import RiskClass, Tool

__all__ = ["SCHEMA_VERSION", "load_policy_file", "load_policy_text"]

#: The policy file format this earned reads. Version 1: the first format.
SCHEMA_VERSION = 1

_TOP_KEYS = {"version", "name", "description", "approvers", "rules"}
_RULE_KEYS = {
    "id",
    "effect",
    "description",
    "reason",
    "tools",
    "risks",
    "capabilities",
    "stages",
    "roles",
    "tenants",
    "environments",
    "when",
    "check",
    "result_check",
    "approvers",
    "approval",
    "returns",
}
_EFFECTS = ("allow", "deny", "require_approval")


def load_policy_file(
    path: Path,
    *,
    tools: Iterable[Tool[Any, Any]] | None,
    predicates: Mapping[str, Predicate | ResultPredicate],
) -> Policy:
    """Read `path` and build its Policy."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyFileError(
            f"cannot read policy file: {exc.strerror}",
            path=str(path),
            fix="check the path (it is relative to the current directory)",
        ) from None
    return load_policy_text(text, source=str(path), tools=tools, predicates=predicates)


def load_policy_text(
    text: str,
    *,
    source: str,
    tools: Iterable[Tool[Any, Any]] | None,
    predicates: Mapping[str, Predicate | ResultPredicate],
) -> Policy:
    """Build a Policy from YAML text; `source` names it in errors."""
    doc = LineDoc(text, source, error=PolicyFileError)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.fail((), "a policy file must be a mapping with `rules:`", _EXAMPLE)
    data = cast(dict[str, Any], data)
    doc.check_keys((), data, _TOP_KEYS, "top-level keys")
    version = data.get("version", SCHEMA_VERSION)
    if not isinstance(version, int) or version < 1:
        raise doc.fail(
            ("version",),
            f"version must be a positive integer, got {version!r}",
            f"write `version: {SCHEMA_VERSION}`",
        )
    if version > SCHEMA_VERSION:
        raise doc.fail(
            ("version",),
            f"policy format version {version} is newer than this earned reads ({SCHEMA_VERSION})",
            f"upgrade earned, or write the file in format version {SCHEMA_VERSION}",
        )
    rules_data = data.get("rules")
    if not isinstance(rules_data, list):
        raise doc.fail(("rules",), "`rules` must be a list of rules", _EXAMPLE)
    approvers = _strings(doc, ("approvers",), data.get("approvers", list(DEFAULT_APPROVERS)))
    known_tools = {t.name: t for t in tools} if tools is not None else None
    rules = [
        _rule(doc, ("rules", i), item, known_tools, predicates)
        for i, item in enumerate(cast(list[Any], rules_data))
    ]
    name = data.get("name") or Path(source).stem
    policy = Policy(rules, name=str(name), approvers=approvers or DEFAULT_APPROVERS, source=source)
    if known_tools is not None:
        policy.validate_tools(known_tools.values())
    return policy


_EXAMPLE = (
    "start from:\n  version: 1\n  name: my-agent\n  rules:\n    - id: read-orders\n"
    "      effect: allow\n      tools: [get_order_summary]"
)


def _strings(doc: LineDoc, path: YamlPath, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise doc.fail(
            path,
            f"{path[-1]} must be a string or a list of strings, got {value!r}",
            f"write `{path[-1]}: [a, b]`",
        )
    return [str(v) for v in cast(list[Any], value)]


def _choices(
    doc: LineDoc, path: YamlPath, value: Any, valid: Iterable[str], what: str
) -> list[str]:
    items = _strings(doc, path, value)
    options = set(valid) | {"*"}
    for i, item in enumerate(items):
        if item not in options:
            raise doc.fail(
                (*path, i), f"unknown {what} {item!r}", did_you_mean(item, options, f"{what}s")
            )
    return items


def _rule(
    doc: LineDoc,
    path: YamlPath,
    data: Any,
    tools: dict[str, Tool[Any, Any]] | None,
    predicates: Mapping[str, Predicate | ResultPredicate],
) -> Rule:
    if not isinstance(data, dict):
        raise doc.fail(path, "each rule must be a mapping", _EXAMPLE)
    data = cast(dict[str, Any], data)
    doc.check_keys(path, data, _RULE_KEYS, "rule keys")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise doc.fail(path, "a rule needs an `id` (a short unique name)", "add `id: my-rule`")
    effect = data.get("effect")
    if effect not in _EFFECTS:
        raise doc.fail(
            (*path, "effect"),
            f"rule {rule_id!r}: effect must be one of {', '.join(_EFFECTS)}, got {effect!r}",
            did_you_mean(str(effect), _EFFECTS, "effects"),
        )
    waived = _approval_waived(doc, path, data, rule_id, effect)
    risks = _listed(doc, path, data, "risks", [r.value for r in RiskClass], "risk class")
    check = data.get("check")
    result_check = data.get("result_check")
    tool_names = _tool_names(doc, (*path, "tools"), data.get("tools"), tools)
    conditions = _conditions(doc, (*path, "when"), data.get("when"), rule_id)
    if tools is not None:
        _check_condition_fields(doc, (*path, "when"), conditions, tool_names or [], tools)
    return Rule(
        id=rule_id,
        effect=effect,
        tools=_opt(tool_names),
        risks=frozenset(RiskClass(r) for r in risks) if risks is not None else None,
        capabilities=_scope(doc, path, data, "capabilities"),
        stages=_listed(doc, path, data, "stages", [s.value for s in Stage], "stage"),
        roles=_scope(doc, path, data, "roles"),
        tenants=_scope(doc, path, data, "tenants"),
        environments=_scope(doc, path, data, "environments"),
        conditions=conditions,
        predicate=cast(Predicate | None, _named(doc, (*path, "check"), check, predicates)),
        predicate_name=check,
        result_check=cast(
            ResultPredicate | None,
            _named(doc, (*path, "result_check"), result_check, predicates),
        ),
        result_check_name=result_check,
        approvers=tuple(_strings(doc, (*path, "approvers"), data.get("approvers", []))),
        approval_waived=waived,
        returns=(
            tuple(_strings(doc, (*path, "returns"), data["returns"])) if "returns" in data else None
        ),
        reason=str(data.get("reason") or data.get("description") or ""),
        line=doc.line(path),
    )


def _approval_waived(
    doc: LineDoc, path: YamlPath, data: dict[str, Any], rule_id: str, effect: str
) -> bool:
    approval = data.get("approval", "default")
    if approval not in ("default", "waived"):
        raise doc.fail(
            (*path, "approval"),
            f"approval must be `waived` (or left out), got {approval!r}",
            "write `approval: waived` to auto-approve the calls this rule allows",
        )
    if approval == "waived" and effect != "allow":
        raise doc.fail(
            (*path, "approval"),
            f"rule {rule_id!r}: `approval: waived` only applies to allow rules",
            "remove it, or make the rule `effect: allow`",
        )
    return approval == "waived"


def _listed(
    doc: LineDoc, path: YamlPath, data: dict[str, Any], key: str, valid: list[str], what: str
) -> frozenset[str] | None:
    if key not in data:
        return None
    return _opt(_choices(doc, (*path, key), data[key], valid, what))


def _opt(values: Iterable[Any] | None) -> frozenset[Any] | None:
    if values is None:
        return None
    out = frozenset(values)
    return None if not out or "*" in out else out


def _scope(doc: LineDoc, path: YamlPath, data: dict[str, Any], key: str) -> frozenset[str] | None:
    return _opt(_strings(doc, (*path, key), data[key])) if key in data else None


def _tool_names(
    doc: LineDoc, path: YamlPath, value: Any, tools: dict[str, Tool[Any, Any]] | None
) -> list[str] | None:
    if value is None:
        return None
    names = _strings(doc, path, value)
    if tools is not None:
        for i, name in enumerate(names):
            if name != "*" and name not in tools:
                raise doc.fail(
                    (*path, i), f"unknown tool {name!r}", did_you_mean(name, tools, "tools")
                )
    return names


def _check_condition_fields(
    doc: LineDoc,
    path: YamlPath,
    conditions: tuple[Condition, ...],
    tool_names: list[str],
    tools: dict[str, Tool[Any, Any]],
) -> None:
    for name in tool_names:
        if name == "*":
            continue
        fields = tools[name].argument_names
        for condition in conditions:
            root = condition.field.split(".")[0]
            if root not in fields:
                raise doc.fail(
                    (*path, condition.field),
                    f"tool {name!r} has no argument {root!r}",
                    did_you_mean(root, fields, "arguments"),
                )


def _conditions(doc: LineDoc, path: YamlPath, value: Any, rule_id: str) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise doc.fail(
            path,
            f"rule {rule_id!r}: `when` must map argument names to conditions",
            "write e.g. `when: {amount: {lte: 25}}`",
        )
    out: list[Condition] = []
    for field, ops in cast(dict[str, Any], value).items():
        if not isinstance(ops, dict) or not ops:
            raise doc.fail(
                (*path, field),
                f"rule {rule_id!r}: the condition on {field!r} must map operators to values",
                f"write e.g. `{field}: {{lte: 25}}`",
            )
        for op, operand in cast(dict[str, Any], ops).items():
            out.append(_condition(doc, (*path, field, op), field, str(op), operand))
    return tuple(out)


#: Symbols accepted for the named operators.
_OPERATOR_ALIASES = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "==": "eq", "!=": "ne"}
#: Common misspellings, used only for the "did you mean" hint.
_OPERATOR_HINTS = {"le": "lte", "leq": "lte", "ge": "gte", "geq": "gte", "neq": "ne"}
_SAMPLES = {"a list": "[a, b]", "true or false": "true", "a regular expression": "'^ord_'"}


def _is_number_or_string(value: Any) -> bool:
    return isinstance(value, int | float | str) and not isinstance(value, bool)


def _is_regex(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


_OPERAND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "a list": lambda v: isinstance(v, list),
    "a number or string": _is_number_or_string,
    "true or false": lambda v: isinstance(v, bool),
    "a regular expression": _is_regex,
}


def _condition(doc: LineDoc, path: YamlPath, field: str, op: str, operand: Any) -> Condition:
    op = _OPERATOR_ALIASES.get(op, op)
    if op not in OPERATORS:
        hint = did_you_mean(_OPERATOR_HINTS.get(op, op), OPERATORS, "operators")
        raise doc.fail(path, f"unknown operator {op!r} on {field!r}", hint)
    expected = OPERATORS[op][1]
    check = _OPERAND_CHECKS.get(expected)
    if check is not None and not check(operand):
        raise doc.fail(
            path,
            f"operator {op!r} on {field!r} needs {expected}, got {operand!r}",
            f"write e.g. `{field}: {{{op}: {_SAMPLES.get(expected, '25')}}}`",
        )
    value = tuple(cast(list[Any], operand)) if isinstance(operand, list) else operand
    return Condition(field=field, op=op, value=value)


def _named(doc: LineDoc, path: YamlPath, name: Any, predicates: Mapping[str, Any]) -> Any:
    if name is None:
        return None
    if not isinstance(name, str) or name not in predicates:
        known = ", ".join(sorted(predicates)) or "(none registered)"
        fix = f"register it: Policy.from_file(..., predicates={{{name!r}: fn}}); known: {known}"
        raise doc.fail(path, f"unknown check {name!r}", fix)
    return predicates[name]
