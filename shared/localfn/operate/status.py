"""What a running `localfn serve` is doing: its functions, its engines, route-query's routing.

Read from the server's own routes: ``GET /`` (the functions), ``GET /metrics`` (Prometheus
text: requests and the latency histogram per function, engine calls and in-flight per
backend), ``GET /health/ready`` (the engines and their models) and route-query's
``GET /route-query/stats``. Latency quantiles are estimated from the histogram's buckets as
Prometheus' ``histogram_quantile`` does, over everything since the server started.

The parsing is shared with a release's status on a cluster (`localfn.operate.release_status`):
`parse_samples` sums the same series across several pods' pages, so `count_functions` then
reads a whole Deployment's requests and latency histogram as it reads one server's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from localfn.operate.ollama import OllamaAdmin, OllamaAdminError, runs_on

__all__ = [
    "EngineStatus",
    "FunctionStatus",
    "Samples",
    "ServeStatusReport",
    "StatusError",
    "count_functions",
    "histogram_quantile",
    "parse_samples",
    "read_status",
]

Samples = dict[str, list[tuple[dict[str, str], float]]]  # sample name -> (labels, value) of each series


class StatusError(Exception):
    """The server did not answer as `localfn serve` does; the message says what to do."""


@dataclass
class FunctionStatus:
    name: str
    ready: bool
    requests: int = 0
    errors: int = 0  # answers with a 4xx or 5xx status
    in_flight: int = 0
    p50_s: float | None = None
    p99_s: float | None = None


@dataclass
class EngineStatus:
    backend: str
    model: str
    ready: bool
    models: list[str] = field(default_factory=list)
    calls: int = 0
    in_flight: int = 0
    processor: str = ""  # "GPU", "CPU" or "" (not known), of its loaded models


@dataclass
class ServeStatusReport:
    url: str
    functions: list[FunctionStatus]
    engines: list[EngineStatus]
    routing: dict[str, Any] | None  # route-query's /stats, when it runs


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile of a cumulative histogram ``[(upper bound, count), ...]``, as Prometheus estimates it.

    Linear within the bucket the rank falls in; the +Inf bucket answers its lower bound. None without observations.
    """
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] == 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if math.isinf(upper):
                return lower
            return lower + (upper - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = upper, count
    return lower


def parse_samples(*pages: str) -> Samples:
    """The samples of Prometheus text pages, each series (name and labels) summed across the pages.

    Summing before any quantile is how Prometheus aggregates histograms (``sum by (le)``): the
    p99 of two pods is read from their added buckets, never from each pod's own p99.
    """
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
    for page in pages:
        for family in text_string_to_metric_families(page):
            for sample in family.samples:
                totals[sample.name, tuple(sorted(sample.labels.items()))] += sample.value
    samples: Samples = defaultdict(list)
    for (name, labels), value in totals.items():
        samples[name].append((dict(labels), value))
    return samples


def count_functions(functions: Mapping[str, FunctionStatus], samples: Samples) -> None:
    """Fill in each function's requests, errors, in flight and p50/p99 from ``samples`` (series labelled by function)."""
    buckets: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for labels, value in samples.get("localfn_requests_total", []):
        if status := functions.get(labels.get("function", "")):
            status.requests += int(value)
            status.errors += int(value) if labels.get("status", "200")[0] in "45" else 0
    for labels, value in samples.get("localfn_in_flight", []):
        if status := functions.get(labels.get("function", "")):
            status.in_flight += int(value)
    for labels, value in samples.get("localfn_request_seconds_bucket", []):
        buckets[labels["function"]].append((float(labels["le"]), value))
    for name, series in buckets.items():
        if status := functions.get(name):
            status.p50_s, status.p99_s = histogram_quantile(0.5, series), histogram_quantile(0.99, series)


def _engines(ready: dict[str, Any], samples: Samples) -> list[EngineStatus]:
    engines = {
        e["backend"]: EngineStatus(
            e["backend"], e.get("model", ""), bool(e.get("ready", e.get("model_present"))), list(e.get("models", []))
        )
        for e in ready.get("engines", [])
    }
    for labels, value in samples.get("localfn_engine_calls_total", []):
        if engine := engines.get(labels.get("backend", "")):
            engine.calls += int(value)
    for labels, value in samples.get("localfn_engine_in_flight", []):
        if engine := engines.get(labels.get("backend", "")):
            engine.in_flight = int(value)
    return list(engines.values())


def _processor(ollama_url: str, client: httpx.Client) -> str:
    """Where an Ollama runs its loaded models (`runs_on`), or "" when it does not answer."""
    try:
        return runs_on(OllamaAdmin(ollama_url, client).loaded())
    except OllamaAdminError:
        return ""


def read_status(url: str, client: httpx.Client, ollama_urls: dict[str, str] | None = None) -> ServeStatusReport:
    """One look at the server at ``url``; `StatusError` when it does not answer as `localfn serve`.

    ``ollama_urls`` (backend name -> URL, from LOCALFN_ENGINES) lets it ask those Ollamas where their models run.
    """
    base = url.rstrip("/")
    try:
        index = client.get(f"{base}/").json()
        ready = client.get(f"{base}/health/ready").json()  # 503 too carries the engines
        metrics = client.get(f"{base}/metrics").text
        stats = client.get(f"{base}/route-query/stats") if "route-query" in index.get("functions", {}) else None
    except httpx.HTTPError as exc:
        raise StatusError(
            f"no localfn serve answers at {base} ({exc}): start one (`make serve`), or point --url (LOCALFN_URL) at it"
        ) from exc
    except ValueError as exc:
        raise StatusError(f"{base} does not answer as localfn serve does (not JSON): is --url right?") from exc
    samples = parse_samples(metrics)
    routing = stats.json() if stats is not None and stats.is_success else None
    engines = _engines(ready, samples)
    for engine in engines:
        if ollama_url := (ollama_urls or {}).get(engine.backend):
            engine.processor = _processor(ollama_url, client)
    functions = {name: FunctionStatus(name, state == "ready") for name, state in index.get("functions", {}).items()}
    count_functions(functions, samples)
    return ServeStatusReport(base, list(functions.values()), engines, routing)
