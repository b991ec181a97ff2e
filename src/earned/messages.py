"""Provider-neutral messages, tool calls, usage and model responses.

These are Pydantic models because they cross trust and durability boundaries: they are
checkpointed by the durable engine, stored with the run and sent to providers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AssistantMessage",
    "Message",
    "ModelResponse",
    "ModelSettings",
    "OutputSchema",
    "SystemMessage",
    "ToolCall",
    "ToolDefinition",
    "ToolResultMessage",
    "Usage",
    "UserMessage",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ToolCall(_Frozen):
    """A tool call the model asked for.

    `arguments` is the parsed JSON object; when the model sent something that is not a
    JSON object, `arguments` is empty and `raw_arguments` keeps what it sent, so the
    runtime can return a structured error instead of calling the tool.
    """

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str | None = None

    @property
    def malformed(self) -> bool:
        """True when the model's arguments were not a JSON object."""
        return self.raw_arguments is not None


class SystemMessage(_Frozen):
    """Instructions from the application (trusted)."""

    role: Literal["system"] = "system"
    content: str


class UserMessage(_Frozen):
    """Content from outside the application: untrusted, delimited before a model sees it."""

    role: Literal["user"] = "user"
    content: str
    source: str = "user"


class AssistantMessage(_Frozen):
    """What the model said: text, tool calls, or both."""

    role: Literal["assistant"] = "assistant"
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()


class ToolResultMessage(_Frozen):
    """The result (or structured error) of one tool call, sent back to the model."""

    role: Literal["tool"] = "tool"
    tool_call_id: str
    tool_name: str
    content: str
    is_error: bool = False


Message = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolResultMessage,
    Field(discriminator="role"),
]


class Usage(_Frozen):
    """Tokens used by one or more model requests."""

    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            requests=self.requests + other.requests,
        )

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens


class ToolDefinition(_Frozen):
    """What a model is told about a tool: name, description and JSON schema of arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


class OutputSchema(_Frozen):
    """A JSON schema the model's final answer must follow (structured output)."""

    name: str
    schema_: dict[str, Any] = Field(alias="schema")
    description: str = ""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ModelResponse(_Frozen):
    """One model answer with its usage and the exact model version that produced it."""

    message: AssistantMessage
    usage: Usage = Usage()
    model: str
    provider: str
    finish_reason: str | None = None
    response_id: str | None = None


class ModelSettings(TypedDict, total=False):
    """Per-request settings; providers ignore what they do not support."""

    temperature: float
    max_tokens: int
    timeout: float
    seed: int
    top_p: float
