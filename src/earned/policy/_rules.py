"""Rules: which calls they match (scope, argument conditions, predicates) and their effect."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from earned.policy._decision import CallRequest, Effect
from earned.tools import RiskClass

__all__ = ["OPERATORS", "Condition", "Predicate", "ResultPredicate", "Rule"]

#: A Python check over the whole call; True means the rule applies.
Predicate = Callable[[CallRequest], bool]
#: A Python check over a call's result; a returned string withholds the result, with that reason.
ResultPredicate = Callable[[CallRequest, Any], "str | None"]

_MISSING = object()


def _in(value: Any, options: Any) -> bool:
    return value in options


def _not_in(value: Any, options: Any) -> bool:
    return value not in options


def _contains(value: Any, item: Any) -> bool:
    return isinstance(value, str | list | tuple | dict) and item in value


def _matches(value: Any, pattern: Any) -> bool:
    return isinstance(value, str) and re.search(str(pattern), value) is not None


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(value: Any, bound: Any) -> bool:
        try:
            return bool(op(value, bound))
        except TypeError:
            return False  # a string compared with a number never matches

    return compare


#: Operators a condition may use, with what their value must be.
OPERATORS: Mapping[str, tuple[Callable[[Any, Any], bool], str]] = {
    "eq": (operator.eq, "any value"),
    "ne": (operator.ne, "any value"),
    "lt": (_ordered(operator.lt), "a number or string"),
    "lte": (_ordered(operator.le), "a number or string"),
    "gt": (_ordered(operator.gt), "a number or string"),
    "gte": (_ordered(operator.ge), "a number or string"),
    "in": (_in, "a list"),
    "not_in": (_not_in, "a list"),
    "contains": (_contains, "any value"),
    "matches": (_matches, "a regular expression"),
    "exists": (lambda value, want: (value is not _MISSING) == bool(want), "true or false"),
}


@dataclass(frozen=True, kw_only=True)
class Condition:
    """`field op value` over the call's arguments; `field` may be a dotted path."""

    field: str
    op: str
    value: Any

    def holds(self, arguments: Mapping[str, Any]) -> bool:
        """True when the argument satisfies the condition (a missing one only for `exists`)."""
        found: Any = arguments
        for part in self.field.split("."):
            if isinstance(found, Mapping) and part in found:
                found = found[part]
            else:
                found = _MISSING
                break
        if found is _MISSING and self.op != "exists":
            return False
        check, _ = OPERATORS[self.op]
        return bool(check(found, self.value))

    def describe(self) -> str:
        """`amount lte 25`."""
        return f"{self.field} {self.op} {self.value!r}"


def _set(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    out = frozenset(values)
    return None if "*" in out else out


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One policy rule. Scope fields left as None match anything; `"*"` means the same.

    A call is matched when every scope field contains the call's value, every condition
    holds and the predicate (if any) returns True.
    """

    id: str
    effect: Effect
    tools: frozenset[str] | None = None
    risks: frozenset[RiskClass] | None = None
    capabilities: frozenset[str] | None = None
    stages: frozenset[str] | None = None
    roles: frozenset[str] | None = None
    tenants: frozenset[str] | None = None
    environments: frozenset[str] | None = None
    conditions: tuple[Condition, ...] = ()
    predicate: Predicate | None = None
    predicate_name: str | None = None
    result_check: ResultPredicate | None = None
    result_check_name: str | None = None
    approvers: tuple[str, ...] = ()
    approval_waived: bool = False
    returns: tuple[str, ...] | None = None
    reason: str = ""
    line: int | None = field(default=None, compare=False)

    @classmethod
    def build(
        cls,
        id: str,
        effect: Effect,
        *,
        tools: Iterable[str] | None = None,
        risks: Iterable[RiskClass | str] | None = None,
        capabilities: Iterable[str] | None = None,
        stages: Iterable[str] | None = None,
        roles: Iterable[str] | None = None,
        tenants: Iterable[str] | None = None,
        environments: Iterable[str] | None = None,
        when: Mapping[str, Mapping[str, Any]] | None = None,
        predicate: Predicate | None = None,
        result_check: ResultPredicate | None = None,
        approvers: Iterable[str] = (),
        approval_waived: bool = False,
        returns: Iterable[str] | None = None,
        reason: str = "",
    ) -> Rule:
        """Build a rule in Python; `when` takes the YAML form `{field: {op: value}}`."""
        conditions = tuple(
            Condition(field=fname, op=op, value=value)
            for fname, ops in (when or {}).items()
            for op, value in ops.items()
        )
        return cls(
            id=id,
            effect=effect,
            tools=_set(tools),
            risks=frozenset(RiskClass(r) for r in risks) if risks is not None else None,
            capabilities=_set(capabilities),
            stages=_set(stages),
            roles=_set(roles),
            tenants=_set(tenants),
            environments=_set(environments),
            conditions=conditions,
            predicate=predicate,
            predicate_name=getattr(predicate, "__name__", None) if predicate else None,
            result_check=result_check,
            result_check_name=getattr(result_check, "__name__", None) if result_check else None,
            approvers=tuple(approvers),
            approval_waived=approval_waived,
            returns=tuple(returns) if returns is not None else None,
            reason=reason,
        )

    def matches(self, request: CallRequest) -> bool:
        """True when this rule applies to the call."""
        scopes: tuple[tuple[frozenset[Any] | None, Any], ...] = (
            (self.tools, request.tool),
            (self.risks, request.risk),
            (self.capabilities, request.capability),
            (self.stages, request.stage),
            (self.roles, request.role),
            (self.tenants, request.tenant),
            (self.environments, request.environment),
        )
        if any(allowed is not None and value not in allowed for allowed, value in scopes):
            return False
        if not all(c.holds(request.arguments) for c in self.conditions):
            return False
        return self.predicate is None or bool(self.predicate(request))

    def describe(self) -> str:
        """A one-line summary: `allow submit_refund when amount lte 25`."""
        tools = ", ".join(sorted(self.tools)) if self.tools else "any tool"
        when = " and ".join(c.describe() for c in self.conditions)
        if self.predicate_name:
            when = f"{when} and {self.predicate_name}()" if when else f"{self.predicate_name}()"
        return f"{self.effect} {tools}" + (f" when {when}" if when else "")

    def fingerprint(self) -> dict[str, Any]:
        """A JSON form used for the policy's content hash."""

        def s(values: frozenset[Any] | None) -> list[str] | None:
            return sorted(str(v) for v in values) if values is not None else None

        return {
            "id": self.id,
            "effect": self.effect,
            "tools": s(self.tools),
            "risks": s(self.risks),
            "capabilities": s(self.capabilities),
            "stages": s(self.stages),
            "roles": s(self.roles),
            "tenants": s(self.tenants),
            "environments": s(self.environments),
            "conditions": [[c.field, c.op, repr(c.value)] for c in self.conditions],
            "predicate": self.predicate_name,
            "result_check": self.result_check_name,
            "approvers": list(self.approvers),
            "approval_waived": self.approval_waived,
            "returns": list(self.returns) if self.returns is not None else None,
            "reason": self.reason,
        }
