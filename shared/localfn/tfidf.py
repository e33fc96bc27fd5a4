"""TF-IDF vectors in pure Python: what a fitted scikit-learn ``TfidfVectorizer`` computes for a text.

The functions that rank text with TF-IDF (route-query's classifier, generate-badge's icons)
fit scikit-learn at build time and ship the fitted vocabulary as JSON (``artifacts.py``);
serving reads it with this module, so a cold start imports neither scikit-learn, scipy nor
numpy. The rules reproduced, those of scikit-learn 1.x for the settings below:

- text is lowercased when ``lowercase`` (no accent stripping, no custom preprocessor);
- ``word``: tokens are the ``token_pattern`` matches (its one group, if it has one), stop
  words are dropped, then the n-grams of ``ngram_range`` are joined by a space;
- ``char_wb``: each white-space-separated word is padded with one space either side and
  cut into the character n-grams of ``ngram_range``; a padded word shorter than n counts
  once, as itself, and ends that word's n-grams;
- a term's weight is its count in the text (``1 + ln count`` when ``sublinear_tf``) times
  its idf; terms outside the vocabulary are dropped; the vector is scaled to length 1.

``from_sklearn`` refuses a vectorizer with any other setting, so what ships is what
scikit-learn fitted; tests/unit/functions/test_shipped_models.py compares both on every example.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from localfn.artifacts import pack, unpack

__all__ = ["Tfidf"]

Analyzer = Literal["word", "char_wb"]
# The TfidfVectorizer parameters this module reproduces, with the values it can reproduce;
# None: any value (read into the Tfidf); the rest only change how the vocabulary was fitted.
_REPRODUCED: dict[str, tuple[object, ...] | None] = {
    "analyzer": ("word", "char_wb"),
    "ngram_range": None,
    "lowercase": None,
    "token_pattern": None,
    "stop_words": None,
    "sublinear_tf": None,
    "norm": ("l2",),
    "use_idf": (True,),
    "binary": (False,),
    "strip_accents": (None,),
    "preprocessor": (None,),
    "tokenizer": (None,),
    "input": ("content",),
}
_FITTING_ONLY = {"min_df", "max_df", "max_features", "vocabulary", "smooth_idf", "dtype", "encoding", "decode_error"}


def _reproduced(name: str, value: object) -> bool:
    if name not in _REPRODUCED:
        return False
    values = _REPRODUCED[name]
    return values is None or value in values


@dataclass(frozen=True)
class Tfidf:
    """A fitted vocabulary (each term's column, and per column its idf) and the settings that cut text into terms."""

    analyzer: Analyzer
    ngram_range: tuple[int, int]
    lowercase: bool
    token_pattern: str
    stop_words: frozenset[str]
    sublinear_tf: bool
    vocabulary: dict[str, int]
    idf: Sequence[float]
    _tokens: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tokens", re.compile(self.token_pattern))

    @classmethod
    def from_sklearn(cls, vectorizer: Any) -> Tfidf:
        """The fitted ``TfidfVectorizer``'s vocabulary and settings; ValueError for settings not reproduced."""
        params = vectorizer.get_params()
        unsupported = sorted(
            f"{name}={value!r}" for name, value in params.items() if name not in _FITTING_ONLY and not _reproduced(name, value)
        )
        if unsupported:
            allowed = ", ".join(f"{name} in {values}" for name, values in _REPRODUCED.items() if values is not None)
            raise ValueError(
                f"localfn.tfidf cannot reproduce TfidfVectorizer({', '.join(unsupported)}): "
                f"fit with {allowed}, or teach localfn.tfidf the setting"
            )
        stop_words = vectorizer.get_stop_words() or frozenset()
        return cls(
            analyzer=params["analyzer"],
            ngram_range=tuple(params["ngram_range"]),
            lowercase=params["lowercase"],
            token_pattern=params["token_pattern"],
            stop_words=frozenset(stop_words),
            sublinear_tf=params["sublinear_tf"],
            vocabulary={term: int(column) for term, column in vectorizer.vocabulary_.items()},
            idf=[float(idf) for idf in vectorizer.idf_],
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tfidf:
        low, high = data["ngram_range"]
        return cls(
            analyzer=data["analyzer"],
            ngram_range=(low, high),
            lowercase=data["lowercase"],
            token_pattern=data["token_pattern"],
            stop_words=frozenset(data["stop_words"]),
            sublinear_tf=data["sublinear_tf"],
            vocabulary={term: column for column, term in enumerate(data["terms"])},
            idf=unpack(data["idf"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "lowercase": self.lowercase,
            "token_pattern": self.token_pattern,
            "stop_words": sorted(self.stop_words),
            "sublinear_tf": self.sublinear_tf,
            "terms": self.terms(),
            "idf": pack(self.idf),
        }

    def terms(self) -> list[str]:
        """The vocabulary in column order."""
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)

    def analyze(self, text: str) -> list[str]:
        """The text's terms, repeated as often as they occur, whether in the vocabulary or not."""
        if self.lowercase:
            text = text.lower()
        if self.analyzer == "char_wb":
            return [gram for word in text.split() for gram in self._char_grams(f" {word} ")]
        tokens = [token for token in self._tokens.findall(text) if token not in self.stop_words]
        low, high = self.ngram_range
        return [" ".join(tokens[i : i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]

    def _char_grams(self, padded: str) -> list[str]:
        low, high = self.ngram_range
        grams = []
        for n in range(low, high + 1):
            grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:  # scikit-learn counts a short word once, then stops
                break
        return grams

    def transform(self, text: str) -> dict[str, float]:
        """The text's TF-IDF vector as {term: weight}, of length 1 (empty when no term is known)."""
        counts = Counter(term for term in self.analyze(text) if term in self.vocabulary)
        weights = {
            term: ((1.0 + math.log(count)) if self.sublinear_tf else float(count)) * self.idf[self.vocabulary[term]]
            for term, count in counts.items()
        }
        norm = math.sqrt(sum(weight * weight for weight in weights.values()))
        return {term: weight / norm for term, weight in weights.items()} if norm else {}
