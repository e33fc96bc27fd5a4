"""What a running `localfn serve` is doing: its functions, its engines, route-query's routing.

Read from the server's own routes: ``GET /`` (the functions), ``GET /metrics`` (Prometheus
text: requests and the latency histogram per function, engine calls and in-flight per
backend), ``GET /health/ready`` (the engines and their models) and route-query's
``GET /route-query/stats``. Latency quantiles are estimated from the histogram's buckets as
Prometheus' ``histogram_quantile`` does, over everything since the server started.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from localfn.operate.ollama import OllamaAdmin, OllamaAdminError

__all__ = ["EngineStatus", "FunctionStatus", "ServeStatusReport", "StatusError", "histogram_quantile", "read_status"]


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


def _samples(metrics_text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def _functions(index: dict[str, Any], samples: dict[str, list[tuple[dict[str, str], float]]]) -> list[FunctionStatus]:
    functions = {name: FunctionStatus(name, state == "ready") for name, state in index.get("functions", {}).items()}
    buckets: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for labels, value in samples.get("localfn_requests_total", []):
        if status := functions.get(labels.get("function", "")):
            status.requests += int(value)
            status.errors += int(value) if labels.get("status", "200")[0] in "45" else 0
    for labels, value in samples.get("localfn_in_flight", []):
        if status := functions.get(labels.get("function", "")):
            status.in_flight = int(value)
    for labels, value in samples.get("localfn_request_seconds_bucket", []):
        buckets[labels["function"]].append((float(labels["le"]), value))
    for name, series in buckets.items():
        if status := functions.get(name):
            status.p50_s, status.p99_s = histogram_quantile(0.5, series), histogram_quantile(0.99, series)
    return list(functions.values())


def _engines(ready: dict[str, Any], samples: dict[str, list[tuple[dict[str, str], float]]]) -> list[EngineStatus]:
    engines = {
        e["backend"]: EngineStatus(e["backend"], e.get("model", ""), bool(e.get("ready", e.get("model_present"))), list(e.get("models", [])))
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
    """Where an Ollama runs its loaded models: "GPU" when any part of one is in VRAM, "CPU", or "" (none loaded, no answer)."""
    try:
        loaded = OllamaAdmin(ollama_url, client).loaded()
    except OllamaAdminError:
        return ""
    if not loaded:
        return ""
    return "GPU" if any(model.size_vram for model in loaded) else "CPU"


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
        raise StatusError(f"no localfn serve answers at {base} ({exc}): start one (`make serve`), or point --url (LOCALFN_URL) at it") from exc
    except ValueError as exc:
        raise StatusError(f"{base} does not answer as localfn serve does (not JSON): is --url right?") from exc
    samples = _samples(metrics)
    routing = stats.json() if stats is not None and stats.is_success else None
    engines = _engines(ready, samples)
    for engine in engines:
        if ollama_url := (ollama_urls or {}).get(engine.backend):
            engine.processor = _processor(ollama_url, client)
    return ServeStatusReport(base, _functions(index, samples), engines, routing)
