"""Overhead: latency a function adds over calling the same engine directly, at concurrency 1 and 64.

The engine is a SlotPeer with more slots than clients, so no request ever queues in it and
every call takes its fixed latency. The same work goes both ways: summarize (cache off)
through the function, and summarize's own prompt straight to the peer's /api/chat. Added
latency at a percentile = through the function minus direct, at that percentile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bench.perf.harness import Load, client, drive, engine_env, function, percentile, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import ollama_chat, summarize_request

NAME = "overhead"
# A short answer from a GPU model. It also keeps the offered load at concurrency 64 (64
# requests/s) within what two shared cores can drive for client, peer and function at once;
# at 50 ms (1,280 requests/s) the run measures CPU starvation, not the function.
LATENCY_MS = 1000.0
CONCURRENCY = (1, 64)
REQUESTS_PER_CLIENT = {1: 100, 64: 20}
TARGET_P99_MS = 5.0
WARMUP_ROUNDS = 2  # untimed requests per client first: connections open, code paths warm
SLOTS = 512  # far more than clients: nothing ever queues in the engine
TRIALS = 3  # direct and through the function, alternately; the median trial is reported


async def timed(url: str, body: Callable[[int], Any], concurrency: int, requests: int) -> Load:
    """``requests`` bodies to ``url``; a client of its own, warmed first (servers close idle connections)."""
    async with client(concurrency) as http:
        await drive(http, url, (body(-i) for i in range(1, WARMUP_ROUNDS * concurrency + 1)), concurrency=concurrency)
        return await drive(http, url, (body(i) for i in range(requests)), concurrency=concurrency, stagger_s=LATENCY_MS / 1000)


async def measure(peer: str, fn: str, concurrency: int, requests: int) -> dict[str, Load]:
    direct = await timed(f"{peer}/api/chat", lambda n: ollama_chat(n, model="bench:latest"), concurrency, requests)
    return {"direct": direct, "function": await timed(fn, summarize_request, concurrency, requests)}


def summary(loads: dict[str, Load]) -> dict[str, Any]:
    row: dict[str, Any] = {"requests": len(loads["direct"].latencies_s)}
    for p in (50, 99):
        direct = percentile(loads["direct"].latencies_s, p) * 1000
        through = percentile(loads["function"].latencies_s, p) * 1000
        row[f"p{p}_ms"] = {"direct": round(direct, 3), "function": round(through, 3), "added": round(through - direct, 3)}
    return row


def median_trial(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The trial whose p99 added latency is the median, with every trial's p99 added beside it.

    A shared machine stalls now and then for tens of milliseconds, which lands in one trial's
    tail and not the next's: the median of three says what the function does, not the host.
    """
    ranked = sorted(trials, key=lambda row: row["p99_ms"]["added"])
    return {**ranked[len(ranked) // 2], "trials_p99_added_ms": [row["p99_ms"]["added"] for row in trials]}


def run(options: Options) -> Result:
    rows: dict[str, Any] = {}
    with slot_peer(slots=SLOTS, latency_ms=LATENCY_MS) as peer, function("summarize", engine_env(peer, cache_ttl_s=0)) as fn:
        for concurrency in CONCURRENCY:
            requests = options.count(REQUESTS_PER_CLIENT[concurrency] * concurrency, least=2 * concurrency)
            trials = [summary(asyncio.run(measure(peer, fn.url, concurrency, requests))) for _ in range(TRIALS)]
            rows[str(concurrency)] = median_trial(trials)
    checks = [Check.at_most("p99 added at concurrency 64", rows["64"]["p99_ms"]["added"], TARGET_P99_MS, "ms")]
    checks += [Check.info(f"p{p} added at concurrency {c}", rows[str(c)][f"p{p}_ms"]["added"], "ms")
               for c in CONCURRENCY for p in (50, 99) if (c, p) != (64, 99)]
    return Result(
        benchmark=NAME,
        parameters={"engine_latency_ms": LATENCY_MS, "engine_slots": SLOTS, "concurrency": list(CONCURRENCY),
                    "function": "summarize, context over its budget, LOCALFN_CACHE_TTL_S=0", "warmup_rounds": WARMUP_ROUNDS,
                    "trials": TRIALS},
        raw=rows,
        checks=checks,
    )
