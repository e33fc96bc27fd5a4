"""Icon suggestion: TF-IDF similarity between a course and the icon library's metadata.

The vectoriser is fitted on the library (assets/icons/icons.json: keywords, description,
category of each Tabler icon) at build time with scikit-learn (``icon_training.py``, ``make
models``) and shipped, with each icon's vector, as assets/icons/tfidf.json; the matcher
turns a course's text into a vector with it in pure Python (``localfn.tfidf``), so starting
generate-badge imports neither scikit-learn, scipy nor numpy. Scores are deterministic: the
same text always gives the same icons, ties broken by name.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from localfn import artifacts
from localfn.tfidf import Tfidf

__all__ = ["ARTIFACT", "LIBRARY", "Icon", "IconMatcher", "Match", "document", "load_icons", "subject"]

LIBRARY = ("icons", "icons.json")
ARTIFACT = ("icons", "tfidf.json")

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
        return artifacts.asset("icons", self.file).read_text(encoding="utf-8")


def load_icons() -> list[Icon]:
    """The icon library localfn ships."""
    library = json.loads(artifacts.asset(*LIBRARY).read_text(encoding="utf-8"))
    return [
        Icon(entry["name"], entry["file"], entry["category"], tuple(entry["keywords"]), entry["description"]) for entry in library["icons"]
    ]


def subject(text: str) -> str:
    """A course's text as the matcher compares it: without the words that describe any credential."""
    return _CREDENTIAL_WORDS.sub(" ", text)


def document(icon: Icon) -> str:
    """The text the vectoriser sees for an icon: its name's words, keywords, description, category."""
    return " ".join([icon.name.replace("-", " "), *icon.keywords, icon.description, icon.category])


@dataclass(frozen=True)
class Match:
    icon: Icon
    score: float


class IconMatcher:
    def __init__(self, icons: Sequence[Icon], tfidf: Tfidf, vectors: Sequence[dict[int, float]]) -> None:
        """``vectors``: each icon's TF-IDF vector (of its ``document``) as {column: weight}, of length 1."""
        self.icons = tuple(icons)
        self._by_name = {icon.name: icon for icon in self.icons}
        self._tfidf = tfidf
        self._vectors = list(vectors)
        self._weights = [_CATEGORY_WEIGHT.get(icon.category, 1.0) for icon in self.icons]

    @classmethod
    def from_library(cls) -> IconMatcher:
        """The matcher over the icon library localfn ships, with its shipped vectoriser and icon vectors.

        The artifact's ``vectors`` are scikit-learn's matrix of the icons' documents, by rows
        (CSR: ``indptr``, ``columns``, packed ``weights``), in the order of its ``icons``.
        """
        artifact = artifacts.load(*ARTIFACT)
        icons = load_icons()
        if [icon.name for icon in icons] != artifact["icons"]:
            raise ValueError(f"assets/{'/'.join(ARTIFACT)} was fitted on other icons than assets/{'/'.join(LIBRARY)}: run `make models`")
        stored = artifact["vectors"]
        rows, columns, weights = stored["indptr"], stored["columns"], artifacts.unpack(stored["weights"])
        vectors = [dict(zip(columns[start:end], weights[start:end], strict=True)) for start, end in itertools.pairwise(rows)]
        return cls(icons, Tfidf.from_json(artifact["vectorizer"]), vectors)

    def get(self, name: str) -> Icon | None:
        return self._by_name.get(name)

    def rank(self, text: str, count: int = 3) -> list[Match]:
        """The ``count`` icons closest to ``text``, best first (the fallback icons when nothing matches)."""
        scored = sorted(
            (
                Match(icon, round(similarity * weight, 4))
                for icon, similarity, weight in zip(self.icons, self.similarities(text), self._weights, strict=True)
            ),
            key=lambda match: (-match.score, match.icon.name),
        )
        matches = [match for match in scored if match.score > 0][:count]
        fallback = (Match(self._by_name[name], 0.0) for name in _FALLBACK if name not in {m.icon.name for m in matches})
        return [*matches, *fallback][:count]

    def similarities(self, text: str) -> list[float]:
        """The cosine similarity of ``subject(text)`` to each icon, in ``icons`` order."""
        vocabulary = self._tfidf.vocabulary
        query = [(vocabulary[term], value) for term, value in self._tfidf.transform(subject(text)).items()]
        # Both vectors have length 1: their dot product is the cosine.
        return [sum(value * vector.get(column, 0.0) for column, value in query) for vector in self._vectors]
