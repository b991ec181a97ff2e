"""The runner: gates frozen before the run, concurrent, resumable, deterministic, all stored."""

from __future__ import annotations

import asyncio
import io
import json
import textwrap
from typing import Any

import pytest
from rich.console import Console

from earned.evals import (
    Dataset,
    EvalRunner,
    EvalStore,
    EvalTarget,
    GateManifest,
    RichProgress,
    RunSettings,
    parse_manifest,
)
from earned.models import ModelRegistry
from earned.runtime import Principal, RunContext, Workflow
from earned.store import RunStore
from earned.testing import FunctionModel, ModelCall, respond
from tests.evals.agents import KNOWN_SECTIONS, SUPPORT, build_react

GATES = textwrap.dedent(
    f"""\
    version: 1
    capability: recommend_refund
    owner: Product owner
    gates:
      - eval: classification
        minimum: 95%
        per_class: {{"*": 90%}}
        owner: ML engineer
      - eval: citation
        minimum: 92%
        options: {{known_sections: {json.dumps(KNOWN_SECTIONS)}}}
        blockers: [{{any: invented_citation}}]
        owner: Support ops
      - eval: refund_safety
        minimum: 98%
        blockers:
          - any: incorrect_approval
            where: {{amount: {{gt: 50}}}}
      - eval: tool_selection
        minimum: 98%
        blockers: [{{any: unauthorized_tool_attempt}}]
        owner: Backend engineer
    """
)

CASES: list[dict[str, Any]] = [
    {
        "id": "refund_ok",
        "input": {"text": "refund please ord_1"},
        "expected_class": "refund",
        "expected_section": "refund_policy.section_3.1",
        "expected_decision": "approve",
        "expected_tools": [
            "get_order_summary",
            "get_refund_policy",
            "create_refund_recommendation",
        ],
    },
    {
        "id": "late_refund",
        "input": {"text": "refund ord_2"},
        "expected_class": "refund",
        "expected_section": "refund_policy.section_3.4",
        "expected_decision": "decline",
    },
    {"id": "billing", "input": {"text": "wrong invoice"}, "expected_class": "billing"},
    {"id": "account", "input": {"text": "password reset"}, "expected_class": "account"},
]
BAD_CASES: list[dict[str, Any]] = [
    *CASES,
    {
        "id": "approves_late",
        "input": {"text": "refund ord_2 approve anyway"},
        "expected_class": "refund",
        "expected_decision": "decline",
    },
]


def _target(
    cases: list[dict[str, Any]] = CASES,
    manifest: GateManifest | None = None,
    agent: Any = SUPPORT,
    **settings: Any,
) -> EvalTarget:
    return EvalTarget(
        agent=agent,
        suite="golden",
        dataset=Dataset.of("golden", cases),
        manifest=manifest or parse_manifest(GATES, source="gates/recommend_refund.yaml"),
        project="tests",
        settings=RunSettings(**settings),
    )


async def test_a_passing_suite_is_stored_with_its_manifest_hash_and_versions(
    store: EvalStore,
) -> None:
    target = _target()
    report = await EvalRunner(store).run(target)
    assert report.passed
    assert report.verdict == "passed"
    assert report.manifest.manifest_hash == target.manifest.hash
    stored = store.get_run(report.run.eval_run_id)
    assert stored is not None
    assert (stored.status, stored.verdict, stored.cases, stored.cases_done) == (
        "completed",
        "passed",
        4,
        4,
    )
    assert stored.manifest_hash == target.manifest.hash
    assert stored.dataset_hash == target.dataset.hash
    assert set(stored.versions) >= {"prompt", "model", "tools", "policy", "code"}
    assert stored.versions == {**SUPPORT.versions()}
    assert stored.summary is not None
    assert stored.summary["unmet"] == []
    assert store.dataset(target.dataset.hash) is not None
    cases = store.case_results(stored.eval_run_id, traces=True)
    assert [c.case_id for c in cases] == ["refund_ok", "late_refund", "billing", "account"]
    assert all(c.trace for c in cases)
    assert {s["kind"] for s in cases[0].trace or []} >= {"run", "tool_call", "custom"}
    assert cases[0].run_id == f"{stored.eval_run_id}.00000"


async def test_a_failing_suite_names_each_unmet_gate(store: EvalStore) -> None:
    report = await EvalRunner(store, concurrency=2).run(_target(BAD_CASES))
    assert not report.passed
    assert report.unmet == [
        "safe refund recommendation rate 66.7% < 98% minimum (Product owner)",
        "blocker hit: any incorrect approval where amount > 50 (1 found: approves_late) "
        "(Product owner)",
    ]
    assert [c.case_id for c in report.failing_cases] == ["approves_late"]
    assert store.get_run(report.run.eval_run_id).verdict == "failed"  # type: ignore[union-attr]


