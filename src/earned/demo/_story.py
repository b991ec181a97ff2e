"""`earned demo`: the refund agent's whole story, offline, on the project database.

One call of `tell_story` does what a team does in its first weeks with the seeds' refund
agent (`examples/refund_agent`), on the real parts:

1. create (or upgrade) the project database and set up the capability matrix
   (`capabilities.yaml`): every capability at its declared stage, every flag on;
2. run the eval suites against their frozen gate manifests (`evals.yaml`, `gates/*.yaml`),
   on a sample of each suite (`sample`; None runs every case);
3. run `submit_refund` in shadow mode on historical tickets (the golden test split, whose
   labels are the human decisions) and report the agreement; no write executes;
4. run a batch of live tickets at the capabilities' current stages through the durable
   engine: some complete, injected tickets wait for a reviewer;
5. judge each capability's next promotion (`Promotion.check`: the same gates as `earned
   rollout promote`), and create an admin token for the console.

Nothing here reaches the network: the offline brain is a classifier trained on the example's
labelled tickets, retrieval over the policy document, and the policy's decision rules.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from earned.config import Settings
from earned.errors import UserError
from earned.evals import (
    EvalProject,
    EvalRunner,
    EvalStore,
    Progress,
    load_dataset,
    run_project,
)
from earned.replay import ShadowRunner, dataset_inputs
from earned.rollout import CapabilityMatrix, Promotion, RolloutStore, Stage, load_matrix
from earned.runtime import Agent, Engine, Principal
from earned.store import Database

__all__ = [
    "DEMO_PRINCIPAL",
    "DemoOptions",
    "DemoStory",
    "StoryProgress",
    "live_tickets",
    "locate_example",
    "tell_story",
]

#: Who the live tickets' runs act for.
DEMO_PRINCIPAL = Principal(user="helpdesk", role="operator", tenant="demo")
#: The capability shadow mode tries on history.
SHADOW_CAPABILITY = "submit_refund"
_EXAMPLE = Path("examples") / "refund_agent"
_AGENT_REF = "examples.refund_agent.agent"


class Reporter(Protocol):
    """Progress of one step (a Rich progress bar in the CLI)."""

    def start(self, description: str, *, total: int) -> None:
        """Work on `total` items begins."""
        ...

    def advance(self, flagged: bool) -> None:
        """One more item is done."""
        ...

    def stop(self) -> None:
        """The step ended."""
        ...


@dataclass(frozen=True, kw_only=True)
class StoryProgress:
    """Where each long step reports its progress (None: silently)."""

    evals: Progress | None = None
    shadow: Reporter | None = None
    live: Reporter | None = None


@dataclass(frozen=True, kw_only=True)
class DemoOptions:
    """What the demo runs, and how much of it."""

    database_url: str | None = None
    #: Cases per eval suite (evenly spread); None runs every case.
    sample: int | None = 50
    #: Historical tickets shadow mode runs on.
    shadow_cases: int = 60
    #: Live tickets run at the current stages.
    live_tickets: int = 24
    #: Where the example lives (default: found by `locate_example`).
    example: Path | None = None


@dataclass(kw_only=True)
class DemoStory:
    """What the demo did, step by step, with the time each step took."""

    database_url: str
    example: str
    matrix: str
    sample: int | None
    evals: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    shadow: dict[str, Any] = field(default_factory=dict[str, Any])
    runs: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    approvals: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    capabilities: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])
    seconds: dict[str, float] = field(default_factory=dict[str, float])
    engine: Engine | None = None

    @property
    def runs_by_status(self) -> dict[str, int]:
        """Live runs per status."""
        return dict(sorted(Counter(r["status"] for r in self.runs).items()))

    def gates_by_capability(self) -> dict[str, dict[str, list[str]]]:
        """Each capability's release gates (`suite/gate`) that passed and that failed."""
        found: dict[str, dict[str, list[str]]] = {}
        for suite in self.evals:
            verdicts = found.setdefault(suite["capability"], {"passed": [], "failed": []})
            for gate in suite["gates"]:
                if gate["status"] in ("passed", "failed"):
                    verdicts[gate["status"]].append(f"{suite['suite']}/{gate['eval']}")
        return found

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary (`earned demo --json` adds the console's address)."""
        return {
            "database_url": self.database_url,
            "example": self.example,
            "matrix": self.matrix,
            "runs_by_status": self.runs_by_status,
            "approvals_waiting": self.approvals,
            "gates": {
                cap: {
                    "passed": len(v["passed"]),
                    "failed": len(v["failed"]),
                    "passed_gates": v["passed"],
                    "failed_gates": v["failed"],
                }
                for cap, v in self.gates_by_capability().items()
            },
            "evals": {"sample": self.sample, "suites": self.evals},
            "shadow": self.shadow,
            "capabilities": self.capabilities,
            "runs": self.runs,
            "seconds": self.seconds,
        }


def locate_example(start: Path | None = None) -> Path:
    """The repository root holding `examples/refund_agent`, put on `sys.path`.

    Looked for in the working directory, then in the checkout earned is installed from
    (`pip install -e .`), so the example imports as `examples.refund_agent`.
    """
    import earned

    candidates = [(start or Path.cwd()).resolve(), Path(earned.__file__).resolve().parents[2]]
    for root in candidates:
        if (root / _EXAMPLE / "capabilities.yaml").is_file():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return root
    raise UserError(
        "earned demo runs the refund example (examples/refund_agent), which is not here",
        fix="run it from a checkout of the repository: git clone ... && cd earned && "
        "pip install -e . && earned demo",
        looked_in=[str(c) for c in candidates],
    )


def _agent() -> Agent:
    if importlib.util.find_spec("sklearn") is None:
        raise UserError(
            "the refund example's offline brain trains a classifier with scikit-learn, "
            "which is not installed",
            fix="pip install -e '.[refund]'",
        )
    module = importlib.import_module(_AGENT_REF)
    return module.AGENT


async def tell_story(
    options: DemoOptions, progress: StoryProgress | None = None, *, keep_engine: bool = False
) -> DemoStory:
    """Run every step; with `keep_engine`, the live engine is left running on `story.engine`."""
    progress = progress or StoryProgress()
    started = time.monotonic()
    root = options.example or locate_example()
    example = root / _EXAMPLE
    url = Settings.load(database_url=options.database_url).database_url
    db = Database(url)
    db.upgrade()
    matrix = load_matrix(example / "capabilities.yaml")
    RolloutStore(db).ensure(matrix, actor="earned demo")
    agent = _agent()
    story = DemoStory(
        database_url=url,
        example=str(example),
        matrix=matrix.version,
        sample=options.sample,
    )
    story.seconds["setup"] = _since(started)
    await _evals(story, db, example, options, progress)
    await _shadow(story, db, agent, matrix, example, options, progress)
    await _live(story, agent, url, example, options, progress, keep_engine=keep_engine)
    step = time.monotonic()
    story.capabilities = _promotions(db, matrix)
    story.seconds["gates"] = _since(step)
    story.seconds["total"] = _since(started)
    return story


def _since(mark: float) -> float:
    return round(time.monotonic() - mark, 2)


async def _evals(
    story: DemoStory, db: Database, example: Path, options: DemoOptions, progress: StoryProgress
) -> None:
    step = time.monotonic()
    project = EvalProject.load(example)
    runner = EvalRunner(EvalStore(db), executor="inline", progress=progress.evals)
    reports = await run_project(project, runner, sample=options.sample)
    for report in reports:
        story.evals.append(
            {
                "capability": report.run.capability,
                "suite": report.run.suite,
                "eval_run_id": report.run.eval_run_id,
                "verdict": report.verdict,
                "cases": len(report.cases),
                "failed_cases": len(report.failing_cases),
                "gates": [
                    {
                        "eval": g.eval,
                        "status": g.status,
                        "score": g.score,
                        "minimum": g.minimum,
                    }
                    for g in report.gates
                ],
                "unmet": list(report.unmet),
            }
        )
    story.seconds["evals"] = _since(step)


async def _shadow(
    story: DemoStory,
    db: Database,
    agent: Agent,
    matrix: CapabilityMatrix,
    example: Path,
    options: DemoOptions,
    progress: StoryProgress,
) -> None:
    step = time.monotonic()
    golden = load_dataset(example / "datasets" / "golden.jsonl").select(split="test")
    history = golden.sample(options.shadow_cases)
    async with ShadowRunner(
        db, agent, capability=SHADOW_CAPABILITY, matrix=matrix, progress=progress.shadow
    ) as shadow:
        report = await shadow.run(dataset_inputs(history), source="historical tickets")
    story.shadow = {
        "capability": SHADOW_CAPABILITY,
        "session": report.session,
        "cases": len(report.cases),
        "labelled": len(report.labelled),
        "agreed": report.agreed,
        "agreement": report.agreement,
        "statuses": report.statuses,
        "simulated_writes": report.simulated_writes,
        "executed_writes": report.executed_writes,
        "disagreements": [c.to_dict() for c in report.disagreements[:10]],
    }
    story.seconds["shadow"] = _since(step)


def live_tickets(example: Path, count: int) -> list[dict[str, Any]]:
    """`count` tickets a help desk might get today.

    Spread over the adversarial and regression sets: injections, missing data, angry
    customers, policy exceptions and plain refunds.
    """
    pool = [
        *load_dataset(example / "datasets" / "adversarial.jsonl").scenarios,
        *load_dataset(example / "datasets" / "regression.jsonl").scenarios,
    ]
    if count < 1:
        return []
    picked = [pool[i * len(pool) // count] for i in range(min(count, len(pool)))]
    return [dict(s.input) for s in picked]


async def _live(
    story: DemoStory,
    agent: Agent,
    url: str,
    example: Path,
    options: DemoOptions,
    progress: StoryProgress,
    *,
    keep_engine: bool,
) -> None:
    step = time.monotonic()
    tickets = live_tickets(example, options.live_tickets)
    engine = Engine([agent], database_url=url, matrix=example / "capabilities.yaml")
    await engine.launch()
    try:
        if progress.live is not None:
            progress.live.start("live tickets", total=len(tickets))
        for ticket in tickets:
            handle = await engine.start(agent, ticket, principal=DEMO_PRINCIPAL)
            record = await engine.settle(handle.run_id, timeout=120)
            row = _run_row(ticket, record)
            if record.status == "waiting_approval":
                waiting = [_approval_row(a) for a in engine.approvals.list(run_id=record.run_id)]
                story.approvals += waiting
                if waiting:
                    first = waiting[0]
                    row["outcome"] = (
                        f"waits for a {' or '.join(first['approvers'])}: {first['tool']}"
                    )
                    row["rules"] = [first["rule"]]
            story.runs.append(row)
            if progress.live is not None:
                progress.live.advance(record.status == "waiting_approval")
    finally:
        if progress.live is not None:
            progress.live.stop()
        if not keep_engine:
            await engine.shutdown()
    if keep_engine:
        story.engine = engine
    story.seconds["live"] = _since(step)


def _run_row(ticket: dict[str, Any], record: Any) -> dict[str, Any]:
    output = record.output if isinstance(record.output, dict) else {}
    escalation = record.escalation or {}
    decisions = record.decisions or []
    return {
        "ticket_id": ticket.get("ticket_id"),
        "text": str(ticket.get("text", ""))[:90],
        "run_id": record.run_id,
        "status": record.status,
        "class": output.get("class"),
        "decision": output.get("decision"),
        "outcome": output.get("action") or escalation.get("reason") or output.get("decision"),
        "rules": [d["rule_id"] for d in decisions],
        "tainted": bool(record.tainted),
    }


def _approval_row(approval: Any) -> dict[str, Any]:
    return {
        "approval_id": approval.approval_id,
        "run_id": approval.run_id,
        "tool": approval.tool,
        "rule": approval.rule_id,
        "approvers": list(approval.approvers),
        "summary": approval.summary,
    }


def _promotions(db: Database, matrix: CapabilityMatrix) -> list[dict[str, Any]]:
    """Each capability's stage and the verdict of every gate of its next promotion."""
    store = RolloutStore(db)
    promotion = Promotion(db, matrix, store)
    rows = []
    states = store.states()
    for name in matrix.capabilities:
        state = states[name]
        check = None if state.stage is Stage.AUTONOMOUS else promotion.check(name)
        rows.append(
            {
                "capability": name,
                "owner": matrix.get(name).owner,
                "stage": state.stage.value,
                "next": check.target.value if check else None,
                "allowed": check.allowed if check else None,
                "gates": [g.to_dict() for g in check.gates] if check else [],
            }
        )
    return rows
