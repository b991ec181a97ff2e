"""A small triage agent whose model answers with what it was given: its prompt and its name.

The answer is `PROMPT | MODEL`, so a test reads from the output which prompt and which
model a run used. `test:broken` always fails (its runs escalate), for side-by-side metrics.
Run as `python -m tests.rollout.versions_agents start|recover|fresh DATABASE_URL RUN_ID` for
the crash test: the flow makes two model calls and, with EARNED_CRASH_BETWEEN=1, SIGKILLs
its process between them; each real model call appends the prompt it saw to EARNED_PROMPT_LOG.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from earned.errors import ModelHTTPError
from earned.messages import SystemMessage, UserMessage
from earned.models import ModelRegistry
from earned.rollout import VersionStore
from earned.runtime import Engine, ReActAgent, RunContext, Workflow
from earned.testing import FunctionModel, ModelCall

CAPABILITY = "triage"
PROMPT_V1 = "You triage support tickets. (v1)"
PROMPT_V2 = "You triage support tickets; cite the policy section. (v2)"


def _system(call: ModelCall) -> str:
    return next((m.content for m in call.messages if isinstance(m, SystemMessage)), "")


def _log(prompt: str) -> None:
    path = os.environ.get("EARNED_PROMPT_LOG")
    if path:
        with Path(path).open("a") as f:
            f.write(json.dumps({"prompt": prompt}) + "\n")


def model_for(spec: str) -> FunctionModel:
    """`test:NAME`: answers `PROMPT | test:NAME`; `test:broken` fails every call."""
    name = f"test:{spec}"

    def answer(call: ModelCall) -> str:
        if spec == "broken":
            raise ModelHTTPError("bad request", status_code=400, model=name)
        prompt = _system(call).split("\n\n")[0]
        _log(prompt)
        return f"{prompt} | {name}"

    return FunctionModel(answer, name=name)


def registry() -> ModelRegistry:
    """Resolves `test:ANYTHING` to a `model_for` double."""
    return ModelRegistry({"test": model_for})


def triage_agent(name: str = "triage_bot") -> ReActAgent:
    """A ReAct agent with no tools, prompt v1 and model test:small, serving `triage`."""
    return ReActAgent(name, model="test:small", instructions=PROMPT_V1, capability=CAPABILITY)


async def two_calls(ctx: RunContext, ticket: str) -> dict[str, Any]:
    """Two model calls with the run's instructions; may crash between them."""
    messages = [SystemMessage(content=ctx.instructions or ""), UserMessage(content=ticket)]
    first = await ctx.call_model(messages)
    if os.environ.get("EARNED_CRASH_BETWEEN") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    second = await ctx.call_model(messages)
    return {"first": first.message.content, "second": second.message.content}


FLOW = Workflow(
    "pinned_flow",
    two_calls,
    model="test:small",
    instructions=PROMPT_V1,
    capability=CAPABILITY,
)


async def main(mode: str, database_url: str, run_id: str) -> None:
    """`start` pins prompt v2 and starts the run; `recover` waits for it; `fresh` runs anew."""
    async with Engine([FLOW], database_url=database_url, registry=registry()) as engine:
        if mode == "start":
            assert engine.db is not None
            store = VersionStore(engine.db)
            v2 = store.record("prompt", FLOW.name, PROMPT_V2, author="alice", message="v2")
            store.pin(CAPABILITY, "prompt", v2.digest, actor="alice", reason="try v2")
            result = await engine.run(FLOW, "where is my refund?", run_id=run_id)
        elif mode == "recover":
            result = await engine.result(run_id)
        else:
            result = await engine.run(FLOW, "where is my refund?", run_id=run_id)
        print(json.dumps(result.model_dump(mode="json")))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
