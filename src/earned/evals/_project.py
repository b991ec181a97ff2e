"""An eval project: the `evals.yaml` of an agent's directory, and running its suites.

```yaml
version: 1
name: refund_agent                        # shown in the history (default: the directory)
capabilities:
  recommend_refund:
    agent: agent:build_agent              # MODULE:ATTR from this directory (or file.py:ATTR):
                                          # an Agent, or a function returning one (given
                                          # model=... when it takes a `model` argument)
    gates: gates/recommend_refund.yaml    # the gate manifest of this capability
    suites: [golden, regression]          # optional: the suites it is judged on (default all)
    stage: conditional_auto               # optional run settings for every case
    principal: {user: eval, role: operator, tenant: eval}
    environment: eval
    limits: {max_steps: 20}
    deps: agent:make_deps                 # optional zero-argument factory for tool deps
suites:
  golden: {dataset: datasets/golden.jsonl, split: test}
  regression: datasets/regression.jsonl
  adversarial: datasets/adversarial.jsonl
  tool_use: datasets/tool_use.jsonl
```

Paths are relative to the evals.yaml.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError

from earned._yaml import LineDoc, YamlPath, did_you_mean
from earned.errors import UserError
from earned.evals._dataset import Dataset, load_dataset
from earned.evals._errors import EvalFileError
from earned.evals._executors import RunSettings
from earned.evals._manifest import GateManifest, load_manifest
from earned.evals._refs import resolve_ref
from earned.evals._report import EvalReport
from earned.evals._runner import EvalRunner, EvalTarget
from earned.rollout import Stage
from earned.runtime import Agent, Principal, RunLimits

__all__ = ["PROJECT_FILE", "CapabilitySpec", "EvalProject", "SuiteSpec", "run_project"]

#: The file that makes a directory an eval project.
PROJECT_FILE = "evals.yaml"
#: The project file format this earned reads. Changelog: version 1, the first format.
PROJECT_SCHEMA_VERSION = 1
#: The suite names `--suite` accepts besides a project's own (runs every suite).
ALL_SUITES = "all"

_TOP_KEYS = ("version", "name", "description", "capabilities", "suites")
_CAPABILITY_KEYS = (
    "agent",
    "gates",
    "suites",
    "stage",
    "principal",
    "environment",
    "limits",
    "deps",
    "description",
)
_SUITE_KEYS = ("dataset", "split", "tags", "description")


@dataclass(frozen=True, kw_only=True)
class SuiteSpec:
    """A named suite: a dataset file, optionally one split of it or only tagged cases."""

    name: str
    dataset: Path
    split: str | None = None
    tags: tuple[str, ...] = ()

    def load(self) -> Dataset:
        """The suite's cases (the dataset's selected split and tags)."""
        data = load_dataset(self.dataset, name=self.name)
        return data.select(split=self.split, tags=self.tags)


@dataclass(frozen=True, kw_only=True)
class CapabilitySpec:
    """A capability: its agent, its gate manifest, its suites and how cases are run."""

    name: str
    agent: str
    gates: Path
    root: Path
    suites: tuple[str, ...] | None = None
    stage: str | None = None
    principal: Principal = field(default_factory=Principal)
    environment: str = "eval"
    limits: RunLimits | None = None
    deps: str | None = None

    def load_manifest(self) -> GateManifest:
        """The capability's gate manifest (its `capability:` must match this name)."""
        manifest = load_manifest(self.gates)
        if manifest.capability != self.name:
            raise EvalFileError(
                f"the manifest gates capability {manifest.capability!r}, but evals.yaml names "
                f"it for {self.name!r}",
                path=str(self.gates),
                fix=f"write `capability: {self.name}` in the manifest, or point evals.yaml at "
                "the right file",
            )
        return manifest

    def load_agent(self, model: str | None = None) -> Agent:
        """The agent; a factory gets `model=` when it takes one and a model was given."""
        target = resolve_ref(self.agent, self.root)
        if not isinstance(target, Agent) and callable(target):
            target = self._call_factory(target, model)
        if not isinstance(target, Agent):
            raise UserError(
                f"{self.agent} (capability {self.name!r}) is a {type(target).__name__}, not an "
                "earned Agent or a function returning one",
                ref=self.agent,
            )
        return target

    def _call_factory(self, factory: Any, model: str | None) -> Any:
        signature = inspect.signature(factory)
        kwargs = {"model": model} if model is not None and "model" in signature.parameters else {}
        try:
            signature.bind(**kwargs)
        except TypeError:
            raise UserError(
                f"{self.agent} (capability {self.name!r}) is a function that needs arguments "
                f"{signature}; name an Agent, or a factory that needs none (it may take `model`)",
                ref=self.agent,
            ) from None
        return factory(**kwargs)

    def settings(self, model: str | None) -> RunSettings:
        """How each case runs (deps built once here)."""
        deps = resolve_ref(self.deps, self.root)() if self.deps else None
        return RunSettings(
            model=model,
            principal=self.principal,
            capability=self.name,
            stage=self.stage,
            environment=self.environment,
            limits=self.limits,
            deps=deps,
        )


