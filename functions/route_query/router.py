"""The routing decision: the classifier scores a query, two thresholds turn the scores into a tier.

The rule, with p = the classifier's probabilities and the two settings
``LOCALFN_ROUTE_QUERY__CLOUD_MIN_PROBABILITY`` (c) and ``LOCALFN_ROUTE_QUERY__COMPLEX_MIN_PROBABILITY`` (x):

1. ``force_tier``, when the request has one, is the tier.
2. Otherwise, if p(moderate) + p(complex) < c, the tier is **simple** (local engine).
3. Otherwise, if p(complex) >= x, the tier is **complex** (cloud model).
4. Otherwise the tier is **moderate** (hybrid).

The tiers are ordered, so the rule asks "how likely is it that the local model is not
enough?" before "how likely is it that even compressed context is not enough?". Raising a
threshold never sends more queries up; lowering one never sends fewer: an operator trades
cost against quality with one number each. c = 0 sends everything to the cloud, c = 1
keeps everything local.
"""

from __future__ import annotations

from dataclasses import dataclass

from localfn.functions.route_query.classifier import TierClassifier
from localfn.functions.route_query.models import Tier
from localfn.settings import Settings

__all__ = ["Decision", "Router", "Thresholds"]


@dataclass(frozen=True)
class Thresholds:
    cloud: float
    complex: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(cloud=settings.route_query.cloud_min_probability, complex=settings.route_query.complex_min_probability)

    def tier(self, probabilities: dict[Tier, float]) -> Tier:
        if probabilities["moderate"] + probabilities["complex"] < self.cloud:
            return "simple"
        return "complex" if probabilities["complex"] >= self.complex else "moderate"

    def explain(self, probabilities: dict[Tier, float]) -> str:
        """The rule's steps as they applied to these probabilities."""
        above = probabilities["moderate"] + probabilities["complex"]
        if above < self.cloud:
            return f"P(moderate or complex) = {above:.2f} < {self.cloud:.2f} (LOCALFN_ROUTE_QUERY__CLOUD_MIN_PROBABILITY)"
        comparison = ">=" if probabilities["complex"] >= self.complex else "<"
        return (
            f"P(moderate or complex) = {above:.2f} >= {self.cloud:.2f} (LOCALFN_ROUTE_QUERY__CLOUD_MIN_PROBABILITY), "
            f"P(complex) = {probabilities['complex']:.2f} {comparison} {self.complex:.2f} (LOCALFN_ROUTE_QUERY__COMPLEX_MIN_PROBABILITY)"
        )


@dataclass(frozen=True)
class Decision:
    tier: Tier
    probabilities: dict[Tier, float]
    features: list[tuple[str, float]]  # the terms that pushed most towards ``tier``
    reason: str


class Router:
    """Scores a query with the classifier and applies the thresholds."""

    def __init__(self, classifier: TierClassifier, thresholds: Thresholds) -> None:
        self._classifier = classifier
        self._thresholds = thresholds

    def route(self, query: str, force_tier: Tier | None = None) -> Decision:
        scores = self._classifier.score(query)
        decided = self._thresholds.tier(scores.probabilities)
        rule = self._thresholds.explain(scores.probabilities)
        if force_tier is None:
            tier, reason = decided, f"{decided}: {rule}"
        else:
            tier, reason = force_tier, f"{force_tier}: forced by force_tier (the classifier said {decided}: {rule})"
        terms = scores.features[tier]
        if terms:
            reason += "; driven most by " + ", ".join(f"'{term}'" for term, _ in terms[:3])
        return Decision(tier, scores.probabilities, terms, reason)
