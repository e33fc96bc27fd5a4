"""route-query: answer each query on the cheapest path that is good enough, and show what it saved.

A classifier trained at build time scores the query (``classifier.py``), two thresholds pick
its tier (``router.py``), and the tier's path answers (``paths.py``): simple on the local
engine, moderate by summarize's compression then the cloud model, complex on the cloud
model. Every answer carries its decision, its path, its tokens and their estimated cost
(``cost.py``); every answer is counted (``stats.py``, ``GET /stats``, ``/metrics``).
"""

from __future__ import annotations

import time

from localfn import limits
from localfn.capability import Call, Capability, ExtraRoute, Operation, RouteDoc
from localfn.functions.route_query.classifier import TierClassifier
from localfn.functions.route_query.cloud import cloud_model
from localfn.functions.route_query.cost import Prices, usd
from localfn.functions.route_query.models import (
    Feature,
    Probabilities,
    RouteQueryRequest,
    RouteQueryResponse,
    RouteStats,
    Tokens,
    TokenUsage,
)
from localfn.functions.route_query.paths import NO_CLOUD, Answer, Paths
from localfn.functions.route_query.router import Router, Thresholds
from localfn.functions.route_query.stats import Outcome, RouteMetrics
from localfn.limits import Limit
from localfn.runtime import Runtime

__all__ = ["RouteQuery"]


class RouteQuery(Capability[RouteQueryRequest, RouteQueryResponse]):
    name = "route-query"
    summary = "Answer a query on the local engine, hybrid (local summary, then a cloud model) or on a cloud model."
    request_model = RouteQueryRequest
    response_model = RouteQueryResponse
    # Not the generic result cache: it would skip the statistics and keep degraded answers after
    # the cloud is back. Simple answers have their own cache (paths.py).
    cacheable = False

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        settings = runtime.settings
        self._router = Router(TierClassifier.load(), Thresholds.from_settings(settings))
        self._paths = Paths(runtime, cloud_model(runtime)).table()
        self._prices = Prices.from_settings(settings)
        self._metrics = RouteMetrics(runtime.metrics, runtime.state)

    async def run(self, request: RouteQueryRequest) -> RouteQueryResponse:
        started = time.perf_counter()
        self._check_size(request)
        decision = self._router.route(request.query, request.force_tier)
        answer = await self._paths[decision.tier](request)
        outcome = Outcome(
            tier=decision.tier,
            answer=answer,
            seconds=time.perf_counter() - started,
            cost_usd=self._prices.cost(answer.spend),
            cloud_only_usd=self._prices.cloud_only(answer.spend),
        )
        await self._metrics.record(outcome)
        spend = answer.spend
        return RouteQueryResponse(
            tier=decision.tier,
            probabilities=Probabilities(**{tier: round(p, 4) for tier, p in decision.probabilities.items()}),
            features=[Feature(term=term, weight=weight) for term, weight in decision.features],
            reason=decision.reason + _fallback(answer),
            answer=answer.text,
            path=answer.path,
            degraded=answer.degraded_reason is not None,
            cached=answer.cached,
            model=answer.model,
            backend=answer.backend,
            latency_ms=round(outcome.seconds * 1000, 1),
            tokens=Tokens(
                local=TokenUsage(prompt=spend.local.prompt, completion=spend.local.completion),
                cloud=TokenUsage(prompt=spend.cloud.prompt, completion=spend.cloud.completion),
            ),
            estimated_cost_usd=usd(outcome.cost_usd),
            estimated_saving_usd=usd(self._prices.saving(spend)),
        )

    async def stats(self, call: Call) -> RouteStats:
        """Counts, tokens, latency, cost and saving: of every pod when the store answers, else of this process."""
        return await self._metrics.snapshot()

    extra_routes = (ExtraRoute("/stats", (Operation("GET", stats, RouteDoc(response=RouteStats)),)),)

    def _check_size(self, request: RouteQueryRequest) -> None:
        settings = self.runtime.settings
        material = sum(map(len, request.context_chunks())) + sum(len(message.content) for message in request.history or [])
        limits.check(
            Limit("query", len(request.query), settings.route_query.max_query_chars, "LOCALFN_ROUTE_QUERY__MAX_QUERY_CHARS"),
            Limit(
                "context" if request.context_chunks() else "history",
                material,
                settings.route_query.max_context_chars,
                "LOCALFN_ROUTE_QUERY__MAX_CONTEXT_CHARS",
                counted="context and history together",
            ),
            advice="send less",
        )


def _fallback(answer: Answer) -> str:
    """What the path added to the decision: a cached answer, or why the local engine stood in."""
    if answer.cached:
        return "; answered from the cache of recent simple answers"
    if answer.degraded_reason == NO_CLOUD:
        return "; no cloud model is configured (LOCALFN_CLOUD__URL), so the local engine answered"
    if answer.degraded_reason is not None:
        return f"; the cloud model was unavailable ({answer.degraded_reason}), so the local engine answered"
    return ""
