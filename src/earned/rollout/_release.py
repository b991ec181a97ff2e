"""The release check: every checklist item of one capability, automated or attested.

```python
from earned.rollout import attest, load_matrix, release_check

matrix = load_matrix("capabilities.yaml")
report = release_check(db, matrix, "recommend_refund", agents=[agent])
report.passed            # True when every item passes
for item in report.failing:
    print(item.id, item.status, item.evidence, "->", item.fix)
attest(db, matrix, "recommend_refund", "teams_informed", note="Support briefed 3 May", actor="ana")
```

An automated item runs its check (a built-in, or a team's `MODULE:FUNCTION`): `pass` or
`fail`, with the evidence and the fix. An attestation item passes on the newest
attestation of that item, unless it is `stale` (made before the capability's last stage
change, or older than its maximum age); without one it is `missing_attestation`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ValidationError

from earned.errors import UserError
from earned.rollout._attest import Attestation, AttestationStore
from earned.rollout._checklist import (
    CHECKLIST_FILE,
    Checklist,
    ChecklistError,
    ChecklistItem,
    load_checklist,
)
from earned.rollout._checks_config import CONFIG_CHECKS
from earned.rollout._checks_evidence import EVIDENCE_CHECKS
from earned.rollout._matrix import CapabilityMatrix
from earned.rollout._release_ctx import Outcome, ReleaseContext, when
from earned.rollout._state import RolloutStore
from earned.store import Database

__all__ = [
    "BUILTIN_CHECKS",
    "DEFAULT_MAX_AGE_DAYS",
    "ItemResult",
    "ItemStatus",
    "ReleaseReport",
    "attest",
    "checklist_for",
    "release_check",
]

#: Days an attestation counts when neither the item nor the caller says otherwise.
DEFAULT_MAX_AGE_DAYS = 90.0

ItemStatus = Literal["pass", "fail", "missing_attestation", "stale"]
CheckFn = Callable[[ReleaseContext, Mapping[str, Any]], Outcome]

#: The checks a checklist may name, each with the model its params must fit.
BUILTIN_CHECKS: dict[str, tuple[CheckFn, type[BaseModel]]] = {**CONFIG_CHECKS, **EVIDENCE_CHECKS}


@dataclass(frozen=True, kw_only=True)
class ItemResult:
    """One checklist item's verdict for one capability."""

    id: str
    text: str
    source: str
    kind: str
    status: ItemStatus
    evidence: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    attestation: Attestation | None = None

    @property
    def passed(self) -> bool:
        """True for `pass`."""
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "text": self.text,
            "source": self.source,
            "kind": self.kind,
            "status": self.status,
            "evidence": self.evidence,
            "fix": self.fix,
            "details": self.details,
            "attestation": self.attestation.to_dict() if self.attestation else None,
        }


@dataclass(frozen=True, kw_only=True)
class ReleaseReport:
    """Every item of the release checklist for one capability, and the overall verdict."""

    capability: str
    stage: str | None
    matrix: str
    checked_at: float
    items: list[ItemResult]
    checklist: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every item passes."""
        return all(i.passed for i in self.items)

    @property
    def failing(self) -> list[ItemResult]:
        """The items that do not pass."""
        return [i for i in self.items if not i.passed]

    def get(self, item_id: str) -> ItemResult:
        """The result of one item."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "capability": self.capability,
            "stage": self.stage,
            "matrix": self.matrix,
            "checked_at": self.checked_at,
            "passed": self.passed,
            "counts": {
                "items": len(self.items),
                "pass": sum(1 for i in self.items if i.passed),
                "failing": len(self.failing),
            },
            "checklist": list(self.checklist),
            "items": [i.to_dict() for i in self.items],
        }


def checklist_for(matrix: CapabilityMatrix, extra: Iterable[str | Path] = ()) -> Checklist:
    """The shipped checklist, the matrix folder's `release.yaml` if any, then `extra` files."""
    files: list[str | Path] = []
    if matrix.base is not None and (matrix.base / CHECKLIST_FILE).is_file():
        files.append(matrix.base / CHECKLIST_FILE)
    return load_checklist(*files, *extra)


def _resolve(item: ChecklistItem) -> tuple[CheckFn, dict[str, Any]]:
    """The item's check function and its validated params; a ChecklistError otherwise."""
    from earned.evals._refs import is_ref, resolve_ref

    name = item.check or ""
    if name in BUILTIN_CHECKS:
        fn, model = BUILTIN_CHECKS[name]
        try:
            model.model_validate(item.params)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ChecklistError(
                f"item {item.id!r}: params.{'.'.join(str(p) for p in first['loc'])}: "
                f"{first['msg']}",
                path=item.origin,
                item=item.id,
                fix=f"see docs/release.md for the params of {name}",
            ) from None
        return fn, item.params
    if is_ref(name):
        fn = resolve_ref(name, item.base_dir)
        if not callable(fn):
            raise ChecklistError(
                f"item {item.id!r}: {name} is not a function", path=item.origin, item=item.id
            )
        return cast(CheckFn, fn), item.params
    raise ChecklistError(
        f"item {item.id!r}: unknown check {name!r}",
        path=item.origin,
        item=item.id,
        fix=f"use a built-in check ({', '.join(sorted(BUILTIN_CHECKS))}) or MODULE:FUNCTION",
    )


