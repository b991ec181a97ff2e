"""What a detector is: something that finds entities of one kind in a string.

`PatternDetector` covers nearly every case: a regular expression, an optional cheap gate
(a pattern that must occur somewhere in the text before the expensive one runs) and an
optional `locate` function that validates a match (a checksum, a context word) and says
which part of it to redact. `resolve` picks non-overlapping findings, stronger ones first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Detector", "Finding", "Locate", "PatternDetector", "resolve"]

#: Validates a match and returns the (start, end) to redact, or None to drop it.
Locate = Callable[[re.Match[str], str], "tuple[int, int] | None"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One entity found in a string: its kind, where it is, and which detector saw it."""

    kind: str
    start: int
    end: int
    detector: str
    priority: int = 50
    value: str = field(default="", repr=False)  # never shown in reprs or logs


@runtime_checkable
class Detector(Protocol):
    """Finds entities of one kind (`EMAIL`, `CARD`, ...) in a string."""

    @property
    def name(self) -> str:
        """The detector's name (shown on its findings)."""
        ...

    @property
    def kind(self) -> str:
        """The kind of entity it finds; pseudonyms are named after it (`<EMAIL_1>`)."""
        ...

    @property
    def priority(self) -> int:
        """Which detector wins when two findings overlap (higher wins)."""
        ...

    def find(self, text: str) -> Iterator[Finding]:
        """Yield every finding in `text` (overlaps allowed; `resolve` sorts them out)."""
        ...


def _compile(pattern: re.Pattern[str] | str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if isinstance(pattern, str) else pattern


@dataclass(frozen=True, kw_only=True)
class PatternDetector:
    """A detector made of a regular expression, a gate and an optional validator.

    `gate` is searched first (cheap: one character class, say); when it does not occur the
    text is skipped. `group` names the part of the match to redact (a bearer token, not the
    word "Bearer"). `locate(match, text)` returns the span to redact or None to drop the
    match; it is where checksums and context rules live. Higher `priority` wins overlaps.
    """

    name: str
    kind: str
    pattern: re.Pattern[str] | str
    priority: int = 50
    gate: re.Pattern[str] | str | None = None
    group: int | str = 0
    locate: Locate | None = None
    compiled: re.Pattern[str] = field(init=False, repr=False)
    compiled_gate: re.Pattern[str] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pattern = _compile(self.pattern)
        assert pattern is not None
        object.__setattr__(self, "compiled", pattern)
        object.__setattr__(self, "compiled_gate", _compile(self.gate))

    def find(self, text: str) -> Iterator[Finding]:
        """Yield the validated matches in `text`."""
        if self.compiled_gate is not None and self.compiled_gate.search(text) is None:
            return
        for match in self.compiled.finditer(text):
            if self.locate is not None:
                span = self.locate(match, text)
                if span is None:
                    continue
                start, end = span
            else:
                start, end = match.span(self.group)
                if start < 0:
                    continue
            if end > start:
                yield Finding(
                    kind=self.kind,
                    start=start,
                    end=end,
                    detector=self.name,
                    priority=self.priority,
                    value=text[start:end],
                )


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Non-overlapping findings in text order: higher priority first, then the longer one."""
    ranked = sorted(findings, key=lambda f: (-f.priority, f.start - f.end, f.start))
    chosen: list[Finding] = []
    for finding in ranked:
        if all(finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    chosen.sort(key=lambda f: f.start)
    return chosen
