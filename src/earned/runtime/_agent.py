"""The Agent base class: a name, tools, a policy, a model and instructions, all versioned."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from earned._version import __version__
from earned.digest import digest
from earned.errors import ToolDefinitionError, UserError
from earned.messages import ToolDefinition
from earned.models import Model
from earned.policy import Policy, PolicyEngine
from earned.runtime._state import RunLimits
from earned.tools import Tool

if TYPE_CHECKING:
    from earned.runtime._context import RunContext

__all__ = ["Agent"]


class Agent(ABC):
    """What every run pattern shares. Subclasses implement `execute`.

    With no policy, the agent gets an empty one: every tool call is denied (deny by default).
    `versions()` gives the content hashes recorded with every run and every model call.
    """

    def __init__(
        self,
        name: str,
        *,
        tools: Iterable[Tool[Any, Any]] = (),
        policy: PolicyEngine | None = None,
        model: Model | str | None = None,
        instructions: str | None = None,
        prompt_version: str | None = None,
        capability: str | None = None,
        limits: RunLimits | None = None,
        description: str = "",
    ) -> None:
        if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise UserError(
                f"agent name {name!r} must be non-empty letters, digits, '-', '_' or '.'",
                agent=name,
            )
        self.name = name
        self.tools: tuple[Tool[Any, Any], ...] = tuple(tools)
        seen: set[str] = set()
        for t in self.tools:
            if t.name in seen:
                raise ToolDefinitionError(
                    f"agent {name!r} has two tools named {t.name!r}; tool names must be unique",
                    agent=name,
                    tool=t.name,
                )
            seen.add(t.name)
        self.policy: PolicyEngine = policy or Policy([], name=f"{name}-deny-all")
        if isinstance(self.policy, Policy):
            self.policy.validate_tools(self.tools)
        self.model = model
        self.instructions = instructions
        self._prompt_version = prompt_version
        self.capability = capability
        self.limits = limits
        self.description = description
        self._tools_by_name = {t.name: t for t in self.tools}
        self._definitions: tuple[tuple[Tool[Any, Any], ...], tuple[ToolDefinition, ...]] | None = (
            None
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, tools={sorted(self._tools_by_name)})"

    def find_tool(self, name: str) -> Tool[Any, Any] | None:
        """The tool called `name`, or None."""
        return self._tools_by_name.get(name)

    def tool_definitions(self) -> list[ToolDefinition]:
        """Definitions of every tool, as sent to models.

        Built once per tool set (a JSON schema per tool is costly: it was a quarter of a
        run's CPU when rebuilt on every model call) and rebuilt if `tools` is replaced.
        """
        cached = self._definitions
        if cached is None or cached[0] is not self.tools:
            cached = self._definitions = (self.tools, tuple(t.definition for t in self.tools))
        return list(cached[1])

    @functools.cache  # noqa: B019 - agents are long-lived and few
    def versions(self) -> dict[str, str]:
        """Content hashes of what this agent is made of: prompt, model, tools, policy, code."""
        model = self.model if isinstance(self.model, str) or self.model is None else self.model.name
        prompt = self._prompt_version or (
            f"sha256:{digest(self.instructions)[:12]}" if self.instructions else "none"
        )
        tools = digest(sorted(t.digest for t in self.tools))[:12]
        return {
            "agent": self.name,
            "prompt": prompt,
            "model": model or "none",
            "tools": f"sha256:{tools}",
            "policy": self.policy.version,
            "code": self.code_version(),
            "earned": __version__,
        }

    def code_version(self) -> str:
        """A hash of the code the pattern runs (patterns with user code override this)."""
        return type(self).__name__

    @property
    def has_fallback(self) -> bool:
        """True when the agent defines a deterministic fallback path."""
        return type(self).fallback is not Agent.fallback

    @abstractmethod
    async def execute(self, ctx: RunContext, input: Any) -> Any:
        """Do the agent's job; every model and tool call goes through `ctx`."""

    async def fallback(self, ctx: RunContext, input: Any) -> Any:
        """A deterministic path used when the budget runs out (override to provide one)."""
        raise NotImplementedError
