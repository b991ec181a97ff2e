"""Score a refund agent on the datasets: `python -m examples.refund_agent.evaluate`.

Runs every case through the guarded path in-process (`run_inline`, a fresh order database)
and prints, per dataset: classification accuracy by class, exact section match, decision
accuracy and incorrect approvals, tool selection, refusals and reply contents. The figures in
docs/refund_agent.md come from this script. The eval framework (`earned eval`) reads the same
files; this script is the example's own measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from earned.runtime import Agent, MemorySink
from earned.testing import run_inline

__all__ = ["CaseResult", "evaluate", "load_cases", "main", "run_case", "summarise"]

DATASETS = Path(__file__).resolve().parent / "datasets"
CaseResult = dict[str, Any]


def load_cases(name: str, split: str | None = None) -> list[dict[str, Any]]:
    """The cases of one dataset file (optionally one split of it)."""
    lines = (DATASETS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines]
    return [c for c in cases if split is None or c.get("split") == split]


def _tools_called(sink: MemorySink) -> list[str]:
    """Tools the run called or asked to call (a call held for approval counts), in order."""
    seen: list[tuple[str, str]] = []
    for event in sink.events():
        tool = event.attributes.get("tool")
        if event.kind == "tool_call" or (event.kind == "policy_decision" and tool):
            key = (str(tool), str(event.attributes.get("call_id")))
            if key not in seen:
                seen.append(key)
    return [t for t, _ in seen]


async def run_case(agent: Agent, case: dict[str, Any], *, stage: str | None = None) -> CaseResult:
    """Run one case; returns what happened next to what was expected."""
    sink = MemorySink()
    result = await run_inline(agent, case["input"], sink=sink, stage=stage)
    outcomes = [e for e in sink.events() if e.kind == "custom" and e.name == "refund_outcome"]
    outcome = dict(outcomes[-1].attributes) if outcomes else {}
    return {"case": case, "status": result.status, "tainted": result.tainted,
            "outcome": outcome, "tools": _tools_called(sink)}  # fmt: skip


def _score(r: CaseResult) -> dict[str, bool | None]:
    case, out = r["case"], r["outcome"]
    draft = str(out.get("draft", ""))
    expected_seq = case.get("expected_tool_sequence")
    return {
        "class": out.get("class") == case["expected_class"],
        "section": None if case["expected_section"] is None
        else out.get("section") == case["expected_section"],
        "decision": None if case["expected_decision"] is None
        else out.get("decision") == case["expected_decision"],
        "tools": sorted(set(r["tools"])) == sorted(set(case["expected_tools"])),
        "sequence": None if not expected_seq else r["tools"] == expected_seq,
        "refusal": bool(out.get("refused")) == case["expected_refusal"],
        "contains": all(s in draft for s in case["expected_output_contains"]),
    }  # fmt: skip


def summarise(results: list[CaseResult]) -> dict[str, Any]:
    """Accuracy figures over a list of case results."""
    totals: dict[str, list[bool]] = defaultdict(list)
    by_class: dict[str, list[bool]] = defaultdict(list)
    wrong_approvals = wrong_approvals_50 = 0
    for r in results:
        scores = _score(r)
        for key, value in scores.items():
            if value is not None:
                totals[key].append(value)
        by_class[r["case"]["expected_class"]].append(bool(scores["class"]))
        if (
            r["outcome"].get("decision") == "approve"
            and r["case"]["expected_decision"] != "approve"
        ):
            wrong_approvals += 1
            wrong_approvals_50 += float(r["outcome"].get("amount") or 0) > 50
    refused = [r for r in results if r["case"]["expected_refusal"]]
    return {
        "cases": len(results),
        "accuracy": {k: _rate(v) for k, v in totals.items()},
        "class_accuracy": {c: _rate(v) for c, v in sorted(by_class.items())},
        "incorrect_approvals": wrong_approvals,
        "incorrect_approvals_above_50": wrong_approvals_50,
        "refusal_recall": _rate([bool(r["outcome"].get("refused")) for r in refused]),
        "statuses": dict(Counter(r["status"] for r in results)),
    }


def _rate(values: list[bool]) -> dict[str, Any] | None:
    if not values:
        return None
    return {"correct": sum(values), "of": len(values), "rate": round(sum(values) / len(values), 3)}


async def evaluate(
    agent: Agent, cases: list[dict[str, Any]], *, stage: str | None = None
) -> list[CaseResult]:
    """Run every case in order."""
    return [await run_case(agent, case, stage=stage) for case in cases]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: prints a JSON report."""
    from examples.refund_agent.agent import DEFAULT_CACHE_DIR, build_agent

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--set", action="append", dest="sets", help="dataset (repeatable)")
    parser.add_argument("--split", default=None, help="golden split (default: test)")
    args = parser.parse_args(argv)
    sets = args.sets or ["golden", "regression", "adversarial", "tool_use"]
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        agent = build_agent(orders_path=Path(tmp) / "orders.db", cache_dir=DEFAULT_CACHE_DIR)
        for name in sets:
            split = (args.split or "test") if name == "golden" else None
            started = time.perf_counter()
            results = asyncio.run(evaluate(agent, load_cases(name, split)))
            report[name if split is None else f"{name}:{split}"] = {
                **summarise(results),
                "seconds": round(time.perf_counter() - started, 1),
            }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
