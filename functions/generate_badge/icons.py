"""Icon suggestion: TF-IDF similarity between a course and the icon library's metadata.

The vectoriser is fitted once, on the library (assets/icons/icons.json: keywords, description,
category of each Tabler icon), when the capability starts. Scores are deterministic: the
same text always gives the same icons, ties broken by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

__all__ = ["Icon", "IconMatcher", "Match"]

# Words that describe any credential, not a subject: left in, they pull every course
# towards the certificate and medal icons.
_CREDENTIAL_WORDS = re.compile(
    r"\b(?:certificat\w*|certif\w*|badges?|credentials?|diplomas?|awards?|achievements?|completion|courses?)\b",
    re.IGNORECASE,
)
# Achievement icons (trophies, medals) fit every badge a little, so they only win when the
# course is about them (a prize, a competition).
_CATEGORY_WEIGHT = {"achievement": 0.5}
# When nothing in the library shares a word with the course: neutral education symbols.
_FALLBACK = ("school", "books", "award")


@dataclass(frozen=True)
class Icon:
    name: str
    file: str  # relative to assets/icons, e.g. "svg/code.svg"
    category: str
    keywords: tuple[str, ...]
    description: str

    def svg(self) -> str:
        return resources.files("localfn.assets").joinpath("icons", self.file).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Match:
    icon: Icon
    score: float


class IconMatcher:
    def __init__(self, icons: Sequence[Icon]) -> None:
        self.icons = tuple(icons)
        self._by_name = {icon.name: icon for icon in self.icons}
        self._vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
        documents = [
            " ".join([icon.name.replace("-", " "), *icon.keywords, icon.description, icon.category])
            for icon in self.icons
        ]
        self._matrix = self._vectorizer.fit_transform(documents)
        self._weights = [_CATEGORY_WEIGHT.get(icon.category, 1.0) for icon in self.icons]

    @classmethod
    def from_library(cls) -> IconMatcher:
        """The matcher over the icon library localfn ships."""
        library = json.loads(
            resources.files("localfn.assets").joinpath("icons", "icons.json").read_text(encoding="utf-8")
        )
        return cls(
            [
                Icon(entry["name"], entry["file"], entry["category"], tuple(entry["keywords"]), entry["description"])
                for entry in library["icons"]
            ]
        )

    def get(self, name: str) -> Icon | None:
        return self._by_name.get(name)

    def rank(self, text: str, count: int = 3) -> list[Match]:
        """The ``count`` icons closest to ``text``, best first (the fallback icons when nothing matches)."""
        query = self._vectorizer.transform([_CREDENTIAL_WORDS.sub(" ", text)])
        similarities = linear_kernel(query, self._matrix)[0]  # rows are L2-normalised: this is the cosine
        scored = sorted(
            (
                Match(icon, round(float(similarity) * weight, 4))
                for icon, similarity, weight in zip(self.icons, similarities, self._weights, strict=True)
            ),
            key=lambda match: (-match.score, match.icon.name),
        )
        matches = [match for match in scored if match.score > 0][:count]
        fallback = (Match(self._by_name[name], 0.0) for name in _FALLBACK if name not in {m.icon.name for m in matches})
        return [*matches, *fallback][:count]
