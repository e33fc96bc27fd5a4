"""Cache and coalescing: a repeated request against the uncached one, and identical concurrent requests against engine calls.

The result cache is on (the default). Uncached: each request's input is new, so summarize
calls the engine (a SlotPeer with latency L). Repeated: the same request again, answered
from the cache. Coalescing: 100 identical new requests at once must cause one engine call,
counted by the SlotPeer itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.perf.harness import client, drive, engine_env, function, median, peer_stats, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import summarize_request

NAME = "cache"
LATENCY_MS = 500.0  # a short summary from a GPU model takes about this long
REQUESTS = 50
IDENTICAL = 100
TARGET_SPEEDUP = 100.0
TARGET_CALLS = 1


async def measure(peer: str, url: str, requests: int) -> dict[str, Any]:
    async with client(IDENTICAL) as http:
        await drive(http, url, [summarize_request(-1)], concurrency=1)  # warm the connection and the runtime
        uncached = await drive(http, url, (summarize_request(i) for i in range(requests)), concurrency=1)
        repeated = await drive(http, url, (summarize_request(0) for _ in range(requests)), concurrency=1)
        before = peer_stats(peer)["calls"]
        await drive(http, url, (summarize_request(requests) for _ in range(IDENTICAL)), concurrency=IDENTICAL)
        calls = peer_stats(peer)["calls"] - before
    return {
        "uncached_ms": median(uncached.latencies_s) * 1000,
        "repeated_ms": median(repeated.latencies_s) * 1000,
        "engine_calls_for_identical": calls,
    }


def run(options: Options) -> Result:
    requests = options.count(REQUESTS, least=5)
    with slot_peer(slots=4, latency_ms=LATENCY_MS) as peer, function("summarize", engine_env(peer, max_in_flight=2 * IDENTICAL)) as fn:
        raw = asyncio.run(measure(peer, fn.url, requests))
    return Result(
        benchmark=NAME,
        parameters={
            "engine_latency_ms": LATENCY_MS,
            "requests": requests,
            "identical_concurrent": IDENTICAL,
            "function": f"summarize, default cache (LOCALFN_CACHE_TTL_S=300), LOCALFN_MAX_IN_FLIGHT={2 * IDENTICAL}",
        },
        raw={key: round(value, 3) for key, value in raw.items()},
        checks=[
            Check.at_least("uncached / repeated median latency", raw["uncached_ms"] / raw["repeated_ms"], TARGET_SPEEDUP),
            Check.at_most(f"engine calls for {IDENTICAL} identical requests", raw["engine_calls_for_identical"], TARGET_CALLS, "calls"),
        ],
    )
