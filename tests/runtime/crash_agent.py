"""A durable agent for the crash test: it can SIGKILL its own process between two calls.

Run as `python -m tests.runtime.crash_agent start|recover DATABASE_URL LOG RUN_ID`.
Every real execution of a tool appends a line to LOG, so the test can count them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from earned.policy import Policy, Rule
from earned.runtime import Engine, RunContext, Workflow
from earned.tools import tool

LOG = Path(os.environ.get("EARNED_CRASH_LOG", "crash.log"))


def _record(name: str, value: str) -> None:
    with LOG.open("a") as f:
        f.write(json.dumps({"tool": name, "value": value}) + "\n")


@tool(risk="internal_write")
def first_write(value: str) -> str:
    """Record the first side effect."""
    _record("first_write", value)
    return f"first:{value}"


@tool(risk="internal_write")
def second_write(value: str) -> str:
    """Record the second side effect."""
    _record("second_write", value)
    return f"second:{value}"


async def two_writes(ctx: RunContext, value: str) -> dict[str, Any]:
    a = await ctx.call_tool("first_write", {"value": value})
    if os.environ.get("EARNED_CRASH_BETWEEN") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    b = await ctx.call_tool("second_write", {"value": value})
    return {"a": a, "b": b}


AGENT = Workflow(
    "crashy",
    two_writes,
    tools=[first_write, second_write],
    policy=Policy([Rule.build("writes", "allow", tools=["first_write", "second_write"])]),
)


async def main(mode: str, database_url: str, run_id: str) -> None:
    async with Engine([AGENT], database_url=database_url) as engine:
        if mode == "start":
            result = await engine.run(AGENT, "x", run_id=run_id)
        else:
            result = await engine.result(run_id)
        print(json.dumps(result.model_dump(mode="json")))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