def _run_check(item: ChecklistItem, fn: CheckFn, ctx: ReleaseContext) -> ItemResult:
    try:
        outcome = fn(ctx, item.params)
    except UserError as exc:
        fix = exc.details.get("fix")
        outcome = Outcome.fail(exc.headline(), fix if isinstance(fix, str) else "fix the input")
    except Exception as exc:  # a broken check is a failed item, never a missing report
        outcome = Outcome.fail(
            f"the check crashed: {type(exc).__name__}: {exc}",
            f"fix the check {item.check} (a bug in it, or in what it reads)",
        )
    if not isinstance(outcome, Outcome):
        outcome = Outcome.fail(
            f"the check returned {type(outcome).__name__}, not an Outcome",
            f"make {item.check} return earned.rollout.Outcome",
        )
    return ItemResult(
        id=item.id,
        text=item.text,
        source=item.source,
        kind=item.kind,
        status="pass" if outcome.passed else "fail",
        evidence=outcome.evidence,
        fix=outcome.fix,
        details=outcome.details,
    )


def _attested(
    item: ChecklistItem,
    found: Attestation | None,
    ctx: ReleaseContext,
    max_age_days: float,
) -> ItemResult:
    days = item.max_age_days or max_age_days
    command = f'earned release attest {ctx.spec.name} {item.id} --note "..."'
    base: dict[str, Any] = {
        "id": item.id,
        "text": item.text,
        "source": item.source,
        "kind": item.kind,
    }
    if found is None:
        return ItemResult(
            **base,
            status="missing_attestation",
            evidence="nobody has attested it",
            fix=f"check it, then `{command}`",
        )
    said = f"{found.attested_by} {when(found.attested_at)}: {found.note}"
    age = (ctx.now - found.attested_at) / 86_400
    state = ctx.state
    if state is not None and found.attested_at < state.stage_since:
        why = (
            f"made before {ctx.spec.name} moved to {state.stage.value} ({when(state.stage_since)})"
        )
    elif age > days:
        why = f"{age:.0f} days old, more than {days:g}"
    else:
        return ItemResult(**base, status="pass", evidence=said, attestation=found)
    return ItemResult(
        **base,
        status="stale",
        evidence=f"{said} (stale: {why})",
        fix=f"check it again, then `{command}`",
        attestation=found,
    )


def release_check(
    db: Database,
    matrix: CapabilityMatrix,
    capability: str,
    *,
    agents: Sequence[Any] = (),
    checklist: Checklist | None = None,
    max_age_days: float = DEFAULT_MAX_AGE_DAYS,
    clock: Callable[[], float] = time.time,
) -> ReleaseReport:
    """Run the release checklist for `capability`; nothing is written.

    `agents` are the loaded agents (their tools and policies are checked); `checklist`
    defaults to `checklist_for(matrix)`. Raises a UserError for an unknown capability and a
    ChecklistError for a checklist that names an unknown check or bad params.
    """
    spec = matrix.get(capability)
    checklist = checklist or checklist_for(matrix)
    resolved = {i.id: _resolve(i) for i in checklist if i.kind == "automated"}
    db.check_revision()
    state = RolloutStore(db).state(capability)
    ctx = ReleaseContext(db=db, matrix=matrix, spec=spec, agents=agents, state=state, now=clock())
    attested = AttestationStore(db).latest(capability)
    items: list[ItemResult] = []
    for item in checklist:
        if item.kind == "automated":
            fn, _ = resolved[item.id]
            items.append(_run_check(item, fn, ctx))
        else:
            items.append(_attested(item, attested.get(item.id), ctx, max_age_days))
    return ReleaseReport(
        capability=capability,
        stage=state.stage.value if state else None,
        matrix=matrix.version,
        checked_at=ctx.now,
        items=items,
        checklist=checklist.sources,
    )


def attest(
    db: Database,
    matrix: CapabilityMatrix,
    capability: str,
    item: str,
    *,
    note: str,
    actor: str,
    checklist: Checklist | None = None,
    clock: Callable[[], float] = time.time,
) -> Attestation:
    """Record that `actor` attests `item` for `capability` (audited as `release.attest`)."""
    matrix.get(capability)
    checklist = checklist or checklist_for(matrix)
    found = checklist.get(item)
    if found.kind != "attestation":
        attestable = [i.id for i in checklist if i.kind == "attestation"]
        raise ChecklistError(
            f"item {item!r} is checked automatically; only attestation items are attested "
            f"({', '.join(attestable)})",
            item=item,
            fix=f"fix what `earned release check {capability}` reports for {item}",
        )
    return AttestationStore(db, clock=clock).record(capability, item, note=note, actor=actor)
