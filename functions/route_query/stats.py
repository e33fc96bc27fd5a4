"""route-query's statistics: Prometheus series on the runtime's registry, totals in the shared store, and JSON.

Rules:
- Every answered query is counted twice: in this process's Prometheus series (``/metrics``, as
  before) and, when ``LOCALFN_STATE_URL`` is set, in one hash of totals in the store that every
  pod of the installation adds to (``tally``: one field per series and labels).
- ``GET /route-query/stats`` answers the installation's totals (``scope: "installation"``) when
  the store answers, else this process's own series since it started (``scope: "pod"``, with the
  reason): one way to read both, so the JSON and ``/metrics`` of one pod cannot disagree.
- The totals expire ``TOTALS_TTL_S`` after the last query any pod counted: nothing grows without
  bound. Counts made while the store failed are in the pod's series only, never added later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase

from localfn.functions.route_query.cost import Spend, usd
from localfn.functions.route_query.models import TIERS, RoutePath, RouteStats, Scope, Tier
from localfn.functions.route_query.paths import Answer
from localfn.metrics import Metrics

if TYPE_CHECKING:
    from localfn.state import SharedTotals, StateClient

__all__ = ["Outcome", "RouteMetrics"]

# End to end, from a cache hit (milliseconds) to a hybrid answer on a slow cloud (minutes).
_SECONDS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320)
TOTALS_TTL_S = 30 * 24 * 3600
NO_STORE = "LOCALFN_STATE_URL is not set: this process's counts since it started"
STORE_FAILED = "the shared store did not answer: this pod's counts since it started (localfn_state_errors_total says why)"

Tally = Mapping[str, float]


@dataclass(frozen=True)
class Outcome:
    """One answered query, as counted."""

    tier: Tier
    answer: Answer
    seconds: float
    cost_usd: float
    cloud_only_usd: float


class RouteMetrics:
    def __init__(self, metrics: Metrics, state: StateClient | None = None) -> None:
        registry = metrics.registry
        self._totals: SharedTotals | None = None
        if state is not None:
            # Imported only with a store: a process without one does not import redis-py (cold start).
            from localfn.state import SharedTotals

            self._totals = SharedTotals(state, "route-query", ttl_s=TOTALS_TTL_S)
        self._reused = metrics.reused
        self.queries = Counter(
            "localfn_route_queries",
            "Queries routed, by tier, the path that answered, and whether it was degraded.",
            ["tier", "path", "degraded"],
            registry=registry,
        )
        self.degraded = Counter(
            "localfn_route_degraded",
            "Cloud tiers answered locally, by reason (no-cloud, cloud-cooling-down, error slug).",
            ["reason"],
            registry=registry,
        )
        self.seconds = Histogram(
            "localfn_route_seconds",
            "Time to answer a routed query, by path.",
            ["path"],
            buckets=_SECONDS_BUCKETS,
            registry=registry,
        )
        self.tokens = Counter(
            "localfn_route_tokens",
            "Tokens spent answering routed queries, by side (local or cloud) and direction.",
            ["side", "direction"],
            registry=registry,
        )
        self.cost = Counter(
            "localfn_route_cost_usd",
            "Estimated cost of routed queries at the configured prices, by path.",
            ["path"],
            registry=registry,
        )
        self.cloud_only = Counter(
            "localfn_route_cloud_only_cost_usd",
            "Estimated cost of the same queries sent whole to the cloud model, by path; minus cost_usd: the saving.",
            ["path"],
            registry=registry,
        )

    async def record(self, outcome: Outcome) -> None:
        answer = outcome.answer
        degraded = answer.degraded_reason is not None
        self.queries.labels(outcome.tier, answer.path, str(degraded).lower()).inc()
        if answer.degraded_reason is not None:
            self.degraded.labels(answer.degraded_reason).inc()
        self.seconds.labels(answer.path).observe(outcome.seconds)
        self._count_tokens(answer.spend)
        self.cost.labels(answer.path).inc(outcome.cost_usd)
        self.cloud_only.labels(answer.path).inc(outcome.cloud_only_usd)
        if self._totals is not None:
            # Counted in this pod's series above in any case; a failure is in localfn_state_errors_total.
            await self._totals.add(_tally(outcome))

    async def snapshot(self) -> RouteStats:
        """The installation's totals when the store answers, else this process's own."""
        if self._totals is None:
            return _stats(self._pod_tally(), "pod", NO_STORE)
        totals = await self._totals.read()
        if totals is None:
            return _stats(self._pod_tally(), "pod", STORE_FAILED)
        return _stats(totals, "installation")

    def _pod_tally(self) -> Tally:
        """This process's series, as the fields of a tally."""
        tally: dict[str, float] = {}
        for series, metric, suffix in (
            ("queries", self.queries, "_total"),
            ("degraded", self.degraded, "_total"),
            ("seconds_count", self.seconds, "_count"),
            ("seconds_sum", self.seconds, "_sum"),
            ("tokens", self.tokens, "_total"),
            ("cost", self.cost, "_total"),
            ("cloud_only", self.cloud_only, "_total"),
        ):
            tally |= {_field(series, *labels): n for labels, n in _totals(metric, suffix).items()}
        tally["cache_hits"] = sum(n for (function, _), n in _totals(self._reused).items() if function == "route-query")
        return tally

    def _count_tokens(self, spend: Spend) -> None:
        for side, usage in (("local", spend.local), ("cloud", spend.cloud)):
            self.tokens.labels(side, "prompt").inc(usage.prompt)
            self.tokens.labels(side, "completion").inc(usage.completion)


