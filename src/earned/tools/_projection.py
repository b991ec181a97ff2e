"""The returned-field allowlist: keep what a tool may return, report what it tried to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldAllowlist", "Projection"]


@dataclass(frozen=True, kw_only=True)
class Projection:
    """A tool result after the allowlist: the kept value and the dotted paths removed."""

    value: Any
    removed: tuple[str, ...] = ()


class FieldAllowlist:
    """Dotted field paths a tool may return (`total`, `items.name`); lists apply per item."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(paths)
        self._tree = _tree(self.paths)

    def __repr__(self) -> str:
        return f"FieldAllowlist({sorted(self.paths)!r})"

    def intersect(self, other: FieldAllowlist | None) -> FieldAllowlist:
        """Paths allowed by both (a policy may narrow a tool's allowlist, never widen it)."""
        if other is None:
            return self
        return FieldAllowlist(p for p in self.paths if _covered(p, other._tree))

    def apply(self, value: Any) -> Projection:
        """Remove every field outside the allowlist from a JSON-like value."""
        removed: list[str] = []
        kept = _project(value, self._tree, "", removed)
        return Projection(value=kept, removed=tuple(sorted(set(removed))))


_Tree = dict[str, "_Tree | None"]


def _tree(paths: Iterable[str]) -> _Tree:
    root: _Tree = {}
    for path in paths:
        node = root
        parts = path.split(".")
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node[part] = None  # the whole subtree is allowed
            else:
                child = node.get(part, {})
                if child is None:
                    break  # an ancestor already allows everything below
                node[part] = child
                node = child
    return root


def _covered(path: str, tree: _Tree) -> bool:
    node: _Tree | None = tree
    for part in path.split("."):
        if node is None:
            return True
        if part not in node:
            return False
        node = node[part]
    return True


def _project(value: Any, tree: _Tree | None, prefix: str, removed: list[str]) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [_project(item, tree, prefix, removed) for item in value]
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for key, item in value.items():
        path = f"{prefix}{key}"
        if key in tree:
            kept[key] = _project(item, tree[key], f"{path}.", removed)
        else:
            removed.append(path)
    return kept
