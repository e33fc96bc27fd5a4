"""Burst: many requests for few distinct inputs, as when a catalogue import or a retry storm repeats work.

1,000 summarize requests from 100 clients, only 5 % of them distinct (each input asked 20
times, in a fixed shuffled order), the result cache on and every limit at its default. The
engine (a SlotPeer with S slots of latency L) must see one call per distinct input, and no
request may be refused: the in-flight limit bounds work, and waiting on an identical
request's answer, or reading the cache, is not work.
"""

from __future__ import annotations

import asyncio
import random

from bench.perf.harness import client, drive, engine_env, function, peer_stats, percentile, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import summarize_request

NAME = "burst"
SLOTS = 8
LATENCY_MS = 250.0
REQUESTS = 1000
CLIENTS = 100
DISTINCT_SHARE = 0.05


def bodies(requests: int, share: float = DISTINCT_SHARE) -> list[dict[str, object]]:
    """``requests`` summarize bodies over ``share`` of as many distinct inputs, in a fixed shuffled order."""
    distinct = max(1, round(requests * share))
    order = [index % distinct for index in range(requests)]
    random.Random(0).shuffle(order)
    return [summarize_request(index) for index in order]


def run(options: Options) -> Result:
    requests = options.count(REQUESTS, least=2 * CLIENTS)
    sent = bodies(requests)
    distinct = len({body["context"] for body in sent})  # type: ignore[index]
    with slot_peer(slots=SLOTS, latency_ms=LATENCY_MS) as peer, function("summarize", engine_env(peer)) as fn:

        async def load() -> tuple[list[int], list[float], float]:
            async with client(CLIENTS) as http:
                burst = await drive(http, fn.url, sent, concurrency=CLIENTS, refusals=True)
            return burst.statuses, burst.latencies_s, burst.elapsed_s

        statuses, latencies, elapsed = asyncio.run(load())
        calls = peer_stats(peer)["calls"]
    answered = [latency for latency, status in zip(latencies, statuses, strict=True) if status == 200]
    refused = statuses.count(503)
    return Result(
        benchmark=NAME,
        parameters={
            "slots": SLOTS,
            "latency_ms": LATENCY_MS,
            "requests": requests,
            "clients": CLIENTS,
            "distinct_inputs": distinct,
            "function": "summarize, default settings (cache on, LOCALFN_MAX_IN_FLIGHT=64)",
        },
        raw={
            "answered": len(answered),
            "refused": refused,
            "engine_calls": calls,
            "elapsed_s": round(elapsed, 3),
            "answered_per_s": round(len(answered) / elapsed, 2),
            "p99_answered_ms": round(percentile(answered, 99) * 1000, 1) if len(answered) > 1 else None,
        },
        checks=[
            Check.at_most("requests refused (503)", refused, 0, "requests"),
            Check.at_most("engine calls / distinct inputs", calls / distinct, 1),
            Check.info("answered per second", len(answered) / elapsed, "requests/s"),
        ],
    )
