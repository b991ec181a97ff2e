"""Progressive autonomy over HTTP: the capability matrix, flags and kill switches, promotion.

Rollout state belongs to the agent team, not to a tenant (like eval runs): any token reads
the matrix, the flags and the rollout history. Changing them needs `manage` (an `owner` or
an `admin` token), and an owner token that lists capabilities manages only those: their
stages and their `CAPABILITY/enabled` switches. Agent-wide flags (`agent_enabled`,
`write_tools_enabled`, ...) and demotions across the matrix need an admin or an owner token
without a capability list.

Every change goes through the same code as `earned flags` and `earned rollout`
(`RolloutStore.set_flag`, `Promotion.promote|rollback`, `StopMonitor.check`), so it is judged
on the same evidence and written with the same audit entry; the actor is the token's name and
id. The routes answer 503 when the server was started without a capability matrix.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, StrictBool

from earned.errors import UserError
from earned.rollout import (
    AGENT_SCOPE,
    CapabilityMatrix,
    Flag,
    Promotion,
    PromotionCheck,
    RolloutStore,
    Stage,
    StopMonitor,
    VersionKind,
    split_flag,
)
from earned.rollout._promote import eval_gate
from earned.server._auth import Identity
from earned.server._context import ApiContext
from earned.server._deps import Ctx, Manager, Reader
from earned.server._errors import Conflict, Forbidden, NotFound, Unavailable
from earned.server._schemas import Body, IdPath, Limit, Name, NameQuery, Note

__all__ = [
    "capability_view",
    "flip",
    "matrix_view",
    "open_rollout",
    "promote_capability",
    "rollback_capability",
    "router",
]

router = APIRouter(prefix="/v1/rollout", tags=["rollout"])

Reason = Annotated[
    str,
    Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*\S[^\x00]*$"),
]


class PromoteRequest(Body):
    """Move a capability up: one stage, or `to` a stage above it."""

    to: Stage | None = Field(default=None, description="Default: the next stage up.")
    reason: Note | None = Field(default=None, description="Why, for the audit log.")
    dry_run: StrictBool = Field(default=False, description="Only judge the gates.")


class RollbackRequest(Body):
    """Move a capability down: to its fallback stage, or `to` a stage below it."""

    to: Stage | None = Field(default=None, description="Default: its fallback stage.")
    reason: Note | None = Field(default=None, description="Why, for the audit log.")


class FlagRequest(Body):
    """Turn a flag on or off."""

    flag: Name = Field(description="`write_tools_enabled`, or `CAPABILITY/enabled`.")
    enabled: StrictBool
    reason: Reason = Field(description="Why, for the audit log.")


class KillRequest(Body):
    """Switch something off now: the agent, one capability, or one flag."""

    target: Name = Field(default="agent", description="`agent`, a capability name, or a flag name.")
    reason: Reason = Field(description="Why, for the audit log.")


class CheckRequest(Body):
    """Measure the stop conditions now."""

    demote: StrictBool = Field(default=True, description="Demote what trips (false: only measure).")


# -- helpers --------------------------------------------------------------------------------


def _matrix(context: ApiContext) -> CapabilityMatrix:
    if context.matrix is None:
        raise Unavailable(
            "this server has no capability matrix",
            fix="start it with `earned serve --matrix capabilities.yaml`, or an engine "
            "with a matrix (Engine([...], matrix=...))",
        )
    return context.matrix


def open_rollout(context: ApiContext) -> tuple[CapabilityMatrix, RolloutStore]:
    """The server's matrix and its live store; 503 when the server has no matrix."""
    matrix = _matrix(context)
    return matrix, context.rollout_store(matrix)


def _spec_or_404(matrix: CapabilityMatrix, capability: str) -> None:
    if capability not in matrix.capabilities:
        raise NotFound(
            f"no capability {capability!r} in the matrix {matrix.version}",
            fix=f"known: {', '.join(sorted(matrix.capabilities)) or '(none)'}; "
            "GET /v1/rollout/matrix lists them",
        )


def _actor(caller: Identity) -> str:
    return f"{caller.name} (token {caller.token_id})"


def _must_own(caller: Identity, capability: str | None, what: str) -> None:
    """403 unless the caller manages `capability` (None: every capability, agent-wide)."""
    if not caller.owns(capability):
        listed = ", ".join(caller.capabilities or []) or "none"
        raise Forbidden(
            f"this owner token manages {listed}; it may not {what}",
            capabilities=caller.capabilities,
            fix="use an admin token, or an owner token created with that capability "
            "(`earned tokens create --role owner --capability NAME`)",
        )


def _flag_dict(flag: Flag) -> dict[str, Any]:
    data = flag.to_dict()
    data["flag"] = flag.name if flag.scope == AGENT_SCOPE else f"{flag.scope}/{flag.name}"
    return data


