"""The public API is explicit: this test fails when it changes by accident.

Changing it on purpose? Update the lists here in the same commit, and the README.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

PUBLIC = {
    "earned": [
        "Agent", "AssistantMessage", "CallRequest", "Decision", "EarnedError", "Engine",
        "Escalate", "Message", "Model", "ModelResponse", "PlanAndExecute", "Policy",
        "Principal", "ReActAgent", "RiskClass", "Router", "Rule", "RunContext", "RunLimits",
        "RunResult", "SemanticToolError", "Stage", "SystemMessage", "Tool", "ToolCall",
        "ToolContext", "ToolDenied", "ToolError", "ToolResultMessage", "TransientToolError",
        "Usage", "UserError", "UserMessage", "Workflow", "__version__", "infer_model", "tool",
        "workflow",
    ],
    "earned.testing": [
        "FunctionModel", "MemorySink", "ModelCall", "ScriptedModel", "UnexpectedModelCall",
        "respond", "run_inline", "tool_call",
    ],
    "earned.tools": [
        "FieldAllowlist", "Projection", "RateLimit", "RetryPolicy", "RiskClass", "Tool",
        "ToolContext", "ToolSpec", "tool",
    ],
    "earned.policy": [
        "DEFAULT_APPROVERS", "OPERATORS", "SCHEMA_VERSION", "CallRequest", "Condition",
        "Decision", "Effect", "Policy", "PolicyEngine", "Predicate", "ResultDecision",
        "ResultPredicate", "Rule",
    ],
    "earned.models": [
        "DEFAULT_PRICES", "FallbackModel", "Model", "ModelFactory", "ModelRegistry", "Price",
        "PriceTable", "allow_model_requests", "block_model_requests", "check_requests_allowed",
        "default_registry", "infer_model",
    ],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        value = getattr(mod, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"{module}.{name} has no docstring"


def test_importing_earned_does_not_import_dbos_or_provider_sdks() -> None:
    import subprocess
    import sys

    code = "import sys, earned; print(sorted(m for m in ('dbos','openai','anthropic') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
