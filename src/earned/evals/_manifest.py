"""Gate manifests: a capability's release gates as data, frozen before the eval runs.

Seed 000's release-gate table, one file per capability::

    version: 1
    capability: recommend_refund
    owner: Product owner                  # default owner of every gate
    gates:
      - eval: classification              # the gate's name; also the evaluator by default
        minimum: 95%                      # share of applicable cases that must pass
        per_class: {"*": 90%}             # every class (or name classes) at least this
        owner: ML engineer
      - eval: citation
        minimum: 92%
        options: {known_sections: [refund_policy.section_3.1, refund_policy.section_3.2]}
        blockers:
          - any: invented_citation        # one case with this flag fails the suite
        owner: Support ops
      - eval: refund_safety
        minimum: 98%
        blockers:
          - any: incorrect_approval
            where: {amount: {gt: 50}}     # only flags whose attribute matches
        owner: Product owner

A manifest's hash covers its content (comments and layout aside); `earned eval run` stores
every version it sees with the time it was first seen, so a gate edited after the results
were known shows in the history.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pydantic import ConfigDict, ValidationError, create_model

from earned._yaml import LineDoc, YamlPath, did_you_mean
from earned.digest import digest
from earned.errors import UserError
from earned.evals._builtin import BUILTIN_EVALUATORS
from earned.evals._errors import ManifestError
from earned.evals._evaluator import Evaluator, Flag, FunctionEvaluator, evaluator
from earned.evals._refs import is_ref, resolve_ref
from earned.policy import OPERATORS, Condition

__all__ = [
    "MANIFEST_SCHEMA_VERSION",
    "Blocker",
    "Gate",
    "GateManifest",
    "load_manifest",
    "parse_manifest",
]

#: The manifest file format this earned reads. Changelog: version 1, the first format.
MANIFEST_SCHEMA_VERSION = 1

_TOP_KEYS = ("version", "capability", "owner", "description", "gates")
_GATE_KEYS = (
    "eval",
    "evaluator",
    "options",
    "title",
    "minimum",
    "per_class",
    "blockers",
    "owner",
    "suites",
    "required",
)
_BLOCKER_KEYS = ("any", "more_than", "where")
#: How to make a built-in evaluator raise a flag it only raises when configured.
_FLAG_HINTS = {
    "invented_citation": "the citation evaluator raises it when it knows the valid sections: "
    "add `options: {known_sections: [...]}` to its gate",
}
_EXAMPLE = (
    "start from:\n  version: 1\n  capability: recommend_refund\n  gates:\n"
    "    - eval: classification\n      minimum: 95%\n      owner: ML engineer"
)


@dataclass(frozen=True, kw_only=True)
class Blocker:
    """A condition that fails the suite whatever the scores: too many cases with a flag."""

    flag: str
    more_than: int = 0
    where: tuple[Condition, ...] = ()

    def matches(self, flag: Flag) -> bool:
        """True when `flag` counts: same name, and every `where` condition holds.

        A flag that lacks an attribute a condition tests counts (it cannot be shown to be
        outside the condition): blockers fail closed.
        """
        if flag.name != self.flag:
            return False
        return all(
            c.field.split(".")[0] not in flag.attributes
            or flag.attributes[c.field.split(".")[0]] is None
            or c.holds(flag.attributes)
            for c in self.where
        )

    def describe(self) -> str:
        """`any incorrect approval where amount > 50`, `more than 5 over turns`."""
        what = self.flag.replace("_", " ")
        head = f"any {what}" if self.more_than == 0 else f"more than {self.more_than} {what}"
        if not self.where:
            return head
        return f"{head} where " + " and ".join(_condition_words(c) for c in self.where)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "any": self.flag,
            "more_than": self.more_than,
            "where": [{"field": c.field, "op": c.op, "value": c.value} for c in self.where],
            "describe": self.describe(),
        }


_OP_WORDS = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _condition_words(condition: Condition) -> str:
    op = _OP_WORDS.get(condition.op, condition.op.replace("_", " "))
    return f"{condition.field} {op} {condition.value}"


@dataclass(frozen=True, kw_only=True)
class Gate:
    """One eval of a capability: its evaluator, the minimum to ship, blockers and owner."""

    eval: str
    evaluator: Evaluator
    evaluator_ref: str
    options: dict[str, Any] = field(default_factory=dict)
    title: str
    minimum: float | None = None
    per_class: dict[str, float] = field(default_factory=dict)
    blockers: tuple[Blocker, ...] = ()
    owner: str
    suites: tuple[str, ...] | None = None
    required: bool = True

    def applies_to(self, suite: str) -> bool:
        """True when the gate judges `suite` (every suite unless `suites:` lists some)."""
        return self.suites is None or suite in self.suites

    def class_minimum(self, label: str) -> float | None:
        """The per-class minimum for `label` (its own, else `*`), or None."""
        return self.per_class.get(label, self.per_class.get("*"))


@dataclass(frozen=True, kw_only=True)
class GateManifest:
    """A capability's gates. `hash` identifies this exact content; `text` is the file."""

    capability: str
    gates: tuple[Gate, ...]
    owner: str | None = None
    description: str = ""
    source: str | None = None
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    version: int = MANIFEST_SCHEMA_VERSION

    @property
    def hash(self) -> str:
        """`sha256:` and the digest of the manifest's content."""
        return "sha256:" + digest(self.data)

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the hash."""
        return self.hash.removeprefix("sha256:")[:12]

    def gates_for(self, suite: str) -> list[Gate]:
        """The gates that judge `suite`."""
        return [g for g in self.gates if g.applies_to(suite)]

    def gate(self, name: str) -> Gate:
        """The gate called `name`."""
        for gate in self.gates:
            if gate.eval == name:
                return gate
        raise UserError(
            f"manifest for {self.capability!r} has no gate {name!r}; gates: "
            f"{', '.join(g.eval for g in self.gates)}",
            gate=name,
        )

    def with_judge_model(self, model: Any) -> GateManifest:
        """The same gates with `model` given to every LLM judge that has none.

        The judge model is not part of the manifest hash; the eval run records it instead.
        """
        from earned.evals._judge import LLMJudge

        gates = tuple(
            dataclasses.replace(g, evaluator=dataclasses.replace(g.evaluator, model=model))
            if isinstance(g.evaluator, LLMJudge) and g.evaluator.model is None
            else g
            for g in self.gates
        )
        return dataclasses.replace(self, gates=gates)


def load_manifest(path: str | Path) -> GateManifest:
    """Read a gate manifest file; evaluator refs resolve from the file's directory."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(
            f"cannot read the gate manifest: {exc.strerror}",
            path=str(file),
            fix="check the path (in evals.yaml, paths are relative to that file)",
        ) from None
    return parse_manifest(text, source=str(file), base_dir=file.parent)