def _next_check(promotion: Promotion, capability: str, stage: Stage) -> dict[str, Any] | None:
    """The gates of the move one stage up, or None at the top of the ladder."""
    if stage is Stage.AUTONOMOUS:
        return None
    return promotion.check(capability).to_dict()


def _capability_row(
    context: ApiContext, matrix: CapabilityMatrix, store: RolloutStore, name: str
) -> dict[str, Any]:
    spec = matrix.get(name)
    state = store.state(name)
    assert state is not None  # the store was ensured for this matrix
    enabled = next((f.enabled for f in store.flags(name) if f.name == "enabled"), True)
    check = eval_gate(context.db, matrix, spec, clock=context.clock)
    return {
        **spec.model_dump(mode="json", exclude={"stage"}),
        "declared_stage": spec.stage.value,
        "stage": state.stage.value,
        "state": state.to_dict(),
        "enabled": enabled,
        "writes": spec.writes,
        "fallback": spec.demotes_to().value,
        "eval": check.to_dict() if spec.required_eval else None,
    }


# -- reads ----------------------------------------------------------------------------------


@router.get("/matrix", summary="The capability matrix with every capability's live stage")
def read_matrix(caller: Reader, context: Ctx) -> dict[str, Any]:
    """The matrix version and owner, the ladder, and every capability.

    Per capability: its spec (owner, tools, risk, rollback, stop conditions, approval-history
    rule, cohort), live stage, kill switch and the verdict of its required eval.
    """
    return matrix_view(context)


def matrix_view(context: ApiContext) -> dict[str, Any]:
    """`GET /v1/rollout/matrix`'s body (the console's capabilities page shows the same)."""
    matrix, store = open_rollout(context)
    return {
        "matrix": matrix.version,
        "name": matrix.name,
        "owner": matrix.owner,
        "digest": matrix.digest,
        "stages": [s.value for s in Stage],
        "capabilities": [_capability_row(context, matrix, store, n) for n in matrix.capabilities],
    }


@router.get("/capabilities/{capability}", summary="One capability with its promotion gates")
def read_capability(capability: IdPath, caller: Reader, context: Ctx) -> dict[str, Any]:
    """The capability as in the matrix, its flags, its gates, its last stage changes.

    `next` holds the gates of the move one stage up with their evidence (null at autonomous).
    """
    return capability_view(context, capability)


def capability_view(context: ApiContext, capability: str) -> dict[str, Any]:
    """`GET /v1/rollout/capabilities/{name}`'s body: the row, `next` gates, flags, history."""
    matrix, store = open_rollout(context)
    _spec_or_404(matrix, capability)
    row = _capability_row(context, matrix, store, capability)
    promotion = Promotion(context.db, matrix, store, clock=context.clock)
    row["next"] = _next_check(promotion, capability, Stage(row["stage"]))
    row["flags"] = [_flag_dict(f) for f in store.flags(capability)]
    history = [
        *store.audit.list(action="rollout.*", target=capability, limit=20),
        *store.audit.list(action="rollout.flag", target=f"{capability}/enabled", limit=20),
    ]
    history.sort(key=lambda e: (e.at, e.audit_id), reverse=True)
    row["history"] = [e.to_dict() for e in history[:20]]
    return row


@router.get("/flags", summary="Every flag and kill switch")
def list_flags(caller: Reader, context: Ctx) -> list[dict[str, Any]]:
    """Each flag's value, owner and last change; agent-wide flags first."""
    store = open_rollout(context)[1]
    return [_flag_dict(f) for f in store.flags()]


