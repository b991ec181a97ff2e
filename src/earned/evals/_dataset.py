"""Datasets: JSONL files of scenarios, validated at load, versioned by content hash."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from earned.digest import digest
from earned.evals._errors import DatasetError
from earned.evals._scenario import SCENARIO_FIELDS, Scenario

__all__ = ["Dataset", "load_dataset"]


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A named, ordered set of scenarios. `hash` changes when any scenario changes.

    The hash covers the scenarios' content (canonical JSON), not the file's bytes:
    reformatting a file or reordering a line's keys does not make a new version.
    """

    name: str
    scenarios: tuple[Scenario, ...]
    source: str | None = None
    _by_id: dict[str, Scenario] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Scenario] = {}
        for scenario in self.scenarios:
            if scenario.id in by_id:
                raise DatasetError(
                    f"two scenarios have the id {scenario.id!r}",
                    path=self.source or self.name,
                    id=scenario.id,
                    fix="give every scenario a unique id",
                )
            by_id[scenario.id] = scenario
        object.__setattr__(self, "_by_id", by_id)

    @classmethod
    def of(cls, name: str, scenarios: Iterable[Scenario | dict[str, Any]]) -> Dataset:
        """A dataset from scenarios or their dicts (unknown keys go to `metadata`)."""
        built = [s if isinstance(s, Scenario) else _scenario(s, name, None) for s in scenarios]
        return cls(name=name, scenarios=tuple(built))

    @cached_property
    def hash(self) -> str:
        """`sha256:` and the digest of the scenarios' canonical JSON."""
        return "sha256:" + digest([s.to_dict() for s in self.scenarios])

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the hash, for tables."""
        return self.hash.removeprefix("sha256:")[:12]

    def __len__(self) -> int:
        return len(self.scenarios)

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    def __getitem__(self, case_id: str) -> Scenario:
        return self._by_id[case_id]

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._by_id

    def select(self, *, split: str | None = None, tags: Sequence[str] = ()) -> Dataset:
        """The scenarios of one split (scenarios without a split are kept) carrying every tag."""
        kept = tuple(
            s
            for s in self.scenarios
            if (split is None or s.split in (None, split)) and all(t in s.tags for t in tags)
        )
        return Dataset(name=self.name, scenarios=kept, source=self.source)

    def sample(self, size: int) -> Dataset:
        """At most `size` scenarios, spread evenly over the dataset (the same ones every time).

        Evenly spaced rather than random, so a sample keeps the file's mix (its classes are
        laid out in turn) and two runs of the same sample compare.
        """
        if size < 1:
            raise DatasetError(
                f"a sample needs at least one case, got {size}",
                fix="pass a positive size (or no sample, for every case)",
            )
        count = len(self.scenarios)
        if size >= count:
            return self
        picked = tuple(self.scenarios[i * count // size] for i in range(size))
        return Dataset(name=self.name, scenarios=picked, source=self.source)

    def to_jsonl(self) -> str:
        """The dataset as JSONL text, one scenario a line."""
        return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in self.scenarios)


def load_dataset(path: str | Path, *, name: str | None = None) -> Dataset:
    """Read a JSONL dataset; every bad line is reported with its number and the fix."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(
            f"cannot read the dataset: {exc.strerror}",
            path=str(file),
            fix="check the path (relative paths are relative to the current directory, or to "
            "the evals.yaml that names the file)",
        ) from None
    return parse_dataset(text, name=name or file.stem, source=str(file))


def parse_dataset(text: str, *, name: str, source: str | None = None) -> Dataset:
    """Build a dataset from JSONL text; `source` names it in errors."""
    scenarios: list[Scenario] = []
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        scenario = _scenario(_json_line(line, number, source or name), source or name, number)
        if scenario.id in lines:
            raise DatasetError(
                f"scenario id {scenario.id!r} is used again (first on line {lines[scenario.id]})",
                path=source or name,
                line=number,
                id=scenario.id,
                fix="give every scenario a unique id",
            )
        lines[scenario.id] = number
        scenarios.append(scenario)
    return Dataset(name=name, scenarios=tuple(scenarios), source=source)


def _json_line(line: str, number: int, source: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"not valid JSON: {exc.msg} at column {exc.colno}",
            path=source,
            line=number,
            fix="write one JSON object per line (JSONL); no trailing commas or comments",
        ) from None
    if not isinstance(data, dict):
        raise DatasetError(
            f"a scenario must be a JSON object, got {type(data).__name__}",
            path=source,
            line=number,
            fix='write {"id": "...", "input": ...} on each line',
        )
    return cast(dict[str, Any], data)


def _scenario(data: dict[str, Any], source: str, number: int | None) -> Scenario:
    known = {k: v for k, v in data.items() if k in SCENARIO_FIELDS}
    extra = {k: v for k, v in data.items() if k not in SCENARIO_FIELDS}
    if extra:
        metadata = known.get("metadata")
        known["metadata"] = {**extra, **(metadata if isinstance(metadata, dict) else {})}
    try:
        return Scenario.model_validate(known)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(scenario)"
        got = first.get("input")
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(scenario)'}: {e['msg']}"
            for e in exc.errors()
        )
        case = data.get("id")
        raise DatasetError(
            f"scenario {case!r} is not valid: {problems}" if case else f"not valid: {problems}",
            path=source,
            line=number,
            field=where,
            got=repr(got)[:200],
            fix=_fix_for(where),
        ) from None


_FIXES = {
    "id": 'every scenario needs a unique string "id"',
    "input": 'every scenario needs an "input" (text or a JSON object)',
    "expected_decision": "use approve, decline, escalate or null",
    "split": "use train, test or leave it out",
    "expected_tools": 'write a list of tool names, e.g. ["get_order_summary"], or [] for none',
    "max_turns": "use a whole number >= 0 or leave it out",
    "max_cost": "use dollars as a number >= 0 (e.g. 0.10) or leave it out",
}


def _fix_for(field_name: str) -> str:
    base = field_name.split(".")[0]
    return _FIXES.get(
        base, f"see the scenario fields in docs/evals.md ({', '.join(sorted(SCENARIO_FIELDS))})"
    )
