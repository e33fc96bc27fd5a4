"""localfn.metrics.Metrics.series: labels() looked up once per label set, counting the same series."""

from __future__ import annotations

from localfn.metrics import Metrics


def test_series_is_the_labelled_child_made_once_per_label_set() -> None:
    metrics = Metrics()
    first = metrics.series(metrics.requests, "summarize", "200", "json")
    assert metrics.series(metrics.requests, "summarize", "200", "json") is first
    assert metrics.series(metrics.requests, "summarize", "503", "json") is not first
    assert metrics.series(metrics.reused, "summarize", "200") is not metrics.series(metrics.requests, "summarize", "200", "json")


def test_series_counts_into_the_exported_series() -> None:
    metrics = Metrics()
    metrics.series(metrics.requests, "summarize", "200", "json").inc()
    metrics.series(metrics.requests, "summarize", "200", "json").inc(2)
    metrics.requests.labels("summarize", "200", "json").inc()  # the same series, however it is reached
    metrics.series(metrics.latency, "summarize").observe(0.02)
    sample = metrics.registry.get_sample_value
    assert sample("localfn_requests_total", {"function": "summarize", "status": "200", "mode": "json"}) == 4
    assert sample("localfn_request_seconds_count", {"function": "summarize"}) == 1
    assert b'localfn_requests_total{function="summarize",mode="json",status="200"} 4.0' in metrics.render()