@router.get("/history", summary="Stage moves and flag flips, newest first")
def rollout_history(
    caller: Reader,
    context: Ctx,
    capability: NameQuery = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """The rollout audit entries: who moved what, when, why, with the evidence."""
    store = open_rollout(context)[1]
    entries = store.audit.list(action="rollout.*", limit=limit)
    if capability is not None:
        entries = [e for e in entries if e.target in (capability, f"{capability}/enabled")]
    return [e.to_dict() for e in entries]


@router.get("/versions", summary="Recorded versions of prompts, models, policies, matrices")
def list_versions(
    caller: Reader,
    context: Ctx,
    kind: Annotated[VersionKind | None, Query(description="What kind of version.")] = None,
    name: NameQuery = None,
    limit: Limit = 50,
) -> list[dict[str, Any]]:
    """Versions, newest first (without their content)."""
    from earned.rollout import VersionStore

    store = VersionStore(context.db, clock=context.clock)
    return [v.to_dict(content=False) for v in store.list(kind=kind, name=name, limit=limit)]


@router.get("/pins", summary="Pinned versions and canaries per capability")
def list_pins(caller: Reader, context: Ctx, capability: NameQuery = None) -> list[dict[str, Any]]:
    """Every pin (of one capability, when given)."""
    from earned.rollout import VersionStore

    return [p.to_dict() for p in VersionStore(context.db).pins(capability)]


# -- changes --------------------------------------------------------------------------------


@router.post("/flags", summary="Turn a flag on or off (audited)")
def set_flag(body: FlagRequest, caller: Manager, context: Ctx) -> dict[str, Any]:
    """The flag as it is now; the flip applies on the next call of every running run."""
    return flip(context, caller, body.flag, body.enabled, body.reason)


def flip(
    context: ApiContext, caller: Identity, target: str, enabled: bool, reason: str
) -> dict[str, Any]:
    """Set a flag (`agent`, a capability, `name` or `scope/name`) as `caller`; audited.

    403 unless the caller manages its capability (agent-wide flags: admins and owners
    without a capability list); 404 for an unknown capability; 400 for an unknown flag.
    """
    matrix, store = open_rollout(context)
    scope, name = split_flag(target, matrix)
    verb = "switch on" if enabled else "switch off"
    _must_own(caller, None if scope == AGENT_SCOPE else scope, f"{verb} {target}")
    if scope != AGENT_SCOPE:
        _spec_or_404(matrix, scope)
    flag = store.set_flag(scope, name, enabled, actor=_actor(caller), reason=reason)
    return _flag_dict(flag)


@router.post("/kill", summary="Kill switch: the agent, a capability, or a flag off now")
def kill(body: KillRequest, caller: Manager, context: Ctx) -> dict[str, Any]:
    """Switch it off now; the flag as it is now.

    Running runs stop at their next model call (they escalate); every tool call of a killed
    capability is denied from the next call on.
    """
    return flip(context, caller, body.target, False, body.reason)


@router.post(
    "/capabilities/{capability}/promote",
    summary="Promote on evidence: every gate must pass (409 with the gates otherwise)",
)
def promote(
    capability: IdPath, body: PromoteRequest, caller: Manager, context: Ctx
) -> dict[str, Any]:
    """The gates judged (as `earned rollout promote`), and the new state when it moved."""
    return promote_capability(
        context, caller, capability, to=body.to, reason=body.reason, dry_run=body.dry_run
    )


def promote_capability(
    context: ApiContext,
    caller: Identity,
    capability: str,
    *,
    to: Stage | None = None,
    reason: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Judge the move with `Promotion` and make it when every gate passes (409 otherwise)."""
    matrix, store = open_rollout(context)
    _spec_or_404(matrix, capability)
    _must_own(caller, capability, f"promote {capability}")
    promotion = Promotion(context.db, matrix, store, clock=context.clock)
    if dry_run:
        return {**promotion.check(capability, to=to).to_dict(), "promoted": False}
    check, state = promotion.promote(capability, actor=_actor(caller), to=to, reason=reason)
    if state is None:
        raise _refused(check)
    return {**check.to_dict(), "promoted": True, "state": state.to_dict()}


def _refused(check: PromotionCheck) -> Conflict:
    unmet = "; ".join(f"{g.gate}: {g.detail}" for g in check.unmet)
    return Conflict(
        f"{check.capability} stays at {check.current.value}: {len(check.unmet)} gate(s) "
        f"unmet ({unmet})",
        check=check.to_dict(),
        fix="meet the unmet gates (run the required evals, wait out the time at stage, "
        "turn the kill switch on), then promote again; dry_run: true judges without moving",
    )


@router.post("/capabilities/{capability}/rollback", summary="Roll back by hand, now (audited)")
def rollback(
    capability: IdPath, body: RollbackRequest, caller: Manager, context: Ctx
) -> dict[str, Any]:
    """Demote to the fallback stage (or `to`), with no gates, as `earned rollout rollback`."""
    return rollback_capability(context, caller, capability, to=body.to, reason=body.reason)


def rollback_capability(
    context: ApiContext,
    caller: Identity,
    capability: str,
    *,
    to: Stage | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Demote with `Promotion.rollback` (409 when `to` is not below the current stage)."""
    matrix, store = open_rollout(context)
    _spec_or_404(matrix, capability)
    _must_own(caller, capability, f"roll back {capability}")
    promotion = Promotion(context.db, matrix, store, clock=context.clock)
    before = store.state(capability)
    try:
        state = promotion.rollback(capability, actor=_actor(caller), to=to, reason=reason)
    except UserError as exc:
        raise Conflict(exc.message, fix="pick a stage below the current one, or promote") from exc
    spec = matrix.get(capability)
    return {
        "capability": capability,
        "from": before.stage.value if before else None,
        "state": state.to_dict(),
        "rollback_action": spec.rollback,
    }


@router.post("/check", summary="Measure every stop condition now; demote what trips")
def check_stops(body: CheckRequest, caller: Manager, context: Ctx) -> dict[str, Any]:
    """As `earned rollout check`: an owner token with a capability list checks only those."""
    matrix, store = open_rollout(context)
    names = [c for c in matrix.capabilities if caller.owns(c)]
    monitor = StopMonitor(context.db, matrix, store, clock=context.clock)
    report = monitor.check(actor=_actor(caller), demote=body.demote, capabilities=names)
    data = report.to_dict()
    data["tripped"] = any(r.tripped for r in report.results)
    return data
