"""Benchmark shadow mode and replay on the refund example (offline brain, deterministic).

Shadow: the offline refund agent at stage shadow on the golden dataset (its test split and
all of it), compared with the golden labels: agreement overall and per class, time per
case, writes simulated and executed (always 0), and the order database checked unchanged.

Replay: `--runs` golden tickets are run durably on the engine (each refund waits for a
reviewer, who approves, approves with an edited amount or rejects, in turn), then every
recorded run is replayed with the same agent: how many reproduce exactly (zero
divergences, same decisions, calls and output), and the time per replay (loading the
recording from the trace and the durable step records, running, diffing).

    python bench/bench_replay.py                          # SQLite in a temporary directory
    python bench/bench_replay.py --runs 200 --database postgresql+psycopg://...

Prints a table and writes JSON to bench/results/replay.json (or --out). No figure here is
asserted anywhere: the test suite only checks that a tiny run completes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "examples" / "refund_agent" / "datasets" / "golden.jsonl"


def _agent(work: Path, name: str) -> Any:
    from examples.refund_agent.agent import build_agent
    from examples.refund_agent.orders import OrderDatabase

    (work / name).mkdir(parents=True, exist_ok=True)
    orders = OrderDatabase(work / name / "orders.db")
    return build_agent(orders=orders, cache_dir=work / "classifier"), orders


def _cases(limit: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in GOLDEN.read_text().splitlines() if line]
    test = [r for r in rows if r["split"] == "test"]
    refunds = [r for r in test if r["expected_decision"] is not None]
    others = [r for r in test if r["expected_decision"] is None]
    mixed = [r for pair in zip(refunds, others, strict=False) for r in pair]
    return mixed[:limit]


async def shadow(
    database_url: str,
    work: Path,
    split: str | None,
    compare: Literal["decision", "class"] = "decision",
    *,
    limit: int | None = None,
) -> dict[str, Any]:
    """Agreement of the offline agent with the golden labels, at stage shadow."""
    from earned.replay import ShadowRunner, dataset_inputs
    from earned.store import Database

    agent, orders = _agent(work, f"shadow_{split or 'all'}_{compare}")
    db = Database(database_url)
    db.upgrade()
    inputs = dataset_inputs(GOLDEN, split=split, compare=compare)[:limit]
    options: dict[str, Any] = {"capability": "submit_refund", "compare": compare}
    async with ShadowRunner(db, agent, **options) as runner:
        report = await runner.run(inputs, source=f"golden ({split or 'all'})")
    db.close()
    data = report.to_dict()
    data.pop("results")
    data["disagreements"] = [
        {k: d[k] for k in ("key", "class", "human", "agent")} for d in data["disagreements"]
    ]
    data["ms_per_case"] = 1000 * report.seconds / max(1, len(report.cases))
    data["order_db_untouched"] = not orders.refunds() and not orders.recommendations()
    return data


async def record(database_url: str, agent: Any, cases: list[dict[str, Any]]) -> list[str]:
    """Run each case durably; each approval is approved, edited or rejected in turn."""
    from earned.runtime import Engine

    run_ids: list[str] = []
    who = {"actor": "bench", "role": "reviewer"}
    async with Engine([agent], database_url=database_url, monitor=False) as engine:
        for case in cases:
            handle = await engine.start(agent, case["input"])
            settled = await engine.settle(handle.run_id, timeout=120)
            if settled.status == "waiting_approval":
                (pending,) = engine.approvals.list(run_id=handle.run_id, status="pending")
                turn = len(run_ids) % 3
                if turn == 0:
                    engine.approvals.approve(pending.approval_id, **who)
                elif turn == 1:
                    edited = {**pending.arguments, "amount": 1.0}
                    engine.approvals.approve(
                        pending.approval_id, arguments=edited, reason="partial", **who
                    )
                else:
                    engine.approvals.reject(pending.approval_id, reason="bench", **who)
            await handle.result()
            run_ids.append(handle.run_id)
    return run_ids


async def replay(database_url: str, work: Path, runs: int) -> dict[str, Any]:
    """Record `runs` golden runs, replay each with the same agent."""
    from earned.replay import Replayer
    from earned.store import Database

    agent, orders = _agent(work, "replay")
    started = time.perf_counter()
    run_ids = await record(database_url, agent, _cases(runs))
    recorded_s = time.perf_counter() - started
    refunds = len(orders.refunds())
    db = Database(database_url)
    db.upgrade()
    seconds: list[float] = []
    identical = 0
    async with Replayer(db, agent) as replayer:
        for run_id in run_ids:
            result = await replayer.replay(run_id)
            seconds.append(result.seconds)
            identical += result.identical
    db.close()
    warm = sorted(seconds[1:]) or seconds
    return {
        "recorded": len(run_ids),
        "identical": identical,
        "record_seconds": recorded_s,
        "first_replay_ms": 1000 * seconds[0],
        "replay_ms_p50": 1000 * statistics.median(warm),
        "replay_ms_p95": 1000 * warm[min(len(warm) - 1, int(0.95 * len(warm)))],
        "replay_ms_mean": 1000 * statistics.fmean(warm),
        "refunds_before_replay": refunds,
        "refunds_after_replay": len(orders.refunds()),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run every benchmark; the JSON result."""
    work = Path(tempfile.mkdtemp(prefix="earned-bench-replay-"))
    os.environ.setdefault("EARNED_DATA_KEY_FILE", str(work / "data.key"))
    database_url = args.database or f"sqlite:///{work / 'earned.db'}"
    from examples.refund_agent.brain.classifier import TicketClassifier

    TicketClassifier.load_or_train(work / "classifier")  # trained before anything is timed
    cases = args.shadow_cases
    return {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load": os.getloadavg(),
        },
        "database": database_url.split(":", 1)[0],
        "shadow_test": await shadow(database_url, work, "test", limit=cases),
        "shadow_test_class": await shadow(database_url, work, "test", "class", limit=cases),
        "shadow_all": None if args.shadow_limit else await shadow(database_url, work, None),
        "replay": await replay(database_url, work, args.runs),
    }