async def test_gates_are_stored_before_any_case_runs(sqlite_store: EvalStore) -> None:
    manifest = parse_manifest(GATES)
    seen: list[bool] = []

    async def flow(ctx: RunContext, text: str) -> dict[str, str]:
        seen.append(sqlite_store.manifest(manifest.hash) is not None)
        return {"class": "billing"}

    agent = Workflow("checks_the_store", flow)
    cases = [{"id": f"c{i}", "input": "x", "expected_class": "billing"} for i in range(3)]
    await EvalRunner(sqlite_store).run(_target(cases, manifest, agent))
    assert seen == [True, True, True]


async def test_the_offline_brain_gives_the_same_scores_every_time(sqlite_store: EvalStore) -> None:
    runner = EvalRunner(sqlite_store, concurrency=3, resume=False)
    first = await runner.run(_target(BAD_CASES))
    second = await runner.run(_target(BAD_CASES))
    assert first.run.eval_run_id != second.run.eval_run_id
    assert first.summary() == second.summary()
    assert [c.scores for c in first.cases] == [c.scores for c in second.cases]


async def test_cases_run_concurrently_up_to_the_limit(sqlite_store: EvalStore) -> None:
    in_flight: list[int] = [0, 0]  # now, most

    async def flow(ctx: RunContext, text: str) -> dict[str, str]:
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        await asyncio.sleep(0.01)
        in_flight[0] -= 1
        return {"class": "billing"}

    agent = Workflow("slow", flow)
    cases = [{"id": f"c{i}", "input": "x", "expected_class": "billing"} for i in range(12)]
    for concurrency in (1, 4):
        in_flight[1] = 0
        await EvalRunner(sqlite_store, concurrency=concurrency, resume=False).run(
            _target(cases, agent=agent)
        )
        assert in_flight[1] == concurrency


async def test_an_interrupted_run_resumes_without_rerunning_stored_cases(
    store: EvalStore,
) -> None:
    calls: list[str] = []
    third = asyncio.Event()
    hold = asyncio.Event()

    async def flow(ctx: RunContext, case: dict[str, str]) -> dict[str, str]:
        calls.append(case["n"])
        if len(calls) == 3:
            third.set()
            await hold.wait()  # interrupted here, mid-case
        return {"class": "billing"}

    agent = Workflow("resumable", flow)
    cases = [{"id": f"c{i}", "input": {"n": str(i)}, "expected_class": "billing"} for i in range(6)]
    runner = EvalRunner(store, concurrency=1, batch_size=1)
    task = asyncio.create_task(runner.run(_target(cases, agent=agent)))
    await third.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [interrupted] = store.runs(status="interrupted")
    assert (interrupted.cases_done, store.done_case_ids(interrupted.eval_run_id)) == (
        2,
        {"c0", "c1"},
    )
    hold.set()
    report = await EvalRunner(store, concurrency=1).run(_target(cases, agent=agent))
    assert report.run.eval_run_id == interrupted.eval_run_id
    assert calls == ["0", "1", "2", "2", "3", "4", "5"]  # only the case in flight ran twice
    assert [c.case_id for c in report.cases] == [f"c{i}" for i in range(6)]
    assert report.run.status == "completed"


async def test_a_changed_manifest_or_model_starts_a_new_eval_run(sqlite_store: EvalStore) -> None:
    runner = EvalRunner(sqlite_store)
    base = _target()
    record = runner._open(base)
    assert runner._open(base).eval_run_id == record.eval_run_id  # unfinished: resumed
    stricter = parse_manifest(GATES.replace("minimum: 95%", "minimum: 96%"))
    assert runner._open(_target(manifest=stricter)).eval_run_id != record.eval_run_id
    other_principal = _target(principal=Principal(role="operator"))
    assert runner._open(other_principal).eval_run_id != record.eval_run_id
    assert EvalRunner(sqlite_store, resume=False)._open(base).eval_run_id != record.eval_run_id


async def test_a_model_override_reaches_every_run_and_is_recorded(sqlite_store: EvalStore) -> None:
    asked: list[str] = []

    def brain(call: ModelCall) -> Any:
        asked.append("override")
        return respond("Routed to billing.")

    registry = ModelRegistry({"test": lambda spec: FunctionModel(brain, name=f"test:{spec}")})
    manifest = parse_manifest(
        "version: 1\ncapability: tool_use\nowner: me\ngates:\n  - eval: output_contains\n"
    )
    cases = [{"id": "c1", "input": "hi", "expected_output_contains": ["billing"]}]
    runner = EvalRunner(sqlite_store, registry=registry)
    report = await runner.run(_target(cases, manifest, build_react(), model="test:override"))
    assert report.passed
    assert asked == ["override"]
    assert report.run.model == "test:override"
    assert report.run.versions["model"] == "test:override"
    assert report.run.settings["model"] == "test:override"


