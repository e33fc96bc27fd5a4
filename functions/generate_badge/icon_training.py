"""Fitting generate-badge's icon vectoriser with scikit-learn: build time only (``make models``).

``fit`` is the vectoriser; ``train`` turns it into the JSON ``icons.IconMatcher`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

from localfn import artifacts
from localfn.functions.generate_badge.icons import Icon, document
from localfn.tfidf import Tfidf

__all__ = ["fit", "train"]


def fit(icons: Sequence[Icon]) -> TfidfVectorizer:
    """The vectoriser fitted on the icons' documents: scikit-learn's own, which the shipped artifact must reproduce."""
    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
    return vectorizer.fit([document(icon) for icon in icons])


def train(icons: Sequence[Icon]) -> dict[str, Any]:
    """The vectoriser and the icons' vectors, as ``icons.IconMatcher.from_library`` reads them."""
    documents = [document(icon) for icon in icons]
    vectorizer = fit(icons)
    matrix = vectorizer.transform(documents)  # CSR, each row of length 1, columns sorted
    return {
        "format": artifacts.FORMAT,
        "model": "generate-badge icon matching: TF-IDF (word n-grams) over each icon's document",
        "trained_with": f"scikit-learn {sklearn.__version__}",
        "data_sha256": artifacts.fingerprint(documents),
        "vectorizer": Tfidf.from_sklearn(vectorizer).to_json(),
        "icons": [icon.name for icon in icons],
        "vectors": {
            "indptr": [int(offset) for offset in matrix.indptr],
            "columns": [int(column) for column in matrix.indices],
            "weights": artifacts.pack(matrix.data),
        },
    }
