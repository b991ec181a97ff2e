"""Pin the public API of earned.replay: a change here must be deliberate."""

from __future__ import annotations

import inspect

import earned.replay

PUBLIC = [
    "BatchReplay", "CallChange", "ClassAgreement", "Compared", "DEFAULT_LABELS", "Divergence",
    "HumanDecision", "NOT_RECORDED", "NO_DECISION", "ProgressBar", "ProgressReporter",
    "REPLAY_PREFIX", "RecordedApproval", "RecordedCall", "Recording", "RehearsalKind",
    "ReplayResult", "Replayer", "RunDiff", "SHADOW_PREFIX", "SHADOW_RULE", "ShadowCase",
    "ShadowExecutor", "ShadowInput", "ShadowReport", "ShadowRunner", "SimulateWrites",
    "dataset_inputs", "diff_runs", "is_rehearsal", "live_runs", "load_recording",
    "rehearsal_kind", "trace_inputs", "with_prompt",
]  # fmt: skip


def test_public_names() -> None:
    assert sorted(earned.replay.__all__) == sorted(PUBLIC)


def test_every_public_class_and_function_is_documented() -> None:
    for name in earned.replay.__all__:
        member = getattr(earned.replay, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert inspect.getdoc(member), name


def test_importing_earned_replay_does_not_start_dbos() -> None:
    import subprocess
    import sys

    code = "import sys, earned.replay; print('dbos' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_rehearsal_marks_import_no_replay_metrics_or_rollout_machinery() -> None:
    import subprocess
    import sys

    code = (
        "import sys, earned.rehearsals; "
        "print(sorted(m for m in ('earned.replay', 'earned.metrics', 'earned.rollout') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
