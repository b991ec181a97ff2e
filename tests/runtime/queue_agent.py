"""A slow little agent for queue tests: records when each run's work starts and ends."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from earned.policy import Policy, Rule
from earned.runtime import RunContext, Workflow
from earned.tools import tool

LOG = Path(os.environ.get("EARNED_QUEUE_LOG", "queue.log"))


@tool(risk="read", timeout=10)
def slow_work(label: str) -> str:
    """Work for a moment and record the interval."""
    start = time.time()
    time.sleep(1.0)
    with LOG.open("a") as f:
        f.write(json.dumps({"label": label, "start": start, "end": time.time()}) + "\n")
    return label


async def flow(ctx: RunContext, label: str) -> Any:
    return await ctx.call_tool("slow_work", {"label": label})


AGENT = Workflow(
    "queued_work",
    flow,
    tools=[slow_work],
    policy=Policy([Rule.build("all", "allow", tools=["slow_work"])]),
)
