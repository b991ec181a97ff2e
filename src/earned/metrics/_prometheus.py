"""A Prometheus endpoint: metrics computed from the database when Prometheus scrapes.

```python
from earned.metrics import prometheus_app
app.mount("/metrics", prometheus_app(db))       # any ASGI server or framework
```

Every scrape reads the current values over one window (default `5m`), cached for a few
seconds so that several scrapers do not multiply the queries. Names start with `earned_`;
labels are `agent`, `capability` and `tool` (where the metric has them), plus `tenant`
only when asked (`by_tenant=True`), and `quantile` on latencies. A missing value (no
samples in the window) is no series at all, never a misleading 0. Cardinality is bounded:
at most `max_series` series per metric, the groups with the most samples first; how many
were left out is exported as `earned_metrics_series_dropped`. Circuit breakers are exported
as `earned_breaker_state{breaker, kind, scope, state}` (see `_breaker_gauge.py`).

Needs `prometheus-client`: `pip install 'earned[prometheus]'`.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from earned.errors import ConfigError
from earned.metrics._breaker_gauge import BreakerCollector
from earned.metrics._catalog import METRICS, SOURCES, MetricDef
from earned.metrics._reader import MetricsReader
from earned.metrics._sql import Measure, Measures
from earned.metrics._window import Dimension, GroupKey, Query, format_window, parse_window
from earned.store import Database

__all__ = ["MetricsCollector", "prometheus_app"]

#: The labels a metric can carry, in this order (tenant only with `by_tenant=True`).
_LABELS: tuple[Dimension, ...] = ("agent", "capability", "tool")
#: Cache the computed values this long (seconds) by default.
DEFAULT_CACHE_SECONDS = 10.0
#: The most series one metric exports by default.
DEFAULT_MAX_SERIES = 200

ASGIApp = Callable[[Mapping[str, Any], Callable[..., Any], Callable[..., Any]], Any]


def _prometheus() -> Any:
    try:
        client = importlib.import_module("prometheus_client")
        for submodule in ("core", "exposition"):
            importlib.import_module(f"prometheus_client.{submodule}")
    except ImportError as exc:
        raise ConfigError(
            "the Prometheus endpoint needs prometheus-client, which is not installed; "
            "run: pip install 'earned[prometheus]'",
            missing="prometheus_client",
        ) from exc
    return client


class MetricsCollector:
    """A `prometheus_client` collector computing earned's metrics from the database."""

    def __init__(
        self,
        reader: MetricsReader,
        *,
        window: str = "5m",
        by_tenant: bool = False,
        max_series: int = DEFAULT_MAX_SERIES,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Compute over `window` on scrape; reuse the values for `cache_seconds`."""
        if max_series < 1 or cache_seconds < 0:
            raise ConfigError(
                f"MetricsCollector needs max_series >= 1 and cache_seconds >= 0, got "
                f"max_series={max_series} cache_seconds={cache_seconds}",
                max_series=max_series,
                cache_seconds=cache_seconds,
            )
        self.reader = reader
        self.window_seconds = parse_window(window)
        self.by_tenant = by_tenant
        self.max_series = max_series
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Any]] | None = None
        self._metric_type = _prometheus().core.GaugeMetricFamily

    def labels_for(self, source: str) -> tuple[Dimension, ...]:
        """The labels (dimensions) a source's metrics are exported with."""
        dims = SOURCES[source].dimensions
        labels: tuple[Dimension, ...] = tuple(d for d in _LABELS if d in dims)
        tenant: tuple[Dimension, ...] = ("tenant",) if self.by_tenant else ()
        return (*labels, *tenant)

    def collect(self) -> Iterator[Any]:
        """The metric families (computed, or cached for `cache_seconds`)."""
        with self._lock:
            now = self._monotonic()
            if self._cached is None or now - self._cached[0] >= self.cache_seconds:
                self._cached = (now, self._compute())
            families = self._cached[1]
        yield from families

    def _compute(self) -> list[Any]:
        until = self.reader.now()
        by_labels: dict[tuple[Dimension, ...], set[str]] = {}
        for name in SOURCES:
            by_labels.setdefault(self.labels_for(name), set()).add(name)
        measured: dict[str, tuple[tuple[Dimension, ...], Measures]] = {}
        for labels, sources in by_labels.items():
            query = Query(since=until - self.window_seconds, until=until, by=labels)
            for name, found in self.reader.measure_sources(sources, query).items():
                measured[name] = (labels, found)
        return self._families(measured)

    def _families(self, measured: dict[str, tuple[tuple[Dimension, ...], Measures]]) -> list[Any]:
        window = format_window(self.window_seconds)
        families: dict[str, Any] = {}
        dropped = 0
        for meta in METRICS.values():
            labels, found = measured[meta.source]
            family = families.get(meta.prometheus)
            if family is None:
                names = [*labels, "quantile"] if meta.quantile else list(labels)
                family = self._metric_type(meta.prometheus, _help(meta, window), labels=names)
                families[meta.prometheus] = family
            rows = _top(found, meta.name, self.max_series)
            dropped += sum(1 for m in found.values() if _has(m, meta.name)) - len(rows)
            for key, measure in rows:
                values = [v or "" for v in key]
                if meta.quantile:
                    values.append(meta.quantile)
                family.add_metric(values, measure.value)
        errors = self._errors(measured["tool_errors"])
        gauge = self._metric_type
        window_family = gauge(
            "earned_metrics_window_seconds",
            "the window earned's metrics cover",
            value=self.window_seconds,
        )
        dropped_family = gauge(
            "earned_metrics_series_dropped",
            "series left out to keep cardinality bounded (max_series per metric)",
            value=float(dropped),
        )
        return [*families.values(), errors, window_family, dropped_family]

    def _errors(self, measured: tuple[tuple[Dimension, ...], Measures]) -> Any:
        labels, found = measured
        family = self._metric_type(
            "earned_tool_errors",
            f"tool calls per error type over the last {format_window(self.window_seconds)}",
            labels=[*labels, "error_type"],
        )
        for key, measure in _top(found, "new_error_types", self.max_series):
            for error_type, count in measure.details.get("errors", {}).items():
                family.add_metric([*(v or "" for v in key), error_type], float(count))
        return family


def _help(meta: MetricDef, window: str) -> str:
    return f"{meta.description} over the last {window} (earned metric {meta.name})"


def _has(found: Mapping[str, Measure], name: str) -> bool:
    measure = found.get(name)
    return measure is not None and measure.value is not None


def _top(found: Measures, name: str, limit: int) -> list[tuple[GroupKey, Measure]]:
    rows = [(key, m[name]) for key, m in found.items() if _has(m, name)]
    rows.sort(key=lambda item: (-item[1].samples, tuple(v or "" for v in item[0])))
    return rows[:limit]


def prometheus_app(
    db: Database,
    *,
    window: str = "5m",
    by_tenant: bool = False,
    max_series: int = DEFAULT_MAX_SERIES,
    cache_seconds: float = DEFAULT_CACHE_SECONDS,
    clock: Callable[[], float] = time.time,
) -> ASGIApp:
    """An ASGI app serving earned's metrics in the Prometheus text format (any path).

    The database queries run in a worker thread, so a scrape never blocks the event loop.
    """
    client = _prometheus()
    reader = MetricsReader(db, clock=clock)
    registry = client.CollectorRegistry(auto_describe=False)
    registry.register(
        MetricsCollector(
            reader,
            window=window,
            by_tenant=by_tenant,
            max_series=max_series,
            cache_seconds=cache_seconds,
        )
    )
    registry.register(BreakerCollector(db))
    choose_encoder = client.exposition.choose_encoder

    async def app(scope: Mapping[str, Any], receive: Callable[..., Any], send: Callable[..., Any]):
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        encoder, content_type = choose_encoder(headers.get("accept", ""))
        body: bytes = await asyncio.to_thread(encoder, registry)
        out = [(b"content-type", content_type.encode())]
        if "gzip" in headers.get("accept-encoding", ""):
            body = gzip.compress(body)
            out.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": body})

    return app


async def _lifespan(receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
