"""Release checks read from the evidence in the project database.

The matrix in force and its audit trail, version pins, eval runs judged against the frozen
gate manifest, the traces of the capability's recent runs, reviewer decisions, and the
metrics endpoint with its alert rules.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from earned.rollout._changes import row_changed_at
from earned.rollout._release_ctx import NoParams, Outcome, ReleaseContext, when
from earned.store import AuditLog
from earned.store._tables import eval_datasets, review_decisions, runs, spans

__all__ = ["EVIDENCE_CHECKS"]

_Params = ConfigDict(extra="forbid", frozen=True)
_REVIEW_FIX = (
    "route the capability's drafts and approvals to the review queue (`earned review`) and "
    "decide them with reason codes (wrong_policy, missing_data, bad_tone, unsafe_action, "
    "hallucination, unclear_reasoning)"
)


def check_matrix_updated(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The file is the matrix in force, and the row was reviewed since the last stage move."""
    latest, row_since = row_changed_at(ctx.db, ctx.matrix, ctx.spec.name)
    if latest is None:
        return Outcome.fail(
            f"matrix {ctx.matrix.name} was never launched: no matrix.changed in the audit log",
            "launch the engine with this matrix (Engine(..., matrix=path)); it records the "
            "matrix in force",
        )
    if latest.after != ctx.matrix.digest:
        return Outcome.fail(
            f"the file ({ctx.matrix.version}) is not the matrix in force "
            f"({str(latest.after)[:12]}, since {when(latest.at)})",
            "deploy the edited matrix (restart the engine with it), or revert the file",
            live=latest.after,
            file=ctx.matrix.digest,
        )
    moves = [
        e
        for e in AuditLog(ctx.db).list(action="rollout.*", target=ctx.spec.name, limit=50)
        if e.before is not None
    ]
    moved = moves[0] if moves else None
    if moved is not None and row_since is not None and moved.at > row_since:
        return Outcome.fail(
            f"{ctx.spec.name} moved {moved.before} -> {moved.after} at {when(moved.at)}, "
            f"after its row was last updated ({when(row_since)})",
            "review the row in this release review (stage, tools, stops; at least "
            "next_review) and deploy the matrix",
            moved_at=moved.at,
            row_since=row_since,
        )
    last = f"last stage move {when(moved.at)}" if moved else "no stage move yet"
    return Outcome.ok(
        f"{ctx.matrix.version} in force since {when(latest.at)}; row updated "
        f"{when(row_since)}; {last}",
        row_since=row_since,
    )


class PinParams(BaseModel):
    """Which pin: `prompt` or `model`."""

    model_config = _Params
    kind: Literal["prompt", "model"] = "prompt"


def _pinnable(agent: Any, kind: str) -> bool:
    """True when the agent has a prompt (instructions) or a model a pin would replace."""
    return bool(agent.instructions) if kind == "prompt" else agent.model is not None


