"""bench overhead's summary: percentiles over every trial's requests at once, each trial's kept beside."""

from __future__ import annotations

from bench.perf.overhead import cpu_summary, summary


def way(base_ms: float, slow_ms: float, slow: int, n: int = 100) -> list[float]:
    """``n`` requests' seconds outside the engine: ``slow`` of them at ``slow_ms``, the rest at ``base_ms``."""
    return [slow_ms / 1000] * slow + [base_ms / 1000] * (n - slow)


def test_a_tail_is_read_over_all_trials_not_one_trials_median() -> None:
    # localfn's slow requests all fall in one trial: a median of per-trial p99s would hide them.
    trials = [
        {"direct": way(1, 1, 0), "forwarder": way(2, 2, 0), "localfn": way(2, 50, 5)},
        {"direct": way(1, 1, 0), "forwarder": way(2, 2, 0), "localfn": way(2, 2, 0)},
        {"direct": way(1, 1, 0), "forwarder": way(2, 2, 0), "localfn": way(2, 2, 0)},
    ]
    row = summary(trials)
    assert row["p50"]["localfn_added_ms"] == 1.0
    assert row["p99"]["localfn_added_ms"] > 40
    assert row["p99"]["localfn_added_ms_trials"][1:] == [1.0, 1.0]
    assert row["p99"]["ratio"] == round(row["p99"]["localfn_added_ms"] / row["p99"]["forwarder_added_ms"], 3)


def test_no_ratio_when_the_forwarder_adds_nothing() -> None:
    trials = [{"direct": way(2, 2, 0), "forwarder": way(2, 2, 0), "localfn": way(3, 3, 0)}]
    assert summary(trials)["p50"]["ratio"] is None


def test_cpu_per_request_is_each_functions_median_over_the_trials() -> None:
    # One trial where the machine stole time from the forwarder must not move the figure.
    trials = [{"forwarder": 1.0, "localfn": 1.2}, {"forwarder": 1.1, "localfn": 1.3}, {"forwarder": 5.0, "localfn": 1.25}]
    cpu = cpu_summary(trials)
    assert (cpu["forwarder"], cpu["localfn"]) == (1.1, 1.25)
    assert cpu["ratio"] == round(1.25 / 1.1, 3)
    assert len(cpu["trials"]) == 3
