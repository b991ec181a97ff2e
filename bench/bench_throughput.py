"""Benchmark throughput: completed runs per second with 1, 2 and 4 workers on PostgreSQL.

The agent is bench_step_overhead's (bench/anchors/workload.py: a scripted model, five
in-memory tools, 11 durable steps a run, everything on). For each worker count, on a fresh
PostgreSQL database: that many `earned worker` processes are started (distinct
`--executor-id`s, `--exit-when-idle`, one shared `EARNED_DATA_KEY`), and at the same moment
this process submits N runs to the agent's queue (`Engine.submit`, an engine that does not
serve the queue itself). The workers take the runs, then stop when the queue is empty.

Two figures per worker count:

- runs/s from the first submit to the last completion (worker start-up included, as the
  issue defines it);
- steady runs/s between the first and the last completion (start-up excluded).

    python bench/bench_throughput.py                     # 400 runs, 1, 2 and 4 workers
    python bench/bench_throughput.py --runs 50 --workers 1 2

Prints a table and writes JSON to bench/results/throughput.json (or --out). No figure here
is asserted anywhere: the test suite only checks that a tiny run completes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_step_overhead import (  # noqa: E402
    POSTGRES,
    build_agent,
    fresh_postgres,
    machine,
)

from earned import Engine  # noqa: E402
from earned.sealing import generate_key  # noqa: E402
from earned.store._tables import runs  # noqa: E402

RESULTS = BENCH / "results" / "throughput.json"

#: What `earned worker` loads (this file's module-level agent).
AGENT = build_agent()
AGENT_REF = f"{Path(__file__).resolve()}:AGENT"


def start_workers(
    count: int, database_url: str, concurrency: int, env: dict[str, str]
) -> list[subprocess.Popen[str]]:
    """`count` worker processes with distinct executor ids, exiting once idle."""
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "earned.cli",
                "worker",
                AGENT_REF,
                "--database",
                database_url,
                "--executor-id",
                f"bench-w{n}",
                "--concurrency",
                str(concurrency),
                "--exit-when-idle",
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(count)
    ]


async def submit(database_url: str, count: int) -> float:
    """Queue `count` runs; the time of the first submit."""
    async with Engine([AGENT], database_url=database_url, listen=False, prune_daily=False) as e:
        first = time.time()
        for n in range(count):
            await e.submit(AGENT, f"ticket {n}: my order ord_1 arrived damaged")
    return first


def completions(database_url: str) -> tuple[dict[str, int], list[float], dict[str, int]]:
    """Runs by status, the end times of the completed ones, and runs by executor.

    Which worker ran a run is DBOS's record (`dbos.workflow_status.executor_id`).
    """
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(runs.c.status, runs.c.ended_at)).all()
            executors = conn.exec_driver_sql(
                "SELECT executor_id, count(*) FROM dbos.workflow_status "
                "WHERE name = 'earned.run' GROUP BY executor_id"
            ).all()
    finally:
        engine.dispose()
    statuses: dict[str, int] = {}
    for status, _ in rows:
        statuses[status] = statuses.get(status, 0) + 1
    ended = sorted(end for status, end in rows if status == "completed" and end is not None)
    return statuses, ended, {str(e): int(n) for e, n in executors}


def one_level(
    workers: int, count: int, concurrency: int, server_url: str, timeout: float
) -> dict[str, Any]:
    """Serve `count` runs with `workers` workers on a fresh database; the figures."""
    env = {**os.environ}
    env.setdefault("EARNED_DATA_KEY", generate_key())
    os.environ["EARNED_DATA_KEY"] = env["EARNED_DATA_KEY"]  # the submitter seals with it too
    with fresh_postgres(server_url) as (url, _):
        asyncio.run(_migrate(url))
        procs = start_workers(workers, url, concurrency, env)
        try:
            first_submit = asyncio.run(submit(url, count))
            for proc in procs:
                _wait(proc, timeout)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        statuses, ended, by_executor = completions(url)
    if statuses.get("completed", 0) != count:
        raise RuntimeError(f"expected {count} completed runs, found {statuses}")
    window = ended[-1] - first_submit
    steady = ended[-1] - ended[0]
    return {
        "workers": workers,
        "runs": count,
        "concurrency_per_worker": concurrency,
        "seconds_first_submit_to_last_completion": round(window, 3),
        "runs_per_s": round(count / window, 2),
        "steady_runs_per_s": round((count - 1) / steady, 2) if steady > 0 else None,
        "runs_by_worker": by_executor,
    }


async def _migrate(url: str) -> None:
    """Create earned's and DBOS's tables once, before the workers race to."""
    async with Engine([AGENT], database_url=url, listen=False, prune_daily=False):
        pass


def _wait(proc: subprocess.Popen[str], timeout: float) -> None:
    """Wait for a worker to stop by itself (idle); fail with its stderr if it failed."""
    _, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"a worker failed (exit {proc.returncode}): {err[-2000:]}")


def bench(
    levels: Sequence[int], count: int, concurrency: int, server_url: str, timeout: float
) -> dict[str, Any]:
    """Every worker count in turn; the report."""
    with fresh_postgres(server_url) as (_, version):
        pass
    load_at_start = round(os.getloadavg()[0], 2)
    results = [one_level(w, count, concurrency, server_url, timeout) for w in levels]
    return {
        "benchmark": "throughput",
        "database": "postgresql",
        "steps_per_run": 11,
        "results": results,
        "machine": {**machine(version), "load_average_1m_at_start": load_at_start},
    }


def render(report: dict[str, Any], console: Console) -> None:
    table = Table(
        title="throughput on PostgreSQL: completed runs per second (11 durable steps a run)",
        title_justify="left",
    )
    for column in ("workers", "runs", "s (first submit -> last completion)", "runs/s", "steady"):
        table.add_column(column, justify="right")
    for row in report["results"]:
        table.add_row(
            str(row["workers"]),
            str(row["runs"]),
            f"{row['seconds_first_submit_to_last_completion']:.2f}",
            f"{row['runs_per_s']:.1f}",
            "-" if row["steady_runs_per_s"] is None else f"{row['steady_runs_per_s']:.1f}",
        )
    console.print(table)
    m = report["machine"]
    console.print(
        f"machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu'] or m['platform']}; "
        f"Python {m['python']}; PostgreSQL {m['postgres']}; load average "
        f"{m['load_average_1m_at_start']} at start, {m['load_average_1m']} at the end"
    )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=8, help="runs per worker at once")
    parser.add_argument("--postgres", default=POSTGRES, help="server URL to create dbs on")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per level")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    report = bench(args.workers, args.runs, args.concurrency, args.postgres, args.timeout)
    render(report, Console(width=None if sys.stdout.isatty() else 160))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
