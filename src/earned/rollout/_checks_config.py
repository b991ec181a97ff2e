"""Release checks read from the matrix and the agents' code: owner, schemas, permissions, ...

Each check takes the `ReleaseContext` and its validated params and returns an `Outcome`.
None of them touches the database except to read flags.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from earned.policy import CallRequest
from earned.rollout._enforce import StagedPolicy
from earned.rollout._matrix import DEFAULT_FLAGS
from earned.rollout._release_ctx import NoParams, Outcome, ReleaseContext
from earned.rollout._state import AGENT_SCOPE, ENABLED, RolloutStore
from earned.stages import Stage
from earned.tools import RiskClass, Tool

__all__ = ["CONFIG_CHECKS"]

#: A tool name no policy names: the default-deny probe.
PROBE_TOOL = "__earned_release_probe__"
_UNOWNED = {"", "unowned", "tbd", "todo", "none", "?", "nobody"}
_HIGH_IMPACT = (RiskClass.EXTERNAL_WRITE, RiskClass.IRREVERSIBLE)


def check_owner(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The capability names an owner (and the workflow has one)."""
    owner = ctx.spec.owner.strip()
    if owner.lower() in _UNOWNED:
        return Outcome.fail(
            f"{ctx.spec.name} has no named owner (owner: {owner!r})",
            "set `owner:` in its row of the matrix to the team or person who answers for it",
        )
    return Outcome.ok(
        f"owner {owner}; workflow owner {ctx.matrix.owner}", owner=owner, workflow=ctx.matrix.owner
    )


