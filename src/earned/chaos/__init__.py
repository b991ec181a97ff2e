"""The chaos harness: prove that crashes never duplicate a side effect or lose a run.

`earned chaos [MODULE:ATTR] --runs 200 --kills 20 [--database URL] [--workers N]` submits
runs of a ChaosTarget's agent, SIGKILLs workers at random moments (also while runs wait for
approval), restarts them, decides approvals like a reviewer, and counts duplicate side
effects, lost runs, and lost or double-consumed approvals. `earned.chaos:TARGET` is the
built-in target.
"""

from earned.chaos._harness import ChaosReport, load_target, run_chaos
from earned.chaos._refunds import TARGET, RefundChaosTarget
from earned.chaos._target import ChaosTarget, Verdict

__all__ = [
    "TARGET",
    "ChaosReport",
    "ChaosTarget",
    "RefundChaosTarget",
    "Verdict",
    "load_target",
    "run_chaos",
]
