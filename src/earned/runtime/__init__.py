"""Runs: the guarded execution path, the run patterns and the durable engine."""

from earned.runtime._agent import Agent
from earned.runtime._context import RunContext
from earned.runtime._durable import DurableSteps, QueueSettings
from earned.runtime._engine import Engine, RunHandle, application_version
from earned.runtime._events import EventKind, EventSink, MemorySink, MultiSink, RunEvent
from earned.runtime._gate import ApprovalGate, ApprovalOutcome, EscalatingGate, PendingCall
from earned.runtime._plan import Plan, PlanAndExecute, PlanStep
from earned.runtime._react import ReActAgent
from earned.runtime._router import Route, Router
from earned.runtime._runner import execute_run
from earned.runtime._services import InlineSteps, Services, StepRunner
from earned.runtime._state import (
    Escalation,
    Principal,
    RunLimits,
    RunRequest,
    RunResult,
    RunStatus,
    new_run_id,
)
from earned.runtime._tool_calls import ToolOutcome, ToolStatus
from earned.runtime._workflow import Workflow, workflow

__all__ = [
    "Agent",
    "ApprovalGate",
    "ApprovalOutcome",
    "DurableSteps",
    "Engine",
    "EscalatingGate",
    "Escalation",
    "EventKind",
    "EventSink",
    "InlineSteps",
    "MemorySink",
    "MultiSink",
    "PendingCall",
    "Plan",
    "PlanAndExecute",
    "PlanStep",
    "Principal",
    "QueueSettings",
    "ReActAgent",
    "Route",
    "Router",
    "RunContext",
    "RunEvent",
    "RunHandle",
    "RunLimits",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "Services",
    "StepRunner",
    "ToolOutcome",
    "ToolStatus",
    "Workflow",
    "application_version",
    "execute_run",
    "new_run_id",
    "workflow",
]