def _totals(metric: MetricWrapperBase, suffix: str = "_total") -> defaultdict[tuple[str, ...], float]:
    """A labelled series' values by label values, read from the collector (0 for series never seen)."""
    values: defaultdict[tuple[str, ...], float] = defaultdict(float)
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                values[tuple(sample.labels.values())] += sample.value
    return values


def _field(series: str, *labels: str) -> str:
    """A tally's field: the series and its label values (tiers, paths, slugs: never user input)."""
    return "|".join((series, *labels))


def _tally(outcome: Outcome) -> dict[str, float]:
    """What one answered query adds to the installation's totals, the same fields as ``_pod_tally`` (zeros left out)."""
    answer = outcome.answer
    degraded = answer.degraded_reason is not None
    amounts = {
        _field("queries", outcome.tier, answer.path, str(degraded).lower()): 1.0,
        _field("seconds_count", answer.path): 1.0,
        _field("seconds_sum", answer.path): outcome.seconds,
        _field("cost", answer.path): outcome.cost_usd,
        _field("cloud_only", answer.path): outcome.cloud_only_usd,
        "cache_hits": float(answer.cached),
    }
    if answer.degraded_reason is not None:
        amounts[_field("degraded", answer.degraded_reason)] = 1.0
    for side, usage in (("local", answer.spend.local), ("cloud", answer.spend.cloud)):
        amounts[_field("tokens", side, "prompt")] = usage.prompt
        amounts[_field("tokens", side, "completion")] = usage.completion
    return {name: amount for name, amount in amounts.items() if amount}


def _stats(tally: Tally, scope: Scope, reason: str | None = None) -> RouteStats:
    """The statistics a tally holds (0 for fields never counted)."""
    n: defaultdict[str, float] = defaultdict(float, tally)
    queries = {tuple(name.split("|")[1:]): count for name, count in tally.items() if name.startswith("queries|")}
    reasons = {name.split("|", 1)[1]: count for name, count in tally.items() if name.startswith("degraded|")}
    cost, cloud_only = (sum(n[_field(series, path)] for path in get_args(RoutePath)) for series in ("cost", "cloud_only"))
    return RouteStats.model_validate(
        {
            "scope": scope,
            "scope_reason": reason,
            "queries": sum(queries.values()),
            "tiers": {tier: sum(count for (t, _, _), count in queries.items() if t == tier) for tier in TIERS},
            "paths": {
                path: {
                    "count": n[_field("seconds_count", path)],
                    "mean_latency_ms": round(1000 * n[_field("seconds_sum", path)] / max(n[_field("seconds_count", path)], 1), 1),
                }
                for path in get_args(RoutePath)
            },
            "degraded": sum(count for (_, _, degraded), count in queries.items() if degraded == "true"),
            "degraded_reasons": reasons,
            "cache_hits": n["cache_hits"],
            "tokens": {side: {d: n[_field("tokens", side, d)] for d in ("prompt", "completion")} for side in ("local", "cloud")},
            "estimated_cost_usd": usd(cost),
            "estimated_cloud_only_cost_usd": usd(cloud_only),
            "estimated_saving_usd": usd(cloud_only - cost),
        }
    )