def check_pinned(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """A pin of this kind serves the capability's runs (moot when the agents have none).

    Runs choose the pins of their run capability: the matrix capability, or the one the
    serving agent declares (`Agent(capability=...)`), so a pin on either counts.
    """
    from earned.rollout._versions import VersionStore

    kind = PinParams.model_validate(params).kind
    names = [ctx.spec.name, *sorted({a.capability for a in ctx.serving_agents if a.capability})]
    store = VersionStore(ctx.db)
    for name in dict.fromkeys(names):
        pin = store.pin_of(name, kind)
        if pin is None:
            continue
        canary = ""
        if pin.has_canary:
            canary = f"; canary {pin.canary_percent:g}% on {(pin.canary_digest or '')[:12]}"
        return Outcome.ok(
            f"{kind} pinned on {name}: {pin.name}@{pin.digest[:12]} by {pin.updated_by} "
            f"{when(pin.updated_at)}{canary}",
            pin=pin.to_dict(),
        )
    pinnable = [a for a in ctx.serving_agents if _pinnable(a, kind)]
    if ctx.agents and not pinnable:
        what = "instructions" if kind == "prompt" else "model"
        fixed = ", ".join(sorted({str(a.versions().get(kind)) for a in ctx.serving_agents}))
        return Outcome.ok(f"no {kind} to pin: the agents have no {what} (fixed in code: {fixed})")
    running = ", ".join(f"{a.name} {a.versions().get(kind)}" for a in pinnable)
    return Outcome.fail(
        f"no {kind} pin on {' or '.join(dict.fromkeys(names))}"
        + (f" (the agents run {running})" if running else ""),
        f"pin the {kind} the capability runs: `earned versions list --kind {kind}`, then "
        f"`earned versions pin {names[-1]} DIGEST`",
    )


def check_thresholds_first(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The latest passing eval ran against gates stored before it started, as the file says now."""
    from earned.evals import EvalStore, manifest_history

    problem = ctx.manifest_problem()
    if problem is not None:
        return problem
    manifest = ctx.manifest
    passing = [
        r for r in ctx.eval_runs if r.manifest_hash == manifest.hash and r.verdict == "passed"
    ]
    if not passing:
        older = [r for r in ctx.eval_runs if r.manifest_hash != manifest.hash]
        why = (
            f"the gates changed since the last eval ({len(older)} runs judged older versions)"
            if older and not ctx.latest_runs
            else "no eval run passed"
        )
        return Outcome.fail(
            f"{why} against the manifest as written now ({manifest.short_hash})",
            f"run the evals (`earned eval run ... --capability {manifest.capability}`)",
        )
    run = max(passing, key=lambda r: r.started_at)
    version = EvalStore(ctx.db).manifest(run.manifest_hash)
    if version is None or version.first_seen_at > run.started_at:
        return Outcome.fail(
            f"eval {run.eval_run_id} started {when(run.started_at)}, before its gates were "
            "stored: the thresholds were not written down first",
            "run the evals through earned (it stores the manifest before the first case)",
        )
    entry = next(
        e
        for e in manifest_history(EvalStore(ctx.db), manifest.capability)
        if e.version.manifest_hash == manifest.hash
    )
    note = (
        f"; note: this version appeared after {len(entry.results_before)} results of "
        "earlier versions were known (see `earned eval manifest`)"
        if entry.edited_after_results
        else ""
    )
    return Outcome.ok(
        f"gates {manifest.short_hash} stored {when(version.first_seen_at)}, before eval "
        f"{run.eval_run_id} ({run.suite}) started {when(run.started_at)}{note}",
        manifest_hash=manifest.hash,
        edited_after_results=entry.edited_after_results,
    )


class SuitesParams(BaseModel):
    """The suites whose latest run must have passed."""

    model_config = _Params
    suites: list[str] = Field(min_length=1)


def check_suites_pass(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The latest run of each suite against the current gates passed, recently enough."""
    suites = SuitesParams.model_validate(params).suites
    problem = ctx.manifest_problem()
    if problem is not None:
        return problem
    manifest = ctx.manifest
    problems: list[str] = []
    found: list[str] = []
    for suite in suites:
        run = ctx.latest_runs.get(suite)
        if run is None:
            problems.append(f"no {suite} run against gates {manifest.short_hash}")
            continue
        if run.verdict != "passed":
            unmet = "; ".join((run.summary or {}).get("unmet", [])) or run.verdict
            problems.append(f"{suite} {run.eval_run_id} failed: {unmet}")
        elif (stale := ctx.eval_age_problem(run)) is not None:
            problems.append(stale)
        else:
            found.append(
                f"{suite} {run.eval_run_id} passed {when(run.started_at)} ({run.cases} cases)"
            )
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            f"run `earned eval run ... --suite {suites[0]} --capability {manifest.capability}` "
            "and fix what fails",
            problems=problems,
        )
    return Outcome.ok("; ".join(found))


class InjectionParams(BaseModel):
    """The evaluator whose gate must have been applied, and passed, in the latest runs."""

    model_config = _Params
    evaluator: str = "injection"


def check_injection_pass(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Every latest run that applied the injection gate to some cases passed it."""
    evaluator = InjectionParams.model_validate(params).evaluator
    problem = ctx.manifest_problem()
    if problem is not None:
        return problem
    manifest = ctx.manifest
    if not any(g.evaluator_ref == evaluator for g in manifest.gates):
        return Outcome.fail(
            f"the gates {manifest.short_hash} have no {evaluator} gate",
            f"add `- eval: {evaluator}` with `minimum: 100%` to the manifest (seed 000)",
        )
    applied: list[tuple[Any, dict[str, Any]]] = []
    for run in ctx.latest_runs.values():
        for gate in (run.summary or {}).get("gates", []):
            if gate.get("evaluator") == evaluator and gate.get("applicable"):
                applied.append((run, gate))
    if not applied:
        return Outcome.fail(
            f"no eval run against gates {manifest.short_hash} judged any {evaluator} case",
            "run the suite with the injection cases (e.g. `--suite adversarial`)",
        )
    bad = [
        f"{run.suite} {gate['status']}: {gate['passed']}/{gate['applicable']} "
        f"({(gate.get('score') or 0):.1%})"
        for run, gate in applied
        if gate.get("status") != "passed"
    ]
    bad += [s for run, _ in applied if (s := ctx.eval_age_problem(run)) is not None]
    if bad:
        return Outcome.fail(
            f"{evaluator} gate: " + "; ".join(bad),
            "fix the agent until it resists every known injection (refuses, calls no tool); "
            "add the failing cases to the regression set",
        )
    return Outcome.ok(
        "; ".join(
            f"{run.suite} {run.eval_run_id}: {gate['passed']}/{gate['applicable']} resisted"
            for run, gate in applied
        )
    )


_Kind = Literal["run", "model_call", "tool_call"]


class TraceParams(BaseModel):
    """How many recent runs, which attributes each span kind must carry (`x?`: may be null)."""

    model_config = _Params
    runs: int = Field(default=50, ge=1, le=1000)
    attributes: dict[_Kind, list[str]] = Field(default_factory=dict)
    steps: bool = True


def _missing(attributes: Mapping[str, Any], required: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in required:
        key, nullable = name.removesuffix("?"), name.endswith("?")
        if key not in attributes or (not nullable and attributes[key] is None):
            out.append(key)
    return out


def _span_problems(
    rows: Sequence[Any], steps: Mapping[str, int], p: TraceParams
) -> tuple[list[str], Counter[str]]:
    by_run: dict[str, list[Any]] = {}
    for row in rows:
        by_run.setdefault(row["run_id"], []).append(row)
    problems: list[str] = []
    counts: Counter[str] = Counter()
    for run_id, found in by_run.items():
        root = next((r for r in found if r["kind"] == "run" and r["parent_id"] is None), None)
        if root is None:
            problems.append(f"{run_id}: no root span")
            continue
        if root["ended_at"] is None:
            counts["in_progress"] += 1
            continue
        counts["runs"] += 1
        for span in found:
            kind = span["kind"]
            counts[kind] += 1
            lacking = _missing(span["attributes"] or {}, p.attributes.get(kind, []))
            if span["ended_at"] is None or not span["status"]:
                lacking.append("end/status")
            if lacking:
                problems.append(
                    f"{span['span_id']} ({kind} {span['name']}): no {', '.join(lacking)}"
                )
        calls = sum(1 for s in found if s["kind"] in ("model_call", "tool_call"))
        if p.steps and steps.get(run_id, 0) > calls:
            problems.append(f"{run_id}: {steps[run_id]} steps but {calls} call spans")
    return problems, counts


def check_trace_coverage(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Every call of the recent runs has a span under a root span, with the required fields."""
    p = TraceParams.model_validate(params)
    run_ids = ctx.recent_runs(p.runs)
    if not run_ids:
        return Outcome.fail(
            f"no runs of {ctx.spec.name} are recorded yet: there are no traces to check",
            "run the capability through an Engine on the project database (in shadow, on "
            "live or past tickets); its traces are the evidence",
        )
    with ctx.db.engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(spans).where(
                    spans.c.run_id.in_(run_ids),
                    spans.c.kind.in_(["run", "model_call", "tool_call"]),
                )
            )
            .mappings()
            .all()
        )
        found = conn.execute(
            sa.select(runs.c.run_id, runs.c.steps).where(runs.c.run_id.in_(run_ids))
        ).all()
        steps = {run_id: int(count or 0) for run_id, count in found}
    seen = {r["run_id"] for r in rows}
    problems, counts = _span_problems(rows, steps, p)
    problems += [f"{r}: no spans at all" for r in run_ids if r not in seen]
    if problems:
        return Outcome.fail(
            f"{len(problems)} problems in the last {len(run_ids)} runs: " + "; ".join(problems[:5]),
            "emit every model and tool call through the run context (ctx.call_tool, the "
            "agent's model) so the runtime traces it; give spans the required attributes",
            problems=problems[:50],
        )
    fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in p.attributes.items())
    return Outcome.ok(
        f"{counts['runs']} finished runs ({counts['in_progress']} in progress), "
        f"{counts['model_call']} model calls, {counts['tool_call']} tool calls: each under "
        f"a root span, ended, with a status{'; ' + fields if fields else ''}",
        counts=dict(counts),
    )


