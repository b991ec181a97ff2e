"""The evaluator interface: one small class or one function per risk.

An evaluator looks at one case (`EvalContext`) and returns a `Score`, or something that
becomes one: `True`/`False` (pass or fail), a float in [0, 1] (a case passes only at 1.0),
or `None` (this case does not exercise what the evaluator checks). A score can carry
`flags`: named findings such as `invented_citation`, which gate manifests turn into
blocker conditions. A score's `label` (e.g. the expected class) gives per-class results.

```python
from earned.evals import EvalContext, Evaluator, Score, evaluator

@evaluator(title="mentions the order id")
def mentions_order(ctx: EvalContext) -> bool | None:
    order = ctx.scenario.metadata.get("order_id")
    return None if order is None else order in ctx.output_text

@dataclass(kw_only=True)
class PoliteReply(Evaluator):
    name = "polite"
    title = "polite reply"
    flags = ("rude_reply",)
    words: list[str] = field(default_factory=lambda: ["idiot"])

    def evaluate(self, ctx: EvalContext) -> Score:
        rude = [w for w in self.words if w in ctx.output_text.lower()]
        if rude:
            return Score.fail(f"said {rude}", flags=[Flag("rude_reply", {"words": rude})])
        return Score.ok()
```

An evaluator that raises scores the case as failed with the error (fail closed).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias, cast, overload

from earned.evals._context import EvalContext

__all__ = [
    "Evaluator",
    "EvaluatorOutput",
    "Flag",
    "FunctionEvaluator",
    "Score",
    "evaluator",
    "run_evaluator",
]


@dataclass(frozen=True)
class Flag:
    """A named finding on one case (`invented_citation`, `incorrect_approval`, ...).

    `attributes` hold the values a blocker condition can test (`amount`, `tool`, ...).
    """

    name: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": self.name, "attributes": self.attributes}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        """Rebuild a flag from its JSON form."""
        return cls(str(data["name"]), dict(data.get("attributes") or {}))


@dataclass(frozen=True, kw_only=True)
class Score:
    """One evaluator's verdict on one case.

    `value` is in [0, 1] (None when the case does not apply or was skipped); `passed` says
    whether the case met the evaluator's bar. `skipped` explains why the evaluator could not
    judge (e.g. no model for an LLM judge); `error` holds an evaluator crash.
    """

    value: float | None
    passed: bool = False
    reason: str = ""
    label: str | None = None
    flags: tuple[Flag, ...] = ()
    skipped: str | None = None
    error: str | None = None

    @classmethod
    def ok(cls, reason: str = "", *, label: str | None = None, flags: Iterable[Flag] = ()) -> Score:
        """A pass."""
        return cls(value=1.0, passed=True, reason=reason, label=label, flags=tuple(flags))

    @classmethod
    def fail(cls, reason: str, *, label: str | None = None, flags: Iterable[Flag] = ()) -> Score:
        """A failure, with the reason a person reads in the report."""
        return cls(value=0.0, passed=False, reason=reason, label=label, flags=tuple(flags))

    @classmethod
    def not_applicable(cls, reason: str = "", *, flags: Iterable[Flag] = ()) -> Score:
        """This case does not exercise what the evaluator checks (flags may still be raised)."""
        return cls(value=None, reason=reason, flags=tuple(flags))

    @classmethod
    def skip(cls, reason: str) -> Score:
        """The evaluator could not judge this case (say what would let it)."""
        return cls(value=None, reason=reason, skipped=reason)

    @property
    def applicable(self) -> bool:
        """True when the score counts towards the evaluator's result."""
        return self.value is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored with the case result."""
        return {
            "value": self.value,
            "passed": self.passed,
            "reason": self.reason,
            "label": self.label,
            "flags": [f.to_dict() for f in self.flags],
            "skipped": self.skipped,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Score:
        """Rebuild a score from its JSON form."""
        return cls(
            value=data.get("value"),
            passed=bool(data.get("passed")),
            reason=str(data.get("reason") or ""),
            label=data.get("label"),
            flags=tuple(Flag.from_dict(f) for f in data.get("flags") or ()),
            skipped=data.get("skipped"),
            error=data.get("error"),
        )


EvaluatorOutput: TypeAlias = Score | bool | float | int | None


def to_score(output: Any, evaluator_name: str) -> Score:
    """Turn what an evaluator returned into a Score (TypeError for anything else)."""
    if output is None:
        return Score.not_applicable()
    if isinstance(output, Score):
        return output
    if isinstance(output, bool):
        return Score.ok() if output else Score.fail("failed")
    if isinstance(output, int | float):
        value = float(output)
        if not math.isfinite(value) or not 0.0 <= value <= 1.0:
            raise TypeError(f"evaluator {evaluator_name!r} returned {value}, outside [0, 1]")
        return Score(value=value, passed=value >= 1.0)
    raise TypeError(
        f"evaluator {evaluator_name!r} returned a {type(output).__name__}; return a Score, "
        "a bool, a float in [0, 1] or None"
    )


class Evaluator(ABC):
    """Scores one risk on one case.

    Subclass it (a kw_only dataclass for options), or use `@evaluator` on a function.

    Class attributes: `name` (how manifests refer to it), `title` (how reports say it),
    `flags` (the findings it may raise, which blockers can name), `labelled` (its scores
    carry labels, so per-class minimums apply).
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    flags: ClassVar[tuple[str, ...]] = ()
    labelled: ClassVar[bool] = False

    @abstractmethod
    def evaluate(self, ctx: EvalContext) -> EvaluatorOutput | Awaitable[EvaluatorOutput]:
        """Judge one case."""

    @property
    def display_name(self) -> str:
        """The evaluator's name (the class name in snake case when none is set)."""
        return self.name or _snake(type(self).__name__)

    @property
    def display_title(self) -> str:
        """Words for reports: the title, else the name."""
        return self.title or self.display_name.replace("_", " ")

    @property
    def produces(self) -> tuple[str, ...]:
        """The flags this evaluator may raise."""
        return tuple(self.flags)

    @property
    def per_class(self) -> bool:
        """True when scores carry labels (per-class minimums apply)."""
        return self.labelled

    def options(self) -> dict[str, Any]:
        """The evaluator's settings (a dataclass's fields), recorded with the results."""
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {}

    def check(self) -> str | None:
        """A problem with the settings that would make a check unable to fail, or None."""
        return None


