"""Anchor: the workload on PydanticAI with its DBOS durability, on SQLite.

Runs inside the bench venv (scripts/bench_venv.sh), never in earned's environment:

    $EARNED_BENCH_VENV/bin/python bench/anchors/pydantic_ai_dbos.py --iterations 40 \
        --database /tmp/pai.db

The agent uses the `DBOSDurability` capability (model requests are DBOS steps) and is run
inside a `@DBOS.workflow`; the five tools are `@DBOS.step`s, so every model call and every
tool call is checkpointed, as in earned. The model is PydanticAI's `FunctionModel`,
scripted by `workload.next_action`: one tool call per turn, then the answer.

`--journal wal` puts the SQLite file in WAL mode first (DBOS's default is SQLite's rollback
journal; earned's database is in WAL mode), to compare the runtimes on equal storage.

Prints one JSON object on stdout: the per-run wall times in seconds (after `--warmup`
untimed runs) and the versions of what ran.
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
from pydantic_ai import Agent
from pydantic_ai.durable_exec.dbos import DBOSDurability
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel


def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """The scripted model: the next tool call of the workload, or the final answer."""
    seen = sum(
        isinstance(part, ToolReturnPart)
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
    )
    action = workload.next_action(seen)
    if action is None:
        return ModelResponse(parts=[TextPart(workload.FINAL)])
    name, args = action
    return ModelResponse(parts=[ToolCallPart(name, args, tool_call_id=f"call_{seen}")])


@DBOS.step()
async def get_order(order_id: str) -> dict[str, Any]:
    """Read an order's customer, total and status."""
    return workload.get_order(order_id)


@DBOS.step()
async def get_customer(customer_id: str) -> dict[str, Any]:
    """Read a customer's tier and order count."""
    return workload.get_customer(customer_id)


@DBOS.step()
async def get_policy(topic: str) -> dict[str, Any]:
    """Read the policy section on a topic."""
    return workload.get_policy(topic)


@DBOS.step()
async def add_note(order_id: str, text: str) -> dict[str, Any]:
    """Add an internal note to an order."""
    return workload.add_note(order_id, text)


@DBOS.step()
async def set_tag(order_id: str, tag: str) -> dict[str, Any]:
    """Tag an order for a team's queue."""
    return workload.set_tag(order_id, tag)


def build_agent() -> Agent[None, str]:
    return Agent(
        FunctionModel(scripted),
        name="bench",
        instructions=workload.INSTRUCTIONS,
        tools=[get_order, get_customer, get_policy, add_note, set_tag],
        capabilities=[DBOSDurability(parallel_execution_mode="sequential")],
    )


async def measure(iterations: int, warmup: int) -> list[float]:
    agent = build_agent()

    @DBOS.workflow(name="bench_run")
    async def run_agent(prompt: str) -> str:
        result = await agent.run(prompt)
        return result.output

    DBOS.launch()
    try:
        times: list[float] = []
        for n in range(warmup + iterations):
            start = time.perf_counter()
            output = await run_agent(workload.PROMPT)
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
    parser.add_argument(
        "--journal",
        choices=["default", "wal"],
        default="default",
        help="SQLite journal: DBOS's default (rollback journal), or WAL as earned uses",
    )
    args = parser.parse_args()
    if args.journal == "wal":
        with sqlite3.connect(args.database) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # persistent in the file
    DBOS(
        config={
            "name": "bench",
            "system_database_url": f"sqlite:///{args.database}",
            "log_level": "ERROR",
        }
    )
    times = asyncio.run(measure(args.iterations, args.warmup))
    versions = {p: version(p) for p in ("pydantic-ai-slim", "dbos")}
    config = "pydantic-ai-dbos" + ("-wal" if args.journal == "wal" else "")
    print(json.dumps({"config": config, "run_s": times, "versions": versions}))


if __name__ == "__main__":
    main()