@dataclass(frozen=True, kw_only=True)
class EvalProject:
    """An agent directory's eval suites, capabilities and gate manifests."""

    name: str
    root: Path
    capabilities: dict[str, CapabilitySpec]
    suites: dict[str, SuiteSpec]

    @classmethod
    def load(cls, path: str | Path) -> EvalProject:
        """Read `evals.yaml` from a directory (or the file itself)."""
        file = Path(path)
        if file.is_dir():
            file = file / PROJECT_FILE
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise EvalFileError(
                f"cannot read the eval project: {exc.strerror}",
                path=str(file),
                fix=f"point at a directory with an {PROJECT_FILE} (see docs/evals.md)",
            ) from None
        return _parse_project(text, file)

    def suite_names(self, choice: str) -> list[str]:
        """`[choice]`, or every suite for `all`; an unknown suite is a user error."""
        if choice == ALL_SUITES:
            return list(self.suites)
        if choice not in self.suites:
            raise UserError(
                f"project {self.name!r} has no suite {choice!r}; "
                + did_you_mean(choice, [*self.suites, ALL_SUITES], "suites"),
                suite=choice,
            )
        return [choice]

    def capability_names(self, choice: str | None) -> list[str]:
        """`[choice]`, or every capability when None."""
        if choice is None:
            return list(self.capabilities)
        if choice not in self.capabilities:
            raise UserError(
                f"project {self.name!r} has no capability {choice!r}; "
                + did_you_mean(choice, self.capabilities, "capabilities"),
                capability=choice,
            )
        return [choice]


def _parse_project(text: str, file: Path) -> EvalProject:
    doc = LineDoc(text, str(file), error=EvalFileError)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.fail((), "evals.yaml must be a mapping with `capabilities:` and `suites:`", _FIX)
    data = cast(dict[str, Any], data)
    doc.check_keys((), data, _TOP_KEYS)
    version = data.get("version", PROJECT_SCHEMA_VERSION)
    if version != PROJECT_SCHEMA_VERSION:
        raise doc.fail(
            ("version",), f"unsupported evals.yaml version {version!r}", "write `version: 1`"
        )
    root = file.parent
    suites = {
        name: _suite(doc, ("suites", name), name, item, root)
        for name, item in _mapping(doc, ("suites",), data.get("suites")).items()
    }
    capabilities = {
        name: _capability(doc, ("capabilities", name), name, item, root, suites)
        for name, item in _mapping(doc, ("capabilities",), data.get("capabilities")).items()
    }
    return EvalProject(
        name=str(data.get("name") or root.resolve().name),
        root=root,
        capabilities=capabilities,
        suites=suites,
    )


_FIX = "see the evals.yaml example in docs/evals.md"