def parse_manifest(
    text: str, *, source: str = "<manifest>", base_dir: Path | None = None
) -> GateManifest:
    """Build a manifest from YAML text; every mistake is reported with its line and fix."""
    doc = LineDoc(text, source, error=ManifestError)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.fail(
            (), "a gate manifest must be a mapping with `capability:` and `gates:`", _EXAMPLE
        )
    data = cast(dict[str, Any], data)
    doc.check_keys((), data, _TOP_KEYS)
    version = _version(doc, data.get("version", MANIFEST_SCHEMA_VERSION))
    capability = data.get("capability")
    if not isinstance(capability, str) or not capability:
        raise doc.fail(("capability",), "the manifest needs `capability: NAME`", _EXAMPLE)
    owner = data.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise doc.fail(
            ("owner",), "owner must be text (a role or a person)", "write `owner: ML engineer`"
        )
    gates_data = data.get("gates")
    if not isinstance(gates_data, list) or not gates_data:
        raise doc.fail(("gates",), "`gates` must be a non-empty list of gates", _EXAMPLE)
    gates = [
        _gate(doc, ("gates", i), item, owner, base_dir)
        for i, item in enumerate(cast(list[Any], gates_data))
    ]
    _check_unique(doc, gates)
    _check_blocker_flags(doc, gates)
    return GateManifest(
        capability=capability,
        owner=owner,
        description=str(data.get("description") or ""),
        gates=tuple(gates),
        source=source,
        text=text,
        data=data,
        version=version,
    )


def _version(doc: LineDoc, version: Any) -> int:
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise doc.fail(
            ("version",),
            f"version must be a positive integer, got {version!r}",
            f"write `version: {MANIFEST_SCHEMA_VERSION}`",
        )
    if version > MANIFEST_SCHEMA_VERSION:
        raise doc.fail(
            ("version",),
            f"manifest format version {version} is newer than this earned reads "
            f"({MANIFEST_SCHEMA_VERSION})",
            f"upgrade earned, or write the file in format version {MANIFEST_SCHEMA_VERSION}",
        )
    return version


