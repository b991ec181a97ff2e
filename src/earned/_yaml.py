"""YAML read into plain Python data, remembering the line of every key and list item.

Every file earned reads from people (policies, alert rules, gate manifests, eval projects,
capability matrices) is loaded through `LineDoc`, so a mistake is reported with its file,
line and fix, in the error class of the file's kind.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import yaml

from earned.errors import EarnedError, UserError

__all__ = ["LineDoc", "YamlPath", "did_you_mean"]

YamlPath = tuple[str | int, ...]


class LineDoc:
    """Plain data from YAML text plus the line of each key and item, for errors that point.

    `error` is the error class raised (it takes `message, path=, line=, fix=`).
    """

    def __init__(self, text: str, source: str, *, error: type[EarnedError] = UserError) -> None:
        self.source = source
        self.error = error
        self.lines: dict[YamlPath, int] = {}
        self._constructor = yaml.SafeLoader("")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise error(
                f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                path=source,
                line=mark.line + 1 if mark else None,
                fix="check the indentation and quoting around this line",
            ) from None
        self.data: Any = self._convert(node, ()) if node is not None else None

    def _convert(self, node: yaml.Node, path: YamlPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(self._constructor.construct_object(key_node, deep=True))
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self._convert(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def line(self, path: YamlPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path)

    def fail(self, path: YamlPath, message: str, fix: str) -> EarnedError:
        """The error to raise for a mistake at `path`."""
        return self.error(message, path=self.source, line=self.line(path), fix=fix)

    def check_keys(
        self, path: YamlPath, data: dict[str, Any], allowed: Iterable[str], what: str = "keys"
    ) -> None:
        """Raise on the first key of `data` that is not in `allowed`."""
        options = set(allowed)
        for key in data:
            if key not in options:
                raise self.fail(
                    (*path, key), f"unknown key {key!r}", did_you_mean(key, options, what)
                )


def did_you_mean(word: str, options: Iterable[str], what: str) -> str:
    """`did you mean 'x'? Valid keys: a, b` (or just the valid list)."""
    names = sorted(options)
    close = difflib.get_close_matches(word, names, n=1)
    listing = ", ".join(names) or "(none)"
    if close:
        return f"did you mean {close[0]!r}? Valid {what}: {listing}"
    return f"valid {what}: {listing}"
