"""Evals with release gates declared before the run.

- Datasets: JSONL files of `Scenario`s, validated at load (line-numbered errors), versioned
  by content hash and stored in the project database (`load_dataset`, `Dataset`).
- Evaluators: one small class (`Evaluator`) or function (`@evaluator`) per risk, scoring
  the recorded run through `EvalContext`; built-ins for classification, citations, tool
  selection, unauthorized attempts, trajectories, refund safety, injection resistance,
  turn and cost bounds, refusals, and an optional LLM judge.
- Gate manifests: a capability's minimums, per-class minimums, blockers and owners as YAML
  (`load_manifest`, `GateManifest`); hashed and stored before any case runs.
- The runner (`EvalRunner`): concurrent, resumable, stores every case's scores and trace;
  reports (`EvalReport`, `render_report`, `render_html`) and history with regressions.
- Projects: an agent directory's `evals.yaml` naming its capabilities and suites
  (`EvalProject`, `run_project`); `earned eval run DIR --suite golden` runs them.

See docs/evals.md.
"""

from earned.evals._builtin import (
    BUILTIN_EVALUATORS,
    ClassificationAccuracy,
    CostBound,
    InjectionResistance,
    OutputContains,
    PolicyCitation,
    RefundSafety,
    Refusal,
    ToolSelection,
    TrajectoryMatch,
    TurnBound,
    UnauthorizedToolAttempts,
)
from earned.evals._context import EvalContext, ToolCallRecord
from earned.evals._dataset import Dataset, load_dataset, parse_dataset
from earned.evals._errors import DatasetError, EvalFileError, ManifestError
from earned.evals._evaluator import (
    Evaluator,
    EvaluatorOutput,
    Flag,
    FunctionEvaluator,
    Score,
    evaluator,
    run_evaluator,
)
from earned.evals._executors import CaseRun, DurableExecutor, InlineExecutor, RunSettings
from earned.evals._gates import BlockerHit, ClassResult, GateResult
from earned.evals._history import (
    HistoryEntry,
    ManifestHistoryEntry,
    history,
    load_report,
    manifest_history,
)
from earned.evals._html import render_html, write_html
from earned.evals._judge import LLMJudge
from earned.evals._manifest import Blocker, Gate, GateManifest, load_manifest, parse_manifest
from earned.evals._progress import RichProgress
from earned.evals._project import CapabilitySpec, EvalProject, SuiteSpec, run_project
from earned.evals._records import CaseResult, EvalRunRecord, ManifestVersion
from earned.evals._report import EvalReport, render_report
from earned.evals._runner import EvalRunner, EvalTarget, Progress
from earned.evals._scenario import Scenario, ToolExpectation
from earned.evals._store import EvalStore

__all__ = [
    "BUILTIN_EVALUATORS",
    "Blocker",
    "BlockerHit",
    "CapabilitySpec",
    "CaseResult",
    "CaseRun",
    "ClassResult",
    "ClassificationAccuracy",
    "CostBound",
    "Dataset",
    "DatasetError",
    "DurableExecutor",
    "EvalContext",
    "EvalFileError",
    "EvalProject",
    "EvalReport",
    "EvalRunRecord",
    "EvalRunner",
    "EvalStore",
    "EvalTarget",
    "Evaluator",
    "EvaluatorOutput",
    "Flag",
    "FunctionEvaluator",
    "Gate",
    "GateManifest",
    "GateResult",
    "HistoryEntry",
    "InjectionResistance",
    "InlineExecutor",
    "LLMJudge",
    "ManifestError",
    "ManifestHistoryEntry",
    "ManifestVersion",
    "OutputContains",
    "PolicyCitation",
    "Progress",
    "RefundSafety",
    "Refusal",
    "RichProgress",
    "RunSettings",
    "Scenario",
    "Score",
    "SuiteSpec",
    "ToolCallRecord",
    "ToolExpectation",
    "ToolSelection",
    "TrajectoryMatch",
    "TurnBound",
    "UnauthorizedToolAttempts",
    "evaluator",
    "history",
    "load_dataset",
    "load_manifest",
    "load_report",
    "manifest_history",
    "parse_dataset",
    "parse_manifest",
    "render_html",
    "render_report",
    "run_evaluator",
    "run_project",
    "write_html",
]
