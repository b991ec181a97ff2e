"""Anchor: the workload on LangGraph with its SQLite checkpointer.

Runs inside the bench venv (scripts/bench_venv.sh), never in earned's environment:

    $EARNED_BENCH_VENV/bin/python bench/anchors/langgraph_sqlite.py --iterations 40 \
        --database /tmp/lg.db

A hand-built ReAct graph (LangGraph's prebuilt `create_react_agent` is deprecated in favour
of `langchain.agents`, which is not installed): an `agent` node calling a scripted chat
model, a `ToolNode` with the five tools, `tools_condition` between them, and an
`AsyncSqliteSaver` that checkpoints the state after every super-step. Each run is a new
thread. The model is a `BaseChatModel` scripted by `workload.next_action`: one tool call per
turn, then the answer.

LangGraph's default durability is "async": a step's checkpoint is written while the next
step runs, so a crash can lose the last step. `--durability sync` waits for each checkpoint
before going on, the guarantee DBOS steps (and earned) give.

Prints one JSON object on stdout: the per-run wall times in seconds (after `--warmup`
untimed runs) and the versions of what ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import workload
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition


class ScriptedChatModel(BaseChatModel):
    """Answers instantly: the workload's next tool call, or the final answer."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        seen = sum(isinstance(m, ToolMessage) for m in messages)
        action = workload.next_action(seen)
        if action is None:
            message = AIMessage(content=workload.FINAL)
        else:
            name, args_ = action
            message = AIMessage(
                content="", tool_calls=[{"name": name, "args": args_, "id": f"call_{seen}"}]
            )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> ChatResult:
        return self._generate(messages)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        return self


@tool
async def get_order(order_id: str) -> dict[str, Any]:
    """Read an order's customer, total and status."""
    return workload.get_order(order_id)


@tool
async def get_customer(customer_id: str) -> dict[str, Any]:
    """Read a customer's tier and order count."""
    return workload.get_customer(customer_id)


@tool
async def get_policy(topic: str) -> dict[str, Any]:
    """Read the policy section on a topic."""
    return workload.get_policy(topic)


@tool
async def add_note(order_id: str, text: str) -> dict[str, Any]:
    """Add an internal note to an order."""
    return workload.add_note(order_id, text)


@tool
async def set_tag(order_id: str, tag: str) -> dict[str, Any]:
    """Tag an order for a team's queue."""
    return workload.set_tag(order_id, tag)


TOOLS = [get_order, get_customer, get_policy, add_note, set_tag]


def build_graph(checkpointer: AsyncSqliteSaver) -> Any:
    model = ScriptedChatModel().bind_tools(TOOLS)

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(TOOLS))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=checkpointer)


async def measure(database: str, iterations: int, warmup: int, durability: str) -> list[float]:
    async with AsyncSqliteSaver.from_conn_string(database) as checkpointer:
        graph = build_graph(checkpointer)
        times: list[float] = []
        for n in range(warmup + iterations):
            config = {"configurable": {"thread_id": uuid.uuid4().hex}}
            inputs = {"messages": [("system", workload.INSTRUCTIONS), ("user", workload.PROMPT)]}
            start = time.perf_counter()
            state = await graph.ainvoke(inputs, config, durability=durability)
            elapsed = time.perf_counter() - start
            if state["messages"][-1].content != workload.FINAL:
                raise SystemExit(f"unexpected output: {state['messages'][-1]!r}")
            if n >= warmup:
                times.append(elapsed)
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--database", required=True, help="SQLite file (kept across rounds)")
    parser.add_argument(
        "--durability",
        choices=["async", "sync"],
        default="async",
        help="LangGraph's default 'async' writes a checkpoint while the next step runs; "
        "'sync' waits for it, as DBOS steps do",
    )
    args = parser.parse_args()
    times = asyncio.run(measure(args.database, args.iterations, args.warmup, args.durability))
    packages = ("langgraph", "langgraph-checkpoint-sqlite", "langchain-core")
    versions = {p: version(p) for p in packages}
    config = "langgraph-sqlite" + ("-sync" if args.durability == "sync" else "")
    print(json.dumps({"config": config, "run_s": times, "versions": versions}))


if __name__ == "__main__":
    main()
