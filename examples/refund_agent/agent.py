"""The refund agent: `AGENT` (offline static workflow) and `build_llm_agent()` (a model).

Run it from the repository root::

    earned run examples/refund_agent/agent.py:AGENT --input @ticket.json
    earned run examples/refund_agent/agent.py:LLM_AGENT --model openai:gpt-4.1-mini --input ...

Both agents use the same four tools, the same policy file and the same order database
(`./.earned/refund_agent/orders.db`, created on first use from `datasets/orders.jsonl`).
"""

from __future__ import annotations

from pathlib import Path

from examples.refund_agent.brain.policy_doc import PolicyDocument
from examples.refund_agent.flow import OfflineBrain, offline_workflow
from examples.refund_agent.llm import LLMBrain, llm_workflow
from examples.refund_agent.orders import DEFAULT_ORDERS_PATH, OrderDatabase
from examples.refund_agent.tools import RefundTools, build_tools, exact_policy_match

from earned.models import Model
from earned.policy import Policy
from earned.runtime import RunLimits, Workflow

__all__ = [
    "AGENT",
    "DEFAULT_CACHE_DIR",
    "LLM_AGENT",
    "POLICY_FILE",
    "build_agent",
    "build_llm_agent",
    "load_policy",
]

POLICY_FILE = Path(__file__).resolve().parent / "policy.yaml"
#: Where the trained classifier is cached (relative to the working directory).
DEFAULT_CACHE_DIR = Path(".earned") / "refund_agent"
#: The capability whose stage the policy's stage-scoped rules look at.
CAPABILITY = "submit_refund"


def load_policy(tools: RefundTools, orders: OrderDatabase, document: PolicyDocument) -> Policy:
    """policy.yaml with its `exact_policy_match` predicate bound to `orders`."""
    return Policy.from_file(
        POLICY_FILE,
        tools=tools.all,
        predicates={"exact_policy_match": exact_policy_match(orders, document)},
    )


def _parts(
    orders: OrderDatabase | None, orders_path: Path | str | None
) -> tuple[OrderDatabase, PolicyDocument, RefundTools]:
    orders = orders or OrderDatabase(orders_path or DEFAULT_ORDERS_PATH)
    document = PolicyDocument.load()
    return orders, document, build_tools(orders, document)


def build_agent(
    *,
    orders: OrderDatabase | None = None,
    orders_path: Path | str | None = None,
    cache_dir: Path | None = DEFAULT_CACHE_DIR,
    name: str = "refund_agent",
) -> Workflow:
    """The offline refund agent: trained classifier, retrieval, policy rules, drafts.

    Give `orders` (or `orders_path`) to use another order database than
    `./.earned/refund_agent/orders.db`; `cache_dir=None` trains the classifier without caching.
    """
    orders, document, tools = _parts(orders, orders_path)
    brain = OfflineBrain(document=document, cache_dir=cache_dir)
    return Workflow(
        name,
        offline_workflow(brain),
        tools=tools.all,
        policy=load_policy(tools, orders, document),
        prompt_version="refund_offline_v1",
        capability=CAPABILITY,
        limits=RunLimits(max_steps=12),
        description="Seed 000's support refund workflow, offline brain",
    )


def build_llm_agent(
    *,
    model: Model | str | None = None,
    orders: OrderDatabase | None = None,
    orders_path: Path | str | None = None,
    name: str = "refund_agent_llm",
) -> Workflow:
    """The same workflow with a model: structured classification, a ReAct tool stage."""
    orders, document, tools = _parts(orders, orders_path)
    policy = load_policy(tools, orders, document)
    brain = LLMBrain(document=document, tools=tools, policy=policy, model=model)
    return Workflow(
        name,
        llm_workflow(brain),
        tools=tools.all,
        policy=policy,
        model=model,
        instructions=brain.instructions,
        prompt_version=brain.prompt_version,
        capability=CAPABILITY,
        limits=RunLimits(max_steps=16, max_cost=0.25),
        description="Seed 000's support refund workflow, LLM brain",
    )


#: The offline agent, for `earned run examples/refund_agent/agent.py:AGENT`.
AGENT = build_agent()
#: The LLM agent; give it a model with `--model`.
LLM_AGENT = build_llm_agent()
