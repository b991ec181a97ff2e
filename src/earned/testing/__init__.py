"""Test doubles and helpers for testing agents built on earned (and earned itself).

- `ScriptedModel` answers from a queue and records every call; `FunctionModel` answers
  from your function. `respond` and `tool_call` build scripted answers.
- `run_inline` runs an agent through the guarded path without durability.
- `MemorySink` collects a run's events.
- The pytest plugin (installed with earned) blocks real model calls in test sessions.
"""

from earned.runtime import MemorySink
from earned.testing._inline import run_inline
from earned.testing._models import (
    FunctionModel,
    ModelCall,
    ScriptedModel,
    UnexpectedModelCall,
    respond,
    tool_call,
)

__all__ = [
    "FunctionModel",
    "MemorySink",
    "ModelCall",
    "ScriptedModel",
    "UnexpectedModelCall",
    "respond",
    "run_inline",
    "tool_call",
]