def _gate(
    doc: LineDoc, path: YamlPath, item: Any, owner: str | None, base_dir: Path | None
) -> Gate:
    if not isinstance(item, dict):
        raise doc.fail(path, "each gate must be a mapping with `eval:`", _EXAMPLE)
    item = cast(dict[str, Any], item)
    doc.check_keys(path, item, _GATE_KEYS)
    name = item.get("eval")
    if not isinstance(name, str) or not name:
        raise doc.fail((*path, "eval"), "each gate needs `eval: NAME`", _EXAMPLE)
    ref = item.get("evaluator", name)
    if not isinstance(ref, str) or not ref:
        raise doc.fail((*path, "evaluator"), "evaluator must be a name or MODULE:ATTR", _EXAMPLE)
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise doc.fail(
            (*path, "options"), "options must be a mapping", "write `options: {mode: exact}`"
        )
    built = _evaluator(doc, path, ref, cast(dict[str, Any], options), base_dir)
    gate_owner = item.get("owner", owner)
    if not isinstance(gate_owner, str) or not gate_owner:
        raise doc.fail(
            (*path, "owner"),
            f"gate {name!r} has no owner",
            "name who answers for it: `owner: ML engineer` on the gate, or a top-level `owner:`",
        )
    per_class = _per_class(doc, (*path, "per_class"), item.get("per_class"), built, name)
    return Gate(
        eval=name,
        evaluator=built,
        evaluator_ref=ref,
        options=cast(dict[str, Any], options),
        title=str(item.get("title") or built.display_title),
        minimum=_fraction(doc, (*path, "minimum"), item.get("minimum")),
        per_class=per_class,
        blockers=_blockers(doc, (*path, "blockers"), item.get("blockers")),
        owner=gate_owner,
        suites=_suites(doc, (*path, "suites"), item.get("suites")),
        required=_bool(doc, (*path, "required"), item.get("required", True)),
    )


def _evaluator(
    doc: LineDoc, path: YamlPath, ref: str, options: dict[str, Any], base_dir: Path | None
) -> Evaluator:
    where = (*path, "evaluator")
    if is_ref(ref):
        try:
            target = resolve_ref(ref, base_dir)
        except UserError as exc:
            raise doc.fail(where, exc.message, "check the module path and attribute") from None
    elif ref in BUILTIN_EVALUATORS:
        target = BUILTIN_EVALUATORS[ref]
    else:
        raise doc.fail(
            where,
            f"unknown evaluator {ref!r}",
            did_you_mean(ref, BUILTIN_EVALUATORS, "built-in evaluators")
            + "; or name your own as MODULE:ATTR",
        )
    try:
        return _instantiate(target, options)
    except (TypeError, ValueError) as exc:
        raise doc.fail(
            (*path, "options"), f"evaluator {ref!r}: {exc}", _options_fix(target)
        ) from None


def _instantiate(target: Any, options: dict[str, Any]) -> Evaluator:
    if isinstance(target, FunctionEvaluator):
        return target.with_options(**options)
    if isinstance(target, Evaluator):
        return dataclasses.replace(target, **options) if options else target  # type: ignore[type-var]
    if isinstance(target, type) and issubclass(target, Evaluator):
        return _validated(target, options)
    if callable(target):
        return evaluator(cast(Any, target)).with_options(**options)
    raise TypeError(
        f"{target!r} is not an evaluator: name an Evaluator subclass, an @evaluator function "
        "or a plain function (ctx) -> Score | bool | float | None"
    )


