"""Memory: resident memory of each function process idle, and after 1,000 and 2,000 requests.

Idle is the serving process (gunicorn's worker) right after it first answers ready. Then a
function gets 1,000 requests with distinct inputs, more than its result cache holds
(LOCALFN_CACHE_MAX_ENTRIES, bounded here below 1,000), and 1,000 more: once the cache is
full, memory must stop growing. summarize and route-query are the functions whose answers
the SlotPeer's canned reply completes; the others would fail their JSON Schemas on it.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.perf.harness import FUNCTIONS, client, drive, engine_env, function, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import route_request, summarize_request

NAME = "memory"
CACHE_ENTRIES = 256
REQUESTS = 1000
CONCURRENCY = 16
GROWTH_LIMIT_MIB = 4.0  # allocator noise; the full cache itself holds well under 1 MiB of answers
MIB = 1024 * 1024
LOADED: dict[str, Callable[[int], dict[str, Any]]] = {"summarize": summarize_request, "route_query": route_request}


def idle_mib(peer: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = engine_env(peer, generate_badge__history_path=Path(home) / "history.sqlite3")
        idle = {}
        for name in FUNCTIONS:
            with function(name, env) as fn:
                idle[name] = round(fn.worker_rss_bytes() / MIB, 2)
    return idle


def loaded_mib(peer: str, name: str, requests: int) -> list[float]:
    """A function's RSS idle, after ``requests`` distinct requests, and after as many more."""
    body = LOADED[name]
    with function(name, engine_env(peer, cache_max_entries=CACHE_ENTRIES)) as fn:
        samples = [fn.worker_rss_bytes() / MIB]

        async def batch(start: int) -> None:
            async with client(CONCURRENCY) as http:
                await drive(http, fn.url, (body(i) for i in range(start, start + requests)), concurrency=CONCURRENCY)

        for start in (0, requests):
            asyncio.run(batch(start))
            samples.append(fn.worker_rss_bytes() / MIB)
    return [round(sample, 2) for sample in samples]


def run(options: Options) -> Result:
    requests = options.count(REQUESTS, least=2 * CACHE_ENTRIES)
    with slot_peer(slots=CONCURRENCY, latency_ms=0) as peer:
        idle = idle_mib(peer)
        loaded = {name: loaded_mib(peer, name, requests) for name in LOADED}
    checks = [Check.info(f"{name} idle", mib, "MiB") for name, mib in idle.items()]
    for name, (_, after, twice) in loaded.items():
        checks.append(Check.info(f"{name} after {requests} requests", after, "MiB"))
        checks.append(Check.at_most(f"{name} growth, requests {requests}..{2 * requests}", twice - after, GROWTH_LIMIT_MIB, "MiB"))
    return Result(
        benchmark=NAME,
        parameters={
            "cache_max_entries": CACHE_ENTRIES,
            "requests_per_batch": requests,
            "concurrency": CONCURRENCY,
            "process": "gunicorn worker under functions-framework --asgi",
        },
        raw={
            "idle_mib": idle,
            "loaded_mib": {
                name: dict(zip(("idle", f"after_{requests}", f"after_{2 * requests}"), samples, strict=True))
                for name, samples in loaded.items()
            },
        },
        checks=checks,
    )
