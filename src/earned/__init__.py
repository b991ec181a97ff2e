"""earned: a runtime and control plane for shipping LLM agents with progressive autonomy.

The names below are the public API (pinned by tests/test_public_api.py). Subpackages hold
more: `earned.models` (providers, prices), `earned.policy` (rules), `earned.guards`,
`earned.testing` (test doubles), `earned.errors` (every error).
"""

from earned._version import __version__
from earned.errors import (
    EarnedError,
    Escalate,
    SemanticToolError,
    ToolDenied,
    ToolError,
    TransientToolError,
    UserError,
)
from earned.messages import (
    AssistantMessage,
    Message,
    ModelResponse,
    SystemMessage,
    ToolCall,
    ToolResultMessage,
    Usage,
    UserMessage,
)
from earned.models import Model, infer_model
from earned.policy import CallRequest, Decision, Policy, Rule
from earned.runtime import (
    Agent,
    Engine,
    PlanAndExecute,
    Principal,
    ReActAgent,
    Router,
    RunContext,
    RunLimits,
    RunResult,
    Workflow,
    workflow,
)
from earned.stages import Stage
from earned.tools import RiskClass, Tool, ToolContext, tool

__all__ = [
    "Agent",
    "AssistantMessage",
    "CallRequest",
    "Decision",
    "EarnedError",
    "Engine",
    "Escalate",
    "Message",
    "Model",
    "ModelResponse",
    "PlanAndExecute",
    "Policy",
    "Principal",
    "ReActAgent",
    "RiskClass",
    "Router",
    "Rule",
    "RunContext",
    "RunLimits",
    "RunResult",
    "SemanticToolError",
    "Stage",
    "SystemMessage",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolDenied",
    "ToolError",
    "ToolResultMessage",
    "TransientToolError",
    "Usage",
    "UserError",
    "UserMessage",
    "Workflow",
    "__version__",
    "infer_model",
    "tool",
    "workflow",
]