def _mapping(doc: LineDoc, path: YamlPath, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise doc.fail(path, f"`{path[-1]}` must be a non-empty mapping", _FIX)
    return cast(dict[str, Any], value)


def _suite(doc: LineDoc, path: YamlPath, name: str, item: Any, root: Path) -> SuiteSpec:
    if name == ALL_SUITES:
        raise doc.fail(path, "`all` is reserved (it runs every suite)", "rename the suite")
    if isinstance(item, str):
        item = {"dataset": item}
    if not isinstance(item, dict) or not isinstance(item.get("dataset"), str):
        raise doc.fail(path, f"suite {name!r} needs `dataset: path/to/file.jsonl`", _FIX)
    item = cast(dict[str, Any], item)
    doc.check_keys(path, item, _SUITE_KEYS)
    split = item.get("split")
    if split not in (None, "train", "test"):
        raise doc.fail(
            (*path, "split"), f"split must be train or test, got {split!r}", "write `split: test`"
        )
    tags = item.get("tags") or []
    if not isinstance(tags, list):
        raise doc.fail((*path, "tags"), "tags must be a list", "write `tags: [injection]`")
    return SuiteSpec(
        name=name,
        dataset=root / item["dataset"],
        split=split,
        tags=tuple(str(t) for t in cast(list[Any], tags)),
    )


def _capability(
    doc: LineDoc, path: YamlPath, name: str, item: Any, root: Path, suites: dict[str, SuiteSpec]
) -> CapabilitySpec:
    if not isinstance(item, dict):
        raise doc.fail(path, f"capability {name!r} needs `agent:` and `gates:`", _FIX)
    item = cast(dict[str, Any], item)
    doc.check_keys(path, item, _CAPABILITY_KEYS)
    for key in ("agent", "gates"):
        if not isinstance(item.get(key), str):
            raise doc.fail((*path, key), f"capability {name!r} needs `{key}:`", _FIX)
    names = item.get("suites")
    if names is not None:
        if not isinstance(names, list):
            raise doc.fail(
                (*path, "suites"),
                "suites must be a list of suite names",
                "write `suites: [golden]`",
            )
        for i, suite in enumerate(cast(list[Any], names)):
            if suite not in suites:
                raise doc.fail(
                    (*path, "suites", i),
                    f"unknown suite {suite!r}",
                    did_you_mean(str(suite), suites, "suites"),
                )
    return CapabilitySpec(
        name=name,
        agent=item["agent"],
        gates=root / item["gates"],
        root=root,
        suites=None if names is None else tuple(cast(list[str], names)),
        stage=_stage(doc, (*path, "stage"), item.get("stage")),
        principal=_model(doc, (*path, "principal"), Principal, item.get("principal")),
        environment=str(item.get("environment") or "eval"),
        limits=_model(doc, (*path, "limits"), RunLimits, item.get("limits"))
        if item.get("limits") is not None
        else None,
        deps=item.get("deps"),
    )


def _stage(doc: LineDoc, path: YamlPath, value: Any) -> str | None:
    if value is None:
        return None
    valid = [s.value for s in Stage]
    if value not in valid:
        raise doc.fail(path, f"unknown stage {value!r}", did_you_mean(str(value), valid, "stages"))
    return str(value)


def _model(doc: LineDoc, path: YamlPath, cls: Any, value: Any) -> Any:
    try:
        return cls.model_validate(value or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or path[-1]}: {e['msg']}" for e in exc.errors()
        )
        raise doc.fail(path, f"{path[-1]} is not valid: {problems}", _FIX) from None


async def run_project(
    project: EvalProject,
    runner: EvalRunner,
    *,
    suite: str = ALL_SUITES,
    capability: str | None = None,
    model: str | None = None,
    sample: int | None = None,
) -> list[EvalReport]:
    """Run the chosen suites for the chosen capabilities; one report per (capability, suite).

    Every manifest and dataset is loaded (and validated) before the first case runs. With
    `sample`, each suite runs at most that many cases, spread evenly over its dataset
    (`Dataset.sample`): a quicker, smaller judgement, stored as its own eval run.
    """
    plan: list[EvalTarget] = []
    for cap_name in project.capability_names(capability):
        spec = project.capabilities[cap_name]
        manifest = spec.load_manifest()
        agent = spec.load_agent(model)
        settings = spec.settings(model)
        for suite_name in _suites_for(project, spec, suite):
            suite_spec = project.suites[suite_name]
            dataset = suite_spec.load()
            plan.append(
                EvalTarget(
                    agent=agent,
                    suite=suite_name,
                    dataset=dataset if sample is None else dataset.sample(sample),
                    split=suite_spec.split,
                    manifest=manifest,
                    project=project.name,
                    settings=settings,
                )
            )
    return [await runner.run(target) for target in plan]


def _suites_for(project: EvalProject, spec: CapabilitySpec, choice: str) -> Sequence[str]:
    chosen = project.suite_names(choice)
    if spec.suites is None:
        return chosen
    return [s for s in chosen if s in spec.suites]
