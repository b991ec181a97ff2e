"""What every route uses, built once in the app's lifespan: stores, the engine, settings."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from earned.approvals import Approvals, DecisionNotifier
from earned.review import ReviewQueue
from earned.server._auth import TokenStore
from earned.store import Database, RunStore, SpanStore
from earned.tracing import TraceStore

if TYPE_CHECKING:
    from earned.evals import EvalProject, EvalStore
    from earned.metrics import MetricsReader, RuleSet
    from earned.rollout import CapabilityMatrix, RolloutStore
    from earned.runtime import Engine

__all__ = ["ApiContext", "EvalJob", "SafeNotifier", "ServerSettings"]

logger = logging.getLogger("earned.server")


@dataclass(frozen=True, kw_only=True)
class ServerSettings:
    """How the API behaves; the defaults are the secure ones."""

    #: Largest request body accepted, in bytes (a larger one is a 413).
    max_body_bytes: int = 1_048_576
    #: Origins allowed to call the API from a browser; empty: CORS off.
    cors_origins: tuple[str, ...] = ()
    #: Serve `/metrics` without a token (only behind a network boundary).
    public_metrics: bool = False
    #: How long a sync run submission waits by default, and at most (seconds).
    sync_timeout: float = 30.0
    max_sync_timeout: float = 300.0
    #: How often the event stream polls the stored spans, and sends a keep-alive (seconds).
    sse_poll_interval: float = 0.25
    sse_keepalive: float = 15.0
    #: How long the event stream waits for a finished run's last spans (seconds).
    sse_end_grace: float = 5.0
    #: The window `/metrics` reports over.
    metrics_window: str = "5m"
    #: The Content-Security-Policy of every response (the API serves no pages).
    content_security_policy: str = "default-src 'none'; frame-ancestors 'none'"


class SafeNotifier:
    """Wakes waiting runs, but never fails a decision that is already stored.

    A lost notice only delays the run until its next poll, so a notifier error is logged
    and swallowed instead of turning a recorded decision into an error response.
    """

    def __init__(self, inner: DecisionNotifier) -> None:
        self.inner = inner

    def notify(self, run_id: str, approval_id: str) -> None:
        """Forward the notice; log a failure."""
        try:
            self.inner.notify(run_id, approval_id)
        except Exception as exc:
            logger.warning("could not notify run %s of approval %s: %r", run_id, approval_id, exc)


@dataclass(kw_only=True)
class EvalJob:
    """An eval run started through the API, running in this process."""

    job_id: str
    project: str
    suite: str
    capability: str | None
    started_by: str
    started_at: float
    status: str = "running"
    eval_run_ids: list[str] = field(default_factory=list[str])
    passed: bool | None = None
    error: dict[str, Any] | None = None
    ended_at: float | None = None
    task: asyncio.Task[None] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "task"}


@dataclass(kw_only=True)
class ApiContext:
    """Everything the routes use; one per app, built in its lifespan."""

    db: Database
    engine: Engine | None
    tokens: TokenStore
    runs: RunStore
    spans: SpanStore
    traces: TraceStore
    approvals: Approvals
    review: ReviewQueue
    settings: ServerSettings
    clock: Callable[[], float] = time.time
    eval_projects: Mapping[str, EvalProject] = field(default_factory=dict[str, "EvalProject"])
    alert_rules: RuleSet | None = None
    jobs: dict[str, EvalJob] = field(default_factory=dict[str, EvalJob])
    #: The capability matrix the rollout routes read and change (None: they answer 503).
    matrix: CapabilityMatrix | None = None
    _rollout: RolloutStore | None = None
    _metrics: MetricsReader | None = None
    _evals: EvalStore | None = None
    _prometheus: Any = None

    @property
    def metrics(self) -> MetricsReader:
        """The metrics reader (built on first use)."""
        if self._metrics is None:
            from earned.metrics import MetricsReader

            self._metrics = MetricsReader(self.db, clock=self.clock)
        return self._metrics

    @property
    def evals(self) -> EvalStore:
        """The eval store (built on first use)."""
        if self._evals is None:
            from earned.evals import EvalStore

            self._evals = EvalStore(self.db, clock=self.clock)
        return self._evals

    def rollout_store(self, matrix: CapabilityMatrix) -> RolloutStore:
        """The live stages and flags, set up for `matrix` on first use."""
        if self._rollout is None:
            from earned.rollout import RolloutStore

            store = RolloutStore(self.db, clock=self.clock)
            store.ensure(matrix)
            self._rollout = store
        return self._rollout

    def prometheus_exposition(self) -> tuple[bytes, str]:
        """`/metrics`: the text exposition and its content type (needs prometheus-client)."""
        from earned.metrics import MetricsCollector
        from earned.metrics._prometheus import _prometheus  # pyright: ignore[reportPrivateUsage]

        client = _prometheus()
        if self._prometheus is None:
            registry = client.CollectorRegistry(auto_describe=False)
            registry.register(MetricsCollector(self.metrics, window=self.settings.metrics_window))
            self._prometheus = registry
        return client.exposition.generate_latest(self._prometheus), client.CONTENT_TYPE_LATEST