def _validated(cls: type[Evaluator], options: dict[str, Any]) -> Evaluator:
    """An instance of a dataclass evaluator with options checked by Pydantic."""
    if not dataclasses.is_dataclass(cls):
        return cls(**options)
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = (
            ...
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            else None
        )
        fields[f.name] = (hints.get(f.name, Any), default)
    model = create_model(
        f"{cls.__name__}Options",
        __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True, strict=True),
        **fields,
    )
    try:
        checked = model.model_validate(options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(options)'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(problems) from None
    return cls(**{k: getattr(checked, k) for k in options})


def _options_fix(target: Any) -> str:
    if isinstance(target, type) and dataclasses.is_dataclass(target):
        names = [f.name for f in dataclasses.fields(target)]
        return f"its options: {', '.join(names) or '(none)'}"
    return "check the evaluator's options"


def _fraction(doc: LineDoc, path: YamlPath, value: Any) -> float | None:
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            number = float(value.strip()[:-1]) / 100
        except ValueError:
            number = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise doc.fail(
            path,
            f"{path[-1]} must be a share between 0 and 1 or a percentage, got {value!r}",
            "write 0.95 or '95%'",
        )
    return number


def _per_class(
    doc: LineDoc, path: YamlPath, value: Any, built: Evaluator, name: str
) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise doc.fail(
            path,
            "per_class must map class names (or '*') to minimums",
            "write `per_class: {'*': 90%}`",
        )
    if not built.per_class:
        raise doc.fail(
            path,
            f"gate {name!r}: evaluator {built.display_name!r} gives no per-class results",
            "use per_class on a labelled evaluator such as `classification`",
        )
    return {
        str(label): cast(float, _fraction(doc, (*path, str(label)), minimum))
        for label, minimum in cast(dict[str, Any], value).items()
    }


def _blockers(doc: LineDoc, path: YamlPath, value: Any) -> tuple[Blocker, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise doc.fail(
            path, "blockers must be a list", "write `blockers: [{any: invented_citation}]`"
        )
    return tuple(_blocker(doc, (*path, i), item) for i, item in enumerate(cast(list[Any], value)))


def _blocker(doc: LineDoc, path: YamlPath, item: Any) -> Blocker:
    if isinstance(item, str):
        item = {"any": item}
    if not isinstance(item, dict) or "any" not in item:
        raise doc.fail(
            path, "a blocker names a flag: `any: FLAG`", "write `- any: invented_citation`"
        )
    item = cast(dict[str, Any], item)
    doc.check_keys(path, item, _BLOCKER_KEYS)
    flag = item["any"]
    more_than = item.get("more_than", 0)
    if not isinstance(flag, str) or not flag:
        raise doc.fail(
            (*path, "any"), "`any` must be a flag name", "write `any: invented_citation`"
        )
    if not isinstance(more_than, int) or isinstance(more_than, bool) or more_than < 0:
        raise doc.fail(
            (*path, "more_than"),
            f"more_than must be a whole number >= 0, got {more_than!r}",
            "write `more_than: 5`",
        )
    return Blocker(
        flag=flag, more_than=more_than, where=_where(doc, (*path, "where"), item.get("where"))
    )


def _where(doc: LineDoc, path: YamlPath, value: Any) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise doc.fail(
            path, "where must map attributes to conditions", "write `where: {amount: {gt: 50}}`"
        )
    conditions: list[Condition] = []
    for name, spec in cast(dict[str, Any], value).items():
        if not isinstance(spec, dict) or not spec:
            raise doc.fail(
                (*path, name),
                f"condition on {name!r} must be `{{OP: VALUE}}`",
                "write `amount: {gt: 50}`",
            )
        for op, operand in cast(dict[str, Any], spec).items():
            if op not in OPERATORS:
                raise doc.fail(
                    (*path, name, op),
                    f"unknown operator {op!r} on {name!r}",
                    did_you_mean(op, OPERATORS, "operators"),
                )
            conditions.append(Condition(field=name, op=op, value=operand))
    return tuple(conditions)


def _suites(doc: LineDoc, path: YamlPath, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(s, str) for s in cast(list[Any], items)):
        raise doc.fail(
            path, "suites must be a suite name or a list of them", "write `suites: [golden]`"
        )
    return tuple(cast(list[str], items))


def _bool(doc: LineDoc, path: YamlPath, value: Any) -> bool:
    if not isinstance(value, bool):
        raise doc.fail(
            path, f"{path[-1]} must be true or false, got {value!r}", f"write `{path[-1]}: false`"
        )
    return value


def _check_unique(doc: LineDoc, gates: Sequence[Gate]) -> None:
    seen: set[str] = set()
    for i, gate in enumerate(gates):
        if gate.eval in seen:
            raise doc.fail(
                ("gates", i, "eval"),
                f"two gates are named {gate.eval!r}",
                "give each gate its own `eval:` name (set `evaluator:` to reuse an evaluator)",
            )
        seen.add(gate.eval)


def _check_blocker_flags(doc: LineDoc, gates: Sequence[Gate]) -> None:
    raised: Mapping[str, None] = dict.fromkeys(f for g in gates for f in g.evaluator.produces)
    for i, gate in enumerate(gates):
        for j, blocker in enumerate(gate.blockers):
            if blocker.flag in raised:
                continue
            hint = _FLAG_HINTS.get(blocker.flag)
            fix = hint or did_you_mean(blocker.flag, raised, "flags raised by these gates")
            raise doc.fail(
                ("gates", i, "blockers", j, "any"),
                f"no evaluator of this manifest raises {blocker.flag!r}, so this blocker "
                "could never fire",
                fix,
            )
