"""Saturation: a function's throughput against the bound an engine with S slots of latency L sets (S / L).

4 x S clients send summarize requests (cache off) through the function as fast as answers
come back; the SlotPeer reports how many of its slots were ever busy at once.
"""

from __future__ import annotations

import asyncio

from bench.perf.harness import client, drive, engine_env, function, peer_stats, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import summarize_request

NAME = "saturation"
SLOTS = 8  # OLLAMA_NUM_PARALLEL on a large GPU
LATENCY_MS = 250.0  # bound 32 requests/s: within what two shared cores drive for client, peer and function
ROUNDS = 100  # requests per slot: the run lasts about ROUNDS x L
TARGET = 0.9


def run(options: Options) -> Result:
    clients = 4 * SLOTS
    requests = options.count(ROUNDS * SLOTS, least=4 * clients)
    bound = SLOTS / (LATENCY_MS / 1000)
    with slot_peer(slots=SLOTS, latency_ms=LATENCY_MS) as peer, function("summarize", engine_env(peer, cache_ttl_s=0)) as fn:

        async def load() -> float:
            async with client(clients) as http:
                await drive(http, fn.url, (summarize_request(-i) for i in range(1, clients + 1)), concurrency=clients)
                return (await drive(http, fn.url, (summarize_request(i) for i in range(requests)), concurrency=clients)).throughput

        throughput = asyncio.run(load())
        stats = peer_stats(peer)
    return Result(
        benchmark=NAME,
        parameters={
            "slots": SLOTS,
            "latency_ms": LATENCY_MS,
            "clients": clients,
            "requests": requests,
            "function": "summarize, LOCALFN_CACHE_TTL_S=0",
        },
        raw={"bound_rps": bound, "throughput_rps": round(throughput, 2), "peer": stats},
        checks=[Check.at_least("throughput / (S / L)", throughput / bound, TARGET)],
    )
