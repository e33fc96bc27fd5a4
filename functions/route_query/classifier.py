"""The tier classifier: TF-IDF over word and character n-grams, then a multinomial logistic regression.

It is trained when the capability starts, from ``assets/routing/queries.jsonl`` (the labelling
rules are in ``LABELLING.md`` beside it), so the model is always the one its data makes and no
binary artifact is shipped. Training takes a few hundred milliseconds on one core and is
deterministic. ``bench/route_query/evaluate.py`` measures it on a held-out split; the choices
below (n-gram ranges, ``C``, the solver) are the ones that measurement supports.
"""

from __future__ import annotations

import json
import string
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn's own

from localfn.functions.route_query.models import TIERS, Tier

__all__ = ["Example", "Scores", "TierClassifier", "load_examples"]

SEED = 0  # newton-cg draws no random numbers; pinned so a change of solver stays reproducible


@dataclass(frozen=True)
class Example:
    query: str
    tier: Tier
    domain: str


def load_examples() -> list[Example]:
    """The labelled queries shipped in ``localfn.assets``."""
    text = resources.files("localfn.assets").joinpath("routing", "queries.jsonl").read_text(encoding="utf-8")
    return [Example(**json.loads(line)) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Scores:
    """One query's probability per tier, and per tier the terms that pushed towards it most."""

    probabilities: dict[Tier, float]
    features: dict[Tier, list[tuple[str, float]]]


class TierClassifier:
    def __init__(self, features: FeatureUnion, model: LogisticRegression) -> None:
        self._features = features
        self._model = model
        self._names = features.get_feature_names_out()
        # Columns of predict_proba follow model.classes_ (alphabetical); reorder them cheapest first.
        self._order = [list(model.classes_).index(tier) for tier in TIERS]
        coef = model.coef_[self._order]
        # A softmax is unchanged by adding one vector to every class's weights, so a feature's
        # push towards a tier is its weight there minus its mean weight over all tiers.
        self._push = coef - coef.mean(axis=0)

    @classmethod
    def train(cls, examples: Sequence[Example]) -> TierClassifier:
        features = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            # char_wb n-grams stay inside words: they catch inflections and typos ("proove", "optimise")
            # that word features miss on a data set this small. Seen once only, they are noise.
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)),
        ])
        # newton-cg converges in ~5 iterations here, where lbfgs needs ~30.
        model = LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000, random_state=SEED)
        # The problem is small: BLAS threads only contend with each other (and the server) for
        # the cores; one thread trains it twice as fast on a busy machine.
        with threadpool_limits(1):
            model.fit(features.fit_transform([example.query for example in examples]), [example.tier for example in examples])
        return cls(features, model)

    def probabilities(self, queries: Sequence[str]) -> np.ndarray:
        """One row per query: P(simple), P(moderate), P(complex)."""
        return self._model.predict_proba(self._features.transform(list(queries)))[:, self._order]

    def score(self, query: str, *, top: int = 5) -> Scores:
        row = csr_matrix(self._features.transform([query]))
        probabilities = self._model.predict_proba(row)[0, self._order]
        owners = self._gram_owners(query)
        return Scores(
            probabilities={tier: float(p) for tier, p in zip(TIERS, probabilities, strict=True)},
            features={tier: self._top_terms(row, owners, index, top) for index, tier in enumerate(TIERS)},
        )

    def _gram_owners(self, query: str) -> dict[str, Counter[str]]:
        """For each character n-gram of the query, the words it occurs in and how often."""
        analyze = self._features.named_transformers["char"].build_analyzer()
        owners: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for word in query.split():  # char_wb cuts at white space too, so each n-gram has its words
            term = word.lower().strip(string.punctuation) or word.lower()
            for gram in analyze(word):
                owners[gram][term] += 1
        return owners

    def _top_terms(self, row: csr_matrix, owners: dict[str, Counter[str]], tier_index: int, top: int) -> list[tuple[str, float]]:
        """The query's words and word pairs that pushed most towards one tier, with their push.

        A character n-gram's push is shared among the words that contain it, in proportion to
        how often, so every term reported is the query's own text.
        """
        terms: defaultdict[str, float] = defaultdict(float)
        for column, value in zip(row.indices, row.data, strict=True):
            push = float(value * self._push[tier_index, column])
            kind, _, gram = str(self._names[column]).partition("__")
            if kind == "word":
                terms[gram] += push
                continue
            total = sum(owners[gram].values())
            for term, count in owners[gram].items():
                terms[term] += push * count / total
        ranked = sorted(((term, push) for term, push in terms.items() if push > 0), key=lambda item: -item[1])
        return [(term, round(push, 4)) for term, push in ranked[:top]]
