"""Training route-query's tier classifier with scikit-learn: build time only (``make models``).

``fit`` is the model; ``artifact`` turns it into the JSON ``classifier.TierClassifier``
reads. The choices (n-gram ranges, ``C``, the solver) are the ones
``bench/route_query/evaluate.py``'s measurement supports. Training takes a few hundred
milliseconds on one core and is deterministic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion
from threadpoolctl import threadpool_limits  # a dependency of scikit-learn's own

from localfn import artifacts
from localfn.functions.route_query.classifier import Example
from localfn.functions.route_query.models import TIERS
from localfn.tfidf import Tfidf

__all__ = ["artifact", "fit", "train"]

SEED = 0  # newton-cg draws no random numbers; pinned so a change of solver stays reproducible


def fit(examples: Sequence[Example]) -> tuple[FeatureUnion, LogisticRegression]:
    """The fitted features and model: scikit-learn's own, which the shipped artifact must reproduce."""
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            # char_wb n-grams stay inside words: they catch inflections and typos ("proove", "optimise")
            # that word features miss on a data set this small. Seen once only, they are noise.
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)),
        ]
    )
    # newton-cg converges in ~5 iterations here, where lbfgs needs ~30.
    model = LogisticRegression(C=10.0, solver="newton-cg", max_iter=1000, random_state=SEED)
    # The problem is small: BLAS threads only contend with each other for the cores; one
    # thread trains it twice as fast on a busy machine.
    with threadpool_limits(1):
        model.fit(features.fit_transform([example.query for example in examples]), [example.tier for example in examples])
    return features, model


def artifact(features: FeatureUnion, model: LogisticRegression, examples: Sequence[Example]) -> dict[str, Any]:
    """The fitted model as ``TierClassifier`` reads it, tiers in ``TIERS`` order (scikit-learn's are alphabetical)."""
    order = [list(model.classes_).index(tier) for tier in TIERS]
    parts = {name: Tfidf.from_sklearn(vectorizer) for name, vectorizer in features.transformer_list}
    weights: dict[str, list[str]] = {}
    start = 0
    for name, part in parts.items():  # FeatureUnion stacks the parts' columns in this order
        end = start + len(part.vocabulary)
        weights[name] = [artifacts.pack(model.coef_[row, start:end]) for row in order]
        start = end
    return {
        "format": artifacts.FORMAT,
        "model": "route-query tier classifier: TF-IDF (word and char_wb n-grams), multinomial logistic regression",
        "trained_with": f"scikit-learn {sklearn.__version__}",
        "data_sha256": artifacts.fingerprint([dataclasses.asdict(example) for example in examples]),
        "tiers": list(TIERS),
        "intercepts": [float(model.intercept_[row]) for row in order],
        "parts": {name: part.to_json() for name, part in parts.items()},
        "weights": weights,
    }


def train(examples: Sequence[Example]) -> dict[str, Any]:
    return artifact(*fit(examples), examples)
