"""The tier classifier: TF-IDF over word and character n-grams, then a multinomial logistic regression.

It is trained at build time with scikit-learn (``training.py``, ``make models``) from
``assets/routing/queries.jsonl`` (the labelling rules are in ``LABELLING.md`` beside it)
and shipped as ``assets/routing/classifier.json``; this module scores queries with it in
pure Python (``localfn.tfidf`` for the features, then a softmax over one linear score per
tier), so starting route-query imports neither scikit-learn, scipy nor numpy.
tests/unit/functions/test_shipped_models.py checks that the shipped file is up to date with the data
and gives scikit-learn's probabilities on every example. ``bench/route_query/evaluate.py``
measures the model on a held-out split.
"""

from __future__ import annotations

import json
import math
import string
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from localfn import artifacts
from localfn.functions.route_query.models import TIERS, Tier
from localfn.tfidf import Tfidf

__all__ = ["ARTIFACT", "DATA", "Example", "Scores", "TierClassifier", "load_examples"]

DATA = ("routing", "queries.jsonl")
ARTIFACT = ("routing", "classifier.json")


@dataclass(frozen=True)
class Example:
    query: str
    tier: Tier
    domain: str


def load_examples() -> list[Example]:
    """The labelled queries shipped in ``localfn.assets``."""
    text = artifacts.asset(*DATA).read_text(encoding="utf-8")
    return [Example(**json.loads(line)) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Scores:
    """One query's probability per tier, and per tier the terms that pushed towards it most."""

    probabilities: dict[Tier, float]
    features: dict[Tier, list[tuple[str, float]]]


class TierClassifier:
    """Scores queries with a trained artifact: ``{"tiers": TIERS, "parts": {name: Tfidf JSON},
    "weights": {name: [per tier, packed: one weight per term of the part, in its order]},
    "intercepts": [one per tier]}`` (scikit-learn's ``coef_`` and ``intercept_``).

    The parts are ``word`` (word n-grams) and ``char`` (char_wb n-grams); each is scaled to
    length 1 on its own, as scikit-learn's FeatureUnion of two TfidfVectorizers does.
    """

    def __init__(self, artifact: dict[str, Any]) -> None:
        if artifact["tiers"] != list(TIERS):
            raise ValueError(f"the classifier's tiers are {artifact['tiers']}, route-query's {list(TIERS)}: run `make models`")
        self._parts = {name: Tfidf.from_json(part) for name, part in artifact["parts"].items()}
        # Per part, per tier, a weight per column of the part's vocabulary.
        self._weights = {name: [artifacts.unpack(row) for row in artifact["weights"][name]] for name in self._parts}
        self._intercepts: list[float] = artifact["intercepts"]

    @classmethod
    def load(cls) -> TierClassifier:
        """The classifier localfn ships."""
        return cls(artifacts.load(*ARTIFACT))

    def probabilities(self, query: str) -> dict[Tier, float]:
        """P(tier) for each tier, cheapest first."""
        return self._softmax(self._features(query))

    def score(self, query: str, *, top: int = 5) -> Scores:
        features = self._features(query)
        owners = self._gram_owners(query)
        return Scores(
            probabilities=self._softmax(features),
            features={tier: self._top_terms(features, owners, index, top) for index, tier in enumerate(TIERS)},
        )

    def _features(self, query: str) -> list[tuple[str, str, float]]:
        """(part, term, value) for every feature of the query the model knows."""
        return [(name, term, value) for name, part in self._parts.items() for term, value in part.transform(query).items()]

    def _softmax(self, features: list[tuple[str, str, float]]) -> dict[Tier, float]:
        logits = list(self._intercepts)
        for name, term, value in features:
            for index, weight in enumerate(self._term_weights(name, term)):
                logits[index] += value * weight
        highest = max(logits)  # subtracted before exp, as scikit-learn does, so nothing overflows
        exps = [math.exp(logit - highest) for logit in logits]
        total = sum(exps)
        return {tier: e / total for tier, e in zip(TIERS, exps, strict=True)}

    def _term_weights(self, part: str, term: str) -> list[float]:
        """A term's weight for each tier."""
        column = self._parts[part].vocabulary[term]
        return [row[column] for row in self._weights[part]]

    def _gram_owners(self, query: str) -> dict[str, Counter[str]]:
        """For each character n-gram of the query, the words it occurs in and how often."""
        owners: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for word in query.split():  # char_wb cuts at white space too, so each n-gram has its words
            term = word.lower().strip(string.punctuation) or word.lower()
            for gram in self._parts["char"].analyze(word):
                owners[gram][term] += 1
        return owners

    def _top_terms(
        self, features: list[tuple[str, str, float]], owners: dict[str, Counter[str]], tier_index: int, top: int
    ) -> list[tuple[str, float]]:
        """The query's words and word pairs that pushed most towards one tier, with their push.

        A softmax is unchanged by adding one vector to every tier's weights, so a feature's
        push towards a tier is its value times its weight there minus its mean weight over
        all tiers. A character n-gram's push is shared among the words that contain it, in
        proportion to how often, so every term reported is the query's own text.
        """
        terms: defaultdict[str, float] = defaultdict(float)
        for name, gram, value in features:
            weights = self._term_weights(name, gram)
            push = value * (weights[tier_index] - sum(weights) / len(weights))
            if name == "word":
                terms[gram] += push
                continue
            total = sum(owners[gram].values())
            for term, count in owners[gram].items():
                terms[term] += push * count / total
        ranked = sorted(((term, push) for term, push in terms.items() if push > 0), key=lambda item: -item[1])
        return [(term, round(push, 4)) for term, push in ranked[:top]]
