"""route-query's statistics: Prometheus series on the runtime's registry, and the same as JSON.

The series are the only record: ``GET /route-query/stats`` reads them back, so the JSON and
``/metrics`` cannot disagree. Both are per process; across pods, sum the series in
Prometheus (the README gives the queries).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import get_args

from prometheus_client import Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase

from localfn.functions.route_query.cost import Spend, usd
from localfn.functions.route_query.models import TIERS, RoutePath, RouteStats, Tier
from localfn.functions.route_query.paths import Answer
from localfn.metrics import Metrics

__all__ = ["Outcome", "RouteMetrics"]

# End to end, from a cache hit (milliseconds) to a hybrid answer on a slow cloud (minutes).
_SECONDS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320)


@dataclass(frozen=True)
class Outcome:
    """One answered query, as counted."""

    tier: Tier
    answer: Answer
    seconds: float
    cost_usd: float
    cloud_only_usd: float


class RouteMetrics:
    def __init__(self, metrics: Metrics) -> None:
        registry = metrics.registry
        self._reused = metrics.reused
        self.queries = Counter(
            "localfn_route_queries", "Queries routed, by tier, the path that answered, and whether it was degraded.",
            ["tier", "path", "degraded"], registry=registry,
        )
        self.degraded = Counter(
            "localfn_route_degraded", "Cloud tiers answered locally, by reason (no-cloud, cloud-cooling-down, error slug).",
            ["reason"], registry=registry,
        )
        self.seconds = Histogram(
            "localfn_route_seconds", "Time to answer a routed query, by path.",
            ["path"], buckets=_SECONDS_BUCKETS, registry=registry,
        )
        self.tokens = Counter(
            "localfn_route_tokens", "Tokens spent answering routed queries, by side (local or cloud) and direction.",
            ["side", "direction"], registry=registry,
        )
        self.cost = Counter(
            "localfn_route_cost_usd", "Estimated cost of routed queries at the configured prices, by path.",
            ["path"], registry=registry,
        )
        self.cloud_only = Counter(
            "localfn_route_cloud_only_cost_usd",
            "Estimated cost of the same queries sent whole to the cloud model, by path; minus cost_usd: the saving.",
            ["path"], registry=registry,
        )

    def record(self, outcome: Outcome) -> None:
        answer = outcome.answer
        degraded = answer.degraded_reason is not None
        self.queries.labels(outcome.tier, answer.path, str(degraded).lower()).inc()
        if answer.degraded_reason is not None:
            self.degraded.labels(answer.degraded_reason).inc()
        self.seconds.labels(answer.path).observe(outcome.seconds)
        self._count_tokens(answer.spend)
        self.cost.labels(answer.path).inc(outcome.cost_usd)
        self.cloud_only.labels(answer.path).inc(outcome.cloud_only_usd)

    def snapshot(self) -> RouteStats:
        queries = _totals(self.queries)
        counts, seconds = _totals(self.seconds, "_count"), _totals(self.seconds, "_sum")
        tokens = _totals(self.tokens)
        cost, cloud_only = sum(_totals(self.cost).values()), sum(_totals(self.cloud_only).values())
        return RouteStats.model_validate({
            "queries": sum(queries.values()),
            "tiers": {tier: sum(n for (t, _, _), n in queries.items() if t == tier) for tier in TIERS},
            "paths": {
                path: {"count": counts[(path,)], "mean_latency_ms": round(1000 * seconds[(path,)] / max(counts[(path,)], 1), 1)}
                for path in get_args(RoutePath)
            },
            "degraded": sum(n for (_, _, degraded), n in queries.items() if degraded == "true"),
            "degraded_reasons": {reason: n for (reason,), n in _totals(self.degraded).items()},
            "cache_hits": sum(n for (function, _), n in _totals(self._reused).items() if function == "route-query"),
            "tokens": {side: {d: tokens[(side, d)] for d in ("prompt", "completion")} for side in ("local", "cloud")},
            "estimated_cost_usd": usd(cost),
            "estimated_cloud_only_cost_usd": usd(cloud_only),
            "estimated_saving_usd": usd(cloud_only - cost),
        })

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
