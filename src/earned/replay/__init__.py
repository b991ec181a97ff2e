"""Shadow mode and deterministic replay of recorded runs.

- **Shadow** (`ShadowRunner`): run an agent at stage `shadow` on a dataset's cases or on
  past traces (or on live inputs, one by one, beside the human process). No write is ever
  executed: every write is answered with a marked, simulated result. The agent's decision
  on each input is compared with the human's (the dataset's labels, or the approvals and
  review decisions of the original run): agreement overall and per class, a confusion
  table and every disagreement, with both decisions and both trace ids.
- **Replay** (`Replayer`): re-run a recorded run with another prompt, model or tool set.
  Tool results come from the recording (exact when the durable step records can be read),
  so the run is deterministic; a call the recording lacks is a divergence, answered with a
  structured error and never executed. The result is the diff of decisions, tool calls and
  output. `replay_many` replays every run a `TraceQuery` finds.

Shadow and replay runs are stored like live runs and marked (run ids `shadow_...` and
`replay_...`, stage `shadow` for shadow runs): `live_runs(column)` keeps them out of
anything that must count live traffic only.
"""

from earned.rehearsals import (
    REPLAY_PREFIX,
    SHADOW_PREFIX,
    RehearsalKind,
    is_rehearsal,
    live_runs,
    rehearsal_kind,
)
from earned.replay._diff import CallChange, RunDiff, diff_runs
from earned.replay._guard import SHADOW_RULE, ShadowExecutor, SimulateWrites
from earned.replay._human import DEFAULT_LABELS, NO_DECISION, Compared, HumanDecision
from earned.replay._progress import ProgressBar, ProgressReporter
from earned.replay._recording import RecordedApproval, RecordedCall, Recording, load_recording
from earned.replay._replay import BatchReplay, Replayer, ReplayResult, with_prompt
from earned.replay._report import ClassAgreement, ShadowCase, ShadowReport
from earned.replay._serve import NOT_RECORDED, Divergence
from earned.replay._shadow import ShadowInput, ShadowRunner, dataset_inputs, trace_inputs

__all__ = [
    "DEFAULT_LABELS",
    "NOT_RECORDED",
    "NO_DECISION",
    "REPLAY_PREFIX",
    "SHADOW_PREFIX",
    "SHADOW_RULE",
    "BatchReplay",
    "CallChange",
    "ClassAgreement",
    "Compared",
    "Divergence",
    "HumanDecision",
    "ProgressBar",
    "ProgressReporter",
    "RecordedApproval",
    "RecordedCall",
    "Recording",
    "RehearsalKind",
    "ReplayResult",
    "Replayer",
    "RunDiff",
    "ShadowCase",
    "ShadowExecutor",
    "ShadowInput",
    "ShadowReport",
    "ShadowRunner",
    "SimulateWrites",
    "dataset_inputs",
    "diff_runs",
    "is_rehearsal",
    "live_runs",
    "load_recording",
    "rehearsal_kind",
    "trace_inputs",
    "with_prompt",
]
