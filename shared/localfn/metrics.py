"""Prometheus metrics, one registry per runtime (no process-global state for tests to reset)."""

from __future__ import annotations

from typing import TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Model calls take from tens of milliseconds (cache, tiny models) to minutes (cold loads on CPU).
_Metric = TypeVar("_Metric", bound=MetricWrapperBase)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320)


class Metrics:
    """Every series localfn exports; each process renders its own at GET /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._series: dict[tuple[MetricWrapperBase, tuple[str, ...]], MetricWrapperBase] = {}
        r = self.registry
        self.requests = Counter(
            "localfn_requests",
            "Requests handled, by function, HTTP status and mode (json or cloudevent).",
            ["function", "status", "mode"],
            registry=r,
        )
        self.latency = Histogram(
            "localfn_request_seconds",
            "Time to answer a request, by function.",
            ["function"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge("localfn_in_flight", "Requests being handled now.", ["function"], registry=r)
        self.reused = Counter(
            "localfn_reused",
            "Answers given without a new engine call: cache hit, coalesced or redelivered event.",
            ["function", "kind"],
            registry=r,
        )
        self.engine_calls = Counter(
            "localfn_engine_calls",
            "Engine calls by backend, model and outcome (ok or the error's slug).",
            ["backend", "model", "outcome"],
            registry=r,
        )
        self.engine_latency = Histogram(
            "localfn_engine_seconds",
            "Engine call time by backend.",
            ["backend"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "localfn_tokens",
            "Tokens through the engines, by backend, model and direction (prompt or completion).",
            ["backend", "model", "direction"],
            registry=r,
        )
        # Gauges an autoscaler reads (KEDA, in the chart): demand names the engine a request wants
        # first even while it is down or has no pods, so a pool scaled to zero shows what should wake it.
        self.engine_demand = Gauge(
            "localfn_engine_demand",
            "Engine requests under way whose pool order starts with this backend, whichever backend serves them.",
            ["backend"],
            registry=r,
        )
        self.engine_in_flight = Gauge(
            "localfn_engine_in_flight",
            "Engine calls under way on this backend.",
            ["backend"],
            registry=r,
        )
        self.failovers = Counter(
            "localfn_engine_failovers",
            "Times a backend failed and the next one in the pool was tried.",
            ["backend", "reason"],
            registry=r,
        )
        self.state_errors = Counter(
            "localfn_state_errors",
            "Shared-state (Redis) operations that failed or timed out; the request went on with this process's own state.",
            ["op", "reason"],
            registry=r,
        )
        self.repairs = Counter(
            "localfn_structured_repairs",
            "Re-asks after a reply broke its JSON Schema.",
            [],
            registry=r,
        )

    def series(self, metric: _Metric, *labels: str) -> _Metric:
        """``metric.labels(*labels)``, looked up once per label set.

        prometheus-client checks the values and takes a lock on every ``labels()`` call (about
        1 µs; a request makes nine), where a dict lookup is a tenth of that (bench: overhead).
        """
        key = (metric, labels)
        child = self._series.get(key)
        if child is None:
            child = self._series[key] = metric.labels(*labels)
        return child  # type: ignore[return-value]  # the dict holds what labels() returned for this metric

    def render(self) -> bytes:
        return generate_latest(self.registry)
