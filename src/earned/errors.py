"""Every error and control-flow signal earned raises.

The hierarchy, drawn::

    BaseException
     ├── RunCancelled          the run was cancelled; `except Exception` cannot swallow it
     └── Exception
          └── EarnedError      base of everything below; `details` holds the offending values
               ├── UserError   a mistake in code or configuration: fix it, retrying won't help
               │    ├── ToolDefinitionError   a @tool that cannot be built
               │    ├── UnknownToolError      a workflow named a tool its agent lacks
               │    ├── PolicyFileError       a policy file that cannot be loaded (line, fix)
               │    ├── ConfigError           a setting that cannot be used
               │    ├── ModelNotFoundError    a model string no provider is registered for
               │    ├── SchemaVersionError    data written by a newer earned: upgrade earned
               │    ├── RunNotFoundError      a run id the store has never seen
               │    ├── ApprovalRefused       earned.approvals: a decision the request refuses
               │    ├── RuleFileError         earned.metrics: an alert-rule file (line, fix)
               │    ├── MatrixFileError       earned.rollout: a capability matrix (line, fix)
               │    └── EvalFileError         earned.evals: an eval file (line, fix)
               │         ├── DatasetError     a dataset line that is not a scenario
               │         └── ManifestError    a gate manifest that cannot be loaded
               ├── ToolError   raised by tool code (or by earned around it)
               │    ├── TransientToolError    retrying may help (timeout, 503, reset)
               │    └── SemanticToolError     retrying will not help (not found, bad state)
               │         ├── ToolArgumentsError  arguments failed the tool's schema
               │         └── ToolCrashed         the tool raised something not a ToolError
               ├── ModelError  a model call failed
               │    ├── ModelHTTPError        an HTTP error (429 and 5xx are transient)
               │    ├── ModelTimeoutError     past its timeout (transient)
               │    ├── ModelConnectionError  the provider could not be reached (transient)
               │    ├── ModelResponseError    an answer that could not be understood
               │    └── ModelRequestsBlocked  a real model call where tests forbid them
               ├── SpanWriteError  run events could not be stored after retries
               └── RunStop     ends a run with a status other than `completed`
                    ├── Escalate              hand the run to a human (`escalated`)
                    │    ├── StepLimitExceeded
                    │    ├── LoopDetected
                    │    ├── BudgetExceeded
                    │    ├── DeadlineExceeded
                    │    ├── SwitchedOff          a flag (kill switch) stopped the run
                    │    └── CircuitOpen          a circuit breaker is open, no fallback left
                    └── ToolDenied            a call the workflow needed was denied (`denied`)

Errors of one subsystem live in its package (named above with it); the server's API
errors (`earned.server`) and the review queue's (`earned.review`) follow the same rule.

Every error keeps the values that caused it in `details` and survives pickling, so it can
cross a durable checkpoint and come back intact. `to_dict()` gives the JSON form used in
run results and by the CLI.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BudgetExceeded",
    "CircuitOpen",
    "ConfigError",
    "DeadlineExceeded",
    "EarnedError",
    "Escalate",
    "LoopDetected",
    "ModelConnectionError",
    "ModelError",
    "ModelHTTPError",
    "ModelNotFoundError",
    "ModelRequestsBlocked",
    "ModelResponseError",
    "ModelTimeoutError",
    "PolicyFileError",
    "RunCancelled",
    "RunNotFoundError",
    "RunStop",
    "SchemaVersionError",
    "SemanticToolError",
    "SpanWriteError",
    "StepLimitExceeded",
    "SwitchedOff",
    "ToolArgumentsError",
    "ToolCrashed",
    "ToolDefinitionError",
    "ToolDenied",
    "ToolError",
    "TransientToolError",
    "UnknownToolError",
    "UserError",
]


def _rebuild(cls: type[EarnedError], message: str, details: dict[str, Any]) -> EarnedError:
    error = cls.__new__(cls)
    EarnedError.__init__(error, message, **details)
    return error


class EarnedError(Exception):
    """Base class of every error earned raises; `details` holds the offending values."""

    #: Whether retrying the same operation may succeed.
    transient: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.details))

    def __getattr__(self, name: str) -> Any:
        details = self.__dict__.get("details", {})
        if name in details:
            return details[name]
        raise AttributeError(name)

    def headline(self) -> str:
        """The message as a person should read it first (subclasses add a location)."""
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: type, message, transient and the offending values."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "transient": self.transient,
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return repr(value)


class UserError(EarnedError):
    """A mistake in code or configuration; the message says how to fix it."""


class ToolDefinitionError(UserError):
    """A function that cannot become a tool, or a tool declaration that loosens a default."""


class UnknownToolError(UserError):
    """A workflow asked for a tool its agent does not declare."""


class PolicyFileError(UserError):
    """A policy file that cannot be loaded; `details` has `path`, `line` and `fix`."""

    def headline(self) -> str:
        """`path:line: message`."""
        where = self.details.get("path") or "<policy>"
        line = self.details.get("line")
        return f"{where}:{line}: {self.message}" if line else f"{where}: {self.message}"

    def __str__(self) -> str:
        fix = self.details.get("fix")
        return self.headline() + (f"\n  fix: {fix}" if fix else "")


class ConfigError(UserError):
    """A setting that cannot be used."""


class ModelNotFoundError(UserError):
    """A model string that no registered provider understands."""


class SchemaVersionError(UserError):
    """A stored row or the database schema is newer than this version of earned understands."""


class RunNotFoundError(UserError):
    """The store holds no run with this id; `details['run_id']` says which."""


class SpanWriteError(EarnedError):
    """Spans could not be written; `details` has how many were lost and the last error."""


class ToolError(EarnedError):
    """Raised by tool code to report a failure the agent (and the trace) should see."""


class TransientToolError(ToolError):
    """A failure that may go away on retry: read tools are retried with backoff."""

    transient = True


class SemanticToolError(ToolError):
    """A failure retrying cannot fix: the model is told, nothing is retried."""


class ToolArgumentsError(SemanticToolError):
    """Arguments that fail the tool's schema; `details['errors']` lists each problem."""


