"""The LLM brain's prompts are the agent's declared instructions, so versions apply to them.

A prompt version pinned (or canaried) for `submit_refund` is what the model is sent, in the
classification step and in the ReAct assessment stage; a rollback brings back the prompts
the code declares. Real engine on a real database (SQLite, and PostgreSQL when it answers).
"""

from __future__ import annotations

from typing import Any

import pytest
from examples.refund_agent.agent import CAPABILITY, build_llm_agent
from examples.refund_agent.llm import (
    ASSESS_PROMPT,
    CLASSIFY_PROMPT,
    compose_instructions,
    prompt_sections,
)
from examples.refund_agent.orders import OrderDatabase

from earned.errors import UserError
from earned.guards import UNTRUSTED_PREAMBLE
from earned.messages import SystemMessage
from earned.rollout import VersionStore
from earned.runtime import Engine, Principal, RunResult
from earned.testing import ModelCall, ScriptedModel
from tests.examples.conftest import ticket
from tests.examples.test_llm_brain import assessment, classification

CLASSIFY_V2 = "You sort support tickets (v2). Answer with JSON matching the schema."
ASSESS_V2 = "You assess refund requests (v2). Cite refund_policy.section_X.Y@VERSION."
LOST = ticket("Refund please, I lost the order number.")


def _asks_for_the_order() -> list[str]:
    """One run's answers: a refund, then an assessment that needs the order number."""
    return [
        classification("refund"),
        assessment(order_id=None, decision=None, section="7.3", amount=None),
    ]


def _system(call: ModelCall) -> str:
    """The system prompt the model got, without the runtime's untrusted-content paragraph."""
    text = next(m.content or "" for m in call.messages if isinstance(m, SystemMessage))
    assert text.endswith(f"\n\n{UNTRUSTED_PREAMBLE}")
    return text.removesuffix(f"\n\n{UNTRUSTED_PREAMBLE}")


def _prompts_sent(calls: list[ModelCall]) -> list[str]:
    return [_system(c) for c in calls]


def _prompt_versions(engine: Engine, run: RunResult) -> list[str]:
    engine.spans.flush()
    spans = engine.spans.spans(run.run_id)
    return [s.attributes["prompt_version"] for s in spans if s.kind == "model_call"]


def test_the_declared_instructions_are_both_prompts_exactly() -> None:
    agent = build_llm_agent(model=ScriptedModel([]))
    assert agent.instructions is not None
    assert prompt_sections(agent.instructions) == {
        "classify": CLASSIFY_PROMPT,
        "assess": ASSESS_PROMPT,
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Just one prompt for everything.", "text before the first"),
        (f"## classify\n{CLASSIFY_V2}\n", "no 'assess' section"),
        (f"## classify\n{CLASSIFY_V2}\n## asess\n{ASSESS_V2}", "unknown section 'asess'"),
        (f"## classify\n{CLASSIFY_V2}\n## assess\n\n", "no 'assess' section"),
    ],
)
def test_instructions_without_both_sections_are_refused_with_the_fix(
    text: str, problem: str
) -> None:
    with pytest.raises(UserError, match=problem) as caught:
        prompt_sections(text)
    assert "earned versions rollback" in str(caught.value)


@pytest.mark.slow
async def test_a_pinned_prompt_is_what_the_model_is_sent_and_a_rollback_restores_it(
    database_url: str, orders: OrderDatabase
) -> None:
    model = ScriptedModel(_asks_for_the_order() * 3)
    agent = build_llm_agent(model=model, orders=orders)
    async with Engine([agent], database_url=database_url) as engine:
        assert engine.db is not None
        store = VersionStore(engine.db)
        (seen,) = store.list(kind="prompt", name=agent.name)
        assert seen.content == agent.instructions  # recorded at launch, by hash

        before = await engine.run(agent, LOST)
        assert before.status == "completed", before.error
        assert _prompts_sent(model.calls) == [CLASSIFY_PROMPT, ASSESS_PROMPT]

        v2 = store.record(
            "prompt",
            agent.name,
            compose_instructions(CLASSIFY_V2, ASSESS_V2),
            author="alice",
            message="shorter prompts",
        )
        store.pin(CAPABILITY, "prompt", v2.short, actor="alice", reason="try v2")
        pinned = await engine.run(agent, LOST)
        assert pinned.status == "completed", pinned.error
        assert _prompts_sent(model.calls[2:]) == [CLASSIFY_V2, ASSESS_V2]
        assert pinned.versions["prompt"] == f"sha256:{v2.short}"
        # both steps' model calls, the ReAct stage's included, record the pinned version
        assert _prompt_versions(engine, pinned) == [f"sha256:{v2.short}"] * 2

        store.rollback(CAPABILITY, "prompt", actor="bob", reason="back to the code's prompts")
        after = await engine.run(agent, LOST)
        assert after.status == "completed", after.error
        assert _prompts_sent(model.calls[4:]) == [CLASSIFY_PROMPT, ASSESS_PROMPT]
        assert _prompt_versions(engine, after) == [agent.versions()["prompt"]] * 2
    model.assert_complete()


@pytest.mark.slow
async def test_a_canaried_prompt_reaches_its_tenants_only(
    database_url: str, orders: OrderDatabase
) -> None:
    model = ScriptedModel(_asks_for_the_order() * 2)
    agent = build_llm_agent(model=model, orders=orders)
    async with Engine([agent], database_url=database_url) as engine:
        assert engine.db is not None
        store = VersionStore(engine.db)
        (baseline,) = store.list(kind="prompt", name=agent.name)
        v2 = store.record(
            "prompt", agent.name, compose_instructions(CLASSIFY_V2, ASSESS_V2), author="alice"
        )
        store.pin(CAPABILITY, "prompt", baseline.short, actor="alice", reason="baseline")
        store.canary(CAPABILITY, "prompt", v2.short, 100, actor="alice", reason="every tenant")

        canary = await engine.run(agent, LOST, principal=Principal(tenant="acme"))
        no_tenant = await engine.run(agent, LOST)  # no key: the pinned version
    assert (canary.versions["variant"], no_tenant.versions["variant"]) == ("canary", "pinned")
    assert _prompts_sent(model.calls) == [CLASSIFY_V2, ASSESS_V2, CLASSIFY_PROMPT, ASSESS_PROMPT]


@pytest.mark.slow
async def test_a_pinned_prompt_without_the_sections_fails_the_run_before_any_model_call(
    database_url: str, orders: OrderDatabase
) -> None:
    model = ScriptedModel([])
    agent = build_llm_agent(model=model, orders=orders)
    async with Engine([agent], database_url=database_url) as engine:
        assert engine.db is not None
        store = VersionStore(engine.db)
        flat = store.record("prompt", agent.name, "You handle refunds.", author="alice")
        store.pin(CAPABILITY, "prompt", flat.short, actor="alice", reason="one prompt")
        result = await engine.run(agent, LOST)
    assert result.status == "failed"
    error: dict[str, Any] = result.error or {}
    assert "## classify" in error["message"]
    assert "earned versions rollback" in error["message"]
    assert model.calls == []
