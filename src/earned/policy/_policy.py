"""The one enforcement point: every tool call is checked before it runs and after it returns."""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from earned.errors import PolicyFileError
from earned.policy._decision import EFFECT_ORDER, CallRequest, Decision, ResultDecision
from earned.policy._rules import Predicate, ResultPredicate, Rule
from earned.tools import Tool

__all__ = ["DEFAULT_APPROVERS", "Policy", "PolicyEngine"]

#: Roles that may decide an approval when neither the rule nor the policy names any.
DEFAULT_APPROVERS: tuple[str, ...] = ("reviewer",)


@runtime_checkable
class PolicyEngine(Protocol):
    """The interface the runtime calls; wrappers (flags, stages) add behaviour around it."""

    @property
    def version(self) -> str:
        """`name@hash` of the rules in force."""
        ...

    def check_call(self, request: CallRequest) -> Decision:
        """Decide before the call runs."""
        ...

    def check_result(self, request: CallRequest, value: Any) -> ResultDecision:
        """Decide after the call returned, before the model or the trace sees the result."""
        ...


class Policy:
    """Rules evaluated deny-by-default, most restrictive match wins.

    - No matching rule: denied (rule `default-deny`).
    - Any matching `deny`: denied; else any matching `require_approval`: approval required
      (such a rule allowlists the call behind a human decision).
    - An allowed call to a tool that requires approval (irreversible tools always do) still
      requires it, unless an allowing rule says `approval: waived`.
    - Once untrusted content in the run was flagged, every write requires approval,
      whatever the rules say (rule `tainted-run`).
    """

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        name: str = "policy",
        approvers: Iterable[str] = DEFAULT_APPROVERS,
        source: str | None = None,
    ) -> None:
        self.name = name
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.approvers = tuple(approvers)
        self.source = source
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PolicyFileError(
                f"rule ids must be unique; repeated: {', '.join(duplicates)}",
                path=source,
                fix="give each rule its own id",
            )
        blob = json.dumps(
            {
                "name": name,
                "approvers": list(self.approvers),
                "rules": [r.fingerprint() for r in self.rules],
            },
            sort_keys=True,
        ).encode()
        self.digest = hashlib.sha256(blob).hexdigest()

    @property
    def version(self) -> str:
        """`name@` and the first 12 hex digits of the content hash."""
        return f"{self.name}@{self.digest[:12]}"

    def __repr__(self) -> str:
        return f"Policy({self.version!r}, {len(self.rules)} rules)"

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        tools: Iterable[Tool[Any, Any]] | None = None,
        predicates: Mapping[str, Predicate | ResultPredicate] | None = None,
    ) -> Policy:
        """Load a YAML policy; with `tools`, unknown tools and argument fields are errors."""
        from earned.policy._loader import load_policy_file

        return load_policy_file(Path(path), tools=tools, predicates=predicates or {})

    @classmethod
    def from_yaml(
        cls,
        text: str,
        *,
        tools: Iterable[Tool[Any, Any]] | None = None,
        predicates: Mapping[str, Predicate | ResultPredicate] | None = None,
        source: str = "<string>",
    ) -> Policy:
        """Load a policy from YAML text (same rules as `from_file`)."""
        from earned.policy._loader import load_policy_text

        return load_policy_text(text, source=source, tools=tools, predicates=predicates or {})

    def validate_tools(self, tools: Iterable[Tool[Any, Any]]) -> None:
        """Raise PolicyFileError when a rule names a tool or argument the agent lacks."""
        known = {t.name: t for t in tools}
        for rule in self.rules:
            for tool_name in sorted(rule.tools or ()):
                if tool_name not in known:
                    raise PolicyFileError(
                        f"rule {rule.id!r} names unknown tool {tool_name!r}",
                        path=self.source,
                        line=rule.line,
                        fix=_suggest(tool_name, known, "tool"),
                    )
                _check_fields(rule, known[tool_name], self.source)

    def check_call(self, request: CallRequest) -> Decision:
        """Decide whether the call may run now, needs approval, or is denied."""
        matched = [r for r in self.rules if r.matches(request)]
        if not matched:
            return self._decision("deny", "default-deny", _no_rule_reason(request))
        strictest = max(matched, key=lambda r: EFFECT_ORDER.index(r.effect))
        if strictest.effect == "deny":
            return self._decision("deny", strictest.id, strictest.reason or strictest.describe())
        if strictest.effect == "require_approval":
            return self._approval(strictest.id, strictest.reason or strictest.describe(), matched)
        allowing = [r for r in matched if r.effect == "allow"]
        if request.tainted and request.risk.is_write:
            return self._approval(
                "tainted-run",
                "untrusted content in this run was flagged as a possible prompt injection; "
                "every write now requires approval",
                matched,
            )
        waived = any(r.approval_waived for r in allowing)
        if request.tool_requires_approval and not waived:
            return self._approval(
                f"tool-default:{request.tool}",
                f"{request.tool} is a {request.risk.value} tool and requires approval",
                matched,
            )
        rule = allowing[0]
        return self._decision(
            "allow",
            rule.id,
            rule.reason or rule.describe(),
            approval_waived=waived and request.tool_requires_approval,
            returns=_narrowest_returns(allowing),
        )

    def check_result(self, request: CallRequest, value: Any) -> ResultDecision:
        """Withhold a result when a matching rule's result check objects."""
        for rule in self.rules:
            if rule.result_check is None or not rule.matches(request):
                continue
            objection = rule.result_check(request, value)
            if objection:
                return ResultDecision(withheld=True, rule_id=rule.id, reason=objection)
        return ResultDecision()

    def _decision(self, effect: Any, rule_id: str, reason: str, **extra: Any) -> Decision:
        return Decision(
            effect=effect, rule_id=rule_id, reason=reason, policy_version=self.version, **extra
        )

    def _approval(self, rule_id: str, reason: str, matched: list[Rule]) -> Decision:
        named = [a for r in matched if r.effect != "deny" for a in r.approvers]
        approvers = tuple(dict.fromkeys(named)) or self.approvers
        return self._decision("require_approval", rule_id, reason, approvers=approvers)


def _narrowest_returns(rules: list[Rule]) -> tuple[str, ...] | None:
    lists = [set(r.returns) for r in rules if r.returns is not None]
    if not lists:
        return None
    return tuple(sorted(set.intersection(*lists)))


def _no_rule_reason(request: CallRequest) -> str:
    scope = ", ".join(
        f"{k} {v!r}"
        for k, v in (
            ("capability", request.capability),
            ("stage", request.stage),
            ("role", request.role),
            ("tenant", request.tenant),
            ("environment", request.environment),
        )
        if v is not None
    )
    return f"no rule allows {request.tool} ({scope}); calls are denied by default"


def _suggest(name: str, known: Iterable[str], what: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"did you mean {what} {close[0]!r}? Known: {', '.join(names)}"
    return f"known {what}s: {', '.join(names) or '(none)'}"


def _check_fields(rule: Rule, tool: Tool[Any, Any], source: str | None) -> None:
    fields = tool.argument_names
    for condition in rule.conditions:
        root = condition.field.split(".")[0]
        if root not in fields:
            raise PolicyFileError(
                f"rule {rule.id!r}: tool {tool.name!r} has no argument {root!r}",
                path=source,
                line=rule.line,
                fix=_suggest(root, fields, "argument"),
            )
