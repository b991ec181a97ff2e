"""The capability matrix: each capability's owner, stage, eval, permissions, rollback, stops.

Seed 000's matrix as data, next to the agent (`capabilities.yaml`), versioned by content
hash. A capability's permission names the tools it may use; every tool belongs to exactly
one capability, so policy knows whose stage applies to a call. Seed 000's rule holds at
load and again at promotion: a capability without a required eval or a rollback action
cannot move past `shadow`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from earned._yaml import LineDoc, YamlPath, did_you_mean
from earned.digest import digest
from earned.errors import UserError
from earned.metrics import METRICS
from earned.stages import Stage
from earned.tools import RiskClass, Tool

__all__ = [
    "DEFAULT_FLAGS",
    "SCHEMA_VERSION",
    "ApprovalHistoryGate",
    "CapabilityMatrix",
    "CapabilitySpec",
    "CohortSpec",
    "MatrixFileError",
    "StopCondition",
    "load_matrix",
    "parse_matrix",
]

#: The matrix file format this earned reads. Version 1: the first format.
SCHEMA_VERSION = 1

#: Seed 000's flags, each agent-wide; every capability also has its own `enabled` switch.
DEFAULT_FLAGS: tuple[str, ...] = (
    "agent_enabled",
    "draft_generation_enabled",
    "read_tools_enabled",
    "write_tools_enabled",
    "planner_enabled",
    "auto_action_enabled",
)


class MatrixFileError(UserError):
    """A capability matrix file that cannot be loaded; `details` has `path`, `line`, `fix`."""

    def headline(self) -> str:
        """`path:line: message`."""
        where, line = self.details.get("path") or "<matrix>", self.details.get("line")
        return f"{where}:{line}: {self.message}" if line else f"{where}: {self.message}"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CohortSpec(_Spec):
    """Who a `limited` capability serves: listed values of one attribute, or a sticky share.

    `by` names the attribute: `tenant`, `user`, or a field of the run's input (`queue`,
    `region`, `product_line`, ...). With `percent`, a key (`by`'s value) is in the cohort
    when its hash bucket (0-9999) is below percent x 100: the same keys stay in as it grows.
    """

    by: str = "tenant"
    values: tuple[str, ...] = ()
    percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_way(self) -> CohortSpec:
        if bool(self.values) == (self.percent is not None):
            raise ValueError("give `values` or `percent` (not both, not neither)")
        return self


class StopCondition(_Spec):
    """A condition on live traffic that demotes the capability when it trips.

    Exactly one measure: `event_rate` (custom events named so, per call of the
    capability's tools), `count` of `unauthorized` attempts (calls policy denied) or of
    custom events, `review_rate` (the share of reviewer decisions on the capability with
    that reason code, e.g. `unsafe_action`), or a `metric` from earned.metrics over the
    capability. It trips when the measure is `above` / `below` its threshold, or above
    `above_baseline` times its mean over the previous `baseline_windows` windows.
    """

    id: str
    event_rate: str | None = None
    count: str | None = None
    review_rate: str | None = None
    metric: str | None = None
    where: Mapping[str, tuple[str, ...]] = Field(default_factory=dict)
    above: float | None = None
    below: float | None = None
    above_baseline: float | None = Field(default=None, gt=0)
    baseline_windows: int = Field(default=7, ge=1)
    window: str = "24h"
    min_samples: int = Field(default=1, ge=0)
    stages: tuple[Stage, ...] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _shape(self) -> StopCondition:
        kinds = (self.event_rate, self.count, self.review_rate, self.metric)
        if len([m for m in kinds if m is not None]) != 1:
            raise ValueError("give exactly one of event_rate, count, review_rate, metric")
        if self.metric is not None and self.metric not in METRICS:
            raise ValueError(
                f"unknown metric {self.metric!r}; {did_you_mean(self.metric, METRICS, 'metrics')}"
            )
        bounds = [b for b in (self.above, self.below, self.above_baseline) if b is not None]
        if len(bounds) != 1:
            raise ValueError("give exactly one of above, below, above_baseline")
        return self


class ApprovalHistoryGate(_Spec):
    """Seed 001's auto-approval rule: enough decisions, a high rate, no recent rejection."""

    min_decisions: int = Field(default=100, ge=0)
    min_rate: float = Field(default=0.97, ge=0, le=1)
    no_rejection_days: float = Field(default=30, ge=0)
    window_days: float = Field(default=30, gt=0)
    from_stage: Stage = Stage.CONDITIONAL_AUTO


class CapabilitySpec(_Spec):
    """One row of the capability matrix."""

    name: str
    owner: str
    description: str = ""
    stage: Stage = Stage.DISABLED
    required_eval: str | None = None
    eval_max_age_days: float = Field(default=30, gt=0)
    tools: tuple[str, ...] = ()
    max_risk: RiskClass = RiskClass.READ
    rollback: str | None = None
    fallback_stage: Stage | None = None
    stop_conditions: tuple[StopCondition, ...] = ()
    approval_history: ApprovalHistoryGate = ApprovalHistoryGate()
    min_days_at_stage: float = Field(default=0, ge=0)
    cohort: CohortSpec | None = None
    next_review: str | None = None

    @property
    def can_leave_shadow(self) -> bool:
        """Seed 000's rule: a required eval and a rollback action are both declared."""
        return bool(self.required_eval) and bool(self.rollback)

    @property
    def writes(self) -> bool:
        """True when the capability may use tools above `read`."""
        return self.max_risk.is_write

    def demotes_to(self) -> Stage:
        """Where a tripped stop condition sends it: its fallback, else approval_required."""
        return self.fallback_stage or Stage.APPROVAL_REQUIRED


class CapabilityMatrix:
    """Capabilities by name, the tool -> capability map, and the content hash."""

    def __init__(
        self,
        capabilities: Iterable[CapabilitySpec],
        *,
        name: str = "matrix",
        owner: str | None = None,
        source: str | None = None,
        base: Path | None = None,
    ) -> None:
        self.name, self.source, self.base = name, source, base
        self.capabilities: dict[str, CapabilitySpec] = {}
        self.tool_owner: dict[str, str] = {}
        for spec in capabilities:
            if spec.name in self.capabilities:
                raise MatrixFileError(
                    f"capability {spec.name!r} is declared twice",
                    path=source,
                    fix="give each capability its own name",
                )
            self.capabilities[spec.name] = spec
            for tool in spec.tools:
                if tool in self.tool_owner:
                    raise MatrixFileError(
                        f"tool {tool!r} belongs to {self.tool_owner[tool]!r} and {spec.name!r}",
                        path=source,
                        fix="each tool belongs to one capability: its stage governs the tool",
                    )
                self.tool_owner[tool] = spec.name
        self.owner = owner or next((c.owner for c in self.capabilities.values()), "unowned")
        payload = [c.model_dump(mode="json") for c in self.capabilities.values()]
        self.digest = digest({"name": name, "owner": self.owner, "capabilities": payload})

    @property
    def version(self) -> str:
        """`name@` and the first 12 hex digits of the content hash."""
        return f"{self.name}@{self.digest[:12]}"

    def get(self, capability: str) -> CapabilitySpec:
        """The capability, or a UserError listing the known ones."""
        try:
            return self.capabilities[capability]
        except KeyError:
            raise UserError(
                f"no capability {capability!r} in the matrix; known: "
                f"{', '.join(sorted(self.capabilities)) or '(none)'}",
                capability=capability,
            ) from None

    def capability_for_tool(self, tool: str) -> CapabilitySpec | None:
        """The capability whose permission includes `tool`, or None."""
        owner = self.tool_owner.get(tool)
        return self.capabilities[owner] if owner else None

    def manifest_path(self, spec: CapabilitySpec) -> Path | None:
        """The required eval's gate manifest, resolved against the matrix file's folder."""
        if not spec.required_eval:
            return None
        path = Path(spec.required_eval)
        return path if path.is_absolute() or self.base is None else self.base / path

    def check_tools(self, tools: Iterable[Tool[Any, Any]]) -> None:
        """Raise when a capability names a tool the agents lack or one riskier than allowed."""
        known = {t.name: t for t in tools}
        for spec in self.capabilities.values():
            for name in spec.tools:
                tool = known.get(name)
                if tool is None:
                    raise MatrixFileError(
                        f"capability {spec.name!r} names unknown tool {name!r}",
                        path=self.source,
                        fix=did_you_mean(name, known, "tools"),
                    )
                if tool.risk.rank > spec.max_risk.rank:
                    raise MatrixFileError(
                        f"tool {name!r} is {tool.risk.value}, above capability {spec.name!r}'s "
                        f"max_risk {spec.max_risk.value}",
                        path=self.source,
                        fix=f"raise max_risk to {tool.risk.value} or move the tool",
                    )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "version": self.version,
            "owner": self.owner,
            "capabilities": [c.model_dump(mode="json") for c in self.capabilities.values()],
        }


_TOP_KEYS = {"version", "name", "owner", "description", "capabilities"}


def load_matrix(
    path: str | Path, *, tools: Iterable[Tool[Any, Any]] | None = None
) -> CapabilityMatrix:
    """Read a matrix file; with `tools`, unknown tools and over-risky tools are errors."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise MatrixFileError(
            f"cannot read the matrix file: {exc.strerror}",
            path=str(file),
            fix="check the path (relative to the current directory)",
        ) from None
    matrix = parse_matrix(text, source=str(file), base=file.parent)
    if tools is not None:
        matrix.check_tools(tools)
    return matrix


def parse_matrix(
    text: str, *, source: str = "<matrix>", base: Path | None = None
) -> CapabilityMatrix:
    """Build a matrix from YAML text; every mistake names its line and the fix."""
    doc = LineDoc(text, source, error=MatrixFileError)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.fail((), "a matrix file must be a mapping with `capabilities:`", _EXAMPLE)
    data = cast(dict[str, Any], data)
    doc.check_keys((), data, _TOP_KEYS, "top-level keys")
    version = data.get("version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
        raise doc.fail(
            ("version",),
            f"unsupported matrix format version {version!r}",
            f"write `version: {SCHEMA_VERSION}` (or upgrade earned)",
        )
    items = data.get("capabilities")
    if not isinstance(items, list) or not items:
        raise doc.fail(("capabilities",), "`capabilities` must be a non-empty list", _EXAMPLE)
    specs = [
        _capability(doc, ("capabilities", i), item) for i, item in enumerate(cast(list[Any], items))
    ]
    return CapabilityMatrix(
        specs,
        name=str(data.get("name") or Path(source).stem),
        owner=data.get("owner"),
        source=source,
        base=base,
    )


def _capability(doc: LineDoc, path: YamlPath, item: Any) -> CapabilitySpec:
    if not isinstance(item, dict):
        raise doc.fail(path, "each capability must be a mapping", _EXAMPLE)
    item = cast(dict[str, Any], item)
    doc.check_keys(path, item, CapabilitySpec.model_fields, "capability keys")
    try:
        spec = CapabilitySpec.model_validate(item)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = (*path, *(str(p) for p in first["loc"]))
        raise doc.fail(
            where,
            f"capability {item.get('name', '?')!r}: "
            f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
            _fix_for(first),
        ) from None
    if spec.stage.rank > Stage.SHADOW.rank and not spec.can_leave_shadow:
        raise doc.fail(
            (*path, "stage"),
            f"capability {spec.name!r} is at {spec.stage.value} "
            "without a required eval and a rollback action",
            "declare `required_eval` and `rollback`, or keep it at shadow (seed 000: "
            "no eval and no rollback, no shipping)",
        )
    return spec


def _fix_for(error: Mapping[str, Any]) -> str:
    if error["type"] == "enum":
        return f"use one of: {error.get('ctx', {}).get('expected', '')}"
    if error["type"] == "extra_forbidden":
        return "remove the key (see docs/rollout.md for the keys a capability takes)"
    return f"got {json.dumps(error.get('input'), default=str)[:80]}"


_EXAMPLE = (
    "write e.g.\n  version: 1\n  capabilities:\n    - name: recommend_refund\n"
    "      owner: product-owner\n      stage: shadow\n      tools: [create_refund_recommendation]\n"
    "      max_risk: internal_write\n      required_eval: gates/recommend_refund.yaml\n"
    "      rollback: Hide the recommendation panel"
)