def _snake(name: str) -> str:
    out = [f"_{c.lower()}" if c.isupper() else c for c in name]
    return "".join(out).lstrip("_")


class FunctionEvaluator(Evaluator):
    """An evaluator made from a function `fn(ctx, **options)` by `@evaluator`."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str,
        title: str,
        flags: Iterable[str] = (),
        labelled: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.fn = fn
        self._name = name
        self._title = title
        self._flags = tuple(flags)
        self._labelled = labelled
        self._options = dict(options or {})
        params = list(inspect.signature(fn).parameters)[1:]
        unknown = sorted(set(self._options) - set(params))
        if unknown:
            raise TypeError(
                f"evaluator {name!r} takes no option(s) {', '.join(unknown)}; "
                f"its options: {', '.join(params) or '(none)'}"
            )

    @property
    def display_name(self) -> str:
        """The name given to `@evaluator` (default: the function's name)."""
        return self._name

    @property
    def display_title(self) -> str:
        """The title given to `@evaluator` (default: the name in words)."""
        return self._title

    @property
    def produces(self) -> tuple[str, ...]:
        """The flags declared with `@evaluator(flags=...)`."""
        return self._flags

    @property
    def per_class(self) -> bool:
        """True when declared with `@evaluator(labelled=True)`."""
        return self._labelled

    def options(self) -> dict[str, Any]:
        """The options bound with `with_options`."""
        return dict(self._options)

    def with_options(self, **options: Any) -> FunctionEvaluator:
        """The same function with keyword options (a manifest's `options:`)."""
        return FunctionEvaluator(
            self.fn,
            name=self._name,
            title=self._title,
            flags=self._flags,
            labelled=self._labelled,
            options={**self._options, **options},
        )

    def evaluate(self, ctx: EvalContext) -> EvaluatorOutput | Awaitable[EvaluatorOutput]:
        """Call the function with the case and the bound options."""
        return cast(EvaluatorOutput, self.fn(ctx, **self._options))

    def __repr__(self) -> str:
        return f"FunctionEvaluator({self._name!r})"


EvalFn = Callable[..., Any]


@overload
def evaluator(fn: EvalFn, /) -> FunctionEvaluator: ...


@overload
def evaluator(
    *,
    name: str | None = None,
    title: str | None = None,
    flags: Iterable[str] = (),
    labelled: bool = False,
) -> Callable[[EvalFn], FunctionEvaluator]: ...


def evaluator(
    fn: EvalFn | None = None,
    /,
    *,
    name: str | None = None,
    title: str | None = None,
    flags: Iterable[str] = (),
    labelled: bool = False,
) -> FunctionEvaluator | Callable[[EvalFn], FunctionEvaluator]:
    """Make a function `fn(ctx: EvalContext, **options)` an evaluator.

    Use bare (`@evaluator`) or with settings (`@evaluator(title=..., flags=[...])`). The
    function may be async. Manifests refer to it as `MODULE:ATTR`.
    """

    def wrap(func: EvalFn) -> FunctionEvaluator:
        label = name or func.__name__
        return FunctionEvaluator(
            func,
            name=label,
            title=title or label.replace("_", " "),
            flags=flags,
            labelled=labelled,
        )

    return wrap(fn) if fn is not None else wrap


async def run_evaluator(evaluator: Evaluator, ctx: EvalContext) -> Score:
    """Score one case; an evaluator that raises (or returns nonsense) fails the case."""
    try:
        output: Any = evaluator.evaluate(ctx)
        if inspect.isawaitable(output):
            output = await output
        return to_score(output, evaluator.display_name)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return Score(
            value=0.0,
            passed=False,
            reason=f"the evaluator raised {message}",
            error=message,
        )
