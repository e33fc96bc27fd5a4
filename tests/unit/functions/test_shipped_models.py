"""The models the functions ship (``make models``): up to date with their data, and scikit-learn's answers.

Serving reads assets/routing/classifier.json and assets/icons/tfidf.json in pure Python
(``localfn.tfidf``); these tests fit the same models with scikit-learn and compare, on every
labelled query and every icon, the probabilities and similarities (within 1e-9) and the
decisions made from them (the most probable tier, the icon ranking).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from bench.route_query.evaluate import held_out_split
from localfn import artifacts
from localfn.functions.generate_badge import icon_training, stop_words
from localfn.functions.generate_badge.icons import ARTIFACT as ICONS_ARTIFACT
from localfn.functions.generate_badge.icons import IconMatcher, document, load_icons, subject
from localfn.functions.route_query import training
from localfn.functions.route_query.classifier import ARTIFACT as CLASSIFIER_ARTIFACT
from localfn.functions.route_query.classifier import Example, TierClassifier, load_examples
from localfn.functions.route_query.models import TIERS
from localfn.tfidf import Tfidf
from tests.unit.functions.route_query.test_classifier import QUERIES

COURSES = Path(__file__).parents[2] / "fixtures" / "courses"
TOLERANCE = 1e-9


def test_the_shipped_classifier_was_trained_on_the_shipped_queries() -> None:
    examples = [dataclasses.asdict(example) for example in load_examples()]
    shipped = artifacts.load(*CLASSIFIER_ARTIFACT)["data_sha256"]
    assert shipped == artifacts.fingerprint(examples), "assets/routing/queries.jsonl changed: run `make models`"


def test_the_shipped_icon_vectorizer_was_fitted_on_the_shipped_icons() -> None:
    documents = [document(icon) for icon in load_icons()]
    shipped = artifacts.load(*ICONS_ARTIFACT)["data_sha256"]
    assert shipped == artifacts.fingerprint(documents), "assets/icons/icons.json changed: run `make models`"


def assert_same_answers(classifier: TierClassifier, examples: list[Example], queries: list[str]) -> None:
    """The classifier's probabilities are those of scikit-learn's model fitted on ``examples``."""
    features, model = training.fit(examples)
    expected = model.predict_proba(features.transform(queries))[:, [list(model.classes_).index(t) for t in TIERS]]
    got = np.array([list(classifier.probabilities(query).values()) for query in queries])
    assert np.abs(got - expected).max() <= TOLERANCE
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert [classifier.score(query).probabilities for query in queries] == [classifier.probabilities(q) for q in queries]


def test_the_shipped_classifier_answers_as_scikit_learn_on_every_query() -> None:
    examples = load_examples()
    assert_same_answers(TierClassifier.load(), examples, [example.query for example in examples] + QUERIES)


def test_a_classifier_trained_on_the_evaluation_split_answers_as_scikit_learn() -> None:
    # bench/route_query/evaluate.py trains on 80 % and scores the rest with the pure-Python classifier.
    train, test = held_out_split(load_examples())
    assert_same_answers(TierClassifier(training.train(train)), train, [example.query for example in test])


def ranking(similarities: list[float], names: list[str]) -> list[str]:
    """Icons sharing a term with the text, most similar first, ties by name.

    Rounded to 12 places first: sums taken in another order may differ in the last bits,
    which must not turn a tie into an order.
    """
    ranked = sorted(zip(similarities, names, strict=True), key=lambda pair: (-round(pair[0], 12), pair[1]))
    return [name for similarity, name in ranked if similarity > 0]


def test_the_shipped_icon_matcher_answers_as_scikit_learn_on_every_icon_and_course() -> None:
    icons = load_icons()
    documents = [document(icon) for icon in icons]
    # Each icon's own text and name, and every course text the tests send to generate-badge.
    texts = [
        *documents,
        *(icon.name for icon in icons),
        *(p.read_text() for p in sorted(COURSES.glob("*.txt"))),
        "Certificate in financial accounting: certification course on ledgers and balance sheets",
        "zzzz qqqq",
        "Python for beginners.",
        "Course number 1: " + "testing " * 40,
    ]
    vectorizer = icon_training.fit(icons)
    matrix = vectorizer.transform(documents)
    matcher = IconMatcher.from_library()
    names = [icon.name for icon in icons]
    for text in texts:
        # The matcher drops credential words first (``subject``): scikit-learn gets the same text.
        expected = linear_kernel(vectorizer.transform([subject(text)]), matrix)[0]
        got = matcher.similarities(text)
        assert np.abs(np.array(got) - expected).max() <= TOLERANCE, text
        assert ranking(got, names) == ranking(list(expected), names), text


@pytest.mark.parametrize(
    ("vectorizer", "setting"),
    [
        (TfidfVectorizer(strip_accents="unicode"), "strip_accents='unicode'"),
        (TfidfVectorizer(norm="l1"), "norm='l1'"),
        (TfidfVectorizer(analyzer="char"), "analyzer='char'"),
        (TfidfVectorizer(binary=True), "binary=True"),
    ],
)
def test_a_vectorizer_with_a_setting_tfidf_does_not_reproduce_is_refused(vectorizer: TfidfVectorizer, setting: str) -> None:
    vectorizer.fit(["a first text", "and another one"])
    with pytest.raises(ValueError, match=f"cannot reproduce TfidfVectorizer\\({setting}\\)"):
        Tfidf.from_sklearn(vectorizer)


def test_the_stop_words_generate_badge_ships_are_scikit_learns() -> None:
    assert stop_words.ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS
