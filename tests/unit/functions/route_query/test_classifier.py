"""route-query's classifier and decision rule: deterministic, probabilities, explanations, thresholds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.route_query.evaluate import held_out_split, most_probable, trained
from localfn import artifacts
from localfn.functions.route_query import training
from localfn.functions.route_query.classifier import TierClassifier, load_examples
from localfn.functions.route_query.models import TIERS, Tier
from localfn.functions.route_query.router import Router, Thresholds

QUERIES = [
    "how do i reset my password",
    "prove sqrt(3) is irrational",
    "Compare mitosis and meiosis in a table.",
    "Design the database schema and REST API for a course platform with users, courses and quizzes.",
    "Optimise my proove of the theorem!!",
    "ok",
    "¿Cómo cambio el idioma de la plataforma?",
    "x" * 3000,
]


@pytest.fixture(scope="module")
def classifier() -> TierClassifier:
    return TierClassifier.load()


def test_the_data_set_has_every_tier_and_over_400_queries() -> None:
    examples = load_examples()
    assert len(examples) >= 400
    assert {example.tier for example in examples} == set(TIERS)


def test_training_is_deterministic() -> None:
    examples = load_examples()
    assert artifacts.dump(training.train(examples)) == artifacts.dump(training.train(examples))


@pytest.mark.parametrize("query", QUERIES)
def test_probabilities_are_one_per_tier_and_sum_to_one(classifier: TierClassifier, query: str) -> None:
    probabilities = classifier.score(query).probabilities
    assert list(probabilities) == list(TIERS)
    assert all(0 <= p <= 1 for p in probabilities.values())
    assert sum(probabilities.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("query", QUERIES)
def test_top_features_are_words_of_the_query_that_pushed_towards_the_tier(classifier: TierClassifier, query: str) -> None:
    for tier, terms in classifier.score(query).features.items():
        assert len(terms) <= 5
        weights = [weight for _, weight in terms]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights), tier
        for term, _ in terms:
            assert all(word in query.lower() for word in term.split()), (tier, term)


def test_the_labelling_rules_own_examples_are_routed_as_labelled(classifier: TierClassifier) -> None:
    router = Router(classifier, Thresholds(cloud=0.5, complex=0.5))
    assert router.route("how do i reset my password").tier == "simple"
    assert router.route("Compare mitosis and meiosis in a table.").tier == "moderate"
    assert router.route("prove sqrt(3) is irrational").tier == "complex"


def test_held_out_accuracy_stays_well_above_chance() -> None:
    # The recorded figure is about 0.8 (bench/route_query/results); a third is chance.
    train, test = held_out_split(load_examples())
    model = trained(train)
    right = sum(most_probable(model, e.query) == e.tier for e in test)
    assert right / len(test) >= 0.7


def test_a_decision_explains_itself(classifier: TierClassifier) -> None:
    decision = Router(classifier, Thresholds(cloud=0.5, complex=0.5)).route("prove sqrt(3) is irrational")
    assert decision.reason.startswith("complex: P(moderate or complex) = ")
    assert "LOCALFN_ROUTE_QUERY__COMPLEX_MIN_PROBABILITY" in decision.reason
    assert "'prove'" in decision.reason
    assert decision.features[0][0] == "prove"


def test_force_tier_wins_and_the_reason_keeps_the_classifiers_view(classifier: TierClassifier) -> None:
    decision = Router(classifier, Thresholds(cloud=0.5, complex=0.5)).route("prove sqrt(3) is irrational", "simple")
    assert decision.tier == "simple"
    assert decision.reason.startswith("simple: forced by force_tier (the classifier said complex: ")
    assert decision.probabilities["complex"] > 0.5


def p(simple: float, moderate: float, complex: float) -> dict[Tier, float]:
    return {"simple": simple, "moderate": moderate, "complex": complex}


@pytest.mark.parametrize(
    ("probabilities", "cloud", "complex", "tier"),
    [
        (p(0.6, 0.3, 0.1), 0.5, 0.5, "simple"),
        (p(0.45, 0.2, 0.35), 0.5, 0.5, "moderate"),  # unsure between tiers: the higher, as the labels are
        (p(0.1, 0.3, 0.6), 0.5, 0.5, "complex"),
        (p(0.1, 0.3, 0.6), 0.95, 0.5, "simple"),  # the cloud threshold gates both cloud tiers
        (p(0.1, 0.3, 0.6), 0.5, 0.7, "moderate"),  # complex not sure enough: the next cheaper tier
        (p(0.98, 0.01, 0.01), 0.0, 0.5, "moderate"),  # 0 sends everything to the cloud
        (p(0.5, 0.0, 0.5), 0.5, 0.5, "complex"),  # ">=": a probability equal to its threshold clears it
    ],
)
def test_thresholds_pick_the_tier_as_documented(probabilities: dict[Tier, float], cloud: float, complex: float, tier: Tier) -> None:
    assert Thresholds(cloud=cloud, complex=complex).tier(probabilities) == tier


probability_triples = st.tuples(*(st.floats(0.001, 1.0) for _ in TIERS)).map(lambda raw: p(*(value / sum(raw) for value in raw)))
threshold = st.floats(0.0, 1.0)


@given(probability_triples, threshold, threshold, threshold)
def test_raising_a_threshold_never_sends_a_query_to_a_dearer_tier(
    probabilities: dict[Tier, float], low: float, high: float, other: float
) -> None:
    low, high = sorted((low, high))
    rank = TIERS.index
    assert rank(Thresholds(high, other).tier(probabilities)) <= rank(Thresholds(low, other).tier(probabilities))
    assert rank(Thresholds(other, high).tier(probabilities)) <= rank(Thresholds(other, low).tier(probabilities))


def test_explanations_quote_the_numbers_the_rule_compared() -> None:
    text = Thresholds(cloud=0.4, complex=0.7).explain(p(0.2, 0.3, 0.5))
    numbers = [float(n) for n in re.findall(r"\d\.\d\d", text)]
    assert numbers == [0.8, 0.4, 0.5, 0.7]
    assert "P(complex) = 0.50 < 0.70" in text
