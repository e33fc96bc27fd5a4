"""`localfn status` against `localfn serve`'s real app on loopback, its engine the Ollama test peer.

Requests that fail validation (422) need no model, yet are counted and timed like any other:
enough to see the counts, the latency quantiles from /metrics, the engine and where its model runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from localfn.cli import main
from localfn.metrics import Metrics
from localfn.operate.status import histogram_quantile, parse_samples
from localfn.runtime import RuntimeHolder
from localfn.serve import build_app
from tests.support.asgi_server import serve_in_thread
from tests.support.localfn_app import backend, make_settings
from tests.support.ollama_peer import OllamaPeer

NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    peer = OllamaPeer(NOWHERE, {"tiny:latest": "tiny"})
    peer.loaded.append("tiny:latest")
    peer.vram["tiny:latest"] = 1 << 30
    with serve_in_thread(peer) as ollama_url:
        engine = backend("gpu", ollama_url, "tiny", kind="ollama")
        settings = make_settings(engine, embedded="never")
        # `localfn status` reads LOCALFN_ENGINES to ask the Ollama where its models run.
        monkeypatch.setenv("LOCALFN_ENGINES", json.dumps([engine.model_dump(mode="json", exclude_none=True)]))
        with serve_in_thread(build_app(RuntimeHolder(lambda: settings))) as url:
            for _ in range(3):
                assert httpx.post(f"{url}/summarize", json={"nothing": "valid"}).status_code == 422
            yield url
    assert peer.violations == []


def test_status_as_json_counts_requests_and_names_the_engine(serve: str) -> None:
    result = CliRunner().invoke(main, ["status", "--url", serve, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    summarize = next(f for f in report["functions"] if f["name"] == "summarize")
    assert summarize["ready"] and summarize["requests"] == 3 and summarize["errors"] == 3
    assert 0 < summarize["p50_s"] <= summarize["p99_s"]
    assert report["engines"] == [
        {"backend": "gpu", "model": "tiny", "ready": True, "models": ["tiny:latest"], "calls": 0, "in_flight": 0, "processor": "GPU"}
    ]
    assert report["routing"]["queries"] == 0 and report["routing"]["scope"] == "pod"


def test_status_prints_three_tables(serve: str) -> None:
    result = CliRunner().invoke(main, ["status", "--url", serve])
    assert result.exit_code == 0, result.output
    assert "functions" in result.output and "engines, in failover order" in result.output and "route-query routing" in result.output


def test_status_with_nothing_running_says_what_to_start(closed_port_url: str) -> None:
    result = CliRunner().invoke(main, ["status", "--url", closed_port_url])
    assert result.exit_code == 1 and "make serve" in result.output


def test_quantiles_as_prometheus_estimates_them() -> None:
    buckets = [(0.1, 0.0), (0.25, 5.0), (0.5, 10.0), (float("inf"), 10.0)]
    assert histogram_quantile(0.5, buckets) == 0.25
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.495)
    assert histogram_quantile(0.5, [(0.1, 0.0), (float("inf"), 0.0)]) is None
    assert histogram_quantile(0.99, [(0.1, 0.0), (float("inf"), 4.0)]) == 0.1  # beyond the last bound: that bound


def test_watch_redraws_until_ctrl_c(serve: str) -> None:
    watch = subprocess.Popen(
        [str(Path(sys.executable).parent / "localfn"), "status", "--url", serve, "--watch", "--interval", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    time.sleep(2.0)
    watch.send_signal(signal.SIGINT)
    out, err = watch.communicate(timeout=30)
    assert watch.returncode == 0, out + err
    assert "summarize" in out and "engines, in failover order" in out


def test_pages_are_summed_series_by_series() -> None:
    """Two pods' pages: the same series added, others kept apart; the quantile then reads the added buckets."""
    one, two = Metrics(), Metrics()
    one.requests.labels("summarize", "200", "json").inc(3)
    two.requests.labels("summarize", "200", "json").inc(1)
    two.requests.labels("summarize", "503", "json").inc(2)
    one.latency.labels("summarize").observe(0.02)
    two.latency.labels("summarize").observe(3.0)
    samples = parse_samples(one.render().decode(), two.render().decode())
    requests = {labels["status"]: value for labels, value in samples["localfn_requests_total"]}
    assert requests == {"200": 4.0, "503": 2.0}
    buckets = [(float(labels["le"]), value) for labels, value in samples["localfn_request_seconds_bucket"]]
    assert dict(buckets)[0.025] == 1.0 and dict(buckets)[float("inf")] == 2.0
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.025)  # rank 1 of 2: the top of the quick pod's bucket
