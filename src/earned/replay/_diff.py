"""The difference between a recorded run and its replay: decisions, tool calls, output.

Both sides are read as stored (redacted alike) and compared without pseudonym numbers.
Tool calls and policy decisions are aligned by tool name in order (difflib), so one call
added early does not make every later call look changed.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from earned.digest import canonical_json
from earned.evals import EvalContext, Scenario, ToolCallRecord
from earned.replay._match import comparable
from earned.runtime import RunEvent, RunResult

__all__ = ["CallChange", "RunDiff", "diff_runs"]

Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True, kw_only=True)
class CallChange:
    """A tool call the replay added, removed, or made with other arguments or status."""

    change: Change
    tool: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    fields: dict[str, list[Any]] = field(default_factory=dict[str, list[Any]])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"change": self.change, "tool": self.tool, "before": self.before,
                "after": self.after, "fields": self.fields}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class RunDiff:
    """What changed from the recorded run to the replay (empty: the same run)."""

    status: list[str] | None = None
    decision: list[str | None] | None = None
    classification: list[str | None] | None = None
    policy: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    calls: list[CallChange] = field(default_factory=list[CallChange])
    output: dict[str, list[Any]] = field(default_factory=dict[str, list[Any]])
    versions: dict[str, list[Any]] = field(default_factory=dict[str, list[Any]])

    @property
    def same(self) -> bool:
        """True when status, decisions, tool calls and output are all unchanged."""
        return not (
            self.status
            or self.decision
            or self.classification
            or self.policy
            or self.calls
            or self.output
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "same": self.same,
            "status": self.status,
            "decision": self.decision,
            "classification": self.classification,
            "policy": self.policy,
            "calls": [c.to_dict() for c in self.calls],
            "output": self.output,
            "versions": self.versions,
        }


def _context(result: RunResult, events: Sequence[RunEvent]) -> EvalContext:
    return EvalContext(
        scenario=Scenario(id=result.run_id, input=None), result=result, events=tuple(events)
    )


def _pair(before: Any, after: Any) -> list[Any] | None:
    return None if comparable(before) == comparable(after) else [before, after]


def diff_runs(
    before: RunResult,
    before_events: Sequence[RunEvent],
    after: RunResult,
    after_events: Sequence[RunEvent],
) -> RunDiff:
    """How `after` (the replay) differs from `before` (the recording); both as stored."""
    old, new = _context(before, before_events), _context(after, after_events)
    return RunDiff(
        status=_pair(before.status, after.status),
        decision=_pair(old.decision, new.decision),
        classification=_pair(old.classification, new.classification),
        policy=_policy(before.decisions, after.decisions),
        calls=_calls(old.tool_calls, new.tool_calls),
        output=_output(old.output, new.output),
        versions={
            k: v
            for k in sorted(set(before.versions) | set(after.versions))
            if (v := _pair(before.versions.get(k), after.versions.get(k))) is not None
        },
    )


def _aligned(a: Sequence[str], b: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Index pairs of an alignment of two name sequences (None: missing on that side)."""
    pairs: list[tuple[int | None, int | None]] = []
    matcher = difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [(i1 + k, j1 + k) for k in range(i2 - i1)]
            continue
        pairs += [(i, None) for i in range(i1, i2)]
        pairs += [(None, j) for j in range(j1, j2)]
    return pairs


def _call_view(call: ToolCallRecord) -> dict[str, Any]:
    return {"arguments": call.arguments, "status": call.status}


def _calls(before: Sequence[ToolCallRecord], after: Sequence[ToolCallRecord]) -> list[CallChange]:
    changes: list[CallChange] = []
    for i, j in _aligned([c.tool for c in before], [c.tool for c in after]):
        if j is None:
            assert i is not None
            changes.append(CallChange(change="removed", tool=before[i].tool,
                                      before=_call_view(before[i])))  # fmt: skip
        elif i is None:
            changes.append(CallChange(change="added", tool=after[j].tool,
                                      after=_call_view(after[j])))  # fmt: skip
        else:
            old, new = before[i], after[j]
            fields = _output(old.arguments, new.arguments)
            if old.status != new.status:
                fields["(status)"] = [old.status, new.status]
            if fields:
                changes.append(
                    CallChange(
                        change="changed",
                        tool=old.tool,
                        before=_call_view(old),
                        after=_call_view(new),
                        fields=fields,
                    )
                )
    return changes


def _policy(
    before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Policy decisions whose effect or rule changed, or that only one side made."""

    def view(d: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if d is None else {"effect": d.get("effect"), "rule_id": d.get("rule_id")}

    changed: list[dict[str, Any]] = []
    pairs = _aligned([str(d.get("tool")) for d in before], [str(d.get("tool")) for d in after])
    for i, j in pairs:
        old = None if i is None else before[i]
        new = None if j is None else after[j]
        if view(old) != view(new):
            tool = (old or new or {}).get("tool")
            changed.append({"tool": tool, "before": view(old), "after": view(new)})
    return changed


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix or "(output)": value}


def _output(before: Any, after: Any) -> dict[str, list[Any]]:
    """Changed leaves of two JSON values, by dotted path (lists compared whole)."""
    if canonical_json(comparable(before)) == canonical_json(comparable(after)):
        return {}
    old, new = _flatten(before), _flatten(after)
    changed: dict[str, list[Any]] = {}
    for path in sorted(set(old) | set(new)):
        pair = _pair(old.get(path), new.get(path))
        if pair is not None:
            changed[path] = pair
    return changed
