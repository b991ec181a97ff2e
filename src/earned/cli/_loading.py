"""Load an agent from `MODULE:ATTR` or `path/to/file.py:ATTR`."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from earned.errors import UserError
from earned.runtime import Agent

__all__ = ["load_agent", "load_object"]


def load_object(ref: str) -> Any:
    """Import the object `ref` names; errors say what was wrong and what to write."""
    module_ref, sep, attr = ref.partition(":")
    if not sep or not module_ref or not attr:
        raise UserError(
            f"cannot read {ref!r}: write MODULE:ATTR (e.g. my_app.agents:refund_agent) or "
            "path/to/file.py:ATTR",
            ref=ref,
        )
    module = _import(module_ref, ref)
    target: Any = module
    for part in attr.split("."):
        if not hasattr(target, part):
            names = sorted(n for n in dir(target) if not n.startswith("_"))
            raise UserError(
                f"{module_ref} has no attribute {part!r}; it has: {', '.join(names[:30])}",
                ref=ref,
            )
        target = getattr(target, part)
    return target


def _import(module_ref: str, ref: str) -> Any:
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    path = Path(module_ref)
    if module_ref.endswith(".py"):
        if not path.is_file():
            raise UserError(f"no such file: {module_ref}", ref=ref)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise UserError(f"cannot import {module_ref}", ref=ref)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(module_ref)
    except ModuleNotFoundError as exc:
        raise UserError(
            f"cannot import {module_ref!r}: {exc}; run from the directory that contains it, "
            "or give a file path (path/to/file.py:ATTR)",
            ref=ref,
        ) from None


def load_agent(ref: str) -> Agent:
    """Load an Agent, or call a zero-argument factory that returns one."""
    target = load_object(ref)
    if not isinstance(target, Agent) and callable(target):
        target = target()
    if not isinstance(target, Agent):
        raise UserError(
            f"{ref} is a {type(target).__name__}, not an earned Agent (Workflow, ReActAgent, "
            "PlanAndExecute, Router) or a function that returns one",
            ref=ref,
        )
    return target
