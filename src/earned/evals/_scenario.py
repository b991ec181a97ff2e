"""A scenario: one eval case, its input and everything the agent is expected to do.

The fields are seed 001's eval scenario (name, input, expected tools, expected tool
sequence, expected output phrases, max turns, max cost) plus what the refund agent's
capabilities are judged on (expected class, policy section, decision, refusal). A field
left out (or null) means "not checked by this case"; an empty `expected_tools` list means
"the agent must call no tool". Fields a dataset adds beyond these are kept in `metadata`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["SCENARIO_FIELDS", "Decision", "Scenario", "Split", "ToolExpectation"]

Decision = Literal["approve", "decline", "escalate"]
Split = Literal["train", "test"]


class ToolExpectation(BaseModel):
    """One expected step of a trajectory: a tool and, optionally, arguments it must receive.

    `arguments` is a subset match: every key given must be present with an equal value.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)


class Scenario(BaseModel):
    """One eval case. Pydantic validates it when a dataset is loaded (a trust boundary)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="unique within the dataset")
    input: Any = Field(description="what the agent is run on")
    expected_class: str | None = None
    expected_section: str | None = Field(
        default=None, description="the policy section to cite, e.g. refund_policy.section_3.2"
    )
    expected_decision: Decision | None = None
    expected_tools: list[str] | None = Field(
        default=None, description="tools the agent should call ([] = no tool call)"
    )
    expected_tool_sequence: list[str | ToolExpectation] | None = Field(
        default=None, description="the tool calls in order (how strictly: the evaluator's mode)"
    )
    expected_output_contains: list[str] = Field(default_factory=list)
    expected_refusal: bool | None = None
    max_turns: int | None = Field(default=None, ge=0)
    max_cost: float | None = Field(default=None, ge=0)
    tags: list[str] = Field(default_factory=list)
    split: Split | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("expected_section", "expected_class")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a non-empty string or null")
        return value

    @property
    def sequence(self) -> list[ToolExpectation]:
        """`expected_tool_sequence` with plain tool names made into expectations."""
        return [
            step if isinstance(step, ToolExpectation) else ToolExpectation(tool=step)
            for step in self.expected_tool_sequence or []
        ]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (one JSONL line), without fields left at their default."""
        return self.model_dump(mode="json", exclude_defaults=True) | {"id": self.id}


#: The field names a dataset line may use; anything else goes into `metadata`.
SCENARIO_FIELDS: frozenset[str] = frozenset(Scenario.model_fields)
