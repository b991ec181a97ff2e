"""The durability floor: the workload's 11 steps as bare DBOS steps, nothing else.

The bare loop of bench_step_overhead with every model call and every tool call a
`@DBOS.step`, inside one `@DBOS.workflow`, on SQLite in WAL mode (as earned's database is).
No policy, no ledger, no traces, no redaction, no sealing: what any DBOS-based runtime pays
on this machine before it adds anything. Runs in either interpreter (DBOS only):

    python bench/anchors/dbos_floor.py --iterations 40 --database /tmp/floor.db

Prints one JSON object on stdout: the per-run wall times in seconds (after `--warmup`
untimed runs) and the DBOS version.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import workload
from dbos import DBOS


@DBOS.step()
async def model_step(seen: int) -> tuple[str, dict[str, Any]] | None:
    """A model call: the next scripted action."""
    return workload.next_action(seen)


@DBOS.step()
async def tool_step(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A tool call: the workload's tool body."""
    return workload.TOOLS[name](**args)


@DBOS.workflow(name="floor_run")
async def floor_run(prompt: str) -> str:
    """The bare loop, each call a checkpointed step."""
    messages: list[Any] = [("user", prompt)]
    seen = 0
    while True:
        action = await model_step(seen)
        if action is None:
            return workload.FINAL
        messages.append(("tool", await tool_step(*action)))
        seen += 1


async def measure(iterations: int, warmup: int) -> list[float]:
    DBOS.launch()
    try:
        times: list[float] = []
        for n in range(warmup + iterations):
            start = time.perf_counter()
            output = await floor_run(workload.PROMPT)
            elapsed = time.perf_counter() - start
            if output != workload.FINAL:
                raise SystemExit(f"unexpected output: {output!r}")
            if n >= warmup:
                times.append(elapsed)
        return times
    finally:
        DBOS.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--database", required=True, help="SQLite file (kept across rounds)")
    args = parser.parse_args()
    with sqlite3.connect(args.database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")  # as earned's database (persistent per file)
    DBOS(
        config={
            "name": "floor",
            "system_database_url": f"sqlite:///{args.database}",
            "log_level": "ERROR",
        }
    )
    times = asyncio.run(measure(args.iterations, args.warmup))
    print(
        json.dumps({"config": "dbos-floor", "run_s": times, "versions": {"dbos": version("dbos")}})
    )


if __name__ == "__main__":
    main()
