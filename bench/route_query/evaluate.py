"""Evaluate route-query's tier classifier on a held-out split of assets/routing/queries.jsonl.

    python -m bench.route_query.evaluate

Trains exactly as ``make models`` does (``training.train``, scikit-learn) on a stratified 80 %
of the labelled queries and scores with the classifier route-query serves (``TierClassifier``,
pure Python), then reports on the other 20 %: accuracy, the per-tier confusion matrix of the
decision rule at the default thresholds, accuracy per domain, 5-fold cross-validation for
the spread, the training time (build time) and the time to load the shipped classifier (start
time), and how the cloud threshold trades cloud share against queries kept local that needed
more. Results are recorded in bench/route_query/results/.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import numpy as np
import sklearn
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold, train_test_split

from bench.machine import machine as shared_machine
from localfn.functions.route_query import training
from localfn.functions.route_query.classifier import Example, TierClassifier, load_examples
from localfn.functions.route_query.models import TIERS, Tier
from localfn.functions.route_query.router import Thresholds
from localfn.settings import RouteQuerySettings

__all__ = ["held_out_split", "main", "most_probable", "trained"]

SEED = 0
HELD_OUT = 0.2


def held_out_split(examples: Sequence[Example], fraction: float = HELD_OUT, seed: int = SEED) -> tuple[list[Example], list[Example]]:
    """Train and test examples, stratified by tier, the same every run."""
    train, test = train_test_split(list(examples), test_size=fraction, stratify=[e.tier for e in examples], random_state=seed)
    return train, test


def trained(examples: Sequence[Example]) -> TierClassifier:
    """The classifier ``make models`` would ship, had these been all the data."""
    return TierClassifier(training.train(examples))


def default_thresholds() -> Thresholds:
    # The defaults as declared, not as this shell's LOCALFN_* variables may have them.
    fields = RouteQuerySettings.model_fields
    return Thresholds(cloud=fields["cloud_min_probability"].default, complex=fields["complex_min_probability"].default)


def route(model: TierClassifier, examples: Sequence[Example], thresholds: Thresholds) -> list[Tier]:
    return [thresholds.tier(model.probabilities(e.query)) for e in examples]


def most_probable(model: TierClassifier, query: str) -> Tier:
    probabilities = model.probabilities(query)
    return max(probabilities, key=probabilities.__getitem__)


def accuracy(predicted: Sequence[Tier], examples: Sequence[Example]) -> float:
    return float(np.mean([p == e.tier for p, e in zip(predicted, examples, strict=True)]))


def machine() -> str:
    info = shared_machine()
    return (
        f"{info['cpu']}, {info['cpus']} cores, {info['platform']}; Python {info['python']}, "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}"
    )


def main() -> None:
    examples = load_examples()
    thresholds = default_thresholds()
    print(f"machine: {machine()}")
    print(f"data: {len(examples)} labelled queries; held out: {HELD_OUT:.0%} stratified by tier (seed {SEED})")

    for what, step in (
        (f"training on all {len(examples)} (make models)", lambda: training.train(examples)),
        ("loading the shipped classifier (at start-up)", TierClassifier.load),
    ):
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            step()
            timings.append(time.perf_counter() - started)
        print(f"{what}: median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms over 5 runs")

    train, test = held_out_split(examples)
    model = trained(train)
    argmax = [most_probable(model, e.query) for e in test]
    routed = route(model, test, thresholds)
    print(f"\nheld-out ({len(test)} queries, trained on {len(train)}):")
    print(f"  accuracy, most probable tier:           {accuracy(argmax, test):.3f}")
    print(
        f"  accuracy, decision rule at the defaults: {accuracy(routed, test):.3f}  "
        f"(cloud >= {thresholds.cloud}, complex >= {thresholds.complex}); chance: 0.333"
    )

    matrix = confusion_matrix([e.tier for e in test], routed, labels=list(TIERS))
    print("\nconfusion matrix of the decision rule (rows: labelled tier, columns: routed tier):")
    print(f"  {'':10}" + "".join(f"{tier:>10}" for tier in TIERS) + f"{'recall':>10}")
    for tier, row in zip(TIERS, matrix, strict=True):
        print(f"  {tier:10}" + "".join(f"{n:>10}" for n in row) + f"{row[TIERS.index(tier)] / row.sum():>10.2f}")

    print("\naccuracy by domain (decision rule):")
    for domain in sorted({e.domain for e in test}):
        pairs = [(p, e) for p, e in zip(routed, test, strict=True) if e.domain == domain]
        print(f"  {domain:12} {accuracy([p for p, _ in pairs], [e for _, e in pairs]):.3f}  ({len(pairs)} queries)")

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    scores = []
    for train_index, test_index in folds.split(examples, [e.tier for e in examples]):
        fold_model = trained([examples[i] for i in train_index])
        fold_test = [examples[i] for i in test_index]
        scores.append(accuracy(route(fold_model, fold_test, thresholds), fold_test))
    print(
        f"\n5-fold cross-validation, decision rule: {np.mean(scores):.3f} ± {np.std(scores):.3f} "
        f"(folds: {', '.join(f'{s:.3f}' for s in scores)})"
    )

    print("\nLOCALFN_ROUTE_QUERY__CLOUD_MIN_PROBABILITY on the held-out queries (complex threshold at its default):")
    print(f"  {'threshold':>10}{'to cloud':>10}{'accuracy':>10}{'kept local, needed more':>26}{'simple sent up':>16}")
    needs_cloud = [e.tier != "simple" for e in test]
    for cloud in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        tiers = route(model, test, Thresholds(cloud=cloud, complex=thresholds.complex))
        up = [t != "simple" for t in tiers]
        under = sum(n and not u for n, u in zip(needs_cloud, up, strict=True)) / sum(needs_cloud)
        over = sum(u and not n for n, u in zip(needs_cloud, up, strict=True)) / (len(test) - sum(needs_cloud))
        print(f"  {cloud:>10.1f}{np.mean(up):>10.2f}{accuracy(tiers, test):>10.3f}{under:>26.2f}{over:>16.2f}")


if __name__ == "__main__":
    main()