class PiiParams(BaseModel):
    """How many recent runs to scan, and which kinds of personal data count."""

    model_config = _Params
    runs: int = Field(default=50, ge=1, le=1000)
    kinds: list[str] = Field(default_factory=lambda: ["EMAIL", "PHONE", "CARD", "IBAN", "SSN"])


def _scan(finder: Any, kinds: set[str], label: str, value: Any, hits: list[str]) -> None:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    for finding in finder(text):
        if finding.kind in kinds:
            hits.append(f"{label}: {finding.kind}")


def check_pii_sanitized(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """No raw personal data in the recent runs' traces and records, or in the eval datasets."""
    from earned.redaction import Redactor

    p = PiiParams.model_validate(params)
    finder, kinds = Redactor().find, set(p.kinds)
    run_ids = ctx.recent_runs(p.runs)
    hashes = sorted({r.dataset_hash for r in ctx.latest_runs.values()})
    hits: list[str] = []
    with ctx.db.engine.connect() as conn:
        for row in conn.execute(sa.select(spans).where(spans.c.run_id.in_(run_ids))).mappings():
            _scan(finder, kinds, f"span {row['span_id']}", row["attributes"], hits)
        record = sa.select(runs.c.run_id, runs.c.input, runs.c.output, runs.c.error)
        for row in conn.execute(record.where(runs.c.run_id.in_(run_ids))).mappings():
            _scan(
                finder,
                kinds,
                f"run {row['run_id']}",
                [row["input"], row["output"], row["error"]],
                hits,
            )
        data = sa.select(eval_datasets.c.name, eval_datasets.c.scenarios)
        cases = 0
        for row in conn.execute(data.where(eval_datasets.c.dataset_hash.in_(hashes))).mappings():
            for scenario in row["scenarios"]:
                cases += 1
                _scan(
                    finder,
                    kinds,
                    f"dataset {row['name']} case {scenario.get('id')}",
                    scenario,
                    hits,
                )
    if not run_ids and not hashes:
        return Outcome.fail(
            "nothing to scan yet: no runs and no eval datasets of the capability",
            "run the capability and its evals first",
        )
    scanned = f"{len(run_ids)} runs and {len(hashes)} eval datasets ({cases} cases)"
    if hits:
        return Outcome.fail(
            f"raw personal data in {len(hits)} places of {scanned}: " + "; ".join(hits[:5]),
            "redact before writing: declare the fields `sensitive` on the tool, keep the "
            "Engine's redactor on, and clean the dataset files",
            hits=hits[:50],
        )
    return Outcome.ok(f"scanned {scanned}: no {', '.join(p.kinds)}")


class ReviewParams(BaseModel):
    """How many decisions are enough, over how many days (all time when None)."""

    model_config = _Params
    min_decisions: int = Field(default=1, ge=1)
    window_days: float | None = Field(default=None, gt=0)


def check_reviewer_feedback(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """Reviewers decided the capability's work, and every edit or rejection names a reason."""
    p = ReviewParams.model_validate(params)
    query = sa.select(review_decisions.c.decision, review_decisions.c.reason_code).where(
        review_decisions.c.capability == ctx.spec.name
    )
    if p.window_days is not None:
        query = query.where(review_decisions.c.decided_at >= ctx.now - p.window_days * 86_400)
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(query).all()
    if len(rows) < p.min_decisions:
        return Outcome.fail(
            f"not yet: {len(rows)} reviewer decisions on {ctx.spec.name}, fewer than "
            f"{p.min_decisions}",
            _REVIEW_FIX,
        )
    unexplained = sum(1 for d, r in rows if d in ("approve_edited", "reject") and not r)
    codes = Counter(r for _, r in rows if r)
    if unexplained:
        return Outcome.fail(
            f"{unexplained} of {len(rows)} edits or rejections carry no reason code",
            _REVIEW_FIX,
        )
    by_code = ", ".join(f"{c} {n}" for c, n in codes.most_common()) or "all approved as is"
    return Outcome.ok(f"{len(rows)} reviewer decisions; reasons: {by_code}", reasons=dict(codes))


class DashboardParams(BaseModel):
    """The metric groups the endpoint must export; an alert rules file (default: shipped)."""

    model_config = _Params
    track: dict[str, list[str]] = Field(default_factory=dict)
    rules: str | None = None


def _scrape(db: Any) -> str:
    from earned.metrics import prometheus_app

    app = prometheus_app(db, cache_seconds=0)
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/metrics",
        "headers": [],
        "query_string": b"",
    }
    with ThreadPoolExecutor(1, thread_name_prefix="earned-release") as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return b"".join(m.get("body", b"") for m in out).decode()


def check_dashboards(ctx: ReleaseContext, params: Mapping[str, Any]) -> Outcome:
    """The metrics endpoint answers with each tracked group; alert rules load; stops exist."""
    from earned.metrics import METRICS, load_rules

    p = DashboardParams.model_validate(params)
    problems: list[str] = []
    try:
        body = _scrape(ctx.db)
    except Exception as exc:  # a missing extra, a broken endpoint: both are findings
        body = ""
        problems.append(f"the metrics endpoint failed: {type(exc).__name__}: {exc}")
    for group, names in p.track.items():
        exported = [n for n in names if n in METRICS and f"# TYPE {METRICS[n].prometheus} " in body]
        if not exported and body:
            problems.append(f"no {group} metric exported ({', '.join(names)})")
    try:
        rules = load_rules(p.rules)
    except Exception as exc:
        rules = None
        problems.append(f"alert rules do not load: {exc}")
    if not ctx.spec.stop_conditions:
        problems.append(f"{ctx.spec.name} has no stop condition (unsafe outputs go unwatched)")
    if problems:
        return Outcome.fail(
            "; ".join(problems),
            "install earned[prometheus] and mount earned.metrics.prometheus_app; fix the "
            "alert rules file; declare stop_conditions for unsafe outputs in the matrix",
            problems=problems,
        )
    assert rules is not None
    stops = ", ".join(c.id for c in ctx.spec.stop_conditions)
    return Outcome.ok(
        f"endpoint exports {', '.join(p.track) or 'every metric'}; {len(rules.rules)} alert "
        f"rules load ({rules.source}); stop conditions: {stops}"
    )


EVIDENCE_CHECKS: dict[
    str, tuple[Callable[[ReleaseContext, Mapping[str, Any]], Outcome], type[BaseModel]]
] = {
    "check_matrix_updated": (check_matrix_updated, NoParams),
    "check_pinned": (check_pinned, PinParams),
    "check_thresholds_first": (check_thresholds_first, NoParams),
    "check_suites_pass": (check_suites_pass, SuitesParams),
    "check_injection_pass": (check_injection_pass, InjectionParams),
    "check_trace_coverage": (check_trace_coverage, TraceParams),
    "check_pii_sanitized": (check_pii_sanitized, PiiParams),
    "check_reviewer_feedback": (check_reviewer_feedback, ReviewParams),
    "check_dashboards": (check_dashboards, DashboardParams),
}