class ToolCrashed(SemanticToolError):
    """The tool raised an exception that is not a ToolError (a bug in the tool)."""


class ModelError(EarnedError):
    """A model call failed."""


class ModelHTTPError(ModelError):
    """The provider answered with an HTTP error; `status_code` and `body` say which."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **details)

    @property
    def is_transient(self) -> bool:
        """429 and 5xx may succeed on retry; other statuses will not."""
        status = int(self.details.get("status_code", 0))
        return status == 429 or status >= 500

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, with `transient` computed from the status code."""
        data = super().to_dict()
        data["transient"] = self.is_transient
        return data


class ModelTimeoutError(ModelError):
    """The model call ran past its timeout."""

    transient = True


class ModelConnectionError(ModelError):
    """The provider could not be reached (refused, reset, DNS)."""

    transient = True


class ModelResponseError(ModelError):
    """The provider's answer could not be understood."""


class ModelRequestsBlocked(ModelError):
    """A real model call was attempted where they are forbidden (the test suite, by default)."""


class RunStop(EarnedError):
    """A signal that ends a run with a status other than `completed`."""

    status: ClassVar[str] = "failed"


class Escalate(RunStop):
    """Hand the run to a human. `reason` says why; the run result carries the context."""

    status: ClassVar[str] = "escalated"


class StepLimitExceeded(Escalate):
    """The run used all the steps it was allowed."""


class LoopDetected(Escalate):
    """The agent repeated the same call after being told to re-plan."""


class BudgetExceeded(Escalate):
    """A token or dollar cap would be exceeded and the fallback is to escalate."""


class DeadlineExceeded(Escalate):
    """The whole-run deadline passed."""


class SwitchedOff(Escalate):
    """A feature flag or kill switch stopped the run; `details["flag"]` names it."""


class CircuitOpen(Escalate):
    """A circuit breaker failed the call fast and no fallback was left.

    From a tool call, `details` has `tool` (its breaker is `tool:NAME`); from a model call,
    `breaker` (`model:NAME`), `breakers` (each refusal: name, state, retry_at) and `model`.
    """


class ToolDenied(RunStop):
    """Policy denied a tool call that a workflow could not go on without."""

    status: ClassVar[str] = "denied"


class RunCancelled(BaseException):
    """The run was cancelled. A BaseException, so `except Exception` in user code cannot eat it."""

    def __init__(self, run_id: str, reason: str = "cancelled") -> None:
        super().__init__(f"run {run_id} was cancelled: {reason}")
        self.run_id = run_id
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (RunCancelled, (self.run_id, self.reason))
