"""Import what an eval file names as `MODULE:ATTR` or `path/to/file.py:ATTR`.

Modules are looked up in the directory of the file that names them (the project directory
of an evals.yaml) first, then in the current directory, as `earned run` does.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from earned.digest import digest
from earned.errors import UserError

__all__ = ["is_ref", "resolve_ref"]


def is_ref(value: str) -> bool:
    """True when `value` looks like `MODULE:ATTR` (not a built-in name)."""
    module, sep, attr = value.partition(":")
    return bool(sep and module and attr)


def resolve_ref(ref: str, base_dir: Path | None = None) -> Any:
    """The object `ref` names; `base_dir` is searched first for the module."""
    module_ref, sep, attr = ref.partition(":")
    if not sep or not module_ref or not attr:
        raise UserError(
            f"cannot read {ref!r}: write MODULE:ATTR (e.g. agent:build_agent) or "
            "path/to/file.py:ATTR",
            ref=ref,
        )
    module = _import(module_ref, ref, base_dir)
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


def _import(module_ref: str, ref: str, base_dir: Path | None) -> Any:
    if module_ref.endswith(".py"):
        path = Path(module_ref)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        if not path.is_file():
            raise UserError(f"no such file: {path} (named by {ref!r})", ref=ref)
        name = f"earned_evals_{path.stem}_{digest(str(path.resolve()))[:10]}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise UserError(f"cannot import {path}", ref=ref)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    for where in (Path.cwd(), base_dir):  # base_dir ends up first
        if where is not None and str(where.resolve()) not in sys.path:
            sys.path.insert(0, str(where.resolve()))
    try:
        return importlib.import_module(module_ref)
    except ModuleNotFoundError as exc:
        place = f" from {base_dir}" if base_dir is not None else ""
        raise UserError(
            f"cannot import {module_ref!r}{place}: {exc}; name a module in that directory "
            "(agent:build_agent) or a file (path/to/file.py:ATTR)",
            ref=ref,
        ) from None
