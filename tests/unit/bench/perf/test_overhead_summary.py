"""bench overhead's summary: percentiles of per-pair differences over every trial's requests at once."""

from __future__ import annotations

from bench.perf.overhead import cpu_summary, summary


def pairs(way_ms: list[float], direct_ms: list[float]) -> list[tuple[float, float]]:
    """Requests' (seconds outside the engine, their direct partner's), from milliseconds."""
    return [(w / 1000, d / 1000) for w, d in zip(way_ms, direct_ms, strict=True)]


def test_what_a_pair_paid_together_is_taken_out() -> None:
    # A slow spell of the machine delays a request and its direct partner alike: no added latency.
    direct = [1.0] * 95 + [40.0] * 5
    forwarder = [d + 1 for d in direct]
    localfn = [d + 1.2 for d in direct]
    row = summary([{"forwarder": pairs(forwarder, direct), "localfn": pairs(localfn, direct)}])
    assert row["p99"]["forwarder_added_ms"] == 1.0
    assert row["p99"]["localfn_added_ms"] == 1.2
    assert row["p99"]["ratio"] == 1.2
    assert row["p99"]["direct_outside_engine_ms"] == 40.0


def test_a_tail_is_read_over_all_trials_not_one_trials_median() -> None:
    # localfn's slow requests all fall in one trial: a median of per-trial p99s would hide them.
    direct = [1.0] * 100
    quiet = {"forwarder": pairs([2.0] * 100, direct), "localfn": pairs([2.0] * 100, direct)}
    slow = {"forwarder": pairs([2.0] * 100, direct), "localfn": pairs([50.0] * 5 + [2.0] * 95, direct)}
    row = summary([slow, quiet, quiet])
    assert row["p50"]["localfn_added_ms"] == 1.0
    assert row["p99"]["localfn_added_ms"] > 40
    assert row["p99"]["localfn_added_ms_trials"][1:] == [1.0, 1.0]
    assert row["p99"]["ratio"] == round(row["p99"]["localfn_added_ms"] / row["p99"]["forwarder_added_ms"], 3)


def test_no_ratio_when_the_forwarder_adds_nothing() -> None:
    direct = [2.0] * 10
    trial = {"forwarder": pairs(direct, direct), "localfn": pairs([3.0] * 10, direct)}
    assert summary([trial])["p50"]["ratio"] is None


def test_cpu_per_request_is_each_functions_median_over_the_trials() -> None:
    # One trial where the machine stole time from the forwarder must not move the figure.
    trials = [{"forwarder": 1.0, "localfn": 1.2}, {"forwarder": 1.1, "localfn": 1.3}, {"forwarder": 5.0, "localfn": 1.25}]
    cpu = cpu_summary(trials)
    assert (cpu["forwarder"], cpu["localfn"]) == (1.1, 1.25)
    assert cpu["ratio"] == round(1.25 / 1.1, 3)
    assert len(cpu["trials"]) == 3
