"""Progressive autonomy: the capability matrix, live stages and flags, pinned versions."""

from earned.rollout._attest import Attestation, AttestationStore
from earned.rollout._checklist import Checklist, ChecklistError, ChecklistItem, load_checklist
from earned.rollout._compare import ArmMetrics, VersionComparison, compare_versions
from earned.rollout._enforce import StagedPolicy, in_cohort
from earned.rollout._matrix import (
    DEFAULT_FLAGS,
    ApprovalHistoryGate,
    CapabilityMatrix,
    CapabilitySpec,
    CohortSpec,
    MatrixFileError,
    StopCondition,
    load_matrix,
    parse_matrix,
)
from earned.rollout._monitor import (
    AlertSink,
    Demotion,
    LogAlerts,
    MonitorReport,
    StopMonitor,
    WebhookAlerts,
    alert_sinks_from_env,
)
from earned.rollout._promote import GateCheck, Promotion, PromotionCheck
from earned.rollout._release import (
    ItemResult,
    ReleaseReport,
    attest,
    checklist_for,
    release_check,
)
from earned.rollout._release_ctx import Outcome, ReleaseContext
from earned.rollout._resolve import ChosenVersion, RunVersions, VersionResolver
from earned.rollout._runtime import Rollout
from earned.rollout._state import AGENT_SCOPE, CapabilityState, Flag, RolloutStore, split_flag
from earned.rollout._stops import StopResult
from earned.rollout._versions import (
    KINDS,
    PINNABLE_KINDS,
    Pin,
    Version,
    VersionKind,
    VersionNotFound,
    VersionStore,
)
from earned.stages import Stage

__all__ = [
    "AGENT_SCOPE",
    "DEFAULT_FLAGS",
    "KINDS",
    "PINNABLE_KINDS",
    "AlertSink",
    "ApprovalHistoryGate",
    "ArmMetrics",
    "Attestation",
    "AttestationStore",
    "CapabilityMatrix",
    "CapabilitySpec",
    "CapabilityState",
    "Checklist",
    "ChecklistError",
    "ChecklistItem",
    "ChosenVersion",
    "CohortSpec",
    "Demotion",
    "Flag",
    "GateCheck",
    "ItemResult",
    "LogAlerts",
    "MatrixFileError",
    "MonitorReport",
    "Outcome",
    "Pin",
    "Promotion",
    "PromotionCheck",
    "ReleaseContext",
    "ReleaseReport",
    "Rollout",
    "RolloutStore",
    "RunVersions",
    "Stage",
    "StagedPolicy",
    "StopCondition",
    "StopMonitor",
    "StopResult",
    "Version",
    "VersionComparison",
    "VersionKind",
    "VersionNotFound",
    "VersionResolver",
    "VersionStore",
    "WebhookAlerts",
    "alert_sinks_from_env",
    "attest",
    "checklist_for",
    "compare_versions",
    "in_cohort",
    "load_checklist",
    "load_matrix",
    "parse_matrix",
    "release_check",
    "split_flag",
]