def _print(result: dict[str, Any]) -> None:
    table = Table(title=f"shadow and replay ({result['database']})")
    for column in ("measure", "value"):
        table.add_column(column)
    for name in ("shadow_test", "shadow_test_class", "shadow_all"):
        data = result[name]
        if data is None:
            continue
        table.add_row(f"{name}: agreement", f"{data['agreed']}/{data['labelled']} "
                      f"({data['agreement']:.1%}), {data['ms_per_case']:.1f} ms/case")  # fmt: skip
        per_class = ", ".join(f"{c['class']} {c['agreement']:.1%}" for c in data["per_class"])
        table.add_row(f"{name}: per class", per_class)
        writes = (
            f"simulated {data['simulated_writes']}, executed {data['executed_writes']}, "
            f"orders untouched {data['order_db_untouched']}"
        )
        table.add_row(f"{name}: writes", writes)
    r = result["replay"]
    table.add_row("replay: identical", f"{r['identical']}/{r['recorded']}")
    table.add_row("replay: ms per replay", f"p50 {r['replay_ms_p50']:.1f}, p95 "
                  f"{r['replay_ms_p95']:.1f}, first {r['first_replay_ms']:.0f}")  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Parse the options, run, print the table, write the JSON; the result."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60, help="runs to record and replay")
    parser.add_argument("--database", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--shadow-limit", action="store_true", help="skip the full-dataset shadow")
    parser.add_argument("--shadow-cases", type=int, help="shadow only this many test cases")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "replay.json")
    options = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    outcome = asyncio.run(run(options))
    _print(outcome)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(outcome, indent=2, sort_keys=True) + "\n")
    return outcome


if __name__ == "__main__":
    main()
