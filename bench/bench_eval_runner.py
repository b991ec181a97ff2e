"""Benchmark the eval runner against its bound: cases x latency / concurrency.

A ReAct agent answers each case with one call to a model double that sleeps a fixed
latency (no network), so a perfect runner finishes N cases at concurrency C in
N x latency / C seconds. The ratio elapsed / bound is what the runner adds: scheduling,
the guarded run path, scoring by every gate, and storing results and traces in a real
SQLite database. Goal: within 10% of the bound (ratio <= 1.10).

    python bench/bench_eval_runner.py                       # 1,000 cases, 0.5 s, C=10,50,100
    python bench/bench_eval_runner.py --cases 200 --latency 0.1 --concurrency 1 8

Prints a table and writes JSON to bench/results/eval_runner.json (or --out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from earned.evals import Dataset, EvalRunner, EvalStore, EvalTarget, parse_manifest
from earned.messages import Message, ModelResponse, ModelSettings, OutputSchema, ToolDefinition
from earned.runtime import ReActAgent
from earned.store import Database
from earned.testing import respond

RESULTS = Path(__file__).parent / "results" / "eval_runner.json"

MANIFEST = """
version: 1
capability: answer
owner: Bench
gates:
  - eval: output_contains
    minimum: 100%
  - eval: unauthorized_tools
    minimum: 100%
    blockers: [{any: unauthorized_tool_attempt}]
  - eval: turns
    minimum: 100%
  - eval: cost
    minimum: 100%
"""


class SleepingModel:
    """A model double that answers after a fixed latency."""

    def __init__(self, latency: float) -> None:
        self.latency = latency

    @property
    def name(self) -> str:
        """The registry-style name (priced at $0 by the default table)."""
        return "test:sleeping"

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Sleep, then answer."""
        await asyncio.sleep(self.latency)
        return respond("Your ticket is about billing; we have routed it.")


def _dataset(cases: int) -> Dataset:
    return Dataset.of(
        "bench",
        (
            {
                "id": f"case_{i:05d}",
                "input": f"Ticket {i}: I was charged twice on my last invoice.",
                "expected_output_contains": ["billing"],
                "expected_tools": [],
                "max_turns": 2,
                "max_cost": 0.01,
            }
            for i in range(cases)
        ),
    )


async def _one(cases: int, latency: float, concurrency: int, workdir: Path) -> dict[str, Any]:
    db = Database(f"sqlite:///{workdir / f'bench_c{concurrency}.db'}")
    db.upgrade()
    try:
        agent = ReActAgent(
            "bench_agent", model=SleepingModel(latency), instructions="Route support tickets."
        )
        target = EvalTarget(
            agent=agent, suite="bench", dataset=_dataset(cases), manifest=parse_manifest(MANIFEST)
        )
        runner = EvalRunner(EvalStore(db), concurrency=concurrency, resume=False)
        started = time.perf_counter()
        report = await runner.run(target)
        elapsed = time.perf_counter() - started
    finally:
        db.close()
    bound = cases * latency / concurrency
    return {
        "concurrency": concurrency,
        "cases": cases,
        "latency_s": latency,
        "bound_s": round(bound, 4),
        "elapsed_s": round(elapsed, 4),
        "ratio": round(elapsed / bound, 4),
        "verdict": report.verdict,
        "cases_stored": len(report.cases),
    }


def run(cases: int, latency: float, levels: Sequence[int]) -> list[dict[str, Any]]:
    """Run the benchmark at each concurrency level; one result row per level."""
    with tempfile.TemporaryDirectory() as tmp:
        return [asyncio.run(_one(cases, latency, c, Path(tmp))) for c in levels]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run, print the table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per model call")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    load_at_start = round(os.getloadavg()[0], 2)  # others' work on the machine skews it
    rows = run(args.cases, args.latency, args.concurrency)
    load = round(os.getloadavg()[0], 2)
    print(f"{'concurrency':>11} {'cases':>6} {'bound s':>9} {'elapsed s':>10} {'ratio':>7}")
    for row in rows:
        print(
            f"{row['concurrency']:>11} {row['cases']:>6} {row['bound_s']:>9.3f} "
            f"{row['elapsed_s']:>10.3f} {row['ratio']:>7.3f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "eval_runner",
                "goal": "ratio <= 1.10 (within 10% of cases x latency / concurrency)",
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "machine": {
                    "cores": os.cpu_count(),
                    "load_average_1m_at_start": load_at_start,
                    "load_average_1m": load,
                },
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"load average {load_at_start} at start, {load} at the end; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