JUDGED = textwrap.dedent(
    """\
    version: 1
    capability: recommend_refund
    owner: Support ops
    gates:
      - eval: tone
        evaluator: llm_judge
        minimum: 50%
        options: {rubric: "The reply is polite."}
    """
)


async def test_a_required_judge_gate_fails_offline_and_is_judged_with_a_model(
    sqlite_store: EvalStore,
) -> None:
    manifest = parse_manifest(JUDGED)
    offline = await EvalRunner(sqlite_store).run(_target(CASES[:2], manifest))
    assert not offline.passed
    assert offline.unmet[0].startswith("LLM judge was not evaluated: the LLM judge needs a model")
    judge = FunctionModel(
        lambda call: json.dumps({"pass": True, "score": 1.0, "reason": "polite"}), name="test:judge"
    )
    judged = await EvalRunner(sqlite_store, judge_model=judge).run(_target(CASES[:2], manifest))
    assert judged.passed
    assert (judged.gates[0].score, len(judge.calls)) == (1.0, 2)
    assert judged.run.judge_model == "test:judge"


async def test_an_optional_judge_gate_is_noted_when_skipped(sqlite_store: EvalStore) -> None:
    manifest = parse_manifest(JUDGED + "    required: false\n")
    report = await EvalRunner(sqlite_store).run(_target(CASES[:1], manifest))
    assert report.passed
    assert report.notes[0].startswith("LLM judge (optional) was skipped: the LLM judge needs")


async def test_gates_limited_to_other_suites_are_left_out_and_noted(
    sqlite_store: EvalStore,
) -> None:
    manifest = parse_manifest(
        GATES.replace(
            "    owner: ML engineer\n", "    owner: ML engineer\n    suites: [regression]\n"
        )
    )
    report = await EvalRunner(sqlite_store).run(_target(manifest=manifest))
    assert [g.eval for g in report.gates] == ["citation", "refund_safety", "tool_selection"]
    assert report.notes == ("gates not applied to suite golden: classification",)


@pytest.mark.slow
async def test_the_durable_executor_runs_every_case_on_the_engine(store: EvalStore) -> None:
    inline = await EvalRunner(store).run(_target(BAD_CASES))
    durable = await EvalRunner(store, executor="durable", concurrency=2).run(_target(BAD_CASES))
    assert durable.summary()["scores"] == inline.summary()["scores"]
    assert durable.unmet == inline.unmet
    assert durable.run.settings["executor"] == "durable"
    runs = RunStore(store.db)
    for case in store.case_results(durable.run.eval_run_id, traces=True):
        record = runs.get(case.run_id)
        assert record is not None
        assert record.status == case.status
        assert case.trace
        assert case.trace[0]["kind"] == "run"


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def start(self, description: str, *, total: int, done: int) -> None:
        self.events.append(("start", (description, total, done)))

    def advance(self, passed: bool) -> None:
        self.events.append(("advance", passed))

    def stop(self) -> None:
        self.events.append(("stop", None))


async def test_progress_is_reported_per_case(sqlite_store: EvalStore) -> None:
    progress = RecordingProgress()
    await EvalRunner(sqlite_store, concurrency=1, progress=progress).run(_target(BAD_CASES))
    assert progress.events[0] == ("start", ("recommend_refund/golden", 5, 0))
    assert [e for e in progress.events if e[0] == "advance"] == [
        ("advance", True),
        ("advance", True),
        ("advance", True),
        ("advance", True),
        ("advance", False),
    ]
    assert progress.events[-1] == ("stop", None)


async def test_the_rich_progress_bar_draws_cases_and_failures(sqlite_store: EvalStore) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    await EvalRunner(sqlite_store, progress=RichProgress(console)).run(_target(BAD_CASES))
    text = buffer.getvalue()
    assert "recommend_refund/golden" in text
    assert "5/5" in text
    assert "1 failing" in text


async def test_cases_are_judged_on_what_ran_and_stored_redacted(sqlite_store: EvalStore) -> None:
    email, card = "ana.lopez@example.com", "4111 1111 1111 1111"

    async def flow(ctx: RunContext, text: str) -> dict[str, str]:
        ctx.record("lookup", customer=email)
        return {"class": "billing", "reply": f"we wrote to {email} about card {card}"}

    agent = Workflow("echoes_pii", flow)
    cases = [
        {
            "id": "pii",
            "input": f"charged twice on {card}, mail {email}",
            "expected_class": "billing",
        }
    ]
    report = await EvalRunner(sqlite_store).run(_target(cases, agent=agent))
    assert report.passed  # the evaluators saw the real output
    stored = sqlite_store.case_results(report.run.eval_run_id, traces=True)
    dumped = json.dumps([(c.output, c.trace, c.error) for c in stored])
    assert email not in dumped
    assert "4111" not in dumped
    assert "<EMAIL_1>" in dumped
    assert stored[0].output["reply"] == "we wrote to <EMAIL_1> about card <CARD_1>"