def check_next_review(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The matrix's `next_review` is a date in the future."""
    raw = ctx.spec.next_review
    fix = "set `next_review: YYYY-MM-DD` in the capability's row (the next release review)"
    if not raw:
        return Outcome.fail(f"{ctx.spec.name} has no next_review date", fix)
    try:
        day = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        return Outcome.fail(f"next_review {raw!r} is not a date", fix)
    if day.tzinfo is None:
        day = day.replace(tzinfo=dt.UTC)
    days = (day.timestamp() - ctx.now) / 86_400
    if days <= 0:
        return Outcome.fail(f"next_review {raw} is past ({-days:.0f} days ago)", fix, days=days)
    return Outcome.ok(f"next review {raw} (in {days:.0f} days)", next_review=raw, days=days)


def check_scope_and_risk(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The row describes the scope; each tool has a risk class within max_risk and its uses."""
    problems: list[str] = []
    if not ctx.spec.description.strip():
        problems.append(f"{ctx.spec.name} has no description of its scope in the matrix")
    missing = ctx.agents_problem()
    if missing is not None:
        return missing if not problems else Outcome.fail("; ".join(problems), missing.fix or "")
    for name, tool in ctx.tools.items():
        if tool.risk.rank > ctx.spec.max_risk.rank:
            problems.append(f"{name} is {tool.risk.value}, above max_risk {ctx.spec.max_risk}")
        if not tool.allowed_use or not tool.blocked_use:
            problems.append(f"{name} lacks allowed_use/blocked_use (the tool table's columns)")
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "describe the capability (`description:` in the matrix) and give each tool "
            "@tool(allowed_use=..., blocked_use=...) and a risk within the row's max_risk",
        )
    risks = ", ".join(f"{n} {t.risk.value}" for n, t in ctx.tools.items()) or "no tools"
    return Outcome.ok(
        f"scope: {ctx.spec.description.strip()} Risk: {risks}; max {ctx.spec.max_risk}"
    )


def check_tool_schemas(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Each tool has a strict JSON schema (extra arguments refused) and every argument described."""
    missing = ctx.agents_problem()
    if missing is not None:
        return missing
    if not ctx.tools:
        return Outcome.ok(f"{ctx.spec.name} uses no tools")
    problems: list[str] = []
    for name, tool in ctx.tools.items():
        schema = tool.definition.parameters
        if schema.get("type") != "object":
            problems.append(f"{name}: schema is not an object")
        if schema.get("additionalProperties") is not False:
            problems.append(f"{name}: extra arguments are not refused")
        if not tool.description.strip():
            problems.append(f"{name}: no description")
        for arg, prop in (schema.get("properties") or {}).items():
            if not str(prop.get("description") or "").strip():
                problems.append(f"{name}.{arg}: no description")
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "document every argument in the tool's docstring (an `Args:` section) and keep "
            "schemas strict",
            problems=problems,
        )
    count = sum(len(t.definition.parameters.get("properties") or {}) for t in ctx.tools.values())
    return Outcome.ok(
        f"{len(ctx.tools)} tools, {count} arguments: strict schemas, every argument described"
    )


def _probe(policy: Any, ctx: ReleaseContext, risk: RiskClass, stage: Stage) -> Any:
    request = CallRequest(tool=PROBE_TOOL, risk=risk, capability=ctx.spec.name, stage=stage.value)
    return policy.check_call(request)


def _rules_for(policy: Any, tool: str) -> list[Any]:
    rules = getattr(policy, "rules", ())
    return [r for r in rules if r.tools is not None and tool in r.tools]


def check_permissions(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Policy is code: it loaded, every tool has a rule and a risk class, default deny holds."""
    missing = ctx.agents_problem()
    if missing is not None:
        return missing
    problems: list[str] = []
    notes: list[str] = []
    stages = {ctx.state.stage if ctx.state else ctx.spec.stage, Stage.AUTONOMOUS}
    for agent in ctx.serving_agents:
        policy = agent.policy
        source = getattr(policy, "source", None) or "code"
        rules = len(getattr(policy, "rules", ()))
        notes.append(f"{agent.name}: {policy.version} from {source} ({rules} rules)")
        for name in ctx.spec.tools:
            tool = agent.find_tool(name)
            if tool is None:
                continue
            if not _rules_for(policy, name):
                problems.append(f"no rule of {policy.version} names {name}")
            notes.append(f"{name} {tool.risk.value}")
        for risk in RiskClass:
            for stage in stages:
                decision = _probe(policy, ctx, risk, stage)
                if decision.effect != "deny":
                    problems.append(
                        f"default deny does not hold: {policy.version} answers "
                        f"{decision.effect} (rule {decision.rule_id}) to an unlisted "
                        f"{risk.value} tool at {stage.value}"
                    )
        staged = StagedPolicy(policy, ctx.matrix, RolloutStore(ctx.db))
        if _probe(staged, ctx, RiskClass.READ, Stage.AUTONOMOUS).effect != "deny":
            problems.append("the matrix lets a tool no capability owns run")
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "name every tool in an allow (or require_approval) rule of the policy file, and "
            "scope every allowing rule to its tools: calls no rule allows must be denied",
            problems=problems,
        )
    return Outcome.ok(
        "; ".join(notes) + f"; each of {len(ctx.spec.tools)} tools has a rule; an unlisted "
        "tool is denied at every risk class (default-deny), and by the matrix"
    )


def check_least_privilege(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """No allowing rule without a tool list; tools stay within the row's max_risk."""
    missing = ctx.agents_problem()
    if missing is not None:
        return missing
    problems: list[str] = []
    scopes: list[str] = []
    for agent in ctx.serving_agents:
        for rule in getattr(agent.policy, "rules", ()):
            if rule.effect != "deny" and rule.tools is None:
                problems.append(f"rule {rule.id} allows every tool ({rule.effect})")
    for name, tool in ctx.tools.items():
        if tool.risk.rank > ctx.spec.max_risk.rank:
            problems.append(f"{name} is {tool.risk.value}, above max_risk {ctx.spec.max_risk}")
        for agent in ctx.serving_agents:
            for rule in _rules_for(agent.policy, name):
                scoped = [
                    f"{k} {', '.join(sorted(v))}"
                    for k, v in (
                        ("roles", rule.roles),
                        ("tenants", rule.tenants),
                        ("environments", rule.environments),
                        ("stages", rule.stages),
                    )
                    if v
                ]
                scopes.append(
                    f"{name} via {rule.id}" + (f" ({'; '.join(scoped)})" if scoped else "")
                )
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "list the tools each allowing rule covers (`tools: [...]`), and keep each tool "
            "within its capability's max_risk",
            problems=problems,
        )
    return Outcome.ok(
        "every allowing rule names its tools; "
        + ("; ".join(scopes) if scopes else f"{ctx.spec.name} uses no tools")
    )


def _waivers_below_auto(policy: Any, tool: str) -> list[str]:
    bad: list[str] = []
    for rule in getattr(policy, "rules", ()):
        if not rule.approval_waived or (rule.tools is not None and tool not in rule.tools):
            continue
        stages = rule.stages
        if stages is None or any(Stage(s).rank < Stage.CONDITIONAL_AUTO.rank for s in stages):
            bad.append(rule.id)
    return bad


def check_high_impact_approval(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """External and irreversible tools need a human; waivers only from conditional_auto up."""
    missing = ctx.agents_problem()
    if missing is not None:
        return missing
    high = {n: t for n, t in ctx.tools.items() if t.risk in _HIGH_IMPACT}
    if not high:
        return Outcome.ok(f"no external or irreversible tools (max_risk {ctx.spec.max_risk})")
    problems: list[str] = []
    for name, tool in high.items():
        for agent in ctx.serving_agents:
            rules = _rules_for(agent.policy, name)
            asks = tool.approval_required or any(r.effect == "require_approval" for r in rules)
            if not asks:
                problems.append(f"{name} ({tool.risk.value}) can run without a human")
            for rule in _waivers_below_auto(agent.policy, name):
                problems.append(f"rule {rule} waives approval of {name} below conditional_auto")
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "require approval (@tool(approval=True) or a require_approval rule), and scope "
            "every `approval: waived` rule to stages conditional_auto and autonomous",
            problems=problems,
        )
    return Outcome.ok(
        f"{', '.join(high)}: approval required; waivers only at conditional_auto and above"
    )


def _key_strategy(tool: Tool[Any, Any]) -> str | None:
    if tool.idempotent:
        return "idempotent (the system deduplicates by key)"
    if tool.can_reconcile:
        return "reconcile check"
    if tool._schema.context_param is not None:
        try:
            source = inspect.getsource(tool.fn)
        except (OSError, TypeError):
            source = ""
        if "idempotency_key" in source:
            return "passes ctx.idempotency_key to the system"
    return None


def check_idempotency(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Each write tool has a strategy: idempotent, a reconcile check, or the key passed on."""
    missing = ctx.agents_problem()
    if missing is not None:
        return missing
    writes = {n: t for n, t in ctx.tools.items() if t.risk.is_write}
    if not writes:
        return Outcome.ok(f"{ctx.spec.name} has no side-effecting tools")
    found = {n: _key_strategy(t) for n, t in writes.items()}
    lacking = [n for n, s in found.items() if s is None]
    if lacking:
        return Outcome.fail(
            f"no idempotency strategy for {', '.join(lacking)} (the ledger runs each call at "
            "most once, but a crash mid-call leaves its outcome unknown)",
            "pass ctx.idempotency_key to the external system, declare idempotent=True when "
            "it deduplicates by that key, or add a @tool.reconciler check",
            lacking=lacking,
        )
    return Outcome.ok(
        "ledger: at most once per run, call and arguments; "
        + "; ".join(f"{n}: {s}" for n, s in found.items())
    )


class ReliabilityParams(BaseModel):
    """`rate_limits: run` accepts the run's step and time budget; `tools` wants one per tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    rate_limits: Literal["run", "tools"] = "run"


def check_reliability(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Each tool has a timeout and a retry policy; calls are rate-limited (per tool or run)."""
    missing = ctx.agents_problem()
    if missing is not None:
        return missing
    mode = ReliabilityParams.model_validate(params).rate_limits
    problems: list[str] = []
    parts: list[str] = []
    for name, tool in ctx.tools.items():
        if not tool.timeout:
            problems.append(f"{name} has no timeout")
        if mode == "tools" and tool.rate_limit is None:
            problems.append(f"{name} has no rate limit")
        limit = f", {tool.rate_limit}" if tool.rate_limit else ""
        timeout = f"{tool.timeout:g}s" if tool.timeout else "no timeout"
        parts.append(f"{name}: {timeout}, {tool.retry.max_attempts} attempt(s){limit}")
    for agent in ctx.serving_agents:
        limits = agent.limits
        if limits is None:
            parts.append(f"{agent.name}: default run limits (20 steps, 600 s)")
        else:
            parts.append(
                f"{agent.name}: {limits.max_steps} steps, deadline {limits.deadline_seconds}s, "
                f"model timeout {limits.model_timeout:g}s x{limits.model_attempts}"
            )
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "give each tool @tool(timeout=...) and, where required, rate_limit='N/minute'",
            problems=problems,
        )
    return Outcome.ok("; ".join(parts) or f"{ctx.spec.name} uses no tools")


def check_rollback_flags(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """A rollback action, the capability's kill switch, and seed 000's agent-wide flags."""
    problems: list[str] = []
    if not (ctx.spec.rollback or "").strip():
        problems.append(f"{ctx.spec.name} has no rollback action in the matrix")
    flags = {(f.scope, f.name): f for f in RolloutStore(ctx.db).flags()}
    switch = flags.get((ctx.spec.name, ENABLED))
    if switch is None:
        problems.append(f"no kill switch {ctx.spec.name}/{ENABLED}")
    absent = [n for n in DEFAULT_FLAGS if (AGENT_SCOPE, n) not in flags]
    if absent:
        problems.append(f"agent-wide flags missing: {', '.join(absent)}")
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "declare `rollback:` in the matrix and launch an engine with the matrix (it "
            "creates the flags); `earned flags list` shows them",
            problems=problems,
        )
    assert switch is not None
    fallback = ctx.spec.demotes_to().value
    return Outcome.ok(
        f"rollback: {ctx.spec.rollback} (falls back to {fallback}); kill switch "
        f"{ctx.spec.name}/{ENABLED} ({'on' if switch.enabled else 'OFF'}, owner {switch.owner}); "
        f"{len(DEFAULT_FLAGS)} agent-wide flags"
    )


CONFIG_CHECKS: dict[
    str, tuple[Callable[[ReleaseContext, Mapping[str, Any]], Outcome], type[BaseModel]]
] = {
    "check_owner": (check_owner, NoParams),
    "check_next_review": (check_next_review, NoParams),
    "check_scope_and_risk": (check_scope_and_risk, NoParams),
    "check_tool_schemas": (check_tool_schemas, NoParams),
    "check_permissions": (check_permissions, NoParams),
    "check_least_privilege": (check_least_privilege, NoParams),
    "check_high_impact_approval": (check_high_impact_approval, NoParams),
    "check_idempotency": (check_idempotency, NoParams),
    "check_reliability": (check_reliability, ReliabilityParams),
    "check_rollback_flags": (check_rollback_flags, NoParams),
}
